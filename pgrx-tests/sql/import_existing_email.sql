-- pgrx-tests/csv/31_existing.csv: an email that exists. Imported non-atomic (every row reported,
-- the valid ones written): email_exists; the other created.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
\set csv `cat csv/31_existing.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
