-- pgrx-tests/csv/12_duplicate_header.csv: email twice (case-insensitively). Imported non-atomic
-- (every row reported, the valid ones written): ERROR 22P04.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/12_duplicate_header.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
