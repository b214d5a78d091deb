-- The webhook secret: a webhook is refused while none is set; a malformed one or one for
-- 'supabase' is refused; it is stored where only the owner reads it (not service_role), and never
-- returned or written to the audit log.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\set ECHO all
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT auth_sync.set_webhook_secret('clerk', 'whsec_c2hvcnQgc2VjcmV0');
SELECT auth_sync.set_webhook_secret('supabase', :'secret');
SELECT auth_sync.set_webhook_secret('clerk', :'old_secret') AS stored_in;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT count(*) AS secrets FROM auth_sync.webhook_secrets;
SET ROLE service_role;
SELECT * FROM auth_sync.webhook_secrets;
RESET ROLE;
SELECT count(*) AS audit_rows_with_secret FROM auth_sync.admin_audit_log
 WHERE arguments::text LIKE '%' || substr(:'secret', 7, 20) || '%' OR result::text LIKE '%' || substr(:'secret', 7, 20) || '%';
SELECT action, arguments, result FROM auth_sync.admin_audit_log WHERE action = 'set_webhook_secret' ORDER BY id;
