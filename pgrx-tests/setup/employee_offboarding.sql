-- Given (after employee_staff.sql): what employee_offboarding_bans_and_reactivation_lifts does to
-- Alice: deactivated, reactivated, renamed Alicia, app bans set and lifted, no ban left; :mark
-- moved on.
\o /dev/null
BEGIN;
SELECT auth_sync.set_employee_active(1, false, 'left the company') - 'banned_until' AS deactivated;
COMMIT;
SELECT auth_sync.set_employee_active(1, false) ->> 'changed' AS changed_again;
SELECT auth_sync.set_employee_active(1, true, 'rehired') - 'banned_until' AS reactivated;
UPDATE auth.users SET banned_until = now() + interval '7 days' WHERE id = public.emp_uid(1);
UPDATE public.employees SET first_name = 'Alicia' WHERE employee_id = 1;
SELECT auth_sync.set_employee_active(1, true) ->> 'changed' AS changed;
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
UPDATE auth.users SET banned_until = '2100-01-01' WHERE id = public.emp_uid(1);
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
UPDATE auth.users SET banned_until = NULL WHERE id = public.emp_uid(1);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
