-- pgrx-tests/csv/09_header_only.csv: header, no rows. Imported non-atomic (every row reported,
-- the valid ones written): no rows, batch completed with 0 rows.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/09_header_only.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT counts, status FROM public.last_batch;
