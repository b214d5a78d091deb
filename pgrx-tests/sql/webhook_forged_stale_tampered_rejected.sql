-- Forged, stale, future, tampered or unsigned requests raise 28000 and write nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
SELECT auth_sync.handle_clerk_webhook(:'ada_wrong_secret_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_tampered_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_stale_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_future_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_missing_signature_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook('{}', :'ada_created_body');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM auth_sync.webhook_events) AS events, (SELECT count(*) FROM public.clerk_state) AS rows;
