-- user.deleted carries only the id: every clerk table loses the user's rows, the mirror marks
-- them deleted; a user.updated after the delete does not bring the user back.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
-- given: ada's user.created
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body') ->> 'status' AS created;
UPDATE public.clerk_progress SET step = 3 WHERE user_id = 'user_2ada';
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body') ->> 'status' AS updated;
-- user.deleted carries only the id: every clerk table loses the user's rows, the mirror marks them
INSERT INTO public.clerk_notes VALUES ('user_2ada', 'a note'), ('user_2ada', 'another'), ('user_2grace', 'grace''s note');
SELECT auth_sync.handle_clerk_webhook(:'ada_deleted_headers', :'ada_deleted_body') - 'svix_id' AS deleted;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2ada';
-- a user.updated after the delete does not bring the user back
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_after_delete_headers', :'ada_updated_after_delete_body') - 'svix_id' AS after_delete;
