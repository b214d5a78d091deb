-- An employee inserted with its auth user already set is linked as given (an inactive one banned
-- at once); unlinking by hand is logged and leaves the auth user alone.
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
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
INSERT INTO public.employees (email, employee_number, is_active, auth_user_id)
VALUES ('nobody@example.com', 'E040', false, public.emp_uid(99));
SELECT * FROM public.emp_state WHERE email = 'nobody@example.com';
UPDATE public.employees SET auth_user_id = NULL WHERE employee_number = 'E040';
SELECT * FROM public.emp_log(:mark);
