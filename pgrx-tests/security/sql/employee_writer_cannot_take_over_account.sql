-- A role that may write the employee table (an HR feed) has no right on auth.users. Naming an auth
-- user in an employee row must not hand it that account: a link to an auth user whose email is not
-- the employee's (or not confirmed) is refused, so the feed cannot rename, ban or sign out an
-- account that is not the employee's (the administrator's here).
\set SHOW_CONTEXT never
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_takeover_hr_feed') THEN
        CREATE ROLE sec_takeover_hr_feed NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO sec_takeover_hr_feed;
GRANT SELECT, INSERT, UPDATE ON public.employees TO sec_takeover_hr_feed;
CREATE POLICY sec_takeover_hr_feed_all ON public.employees TO sec_takeover_hr_feed USING (true) WITH CHECK (true);
SELECT has_table_privilege('sec_takeover_hr_feed', 'auth.users', 'UPDATE') AS feed_may_update_auth_users;

-- The victim: the app's administrator (not an employee), confirmed, with an email identity and a
-- session. A newcomer who signed up but has not confirmed yet.
SET ROLE supabase_auth_admin;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', '5ec00000-0000-4000-8000-0000000ad001', 'authenticated', 'authenticated',
        'admin@takeover-app.example', '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', ''),
       ('00000000-0000-0000-0000-000000000000', '5ec00000-0000-4000-8000-0000000ad002', 'authenticated', 'authenticated',
        'newcomer@takeover-corp.example', '', NULL, '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), 'tok-sec-ad002', '', '', '');
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
VALUES ('5ec00000-0000-4000-8000-0000000ad001', '5ec00000-0000-4000-8000-0000000ad001',
        '{"sub": "5ec00000-0000-4000-8000-0000000ad001", "email": "admin@takeover-app.example"}', 'email', now(), now());
INSERT INTO auth.sessions (id, user_id, created_at) VALUES (gen_random_uuid(), '5ec00000-0000-4000-8000-0000000ad001', now());
RESET ROLE;
CREATE TEMP VIEW victim AS
SELECT u.email, i.identity_data ->> 'email' AS identity_email, u.banned_until,
       (SELECT count(*) FROM auth.sessions s WHERE s.user_id = u.id) AS sessions,
       (SELECT count(*) FROM public.employees e WHERE e.auth_user_id = u.id) AS employee_rows,
       (SELECT count(*) FROM auth_sync.integration_sync_log l WHERE l.auth_user_id = u.id) AS log_rows
  FROM auth.users u JOIN auth.identities i ON i.user_id = u.id
 WHERE u.id = '5ec00000-0000-4000-8000-0000000ad001';
SELECT * FROM victim;

SET ROLE sec_takeover_hr_feed;
-- 1. a made-up employee row naming the administrator's account
-- (the feed sets the employee ids: the errors name them)
INSERT INTO public.employees (employee_id, email, employee_number, is_active, auth_user_id) OVERRIDING SYSTEM VALUE
VALUES (900001, 'temp.worker@takeover-corp.example', 'SEC-T1', true, '5ec00000-0000-4000-8000-0000000ad001');
\echo :LAST_ERROR_SQLSTATE
-- 2. an existing employee row pointed at it, alone or with an email change or a deactivation
INSERT INTO public.employees (employee_id, email, employee_number, is_active) OVERRIDING SYSTEM VALUE
VALUES (900001, 'temp.worker@takeover-corp.example', 'SEC-T1', true);
UPDATE public.employees SET auth_user_id = '5ec00000-0000-4000-8000-0000000ad001' WHERE employee_number = 'SEC-T1';
\echo :LAST_ERROR_SQLSTATE
UPDATE public.employees SET auth_user_id = '5ec00000-0000-4000-8000-0000000ad001', email = 'attacker@evil.example'
 WHERE employee_number = 'SEC-T1';
\echo :LAST_ERROR_SQLSTATE
UPDATE public.employees SET auth_user_id = '5ec00000-0000-4000-8000-0000000ad001', is_active = false
 WHERE employee_number = 'SEC-T1';
\echo :LAST_ERROR_SQLSTATE
-- a look-alike of the administrator's address is another address
UPDATE public.employees SET auth_user_id = '5ec00000-0000-4000-8000-0000000ad001', email = 'ADMIN@takeover-app.example.evil'
 WHERE employee_number = 'SEC-T1';
\echo :LAST_ERROR_SQLSTATE
-- 3. an account whose email matches but is not confirmed is not the employee's yet either
INSERT INTO public.employees (employee_id, email, employee_number, is_active, auth_user_id) OVERRIDING SYSTEM VALUE
VALUES (900002, 'Newcomer@Takeover-Corp.example', 'SEC-T2', true, '5ec00000-0000-4000-8000-0000000ad002');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The administrator's account is untouched: email, identity, no ban, the session, no link, no log.
SELECT * FROM victim;
SELECT employee_number, email, is_active, auth_user_id FROM public.employees
 WHERE employee_number IN ('SEC-T1', 'SEC-T2') ORDER BY 1;
SELECT email_confirmed_at IS NULL AS newcomer_unconfirmed,
       (SELECT count(*) FROM public.employees e WHERE e.auth_user_id = u.id) AS newcomer_employee_rows
  FROM auth.users u WHERE u.id = '5ec00000-0000-4000-8000-0000000ad002';

-- The feed can still link an employee to the employee's own confirmed account (its email in
-- another case), and offboarding through it still bans that account: the check refuses only what
-- is not the employee's.
SET ROLE supabase_auth_admin;
UPDATE auth.users SET email_confirmed_at = now(), confirmation_token = '' WHERE id = '5ec00000-0000-4000-8000-0000000ad002';
RESET ROLE;
SET ROLE sec_takeover_hr_feed;
INSERT INTO public.employees (employee_id, email, employee_number, is_active, auth_user_id) OVERRIDING SYSTEM VALUE
VALUES (900002, 'Newcomer@Takeover-Corp.example', 'SEC-T2', true, '5ec00000-0000-4000-8000-0000000ad002');
UPDATE public.employees SET is_active = false WHERE employee_number = 'SEC-T2';
RESET ROLE;
SELECT e.employee_number, e.auth_user_id, u.banned_until FROM public.employees e JOIN auth.users u ON u.id = e.auth_user_id
 WHERE e.employee_number = 'SEC-T2';
SELECT * FROM victim;

-- Clean up.
DELETE FROM public.employees WHERE employee_number IN ('SEC-T1', 'SEC-T2');
DELETE FROM auth.users WHERE id IN ('5ec00000-0000-4000-8000-0000000ad001', '5ec00000-0000-4000-8000-0000000ad002');
DROP VIEW victim;
DROP POLICY sec_takeover_hr_feed_all ON public.employees;
REVOKE ALL ON public.employees FROM sec_takeover_hr_feed;
REVOKE ALL ON SCHEMA public FROM sec_takeover_hr_feed;
DROP ROLE sec_takeover_hr_feed;
