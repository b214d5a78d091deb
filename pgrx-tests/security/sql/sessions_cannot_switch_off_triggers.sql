-- The switches that make auth_sync's triggers stand aside during its own bulk operations, and the
-- provenance written to the employee log, are not a session's to set: not with SET, not with
-- set_config(), not before the library is loaded (a placeholder), not as the owner of the table.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE sec_hr_feed NOLOGIN;
GRANT USAGE ON SCHEMA auth_sync TO sec_hr_feed;
GRANT SELECT, INSERT, UPDATE ON public.employees TO sec_hr_feed;
-- (the employee table has row level security: the feed may write every row)
CREATE POLICY sec_hr_feed_all ON public.employees TO sec_hr_feed USING (true) WITH CHECK (true);

-- an employee, then their confirmed sign-up (which links them)
INSERT INTO public.employees (email, first_name, employee_number) VALUES ('sec.leaver@example.com', 'Lea', 'SEC-1');
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'e3000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
        'sec.leaver@example.com', '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', '');
SELECT e.auth_user_id IS NOT NULL AS linked FROM public.employees e WHERE e.employee_number = 'SEC-1';

-- 1. with the library loaded, a session cannot set them at all
SET ROLE sec_hr_feed;
SET auth_sync.linking = 'on';
SELECT set_config('auth_sync.bulk_import', 'on', false);
SET LOCAL auth_sync.source = 'approved by the CISO';
RESET ROLE;

-- 2. in a new session, before the library is loaded: a placeholder is all a SET can make, and
--    the trigger's WHEN clause loads the library, which throws the placeholder away
\c
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
SET ROLE sec_hr_feed;
SET auth_sync.linking = 'on';
SET auth_sync.bulk_import = 'on';
SET auth_sync.source = 'set_employee_active';
SET auth_sync.reason = 'approved by the CISO (ticket SEC-1)';
UPDATE public.employees SET is_active = false WHERE employee_number = 'SEC-1';
SELECT current_setting('auth_sync.linking', true) AS linking_now;
RESET ROLE;

-- the outcome: the ban happened, and the log says where the change came from, not what the
-- session claimed
SELECT u.banned_until = 'infinity' AS banned FROM auth.users u WHERE u.id = 'e3000000-0000-4000-8000-000000000001';
SELECT l.action, l.status, l.request_data ->> 'source' AS source, l.request_data ->> 'reason' AS reason
  FROM auth_sync.integration_sync_log l
 WHERE l.auth_user_id = 'e3000000-0000-4000-8000-000000000001' AND l.action = 'BAN';

-- 3. a sign-up made while a session tried to switch the profile trigger off still gets its profile
\c
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
SET ROLE supabase_auth_admin;
SET auth_sync.bulk_import = 'on';
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'e3000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated',
        'sec.signup@example.com', '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', '');
RESET ROLE;
SELECT count(*) AS profiles FROM public.user_profiles WHERE user_id = 'e3000000-0000-4000-8000-000000000002';

-- 4. and a delete made with the cleanup switch "on" still removes the rows of the registered
--    tables whose key does not cascade
CREATE TABLE public.sec_switch_notes (user_id uuid, body text);
SELECT kind FROM auth_sync.register_table('public.sec_switch_notes', 'user_id', 'owned');
INSERT INTO public.sec_switch_notes VALUES ('e3000000-0000-4000-8000-000000000002', 'left behind?');
\c
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
SET ROLE supabase_auth_admin;
SET auth_sync.bulk_delete = 'on';
DELETE FROM auth.users WHERE id = 'e3000000-0000-4000-8000-000000000002';
RESET ROLE;
SELECT count(*) AS notes_left FROM public.sec_switch_notes;

-- clean up
SELECT auth_sync.unregister_table('public.sec_switch_notes');
DROP TABLE public.sec_switch_notes;
DELETE FROM public.employees WHERE employee_number = 'SEC-1';
DELETE FROM auth.users WHERE email LIKE 'sec.%@example.com';
DROP POLICY sec_hr_feed_all ON public.employees;
REVOKE ALL ON public.employees FROM sec_hr_feed;
REVOKE ALL ON SCHEMA auth_sync FROM sec_hr_feed;
DROP ROLE sec_hr_feed;
