-- analyze_external finds what missed webhooks left: a missing profile, a duplicate row, orphans
-- of a user the provider no longer has; with the provider's own list, also its users that never
-- arrived. It is for outside providers, not 'supabase'.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\i setup/webhook_history.sql
\set ECHO all
-- a missing profile, a duplicate progress row, orphans of a user the provider no longer has
DELETE FROM public.clerk_profiles WHERE user_id = 'user_2grace';
INSERT INTO public.clerk_progress (user_id, step) VALUES ('user_2grace', 9);
INSERT INTO public.clerk_notes VALUES ('user_gone', 'orphan'), ('user_gone', 'orphan too');
INSERT INTO public.clerk_progress (user_id) VALUES ('user_gone');
SELECT * FROM auth_sync.analyze_external('clerk');
-- the provider's own list: grace, and a user whose webhooks never arrived
SELECT * FROM auth_sync.analyze_external('clerk', ARRAY['user_2grace', 'user_2new']) WHERE category <> 'synced';
SELECT * FROM auth_sync.analyze_external('supabase');
