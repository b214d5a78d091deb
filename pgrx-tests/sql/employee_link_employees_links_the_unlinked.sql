-- link_employees links employees to existing auth users (dry run first), and fails alone,
-- half-applying nothing, for two auth users whose emails differ only in case and for an auth user
-- already linked to another employee; linking leaves updated_at alone; a second run links nothing
-- more; logged.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\i setup/employee_hr_email.sql
\i setup/employee_auth_email.sql
\set ECHO all
-- link_employees: Carol signed up before HR added her (nothing to link at sign-up).
DELETE FROM public.employees WHERE employee_id = 3;
SELECT public.emp_signup('carol@example.com', 3) IS NOT NULL AS carol_signed_up;
INSERT INTO public.employees (email, first_name, last_name, employee_number) VALUES ('CAROL@example.com', 'Carol', 'White', 'E003');
-- failing links: two auth users whose emails differ only in case; an auth user already linked
-- to another employee (Alice changed her email through the Auth API)
SELECT public.emp_signup('Ivan@example.com', 5) IS NOT NULL, public.emp_signup('ivan@example.com', 6) IS NOT NULL;
INSERT INTO public.employees (email, employee_number) VALUES ('ivan@example.com', 'E006'), ('alice.private@example.com', 'E007');
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees(dry_run => true);
SELECT count(*) AS linked_by_dry_run FROM public.employees WHERE auth_user_id IS NOT NULL;
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees();
SELECT * FROM public.emp_state ORDER BY employee_id;
-- (nothing half-applied: the failed employees are still unlinked, the auth users unchanged)
SELECT employee_id, auth_user_id FROM public.employees WHERE employee_id IN (6, 7) ORDER BY 1;
-- updated_at follows HR changes (Alice's), not auth_sync's link (Carol's)
SELECT employee_id, updated_at = created_at AS updated_at_untouched FROM public.employees WHERE employee_id IN (1, 5) ORDER BY 1;
SELECT count(*) AS linked_again FROM auth_sync.link_employees();
SELECT * FROM public.emp_log(:mark);
