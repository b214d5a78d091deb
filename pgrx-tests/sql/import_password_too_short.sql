-- pgrx-tests/csv/14_password_short.csv: 5, 6 and a 4-byte/2-character password. Imported
-- non-atomic (every row reported, the valid ones written): password_too_short for 5 bytes and for
-- 4 bytes; 6 created.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/14_password_short.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
