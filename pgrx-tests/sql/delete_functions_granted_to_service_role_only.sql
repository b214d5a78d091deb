-- Grants: the delete and repair functions are for service_role only; delete_my_account for
-- authenticated only.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
SELECT p.oid::regprocedure AS function,
       has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
       has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
       has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND p.proname IN ('bulk_delete_users', 'bulk_delete_import', 'find_orphans', 'cleanup_orphans',
                     'find_duplicate_profiles', 'fix_duplicates', 'full_sync', 'delete_my_account',
                     'enable_owner_policies', 'cleanup_deleted_users')
 ORDER BY 1::text;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;
