-- With auth_sync.strict_triggers on, a profile table that rejects the row makes the sign-up fail:
-- it is rolled back, and nothing more is journaled.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\set ECHO all
-- (bob's sign-up, with the constraint below, left one failure in the journal)
SELECT count(*) AS failures_before FROM auth_sync.sync_failures;
ALTER TABLE public.user_profiles ADD CONSTRAINT no_bobs CHECK (full_name IS DISTINCT FROM 'bob');
SET auth_sync.strict_triggers = on;
\set VERBOSITY terse
SELECT public.signup('a0000000-0000-4000-8000-000000000008', 'bob@elsewhere.example', '{}', '{"provider": "email"}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET auth_sync.strict_triggers;
SELECT count(*) AS strict_bob_users FROM auth.users WHERE id = 'a0000000-0000-4000-8000-000000000008';
SELECT count(*) AS failures_still FROM auth_sync.sync_failures;
ALTER TABLE public.user_profiles DROP CONSTRAINT no_bobs;
