-- pgrx-tests/csv/33_empty_extra.csv: an extra column left empty. Imported non-atomic (every row
-- reported, the valid ones written): created; no empty key in the metadata.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/33_empty_extra.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT raw_user_meta_data FROM auth.users WHERE email = 'lone@example.com';
