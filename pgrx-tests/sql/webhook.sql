-- Clerk webhooks verified in the database, and reconciliation.
-- The requests were signed at the start of this run by the standardwebhooks package (see
-- pgrx-tests/webhook/sign_events.py), with fresh test secrets; nothing below prints them.
\set SHOW_CONTEXT never
\set ECHO none
\i webhook_signed.sql
\set ECHO all

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

-- 1. verify_webhook_signature against the independent signatures.
CREATE FUNCTION public.check_sig(p_secret text, p_headers text, p_body text, p_tolerance int DEFAULT 300)
RETURNS boolean LANGUAGE sql AS $$
    SELECT auth_sync.verify_webhook_signature(p_secret, h ->> 'svix-id', h ->> 'svix-timestamp', p_body,
                                              h ->> 'svix-signature', p_tolerance)
      FROM (SELECT p_headers::jsonb AS h) AS x
$$;
SELECT public.check_sig(:'secret', :'ada_created_headers', :'ada_created_body') AS valid,
       public.check_sig(:'secret', :'ada_created_headers', :'ada_tampered_body') AS tampered_body,
       public.check_sig(:'wrong_secret', :'ada_created_headers', :'ada_created_body') AS wrong_secret,
       public.check_sig(:'secret', :'ada_wrong_secret_headers', :'ada_created_body') AS signed_with_another_secret,
       public.check_sig(:'secret', :'ada_rotated_headers', :'ada_created_body') AS rotated_second_matches,
       public.check_sig(:'old_secret', :'ada_rotated_headers', :'ada_created_body') AS rotated_first_matches;
SELECT public.check_sig(:'secret', :'ada_stale_headers', :'ada_created_body') AS stale,
       public.check_sig(:'secret', :'ada_future_headers', :'ada_created_body') AS future,
       public.check_sig(:'secret', :'ada_stale_headers', :'ada_created_body', 600) AS stale_with_more_tolerance,
       public.check_sig(:'secret', :'ada_missing_signature_headers', :'ada_created_body') AS missing_signature,
       public.check_sig(:'secret', :'ada_bad_base64_headers', :'ada_created_body') AS not_base64,
       public.check_sig(:'secret', :'ada_v2_only_headers', :'ada_created_body') AS v2_only,
       public.check_sig(:'secret', :'empty_headers', '') AS empty_body_signed,
       public.check_sig(:'secret', :'empty_headers', ' ') AS empty_body_tampered;
SELECT auth_sync.verify_webhook_signature(:'secret', NULL, NULL, NULL, NULL) AS all_missing;
-- a malformed secret raises without repeating it; so does a negative tolerance
SELECT auth_sync.verify_webhook_signature('whsec_c2hvcnQ=', 'msg', '1', 'body', 'v1,AAAA');
SELECT auth_sync.verify_webhook_signature('whsec_!!not base64!!', 'msg', '1', 'body', 'v1,AAAA');
SELECT public.check_sig(:'secret', :'ada_created_headers', :'ada_created_body', -1);

-- 2. The secret: stored where only the owner reads it, never returned or logged.
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT auth_sync.set_webhook_secret('clerk', 'whsec_c2hvcnQgc2VjcmV0');
SELECT auth_sync.set_webhook_secret('supabase', :'secret');
SELECT auth_sync.set_webhook_secret('clerk', :'old_secret') AS stored_in;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT count(*) AS secrets FROM auth_sync.webhook_secrets;
SET ROLE service_role;
SELECT * FROM auth_sync.webhook_secrets;
RESET ROLE;
SELECT count(*) AS audit_rows_with_secret FROM auth_sync.admin_audit_log
 WHERE arguments::text LIKE '%' || substr(:'secret', 7, 20) || '%' OR result::text LIKE '%' || substr(:'secret', 7, 20) || '%';
SELECT action, arguments, result FROM auth_sync.admin_audit_log WHERE action = 'set_webhook_secret' ORDER BY id;

-- With Supabase Vault the secret goes there. Here a stand-in with Vault's SQL surface
-- (vault.secrets, vault.create_secret, vault.update_secret, vault.decrypted_secrets). As a plain
-- schema named vault it is not trusted: the secret stays in the table. Registered in the catalogs as
-- the members of an extension supabase_vault, as CREATE EXTENSION supabase_vault records them, it is
-- used. (All rolled back: section 4 delivers with the table's secret.)
BEGIN;
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, description text,
                            secret text NOT NULL, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '')
RETURNS uuid LANGUAGE sql AS $$
    INSERT INTO vault.secrets (name, description, secret) VALUES (new_name, new_description, new_secret) RETURNING id
$$;
CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
    UPDATE vault.secrets SET secret = coalesce(new_secret, secret), updated_at = now() WHERE id = secret_id
$$;
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, description, secret AS decrypted_secret FROM vault.secrets;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT count(*) AS secrets_in_stand_in FROM vault.secrets;
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
SELECT (SELECT max(oid)::int8 + 1 FROM pg_extension)::oid, 'supabase_vault', 'postgres'::regrole, 'vault'::regnamespace, false, '0.2.8';
INSERT INTO pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
SELECT o.classid, o.objid, 0, 'pg_extension'::regclass, (SELECT oid FROM pg_extension WHERE extname = 'supabase_vault'), 0, 'e'
  FROM (VALUES ('pg_class'::regclass, 'vault.secrets'::regclass::oid), ('pg_class', 'vault.decrypted_secrets'::regclass::oid),
               ('pg_proc', 'vault.create_secret(text, text, text)'::regprocedure::oid),
               ('pg_proc', 'vault.update_secret(uuid, text)'::regprocedure::oid)) AS o(classid, objid);
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
SELECT auth_sync.set_webhook_secret('clerk', :'old_secret') AS stored_in;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT name, description, secret = :'secret' AS is_current FROM vault.secrets;
SELECT count(*) AS secrets_in_table FROM auth_sync.webhook_secrets;
-- (the secret now comes from Vault: the table holds none)
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body') ->> 'status' AS verified_with_vault_secret;
ROLLBACK;
SELECT count(*) AS secrets_in_table FROM auth_sync.webhook_secrets;

-- 3. Forged, stale or tampered requests raise 28000 and write nothing.
SELECT auth_sync.handle_clerk_webhook(:'ada_wrong_secret_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_tampered_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_stale_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_future_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook(:'ada_missing_signature_headers', :'ada_created_body');
SELECT auth_sync.handle_clerk_webhook('{}', :'ada_created_body');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM auth_sync.webhook_events) AS events, (SELECT count(*) FROM public.clerk_state) AS rows;

-- 4. A realistic sequence, checked after each step.
-- user.created: the mirror, the profile (primary address, lower-cased; names; image; metadata)
-- and a progress row
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT * FROM public.clerk_state;
-- the same delivery again (a retry): answered duplicate, nothing changes
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
-- the unbranded header names and a rotated secret's signatures are accepted (same message id)
SELECT auth_sync.handle_clerk_webhook(:'ada_unbranded_headers', :'ada_created_body') ->> 'status' AS unbranded;
SELECT auth_sync.handle_clerk_webhook(:'ada_rotated_headers', :'ada_created_body') ->> 'status' AS rotated;
-- user.updated: mapped columns refreshed, the app's own (progress) untouched
UPDATE public.clerk_progress SET step = 3 WHERE user_id = 'user_2ada';
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body');
SELECT * FROM public.clerk_state;
-- out of order: grace's user.updated arrives before her user.created; the older event does not
-- overwrite the newer data
SELECT auth_sync.handle_clerk_webhook(:'grace_updated_first_headers', :'grace_updated_first_body') ->> 'profiles' AS profiles;
SELECT auth_sync.handle_clerk_webhook(:'grace_created_late_headers', :'grace_created_late_body') - 'svix_id' AS late_created;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2grace';
-- user.deleted carries only the id: every clerk table loses the user's rows, the mirror marks them
INSERT INTO public.clerk_notes VALUES ('user_2ada', 'a note'), ('user_2ada', 'another'), ('user_2grace', 'grace''s note');
SELECT auth_sync.handle_clerk_webhook(:'ada_deleted_headers', :'ada_deleted_body') - 'svix_id' AS deleted;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2ada';
-- a user.updated after the delete does not bring the user back
SELECT auth_sync.handle_clerk_webhook(:'ada_updated_after_delete_headers', :'ada_updated_after_delete_body') - 'svix_id' AS after_delete;
-- other event types are recorded and ignored; bodies that are not Clerk user events fail
SELECT auth_sync.handle_clerk_webhook(:'session_created_headers', :'session_created_body') - 'svix_id' AS session;
SELECT auth_sync.handle_clerk_webhook(:'not_json_headers', :'not_json_body') - 'svix_id' AS not_json;
SELECT auth_sync.handle_clerk_webhook(:'no_user_id_headers', :'no_user_id_body') - 'svix_id' AS no_user_id;
SELECT svix_id, event_type, external_id, status, error, attempts FROM auth_sync.webhook_events ORDER BY svix_id;
SELECT failed_events_24h FROM auth_sync.get_auth_sync_summary();
-- everything delivered again, in another order: the same state
CREATE TEMP TABLE state_before AS SELECT * FROM public.clerk_state;
SELECT e ->> 'status' AS status, count(*)
  FROM (VALUES (auth_sync.handle_clerk_webhook(:'ada_deleted_headers', :'ada_deleted_body')),
               (auth_sync.handle_clerk_webhook(:'grace_created_late_headers', :'grace_created_late_body')),
               (auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body')),
               (auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body')),
               (auth_sync.handle_clerk_webhook(:'grace_updated_first_headers', :'grace_updated_first_body'))) AS r(e)
 GROUP BY 1;
SELECT count(*) AS differences FROM ((TABLE public.clerk_state EXCEPT ALL TABLE state_before)
                                     UNION ALL (TABLE state_before EXCEPT ALL TABLE public.clerk_state)) AS d;

-- 5. Reconciliation for missed webhooks.
-- a missing profile, a duplicate progress row, orphans of a user the provider no longer has
DELETE FROM public.clerk_profiles WHERE user_id = 'user_2grace';
INSERT INTO public.clerk_progress (user_id, step) VALUES ('user_2grace', 9);
INSERT INTO public.clerk_notes VALUES ('user_gone', 'orphan'), ('user_gone', 'orphan too');
INSERT INTO public.clerk_progress (user_id) VALUES ('user_gone');
SELECT * FROM auth_sync.analyze_external('clerk');
-- the provider's own list: grace, and a user whose webhooks never arrived
SELECT * FROM auth_sync.analyze_external('clerk', ARRAY['user_2grace', 'user_2new']) WHERE category <> 'synced';
SELECT * FROM auth_sync.reconcile_external('clerk', dry_run => true);
SELECT * FROM public.clerk_state WHERE user_id IN ('user_2grace', 'user_gone');
SELECT * FROM auth_sync.reconcile_external('clerk');
SELECT * FROM public.clerk_state WHERE user_id IN ('user_2grace', 'user_gone');
SELECT category, count(*) FROM auth_sync.analyze_external('clerk') GROUP BY 1 ORDER BY 1;
SELECT * FROM auth_sync.reconcile_external('clerk', ARRAY['user_2new'], dry_run => true);
SELECT * FROM auth_sync.analyze_external('supabase');

-- 6. delete_my_account() for a Clerk user: the JWT's sub is the Clerk id.
GRANT SELECT ON public.clerk_profiles TO authenticated;
SELECT * FROM auth_sync.enable_owner_policies('public.clerk_profiles');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "user_2grace", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT user_id FROM public.clerk_profiles;
SELECT auth_sync.delete_my_account() AS removed;
COMMIT;
SELECT * FROM public.clerk_state WHERE user_id = 'user_2grace';

-- 7. Grants: the webhook and reconciliation functions are for service_role (the server that
-- forwards the request), not for API clients.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
       has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
       has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND p.proname IN ('verify_webhook_signature', 'set_webhook_secret', 'handle_clerk_webhook',
                     'analyze_external', 'reconcile_external')
 ORDER BY 1::text;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;

-- tidy up
SELECT auth_sync.unregister_table(t) FROM unnest(ARRAY['public.clerk_profiles', 'public.clerk_progress',
                                                      'public.clerk_notes']::regclass[]) AS t;
DROP VIEW public.clerk_state;
DROP TABLE public.clerk_profiles, public.clerk_progress, public.clerk_notes;
DROP FUNCTION public.check_sig(text, text, text, int);
