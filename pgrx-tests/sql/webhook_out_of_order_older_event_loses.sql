-- Out of order: grace's user.updated arrives before her user.created; the older event is marked
-- stale and does not overwrite the newer data.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
-- out of order: grace's user.updated arrives before her user.created; the older event does not
-- overwrite the newer data
SELECT auth_sync.handle_clerk_webhook(:'grace_updated_first_headers', :'grace_updated_first_body') ->> 'profiles' AS profiles;
SELECT auth_sync.handle_clerk_webhook(:'grace_created_late_headers', :'grace_created_late_body') - 'svix_id' AS late_created;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2grace';
