-- pgrx-tests/csv/05_quoted_newline.csv: newlines inside quoted fields. Imported non-atomic (every
-- row reported, the valid ones written): 3 created, line numbers 2, 4, 7 (where each record
-- starts).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/05_quoted_newline.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email LIKE 'ml%' ORDER BY 1;
