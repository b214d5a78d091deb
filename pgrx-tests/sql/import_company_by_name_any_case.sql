-- pgrx-tests/csv/27_company.csv: company names in two cases, an unknown one, blank. Imported
-- non-atomic (every row reported, the valid ones written): resolved case-insensitively;
-- unknown_company.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/27_company.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT p.email, c.name AS company FROM public.user_profiles p LEFT JOIN public.companies c ON c.id = p.company_id
 WHERE p.email LIKE 'co_@example.com' ORDER BY 1;
