-- get_auth_sync_summary() and health() match hand counts: missing, orphaned and duplicate rows,
-- failures, the sync percentage; sync repairs what is missing; under 90 per cent is unhealthy.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\i setup/profile_synced.sql
\set ECHO all
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
