-- Demo: a few sign-ups, written the way the Supabase Auth server writes them (email/password,
-- Google, GitHub). The auth_sync trigger creates each user's public.user_profiles row.
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES
  ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
   'ada@example.com', '', now(), '{"provider": "email", "providers": ["email"]}', '{}',
   now(), now(), '', '', '', ''),
  ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
   'grace@gmail.example', '', now(), '{"provider": "google", "providers": ["google"]}',
   '{"full_name": "Grace Hopper", "avatar_url": "https://lh3.example/grace.png", "provider_id": "110248",
     "sub": "110248", "email_verified": true}',
   now(), now(), '', '', '', ''),
  ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
   'octocat@github.example', '', now(), '{"provider": "github", "providers": ["github"]}',
   '{"user_name": "octocat", "avatar_url": "https://avatars.example/583231", "provider_id": "583231"}',
   now(), now(), '', '', '', '');
