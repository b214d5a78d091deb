-- Profile sync: registration, the triggers on auth.users, sync, reports, grants.
\set SHOW_CONTEXT never
\set VERBOSITY default

-- The migration pack: companies and user_profiles, registered.
\set ECHO none
SET client_min_messages = warning;
\i migrations/20261122000100_install_auth_sync.sql
\i migrations/20261122000200_user_profiles.sql
RESET client_min_messages;
\set ECHO all
SELECT table_name, kind, source, user_column, column_map, user_column_unique, table_exists
  FROM auth_sync.registered_tables;

-- Sign-up as the Auth server writes it (test helper).
CREATE FUNCTION public.signup(p_id uuid, p_email text, p_user_meta jsonb, p_app_meta jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                            confirmation_token, recovery_token, email_change_token_new, email_change)
    VALUES ('00000000-0000-0000-0000-000000000000', p_id, 'authenticated', 'authenticated',
            lower(p_email), '', now(), p_app_meta, p_user_meta, now(), now(), '', '', '', '')
$$;

-- 1. Sign-ups create the profile with the mapped fields.
-- an email sign-up: no metadata, the display name is the email's local part
SELECT public.signup('a0000000-0000-4000-8000-000000000001', 'Ada@Example.com', '{}',
                     '{"provider": "email", "providers": ["email"]}');
-- Google-like
SELECT public.signup('a0000000-0000-4000-8000-000000000002', 'grace@gmail.com',
    '{"iss": "https://accounts.google.com", "sub": "110248", "name": "Grace Hopper", "email": "grace@gmail.com",
      "picture": "https://lh3.example/g.png", "full_name": "Grace Hopper", "avatar_url": "https://lh3.example/g.png",
      "provider_id": "110248", "email_verified": true}',
    '{"provider": "google", "providers": ["google"]}');
-- GitHub-like: no full_name, user_name instead
SELECT public.signup('a0000000-0000-4000-8000-000000000003', 'octo@github.example',
    '{"sub": "583231", "user_name": "octocat", "avatar_url": "https://avatars.example/583231",
      "provider_id": "583231", "preferred_username": "octo"}',
    '{"provider": "github", "providers": ["github"]}');
-- metadata-less: both metadata columns NULL
SELECT public.signup('a0000000-0000-4000-8000-000000000004', 'nometa@example.com', NULL, NULL);
-- metadata of the wrong JSON types never fails
SELECT public.signup('a0000000-0000-4000-8000-000000000005', 'weird@example.com',
    '{"full_name": 42, "name": ["x"], "avatar_url": {"u": 1}, "provider_id": true}', '{"provider": 7}');

SELECT user_id, email, full_name, avatar_url, sso_provider, sso_user_id, role, is_active
  FROM public.user_profiles ORDER BY user_id;
SELECT count(*) AS failures FROM auth_sync.sync_failures;

-- 2. The Auth server inserts as supabase_auth_admin, which has no rights on public tables:
--    the SECURITY DEFINER trigger still creates the profile.
SET ROLE supabase_auth_admin;
SELECT has_table_privilege('public.user_profiles', 'INSERT') AS auth_admin_may_insert_profiles;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000006', 'authenticated',
        'authenticated', 'viaauth@example.com', '', now(), '{"provider": "email"}',
        '{"first_name": "Via", "last_name": "Auth"}', now(), now(), '', '', '', '');
RESET ROLE;
SELECT email, full_name FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000006';

-- 3. A profile table that rejects the row does not block the sign-up; the failure is journaled.
ALTER TABLE public.user_profiles ADD CONSTRAINT no_bobs CHECK (full_name IS DISTINCT FROM 'bob');
SELECT public.signup('a0000000-0000-4000-8000-000000000007', 'bob@example.com', '{}', '{"provider": "email"}');
SELECT count(*) AS bob_users FROM auth.users WHERE email = 'bob@example.com';
SELECT count(*) AS bob_profiles FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000007';
SELECT user_id, table_name, operation, sqlstate, message FROM auth_sync.sync_failures;

-- 4. Strict mode raises instead, and the sign-up is rolled back.
SET auth_sync.strict_triggers = on;
\set VERBOSITY terse
SELECT public.signup('a0000000-0000-4000-8000-000000000008', 'bob@elsewhere.example', '{}', '{"provider": "email"}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET auth_sync.strict_triggers;
SELECT count(*) AS strict_bob_users FROM auth.users WHERE id = 'a0000000-0000-4000-8000-000000000008';
SELECT count(*) AS failures_still FROM auth_sync.sync_failures;
ALTER TABLE public.user_profiles DROP CONSTRAINT no_bobs;

-- 5. A sign-in that only touches last_sign_in_at does no profile work; a mapped change does.
SET track_functions = 'pl';
BEGIN;
UPDATE auth.users SET last_sign_in_at = now(), updated_at = now()
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT coalesce(sum(calls), 0) AS profile_calls_on_sign_in
  FROM pg_stat_xact_user_functions WHERE schemaname = 'auth_sync';
UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT coalesce(sum(calls), 0) AS profile_calls_on_identical_metadata
  FROM pg_stat_xact_user_functions WHERE schemaname = 'auth_sync';
UPDATE public.user_profiles SET role = 'admin' WHERE user_id = 'a0000000-0000-4000-8000-000000000002';
UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data || '{"full_name": "Rear Admiral Hopper"}',
                      email = 'GRACE.HOPPER@navy.example'
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname = 'refresh_user_profile';
COMMIT;
RESET track_functions;
SELECT email, full_name, role FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000002';

-- 6. Registration checks the table now, naming the column.
CREATE TABLE public.reg_check (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid,
    owner_text text,
    nickname   text UNIQUE,
    must_fill  text NOT NULL,
    verified   boolean,
    seen       point,
    joined     timestamptz
);
SELECT * FROM auth_sync.register_table('public.reg_check', 'no_such_column');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'owner_text');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "nickname": "display_name"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "nickname"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "verified": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "seen": "meta:location"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "ghost": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "id": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '["email"]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'owned', column_map => '{"must_fill": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'friend');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', source => 'Clerk!');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('auth.identities', 'user_id');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW public.reg_view AS SELECT * FROM public.reg_check;
SELECT * FROM auth_sync.register_table('public.reg_view', 'user_id');
\echo :LAST_ERROR_SQLSTATE
-- an owned table needs no map and may have any NOT NULL columns
SELECT table_name, kind FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'owned');
SELECT auth_sync.unregister_table('public.reg_check') AS unregistered,
       auth_sync.unregister_table('public.reg_check') AS unregistered_again;
DROP VIEW public.reg_view;
DROP TABLE public.reg_check;

-- 7. meta:<key> fills typed columns; a value of the wrong JSON type yields NULL.
CREATE TABLE public.prefs (
    user_id    uuid UNIQUE,
    theme      text,
    age        int,
    newsletter boolean,
    extra      jsonb,
    confirmed  boolean,
    joined     timestamptz,
    nick       varchar(4)
);
SELECT table_name, column_map FROM auth_sync.register_table('public.prefs', 'user_id', column_map =>
    '{"theme": "meta:theme", "age": "meta:age", "newsletter": "meta:newsletter", "extra": "meta:extra",
      "confirmed": "email_confirmed", "joined": "created_at", "nick": "display_name"}');
SELECT public.signup('a0000000-0000-4000-8000-000000000011', 'typed@example.com',
    '{"theme": "dark", "age": 41, "newsletter": true, "extra": {"a": [1, 2]}, "full_name": "Typed Person"}', '{}');
SELECT public.signup('a0000000-0000-4000-8000-000000000012', 'wrong@example.com',
    '{"theme": 1, "age": "41", "newsletter": "yes", "extra": "text is json too"}', '{}');
SELECT public.signup('a0000000-0000-4000-8000-000000000013', 'huge@example.com',
    '{"age": 99999999999, "theme": null}', '{}');
SELECT user_id, theme, age, newsletter, extra, confirmed, joined IS NOT NULL AS joined_set, nick
  FROM public.prefs WHERE user_id IN ('a0000000-0000-4000-8000-000000000011',
                                      'a0000000-0000-4000-8000-000000000012',
                                      'a0000000-0000-4000-8000-000000000013')
 ORDER BY user_id;
SELECT count(*) AS failures_after_typed_signups FROM auth_sync.sync_failures;

-- 8. sync_profiles creates exactly the missing rows; dry run writes nothing.
-- users that signed up while the triggers were off
SELECT trigger_name FROM auth_sync.uninstall_triggers();
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE check_name = 'triggers_installed';
SELECT public.signup('a0000000-0000-4000-8000-000000000021', 'late1@example.com', '{"name": "Late One"}', '{"provider": "email"}');
SELECT public.signup('a0000000-0000-4000-8000-000000000022', 'late2@example.com', '{}', '{"provider": "email"}');
SELECT trigger_name FROM auth_sync.install_triggers();
-- a stale mapped column, and an app-owned column that sync must keep
UPDATE public.user_profiles SET email = 'stale@example.com', role = 'manager', is_active = false
 WHERE user_id = 'a0000000-0000-4000-8000-000000000001';
-- a soft-deleted user gets no profile
UPDATE auth.users SET deleted_at = now() WHERE id = 'a0000000-0000-4000-8000-000000000007';
SELECT table_name, user_id, action FROM auth_sync.sync_profiles(dry_run => true) ORDER BY 1, 2;
SELECT (SELECT count(*) FROM public.user_profiles) AS profiles_after_dry_run,
       (SELECT count(*) FROM public.prefs) AS prefs_after_dry_run;
SELECT table_name, user_id, action FROM auth_sync.sync_profiles() ORDER BY 1, 2;
SELECT table_name, user_id, action FROM auth_sync.sync_profiles() ORDER BY 1, 2;
SELECT email, role, is_active FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000001';
SELECT user_id, full_name FROM public.user_profiles
 WHERE user_id IN ('a0000000-0000-4000-8000-000000000021', 'a0000000-0000-4000-8000-000000000022') ORDER BY 1;
SELECT operation, dry_run, counts FROM auth_sync.sync_runs ORDER BY id;

-- 9. The preservation report says what sync would refresh and what it keeps.
UPDATE public.user_profiles SET full_name = 'Hand Edited', role = 'owner'
 WHERE user_id = 'a0000000-0000-4000-8000-000000000003';
SELECT table_name, column_name, current_value, auth_value, sync_action
  FROM auth_sync.preservation_report(ARRAY['a0000000-0000-4000-8000-000000000003'::uuid])
 WHERE table_name = 'public.user_profiles' AND column_name NOT IN ('id', 'created_at', 'updated_at');
SELECT column_name, sync_action FROM auth_sync.preservation_report(ARRAY['a0000000-0000-4000-8000-000000000003'::uuid])
 WHERE table_name = 'public.prefs';

-- 10. create_profile with overrides.
DELETE FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000022';
SELECT table_name, action, profile ->> 'role' AS role, profile ->> 'is_active' AS is_active,
       profile ->> 'email' AS email
  FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"role": "admin", "is_active": false}');
SELECT table_name, action, profile ->> 'role' AS role
  FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"role": "viewer"}');
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"rank": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"user_id": "a0000000-0000-4000-8000-000000000001"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
SELECT table_name, action FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"is_active": "perhaps"}');
\echo :LAST_ERROR_SQLSTATE

-- 11. The summary and health match hand counts.
-- an orphan (prefs has no foreign key; the user went while auth_sync's delete trigger was off)
-- and a duplicate in a table without a unique user column
ALTER TABLE auth.users DISABLE TRIGGER auth_sync_cleanup_deleted;
DELETE FROM auth.users WHERE id = 'a0000000-0000-4000-8000-000000000013';
ALTER TABLE auth.users ENABLE TRIGGER auth_sync_cleanup_deleted;
CREATE TABLE public.badges (user_id uuid NOT NULL, badge text);
SELECT table_name, user_column_unique FROM auth_sync.register_table('public.badges', 'user_id', column_map => '{"badge": "provider"}');
SELECT count(*) AS badges_created FROM auth_sync.sync_profiles() WHERE table_name = 'public.badges';
INSERT INTO public.badges VALUES ('a0000000-0000-4000-8000-000000000001', 'extra');
WITH hand AS (
    SELECT (SELECT count(*) FROM auth.users) AS total,
           (SELECT count(*) FROM auth.users WHERE deleted_at IS NULL AND (banned_until IS NULL OR banned_until <= now())) AS active,
           (SELECT count(*) FROM public.user_profiles) + (SELECT count(*) FROM public.prefs)
             + (SELECT count(*) FROM public.badges) AS profiles
)
SELECT s.total_auth_users, s.total_auth_users = hand.total AS total_matches,
       s.active_auth_users, s.active_auth_users = hand.active AS active_matches,
       s.total_profiles, s.total_profiles = hand.profiles AS profiles_match,
       s.missing_profiles, s.orphaned_profiles, s.duplicate_profiles, s.sync_percentage,
       s.total_employees, s.failed_events_24h, s.last_sync_at IS NOT NULL AS synced_before
  FROM auth_sync.get_auth_sync_summary() s, hand;
SELECT auth_sync.health() -> 'status' AS status, auth_sync.health() -> 'warnings' AS warnings;
-- sync repairs the missing rows (and refreshes the stale duplicate's mapped column)
DELETE FROM public.prefs WHERE user_id = 'a0000000-0000-4000-8000-000000000004';
SELECT missing_profiles, sync_percentage FROM auth_sync.get_auth_sync_summary();
SELECT table_name, user_id, action FROM auth_sync.sync_profiles() ORDER BY 1, 2;
SELECT missing_profiles, sync_percentage FROM auth_sync.get_auth_sync_summary();
-- orphans and duplicates are the cleanup functions' work (bulk delete issue); here by hand
DELETE FROM auth_sync.sync_failures;
DELETE FROM public.badges b WHERE ctid <> (SELECT min(ctid) FROM public.badges b2 WHERE b2.user_id = b.user_id);
DELETE FROM public.prefs WHERE user_id IN (SELECT id FROM auth.users WHERE deleted_at IS NOT NULL)
                            OR user_id NOT IN (SELECT id FROM auth.users);
DELETE FROM public.user_profiles WHERE user_id IN (SELECT id FROM auth.users WHERE deleted_at IS NOT NULL);
DELETE FROM public.badges WHERE user_id IN (SELECT id FROM auth.users WHERE deleted_at IS NOT NULL);
SELECT missing_profiles, orphaned_profiles, duplicate_profiles, sync_percentage FROM auth_sync.get_auth_sync_summary();
SELECT auth_sync.health() #- '{checks,last_sync_at}' AS health;
-- a sync percentage under 90 is unhealthy
SELECT trigger_name FROM auth_sync.uninstall_triggers();
SELECT public.signup(('a0000000-0000-4000-8000-0000000001' || lpad(g::text, 2, '0'))::uuid,
                     'bulk' || g || '@example.com', '{}', '{}')
  FROM generate_series(1, 4) g;
SELECT missing_profiles, sync_percentage FROM auth_sync.get_auth_sync_summary();
SELECT auth_sync.health() ->> 'status' AS status, auth_sync.health() -> 'warnings' AS warnings;
SELECT count(*) AS created FROM auth_sync.sync_profiles();
SELECT trigger_name FROM auth_sync.install_triggers();
SELECT auth_sync.health() ->> 'status' AS status;

-- 12. anon and authenticated are refused (42501); service_role may call.
SET ROLE anon;
SELECT * FROM auth_sync.sync_profiles(dry_run => true);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE authenticated;
SELECT * FROM auth_sync.get_auth_sync_summary();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.sync_failures;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT p.oid::regprocedure AS callable_by_anon_or_authenticated
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND (has_function_privilege('anon', p.oid, 'EXECUTE') OR has_function_privilege('authenticated', p.oid, 'EXECUTE'));
SET ROLE service_role;
SELECT count(*) AS would_sync FROM auth_sync.sync_profiles(dry_run => true);
SELECT missing_profiles FROM auth_sync.get_auth_sync_summary();
RESET ROLE;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;

-- 13. The audit log says who did what (for service_role through the API: the JWT too).
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims', '{"sub": "svc-1", "role": "service_role"}', true) IS NOT NULL AS claims_set;
SELECT count(*) AS would_sync FROM auth_sync.sync_profiles(dry_run => true);
COMMIT;
SELECT db_user, session_role, claimed_sub, claimed_role, action, arguments FROM auth_sync.admin_audit_log ORDER BY id DESC LIMIT 2;
SELECT action, count(*) FROM auth_sync.admin_audit_log GROUP BY action ORDER BY action;

-- 14. RLS: a signed-in user reads and updates only their own profile, never role or is_active.
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-000000000001", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT user_id, email FROM public.user_profiles;
UPDATE public.user_profiles SET full_name = 'Ada L.' RETURNING user_id, full_name;
UPDATE public.user_profiles SET full_name = 'hijack' WHERE user_id = 'a0000000-0000-4000-8000-000000000002';
SAVEPOINT s;
UPDATE public.user_profiles SET role = 'admin';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
UPDATE public.user_profiles SET is_active = true;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Clean up for the suites that follow.
SELECT auth_sync.unregister_table(t) FROM unnest(ARRAY['public.prefs', 'public.badges']::regclass[]) t;
DROP TABLE public.prefs, public.badges;
DELETE FROM auth.users;
DELETE FROM auth_sync.sync_failures;
DROP FUNCTION public.signup(uuid, text, jsonb, jsonb);
