-- Given: auth_sync installed by the migration pack's steps 1 and 2 (public.companies and
-- public.user_profiles, registered), and public.signup(), a sign-up as the Auth server writes it.
-- (A setup file prints nothing: a test includes it between \set ECHO none and \set ECHO all,
-- after the setup files it builds on. An error in it still shows in the test's output.)
\o /dev/null
SET client_min_messages = warning;
\i migrations/20261122000100_install_auth_sync.sql
\i migrations/20261122000200_user_profiles.sql
RESET client_min_messages;
CREATE FUNCTION public.signup(p_id uuid, p_email text, p_user_meta jsonb, p_app_meta jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                            confirmation_token, recovery_token, email_change_token_new, email_change)
    VALUES ('00000000-0000-0000-0000-000000000000', p_id, 'authenticated', 'authenticated',
            lower(p_email), '', now(), p_app_meta, p_user_meta, now(), now(), '', '', '', '')
$$;
\o
