-- pgrx-tests/csv/04_tab.csv: tab delimiter. Imported non-atomic (every row reported, the valid
-- ones written): 2 created.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/04_tab.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
