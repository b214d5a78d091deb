-- Grants: service_role may call the employee API and read the views; anon and authenticated may
-- not. create_employee_with_auth is audited.
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
SET ROLE service_role;
SELECT count(*) > 0 AS monitor_rows FROM auth_sync.auth_sync_monitor;
SELECT count(*) > 0 AS log_rows FROM auth_sync.recent_auth_sync_log;
SELECT count(*) >= 0 AS without_auth FROM auth_sync.find_employees_without_auth();
RESET ROLE;
SET ROLE authenticated;
SELECT count(*) FROM auth_sync.auth_sync_monitor;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.set_employee_active(1, false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE anon;
SELECT * FROM auth_sync.link_employees();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT action, arguments, result ? 'employee_id' AS has_employee FROM auth_sync.admin_audit_log
 WHERE action = 'create_employee_with_auth' ORDER BY id;
