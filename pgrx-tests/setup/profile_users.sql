-- Given (after profiles.sql): the users of the profile tests, as profile_created_on_signup,
-- profile_created_when_auth_admin_inserts and profile_rejection_journaled_signup_kept sign them
-- up: ...01 to ...05 (email, Google, GitHub, no metadata, metadata of the wrong types), ...06
-- inserted by supabase_auth_admin, and ...07 bob, whose profile a constraint refused (one failure
-- journaled; the constraint is gone again).
\o /dev/null
SELECT public.signup('a0000000-0000-4000-8000-000000000001', 'Ada@Example.com', '{}',
                     '{"provider": "email", "providers": ["email"]}');
SELECT public.signup('a0000000-0000-4000-8000-000000000002', 'grace@gmail.com',
    '{"iss": "https://accounts.google.com", "sub": "110248", "name": "Grace Hopper", "email": "grace@gmail.com",
      "picture": "https://lh3.example/g.png", "full_name": "Grace Hopper", "avatar_url": "https://lh3.example/g.png",
      "provider_id": "110248", "email_verified": true}',
    '{"provider": "google", "providers": ["google"]}');
SELECT public.signup('a0000000-0000-4000-8000-000000000003', 'octo@github.example',
    '{"sub": "583231", "user_name": "octocat", "avatar_url": "https://avatars.example/583231",
      "provider_id": "583231", "preferred_username": "octo"}',
    '{"provider": "github", "providers": ["github"]}');
SELECT public.signup('a0000000-0000-4000-8000-000000000004', 'nometa@example.com', NULL, NULL);
SELECT public.signup('a0000000-0000-4000-8000-000000000005', 'weird@example.com',
    '{"full_name": 42, "name": ["x"], "avatar_url": {"u": 1}, "provider_id": true}', '{"provider": 7}');
SET ROLE supabase_auth_admin;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000006', 'authenticated',
        'authenticated', 'viaauth@example.com', '', now(), '{"provider": "email"}',
        '{"first_name": "Via", "last_name": "Auth"}', now(), now(), '', '', '', '');
RESET ROLE;
ALTER TABLE public.user_profiles ADD CONSTRAINT no_bobs CHECK (full_name IS DISTINCT FROM 'bob');
SELECT public.signup('a0000000-0000-4000-8000-000000000007', 'bob@example.com', '{}', '{"provider": "email"}');
ALTER TABLE public.user_profiles DROP CONSTRAINT no_bobs;
\o
