-- Offboarding bans the auth user and revokes its sessions, but an access token issued before stays
-- valid until it expires. With it a leaver must not delete the account and every row keyed to it
-- (the work handed over in owned tables). delete_my_account() refuses a banned caller (42501).
\set SHOW_CONTEXT never
SET auth_sync.bcrypt_cost = 4;
CREATE TABLE public.sec_ban_tasks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid, title text);
SELECT table_name FROM auth_sync.register_table('public.sec_ban_tasks', 'user_id', 'owned');
SET ROLE service_role;
SELECT auth_user_id AS leaver FROM auth_sync.create_employee_with_auth(
    '{"email": "leaver@sec-ban.example", "employee_number": "SEC-B1"}') \gset
SELECT auth_user_id AS suspended FROM auth_sync.create_employee_with_auth(
    '{"email": "suspended@sec-ban.example", "employee_number": "SEC-B2"}') \gset
RESET ROLE;
INSERT INTO public.sec_ban_tasks (user_id, title)
SELECT u, 'customer handover ' || g FROM unnest(ARRAY[:'leaver', :'suspended']::uuid[]) AS u, generate_series(1, 3) AS g;
CREATE TEMP VIEW ban_state AS
SELECT e.employee_number, u.id IS NOT NULL AS account_exists,
       CASE WHEN u.banned_until = 'infinity' THEN 'infinity' WHEN u.banned_until > now() THEN 'until later'
            WHEN u.banned_until IS NOT NULL THEN 'expired' END AS banned,
       (SELECT count(*) FROM public.sec_ban_tasks t WHERE t.user_id = e.auth_user_id) AS tasks,
       (SELECT count(*) FROM public.user_profiles p WHERE p.user_id = e.auth_user_id) AS profiles
  FROM public.employees e LEFT JOIN auth.users u ON u.id = e.auth_user_id
 WHERE e.employee_number IN ('SEC-B1', 'SEC-B2');

-- HR offboards the leaver (banned for good); the app suspends the other for a week.
SET ROLE service_role;
SELECT auth_sync.set_employee_active((SELECT employee_id FROM public.employees WHERE employee_number = 'SEC-B1'),
                                     false, 'left the company') ->> 'changed' AS offboarded;
RESET ROLE;
UPDATE auth.users SET banned_until = now() + interval '7 days' WHERE id = :'suspended';
SELECT * FROM ban_state ORDER BY 1;

-- Each calls delete_my_account() with the token issued before the ban (and commits): refused,
-- nothing removed.
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', json_build_object('sub', :'leaver', 'role', 'authenticated')::text, true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account();
\echo :LAST_ERROR_SQLSTATE
COMMIT;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', json_build_object('sub', :'suspended', 'role', 'authenticated')::text, true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account();
\echo :LAST_ERROR_SQLSTATE
COMMIT;
SELECT * FROM ban_state ORDER BY 1;
SELECT count(*) AS delete_my_account_audited FROM auth_sync.admin_audit_log
 WHERE action = 'delete_my_account' AND claimed_sub IN (:'leaver', :'suspended');

-- Once the suspension is over the user may delete the account again (the refusal is the ban's).
UPDATE auth.users SET banned_until = now() - interval '1 minute' WHERE id = :'suspended';
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', json_build_object('sub', :'suspended', 'role', 'authenticated')::text, true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account() AS removed;
COMMIT;
SELECT * FROM ban_state ORDER BY 1;
SELECT x.who, count(t.id) AS tasks_left FROM (VALUES ('leaver', :'leaver'::uuid), ('suspended', :'suspended'::uuid)) AS x(who, u)
  LEFT JOIN public.sec_ban_tasks t ON t.user_id = x.u GROUP BY x.who ORDER BY x.who;

-- Clean up.
DELETE FROM auth.users WHERE id = :'leaver';
DELETE FROM public.employees WHERE employee_number IN ('SEC-B1', 'SEC-B2');
DELETE FROM auth_sync.employee_bans WHERE employee_id NOT IN (SELECT employee_id FROM public.employees);
DROP VIEW ban_state;
SELECT auth_sync.unregister_table('public.sec_ban_tasks') AS unregistered;
DROP TABLE public.sec_ban_tasks;
