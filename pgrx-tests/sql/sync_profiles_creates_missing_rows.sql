-- sync_profiles creates exactly the missing rows (none for a soft-deleted user), refreshes stale
-- mapped columns and keeps the app's own; the dry run reports the same and writes nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\set ECHO all
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
