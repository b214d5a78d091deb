-- DROP EXTENSION removes the employee table's triggers and the generated code too; the table and
-- its rows stay, and registering again after CREATE EXTENSION links them as before.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\i setup/employee_hr_email.sql
\i setup/employee_auth_email.sql
\i setup/employee_linking.sql
\i setup/employee_carol_deleted.sql
\i setup/employee_accounts.sql
\i setup/employee_provisioned.sql
\set ECHO all
DROP EXTENSION auth_sync;
SELECT count(*) AS employee_triggers FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND NOT tgisinternal AND tgname LIKE 'auth\_sync\_%';
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = to_regnamespace('auth_sync');
SELECT count(*) AS employees FROM public.employees;
CREATE EXTENSION auth_sync;
SELECT target FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'auth_user_id');
SELECT count(*) AS linked_employees FROM auth_sync.auth_sync_monitor WHERE auth_user_id IS NOT NULL;
