-- Given (after profiles.sql, webhook.sql and webhook_secret.sql): the deliveries of the webhook
-- tests, in order: ada's user.created (and its retries), user.updated (after the app set her
-- progress to 3), grace's user.updated before her user.created, notes of both, ada's
-- user.deleted, and a user.updated of ada after it.
\o /dev/null
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_unbranded_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_rotated_headers', :'ada_created_body');
UPDATE public.clerk_progress SET step = 3 WHERE user_id = 'user_2ada';
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body');
SELECT auth_sync.handle_clerk_webhook(:'grace_updated_first_headers', :'grace_updated_first_body');
SELECT auth_sync.handle_clerk_webhook(:'grace_created_late_headers', :'grace_created_late_body');
INSERT INTO public.clerk_notes VALUES ('user_2ada', 'a note'), ('user_2ada', 'another'), ('user_2grace', 'grace''s note');
SELECT auth_sync.handle_clerk_webhook(:'ada_deleted_headers', :'ada_deleted_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_after_delete_headers', :'ada_updated_after_delete_body');
\o
