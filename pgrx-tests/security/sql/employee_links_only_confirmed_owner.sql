-- An employee's row is linked only to the auth account that proves it owns the employee's address:
-- same email (in any case) AND confirmed. Anyone can sign up with a colleague's (or the CFO's)
-- address; until that address is confirmed the account gets no employee row, not at sign-up, not
-- through link_employees(), not through bulk_create_users. When the owner confirms, it is linked.
\set SHOW_CONTEXT never
SET auth_sync.bcrypt_cost = 4;

-- A sign-up as the Auth server writes it; confirmed or not.
CREATE FUNCTION pg_temp.signup(p_id uuid, p_email text, p_confirmed boolean) RETURNS uuid
LANGUAGE sql AS $$
    INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            confirmation_token, confirmation_sent_at, raw_app_meta_data, raw_user_meta_data,
                            created_at, updated_at, recovery_token, email_change_token_new, email_change)
    VALUES ('00000000-0000-0000-0000-000000000000', p_id, 'authenticated', 'authenticated', p_email, '',
            CASE WHEN p_confirmed THEN now() END, CASE WHEN p_confirmed THEN '' ELSE 'pkce_' || p_id END, now(),
            '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '')
    RETURNING id
$$;
SELECT coalesce(max(id), 0) AS mark FROM auth_sync.integration_sync_log \gset

-- HR has two employees without accounts.
SET ROLE service_role;
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('CFO@Corp-Confirm.example', 'Carol', 'Fo', 'SEC-C1', true),
       ('ceo@corp-confirm.example', 'Cem', 'Eo', 'SEC-C2', true);
RESET ROLE;

-- 1. Someone signs up with the CFO's address (in another case); the address is not confirmed.
SET ROLE supabase_auth_admin;
SELECT pg_temp.signup('5ec00000-0000-4000-8000-00000000a001', 'cfo@corp-confirm.example', false) IS NOT NULL AS outsider_signed_up;
RESET ROLE;
SELECT employee_number, auth_user_id IS NULL AS unlinked FROM public.employees WHERE employee_number = 'SEC-C1';
SELECT email, auth_user_id IS NULL AS unlinked, sync_status FROM auth_sync.auth_sync_monitor
 WHERE email ILIKE '%@corp-confirm.example' ORDER BY email;
-- that account's token sees no HR row
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "5ec00000-0000-4000-8000-00000000a001", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT count(*) AS hr_rows_visible_to_outsider FROM public.employees;
COMMIT;

-- 2. The admin's batch link does not link it either (nor report it as linkable).
SET ROLE service_role;
SELECT employee_id > 0 AS employee, status FROM auth_sync.link_employees(dry_run => true)
 WHERE email ILIKE '%@corp-confirm.example';
SELECT count(*) AS linked_by_batch FROM auth_sync.link_employees() WHERE email ILIKE '%@corp-confirm.example';
RESET ROLE;

-- 3. An import of an unconfirmed account with the CEO's address: created, not linked.
SET ROLE service_role;
SELECT email, status FROM auth_sync.bulk_create_users(E'email,email_confirmed\nceo@corp-confirm.example,false');
RESET ROLE;
SELECT e.employee_number, e.auth_user_id IS NULL AS unlinked, u.email_confirmed_at IS NULL AS account_unconfirmed
  FROM public.employees e
  JOIN auth.users u ON lower(u.email) = lower(e.email)
 WHERE e.employee_number IN ('SEC-C1', 'SEC-C2') ORDER BY 1;
-- nothing was linked, banned or changed on behalf of the unconfirmed accounts
SELECT count(*) AS log_rows FROM auth_sync.integration_sync_log WHERE id > :mark;

-- 4. The address is confirmed (what only its owner can do; the Auth server's update): linked now.
SET ROLE supabase_auth_admin;
UPDATE auth.users SET email_confirmed_at = now(), confirmation_token = ''
 WHERE id = '5ec00000-0000-4000-8000-00000000a001';
RESET ROLE;
SELECT employee_number, auth_user_id FROM public.employees WHERE employee_number = 'SEC-C1';
SELECT action, status, request_data ->> 'source' AS source, auth_user_id FROM auth_sync.integration_sync_log
 WHERE id > :mark ORDER BY id;
SELECT email, sync_status FROM auth_sync.auth_sync_monitor WHERE email ILIKE '%@corp-confirm.example' ORDER BY email;
-- a later update of a confirmed account (a sign-in) links nothing again
SET ROLE supabase_auth_admin;
UPDATE auth.users SET last_sign_in_at = now() WHERE id = '5ec00000-0000-4000-8000-00000000a001';
RESET ROLE;
SELECT count(*) AS log_rows_after_sign_in FROM auth_sync.integration_sync_log WHERE id > :mark;

-- Clean up (the database is shared by the tests that follow).
DELETE FROM public.employees WHERE employee_number IN ('SEC-C1', 'SEC-C2');
DELETE FROM auth.users WHERE lower(email) LIKE '%@corp-confirm.example';
