-- pgrx-tests/csv/17_sql_looking.csv: SQL in the values. Imported non-atomic (every row reported,
-- the valid ones written): created; the values are data.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/17_sql_looking.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email = 'sql@example.com';
SELECT to_regclass('auth.users') IS NOT NULL AS auth_users_still_there;
