-- pgrx-tests/csv/29_blank_lines.csv: blank lines before the header and between rows. Imported
-- non-atomic (every row reported, the valid ones written): 2 created, at lines 4 and 7.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/29_blank_lines.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
