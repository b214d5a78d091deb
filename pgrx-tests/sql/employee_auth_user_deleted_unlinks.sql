-- An auth user deleted: the employee's auth_user_id becomes NULL and the event is logged.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\i setup/employee_hr_email.sql
\i setup/employee_auth_email.sql
\i setup/employee_linking.sql
\set ECHO all
DELETE FROM auth.users WHERE id = public.emp_uid(3);
SELECT employee_id, auth_user_id FROM public.employees WHERE employee_id = 5;
SELECT * FROM public.emp_log(:mark);
