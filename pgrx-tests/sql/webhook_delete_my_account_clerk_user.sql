-- delete_my_account() for a Clerk user: the JWT's sub is the Clerk id; the user's rows go, the
-- mirror marks them deleted.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\i setup/webhook_history.sql
\set ECHO all
GRANT SELECT ON public.clerk_profiles TO authenticated;
SELECT * FROM auth_sync.enable_owner_policies('public.clerk_profiles');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "user_2grace", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT user_id FROM public.clerk_profiles;
SELECT auth_sync.delete_my_account() AS removed;
COMMIT;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2grace';
