-- pgrx-tests/csv/08_ragged.csv: rows with too few / too many fields. Imported non-atomic (every
-- row reported, the valid ones written): wrong_column_count for two rows, one created.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/08_ragged.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
