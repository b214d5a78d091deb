-- Given (after profiles.sql, profile_users.sql and profile_prefs.sql): what
-- sync_profiles_creates_missing_rows does: ...21 and ...22 sign up while the triggers are off,
-- ...01's profile goes stale (and gets app-owned values), bob (...07) is soft-deleted, and
-- sync_profiles() runs (a dry run, then twice for real).
\o /dev/null
SELECT trigger_name FROM auth_sync.uninstall_triggers();
SELECT public.signup('a0000000-0000-4000-8000-000000000021', 'late1@example.com', '{"name": "Late One"}', '{"provider": "email"}');
SELECT public.signup('a0000000-0000-4000-8000-000000000022', 'late2@example.com', '{}', '{"provider": "email"}');
SELECT trigger_name FROM auth_sync.install_triggers();
UPDATE public.user_profiles SET email = 'stale@example.com', role = 'manager', is_active = false
 WHERE user_id = 'a0000000-0000-4000-8000-000000000001';
UPDATE auth.users SET deleted_at = now() WHERE id = 'a0000000-0000-4000-8000-000000000007';
SELECT table_name, user_id, action FROM auth_sync.sync_profiles(dry_run => true) ORDER BY 1, 2;
SELECT table_name, user_id, action FROM auth_sync.sync_profiles() ORDER BY 1, 2;
SELECT table_name, user_id, action FROM auth_sync.sync_profiles() ORDER BY 1, 2;
\o
