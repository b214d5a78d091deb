-- A sign-up never fails on linking: a failure is logged FAILED and the user is created;
-- auth_sync.strict_triggers raises it instead.
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
CREATE FUNCTION public.emp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'HR table is read-only today';
END
$$;
CREATE TRIGGER emp_refuse BEFORE UPDATE ON public.employees FOR EACH ROW EXECUTE FUNCTION public.emp_refuse();
INSERT INTO public.employees (email, employee_number) VALUES ('judy@example.com', 'E030');
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
SELECT public.emp_signup('judy@example.com', 30) IS NOT NULL AS judy_signed_up;
SELECT * FROM public.emp_log(:mark);
SELECT auth_user_id FROM public.employees WHERE employee_number = 'E030';
DELETE FROM auth.users WHERE id = public.emp_uid(30);
SET auth_sync.strict_triggers = on;
SELECT public.emp_signup('judy@example.com', 31) IS NOT NULL AS judy_again;
\echo :LAST_ERROR_SQLSTATE
RESET auth_sync.strict_triggers;
DROP TRIGGER emp_refuse ON public.employees;
