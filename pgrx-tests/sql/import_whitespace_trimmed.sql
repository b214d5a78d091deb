-- pgrx-tests/csv/30_whitespace.csv: spaces around headers and values. Imported non-atomic (every
-- row reported, the valid ones written): created, values trimmed.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/30_whitespace.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name FROM public.user_profiles WHERE email = 'spaced@example.com';
