-- pgrx-tests/csv/02_bom_crlf.csv: UTF-8 BOM, CRLF line ends, mixed-case headers. Imported
-- non-atomic (every row reported, the valid ones written): 2 created.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/02_bom_crlf.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email LIKE 'bom%' ORDER BY 1;
