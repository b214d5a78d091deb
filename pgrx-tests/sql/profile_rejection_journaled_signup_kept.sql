-- A profile table that rejects the row does not block the sign-up; the failure is journaled.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
ALTER TABLE public.user_profiles ADD CONSTRAINT no_bobs CHECK (full_name IS DISTINCT FROM 'bob');
SELECT public.signup('a0000000-0000-4000-8000-000000000007', 'bob@example.com', '{}', '{"provider": "email"}');
SELECT count(*) AS bob_users FROM auth.users WHERE email = 'bob@example.com';
SELECT count(*) AS bob_profiles FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000007';
SELECT user_id, table_name, operation, sqlstate, message FROM auth_sync.sync_failures;
