-- Given (after profiles.sql): the webhook test requests, signed at the start of the run by the
-- standardwebhooks package (webhook_signed.sql, written by pgrx-tests/webhook/sign_events.py:
-- psql variables :secret, :old_secret, :wrong_secret and, per event, :NAME_headers and
-- :NAME_body); the app keyed by Clerk user ids, as webhook_clerk_tables_register sets it up
-- (public.clerk_profiles, clerk_progress and clerk_notes registered for source 'clerk', and the
-- view public.clerk_state of everything the tests check); and public.check_sig(secret, headers,
-- body[, tolerance]), verify_webhook_signature over a JSON object of request headers.
\i webhook_signed.sql
\o /dev/null
-- Tables of an app keyed by Clerk user ids (text):
--   clerk_profiles  profile, unique user column, mapped from the Clerk user
--   clerk_progress  profile, no unique user column (one progress row per user, by the webhook)
--   clerk_notes     owned
CREATE TABLE public.clerk_profiles (
    user_id    text PRIMARY KEY,
    email      text,
    full_name  text,
    first_name text,
    avatar_url text,
    team       text,
    verified   boolean
);
CREATE TABLE public.clerk_progress (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    text NOT NULL,
    step       int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE public.clerk_notes (user_id text NOT NULL, body text NOT NULL);
SELECT table_name, kind, source FROM auth_sync.register_table('public.clerk_profiles', 'user_id', 'profile',
    '{"email": "email", "full_name": "display_name", "first_name": "first_name", "avatar_url": "avatar_url",
      "team": "meta:team", "verified": "email_confirmed"}', source => 'clerk');
SELECT table_name, kind, source FROM auth_sync.register_table('public.clerk_progress', 'user_id', 'profile', source => 'clerk');
SELECT table_name, kind, source FROM auth_sync.register_table('public.clerk_notes', 'user_id', 'owned', source => 'clerk');
-- a view of everything the tests check after each step
CREATE VIEW public.clerk_state AS
SELECT 'profile' AS what, user_id, concat_ws(' | ', email, full_name, first_name, avatar_url, team, verified) AS data FROM public.clerk_profiles
UNION ALL SELECT 'progress', user_id, step::text FROM public.clerk_progress
UNION ALL SELECT 'note', user_id, body FROM public.clerk_notes
UNION ALL SELECT 'mirror', external_id, concat_ws(' | ', email, data #>> '{last_name}', CASE WHEN deleted_at IS NOT NULL THEN 'deleted' END)
            FROM auth_sync.external_users
ORDER BY 1, 2, 3;
CREATE FUNCTION public.check_sig(p_secret text, p_headers text, p_body text, p_tolerance int DEFAULT 300)
RETURNS boolean LANGUAGE sql AS $$
    SELECT auth_sync.verify_webhook_signature(p_secret, h ->> 'svix-id', h ->> 'svix-timestamp', p_body,
                                              h ->> 'svix-signature', p_tolerance)
      FROM (SELECT p_headers::jsonb AS h) AS x
$$;
\o
