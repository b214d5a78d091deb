-- The audit log says who did what: the database role, the session's role and, for service_role
-- through the API, the JWT's claims. Every administrative call is logged, also one that changed
-- nothing; a call that failed is not.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\i setup/profile_synced.sql
\set ECHO all
-- service_role without a JWT (a server on a direct connection), then through the API
SET ROLE service_role;
SELECT count(*) AS would_sync FROM auth_sync.sync_profiles(dry_run => true);
RESET ROLE;
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims', '{"sub": "svc-1", "role": "service_role"}', true) IS NOT NULL AS claims_set;
SELECT count(*) AS would_sync FROM auth_sync.sync_profiles(dry_run => true);
COMMIT;
SELECT db_user, session_role, claimed_sub, claimed_role, action, arguments FROM auth_sync.admin_audit_log ORDER BY id DESC LIMIT 2;
-- registering, unregistering (twice: the second finds nothing), create_profile that works and
-- one that fails
CREATE TABLE public.audited (user_id uuid);
SELECT table_name, kind FROM auth_sync.register_table('public.audited', 'user_id', kind => 'owned');
SELECT auth_sync.unregister_table('public.audited') AS unregistered,
       auth_sync.unregister_table('public.audited') AS unregistered_again;
DELETE FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000022';
SELECT table_name, action FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022');
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
-- (the setup registered public.user_profiles and public.prefs, switched the triggers off and on,
-- and ran sync_profiles three times)
SELECT action, count(*) FROM auth_sync.admin_audit_log GROUP BY action ORDER BY action;
