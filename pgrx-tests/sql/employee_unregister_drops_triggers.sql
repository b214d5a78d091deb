-- Unregistering the employee table drops its triggers and the link trigger on auth.users (the
-- monitor and link_employees then refuse); registering again brings them back.
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
SELECT auth_sync.unregister_linked_table('public.employees');
SELECT count(*) AS employee_triggers FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND tgname LIKE 'auth\_sync\_%';
SELECT count(*) AS link_trigger FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_link_employees';
SELECT count(*) FROM auth_sync.auth_sync_monitor;
SELECT * FROM auth_sync.link_employees();
\echo :LAST_ERROR_SQLSTATE
SELECT target FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'auth_user_id');
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;
