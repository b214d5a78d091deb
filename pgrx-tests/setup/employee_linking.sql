-- Given (after employee_auth_email.sql): what employee_link_employees_links_the_unlinked does:
-- Carol signed up before HR added her again (employee 5), two auth users Ivan/ivan (5, 6) and
-- employees E006 ivan and E007 alice.private, link_employees() run (Carol linked; E006 and E007
-- failed); :mark moved on.
\o /dev/null
DELETE FROM public.employees WHERE employee_id = 3;
SELECT public.emp_signup('carol@example.com', 3) IS NOT NULL AS carol_signed_up;
INSERT INTO public.employees (email, first_name, last_name, employee_number) VALUES ('CAROL@example.com', 'Carol', 'White', 'E003');
SELECT public.emp_signup('Ivan@example.com', 5) IS NOT NULL, public.emp_signup('ivan@example.com', 6) IS NOT NULL;
INSERT INTO public.employees (email, employee_number) VALUES ('ivan@example.com', 'E006'), ('alice.private@example.com', 'E007');
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees(dry_run => true);
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees();
SELECT count(*) AS linked_again FROM auth_sync.link_employees();
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
