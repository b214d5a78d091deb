-- reconcile_external repairs what missed webhooks left (dry run first): creates the missing
-- profile, removes orphans and duplicates; with the provider's own list, marks users it no longer
-- has deleted and skips those only it has.
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
SELECT * FROM auth_sync.reconcile_external('clerk', dry_run => true);
SELECT * FROM public.clerk_state WHERE user_id IN ('user_2grace', 'user_gone');
SELECT * FROM auth_sync.reconcile_external('clerk');
SELECT * FROM public.clerk_state WHERE user_id IN ('user_2grace', 'user_gone');
SELECT category, count(*) FROM auth_sync.analyze_external('clerk') GROUP BY 1 ORDER BY 1;
SELECT * FROM auth_sync.reconcile_external('clerk', ARRAY['user_2new'], dry_run => true);
