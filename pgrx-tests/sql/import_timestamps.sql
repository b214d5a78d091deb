-- pgrx-tests/csv/25_timestamps.csv: created_at: leap day, 2023-02-29, Z, offset, dd/mm/yyyy,
-- 24:00. Imported non-atomic (every row reported, the valid ones written): invalid_timestamp for
-- the three invalid ones.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/25_timestamps.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, created_at AT TIME ZONE 'UTC' AS created_at_utc FROM auth.users WHERE email LIKE 'ts_@example.com' ORDER BY 1;
