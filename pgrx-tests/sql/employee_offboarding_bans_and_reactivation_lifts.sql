-- Offboarding: going inactive bans the auth user ('infinity') and revokes its sessions, in the
-- same transaction; going active again lifts the ban, but never a ban the app set itself; each
-- change logged; an unknown employee is refused.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\set ECHO all
BEGIN;
SELECT auth_sync.set_employee_active(1, false, 'left the company') - 'banned_until' AS deactivated;
SELECT * FROM public.emp_state WHERE employee_id = 1;
COMMIT;
SELECT auth_sync.set_employee_active(1, false) ->> 'changed' AS changed_again;
SELECT auth_sync.set_employee_active(1, true, 'rehired') - 'banned_until' AS reactivated;
SELECT * FROM public.emp_state WHERE employee_id = 1;
-- a ban the app set elsewhere is not lifted by an unrelated employee update, nor by an
-- "activation" of an active employee
UPDATE auth.users SET banned_until = now() + interval '7 days' WHERE id = public.emp_uid(1);
UPDATE public.employees SET first_name = 'Alicia' WHERE employee_id = 1;
SELECT auth_sync.set_employee_active(1, true) ->> 'changed' AS changed;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
-- leaving and coming back while the app's ban runs: the app's ban is back afterwards
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
-- the app changes auth_sync's ban while the employee is away: reactivation leaves it alone
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
UPDATE auth.users SET banned_until = '2100-01-01' WHERE id = public.emp_uid(1);
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
SELECT banned_until FROM auth.users WHERE id = public.emp_uid(1);
UPDATE auth.users SET banned_until = NULL WHERE id = public.emp_uid(1);
SELECT * FROM public.emp_log(:mark);
SELECT count(*) AS bans_recorded FROM auth_sync.employee_bans;
SELECT * FROM auth_sync.set_employee_active(12345, false);
\echo :LAST_ERROR_SQLSTATE
