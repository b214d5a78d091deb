-- pgrx-tests/csv/26_extra_columns.csv: role, department, favourite_color. Imported non-atomic
-- (every row reported, the valid ones written): role and department to the profile,
-- favourite_color to user metadata.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/26_extra_columns.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, p.role, p.department, u.raw_user_meta_data
  FROM auth.users u JOIN public.user_profiles p ON p.user_id = u.id WHERE u.email LIKE 'extra%' ORDER BY 1;
