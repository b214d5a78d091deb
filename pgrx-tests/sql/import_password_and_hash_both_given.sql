-- pgrx-tests/csv/22_password_and_hash.csv: both columns filled. Imported non-atomic (every row
-- reported, the valid ones written): password_and_hash.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/22_password_and_hash.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
