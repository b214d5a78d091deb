-- enable_owner_policies: a signed-in user reaches only their rows (reads, updates, inserts);
-- running it again changes nothing; a table without a registered user column is refused.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
SELECT * FROM auth_sync.enable_owner_policies('public.del_notes');
SELECT * FROM auth_sync.enable_owner_policies('public.del_notes');
SELECT relrowsecurity FROM pg_class WHERE oid = 'public.del_notes'::regclass;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.del_notes TO authenticated;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000008", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT DISTINCT user_id FROM public.del_notes;
UPDATE public.del_notes SET body = 'mine now' WHERE user_id = 'd0000000-0000-4000-8000-000000000007';
INSERT INTO public.del_notes (user_id, body) VALUES ('d0000000-0000-4000-8000-000000000007', 'forged');
ROLLBACK;
SELECT * FROM auth_sync.enable_owner_policies('public.companies');
