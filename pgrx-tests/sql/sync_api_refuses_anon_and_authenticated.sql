-- anon and authenticated are refused (42501) by the sync API, the reports and the journal;
-- service_role may call.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\i setup/profile_synced.sql
\set ECHO all
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
