-- The Auth server inserts as supabase_auth_admin, which has no rights on public tables: the
-- trigger still creates the profile.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
SET ROLE supabase_auth_admin;
SELECT has_table_privilege('public.user_profiles', 'INSERT') AS auth_admin_may_insert_profiles;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000006', 'authenticated',
        'authenticated', 'viaauth@example.com', '', now(), '{"provider": "email"}',
        '{"first_name": "Via", "last_name": "Auth"}', now(), now(), '', '', '', '');
RESET ROLE;
SELECT email, full_name FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000006';
