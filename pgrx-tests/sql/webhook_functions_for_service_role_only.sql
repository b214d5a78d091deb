-- Grants: the webhook and reconciliation functions are for service_role (the server that forwards
-- the request), not for API clients.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\set ECHO all
SELECT p.oid::regprocedure AS function,
       has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
       has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
       has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND p.proname IN ('verify_webhook_signature', 'set_webhook_secret', 'handle_clerk_webhook',
                     'analyze_external', 'reconcile_external')
 ORDER BY 1::text;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;
