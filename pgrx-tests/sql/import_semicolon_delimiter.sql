-- pgrx-tests/csv/03_semicolon.csv: ; delimiter, a quoted value with a comma, a department column.
-- Imported non-atomic (every row reported, the valid ones written): 2 created; department goes to
-- the profile column.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/03_semicolon.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name, department FROM public.user_profiles WHERE email LIKE 'semi%' ORDER BY 1;
