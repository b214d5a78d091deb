-- user.updated refreshes the mapped columns and the mirror, and leaves the app's own (progress)
-- alone.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
-- given: ada's user.created
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body') ->> 'status' AS created;
-- user.updated: mapped columns refreshed, the app's own (progress) untouched
UPDATE public.clerk_progress SET step = 3 WHERE user_id = 'user_2ada';
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body');
SELECT * FROM public.clerk_state;
