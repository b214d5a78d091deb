-- Sign-ups create the profile with the mapped fields, from any provider's metadata, none, or
-- metadata of the wrong JSON types, and never fail.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
-- an email sign-up: no metadata, the display name is the email's local part
SELECT public.signup('a0000000-0000-4000-8000-000000000001', 'Ada@Example.com', '{}',
                     '{"provider": "email", "providers": ["email"]}');
-- Google-like
SELECT public.signup('a0000000-0000-4000-8000-000000000002', 'grace@gmail.com',
    '{"iss": "https://accounts.google.com", "sub": "110248", "name": "Grace Hopper", "email": "grace@gmail.com",
      "picture": "https://lh3.example/g.png", "full_name": "Grace Hopper", "avatar_url": "https://lh3.example/g.png",
      "provider_id": "110248", "email_verified": true}',
    '{"provider": "google", "providers": ["google"]}');
-- GitHub-like: no full_name, user_name instead
SELECT public.signup('a0000000-0000-4000-8000-000000000003', 'octo@github.example',
    '{"sub": "583231", "user_name": "octocat", "avatar_url": "https://avatars.example/583231",
      "provider_id": "583231", "preferred_username": "octo"}',
    '{"provider": "github", "providers": ["github"]}');
-- metadata-less: both metadata columns NULL
SELECT public.signup('a0000000-0000-4000-8000-000000000004', 'nometa@example.com', NULL, NULL);
-- metadata of the wrong JSON types never fails
SELECT public.signup('a0000000-0000-4000-8000-000000000005', 'weird@example.com',
    '{"full_name": 42, "name": ["x"], "avatar_url": {"u": 1}, "provider_id": true}', '{"provider": 7}');

SELECT user_id, email, full_name, avatar_url, sso_provider, sso_user_id, role, is_active
  FROM public.user_profiles ORDER BY user_id;
SELECT count(*) AS failures FROM auth_sync.sync_failures;
