-- A sign-in that only touches last_sign_in_at does no profile work, nor does an update that
-- leaves the metadata as it was; a change of a mapped field refreshes the mapped columns and
-- keeps the app's own (role).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\set ECHO all
SET track_functions = 'pl';
BEGIN;
UPDATE auth.users SET last_sign_in_at = now(), updated_at = now()
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT coalesce(sum(calls), 0) AS profile_calls_on_sign_in
  FROM pg_stat_xact_user_functions WHERE schemaname = 'auth_sync';
UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT coalesce(sum(calls), 0) AS profile_calls_on_identical_metadata
  FROM pg_stat_xact_user_functions WHERE schemaname = 'auth_sync';
UPDATE public.user_profiles SET role = 'admin' WHERE user_id = 'a0000000-0000-4000-8000-000000000002';
UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data || '{"full_name": "Rear Admiral Hopper"}',
                      email = 'GRACE.HOPPER@navy.example'
 WHERE id = 'a0000000-0000-4000-8000-000000000002';
SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname = 'refresh_user_profile';
COMMIT;
RESET track_functions;
SELECT email, full_name, role FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000002';
