-- pgrx-tests/csv/06_quotes_escaped.csv: "" inside quotes. Imported non-atomic (every row
-- reported, the valid ones written): 2 created, quotes kept.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/06_quotes_escaped.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name FROM public.user_profiles WHERE email LIKE 'quote%' ORDER BY 1;
