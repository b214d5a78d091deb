-- Other event types are recorded and ignored; bodies that are not Clerk user events fail, are
-- recorded with the error, and count in the summary's failed events.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\i setup/webhook_history.sql
\set ECHO all
-- other event types are recorded and ignored; bodies that are not Clerk user events fail
SELECT auth_sync.handle_clerk_webhook(:'session_created_headers', :'session_created_body') - 'svix_id' AS session;
SELECT auth_sync.handle_clerk_webhook(:'not_json_headers', :'not_json_body') - 'svix_id' AS not_json;
SELECT auth_sync.handle_clerk_webhook(:'no_user_id_headers', :'no_user_id_body') - 'svix_id' AS no_user_id;
SELECT svix_id, event_type, external_id, status, error, attempts FROM auth_sync.webhook_events ORDER BY svix_id;
SELECT failed_events_24h FROM auth_sync.get_auth_sync_summary();
