-- RLS: a signed-in user reads and updates only their own profile, never role or is_active.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\set ECHO all
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "a0000000-0000-4000-8000-000000000001", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT user_id, email FROM public.user_profiles;
UPDATE public.user_profiles SET full_name = 'Ada L.' RETURNING user_id, full_name;
UPDATE public.user_profiles SET full_name = 'hijack' WHERE user_id = 'a0000000-0000-4000-8000-000000000002';
SAVEPOINT s;
UPDATE public.user_profiles SET role = 'admin';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
UPDATE public.user_profiles SET is_active = true;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
