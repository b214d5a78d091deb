-- An email changed through the Auth API does not overwrite HR data; the monitor shows the
-- mismatch.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\i setup/employee_hr_email.sql
\set ECHO all
UPDATE auth.users SET email = 'alice.private@example.com', updated_at = now() WHERE id = public.emp_uid(1);
SELECT email FROM public.employees WHERE employee_id = 1;
SELECT employee_id, email, auth_email, sync_status FROM auth_sync.auth_sync_monitor WHERE employee_id = 1;
