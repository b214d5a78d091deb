-- An app's tables register as owned or profile tables, and their rows are removed in an order
-- their foreign keys allow: comments before the tasks they reference, owned before profile;
-- cascades says the auth schema's delete takes the rows anyway.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
SET auth_sync.bcrypt_cost = 4;

-- An app beside user_profiles (registered by the migration pack, FK ON DELETE CASCADE):
--   del_tasks     owned, FK to auth.users ON DELETE RESTRICT
--   del_comments  owned, FK to auth.users ON DELETE CASCADE, and to del_tasks ON DELETE RESTRICT
--   del_notes     owned, no foreign key at all
--   del_profiles  profile, no foreign key, no unique user column (duplicates are possible)
CREATE TABLE public.del_tasks (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE RESTRICT,
    title   text NOT NULL
);
CREATE INDEX ON public.del_tasks (user_id);
CREATE TABLE public.del_comments (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES public.del_tasks (id) ON DELETE RESTRICT,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    body    text NOT NULL
);
CREATE INDEX ON public.del_comments (user_id);
CREATE TABLE public.del_notes (
    user_id uuid,
    body    text NOT NULL
);
CREATE INDEX ON public.del_notes (user_id);
CREATE TABLE public.del_profiles (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid,
    nickname   text,
    created_at timestamptz NOT NULL DEFAULT now()
);
SELECT table_name, kind FROM auth_sync.register_table('public.del_tasks', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_comments', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_notes', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_profiles', 'user_id', 'profile',
                                                      '{"nickname": "display_name"}');
-- the order rows are removed in: comments before the tasks they reference, owned before profile;
-- cascades says the auth schema's delete takes the rows anyway
SELECT target, kind, cascades, pos FROM auth_sync._removal_order() ORDER BY pos;

-- Sign-up as the Auth server writes it, with an identity and a session (test helper).
CREATE FUNCTION public.del_signup(p_n int) RETURNS uuid LANGUAGE sql AS $$
    WITH u AS (
        INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                confirmation_token, recovery_token, email_change_token_new, email_change,
                                phone)
        VALUES ('00000000-0000-0000-0000-000000000000',
                ('d0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid,
                'authenticated', 'authenticated', 'del' || p_n || '@example.com',
                '$2a$04$abcdefghijklmnopqrstuuR6bJx6QYpQq8Sx7bxqj1Cpq3V7kJxxK', now(),
                '{"provider": "email", "providers": ["email"]}', jsonb_build_object('name', 'Del ' || p_n),
                now(), now(), '', '', '', '', '+1555000' || lpad(p_n::text, 4, '0'))
        RETURNING id, email),
    i AS (
        INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
        SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now() FROM u)
    INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
    SELECT gen_random_uuid(), u.id, now(), now() FROM u
    RETURNING user_id
$$;
-- Every row one test user has anywhere, per table.
CREATE FUNCTION public.del_rows(p_n int) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'auth.users', (SELECT count(*) FROM auth.users WHERE id = x.id),
        'auth.identities', (SELECT count(*) FROM auth.identities WHERE user_id = x.id),
        'auth.sessions', (SELECT count(*) FROM auth.sessions WHERE user_id = x.id),
        'public.user_profiles', (SELECT count(*) FROM public.user_profiles WHERE user_id = x.id),
        'public.del_profiles', (SELECT count(*) FROM public.del_profiles WHERE user_id = x.id),
        'public.del_tasks', (SELECT count(*) FROM public.del_tasks WHERE user_id = x.id),
        'public.del_comments', (SELECT count(*) FROM public.del_comments WHERE user_id = x.id),
        'public.del_notes', (SELECT count(*) FROM public.del_notes WHERE user_id = x.id))
      FROM (SELECT ('d0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid AS id) AS x
$$;
-- Users 1..9, each with 2 tasks, a comment on each of their tasks and 3 notes.
SELECT count(public.del_signup(n)) AS signed_up FROM generate_series(1, 9) AS n;
INSERT INTO public.del_tasks (user_id, title)
SELECT u.id, 'task ' || t FROM auth.users u, generate_series(1, 2) AS t WHERE u.email LIKE 'del_@example.com';
INSERT INTO public.del_comments (task_id, user_id, body)
SELECT t.id, t.user_id, 'comment on ' || t.title FROM public.del_tasks t;
INSERT INTO public.del_notes (user_id, body)
SELECT u.id, 'note ' || t FROM auth.users u, generate_series(1, 3) AS t WHERE u.email LIKE 'del_@example.com';
SELECT public.del_rows(1) AS user_1_rows;
