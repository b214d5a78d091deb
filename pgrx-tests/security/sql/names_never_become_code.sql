-- A table, column or map key name is data: whatever it holds (a newline, a quote, $$, a comment
-- opener) never becomes code in the functions auth_sync generates or the statements it runs. The
-- attacker needs only a name; an admin registers the table.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE sec_namer NOLOGIN;
GRANT USAGE, CREATE ON SCHEMA public TO sec_namer;

SET ROLE sec_namer;
-- each name closes what it might sit in (a comment, a string, a dollar quote, an identifier) and
-- then asks for superuser
CREATE TABLE public."sec_p
EXECUTE 'ALTER ROLE sec_namer SUPERUSER';--" (
    "uid'); ALTER ROLE sec_namer SUPERUSER; --" uuid PRIMARY KEY,
    "n$$; ALTER ROLE sec_namer SUPERUSER; $$" text,
    "e*/ ALTER ROLE sec_namer SUPERUSER; /*" text,
    "q"" ALTER ROLE sec_namer SUPERUSER" text);
CREATE TABLE public."sec_o'; ALTER ROLE sec_namer SUPERUSER; --" (
    "u$x$" uuid, note text);
GRANT ALL ON public."sec_p
EXECUTE 'ALTER ROLE sec_namer SUPERUSER';--", public."sec_o'; ALTER ROLE sec_namer SUPERUSER; --" TO service_role;
RESET ROLE;

SET ROLE service_role;
SELECT kind FROM auth_sync.register_table(
    format('public.%I', E'sec_p\nEXECUTE ''ALTER ROLE sec_namer SUPERUSER'';--')::regclass,
    'uid''); ALTER ROLE sec_namer SUPERUSER; --', 'profile',
    jsonb_build_object('n$$; ALTER ROLE sec_namer SUPERUSER; $$', 'display_name',
                       'e*/ ALTER ROLE sec_namer SUPERUSER; /*', 'email',
                       'q" ALTER ROLE sec_namer SUPERUSER', 'meta:x''); ALTER ROLE sec_namer SUPERUSER; --'));
SELECT kind FROM auth_sync.register_table(
    format('public.%I', 'sec_o''; ALTER ROLE sec_namer SUPERUSER; --')::regclass, 'u$x$', 'owned');
SELECT count(*) AS triggers FROM auth_sync.install_triggers();
RESET ROLE;

-- the generated code names the tables by OID; a name appears only quoted inside the literal of a
-- statement, never in a comment or as code of its own
SELECT p.proname, p.prosrc ~ E'\n\\s*--[^\n]*sec_' AS name_in_a_comment,
       p.prosrc ~ E'\n\\s*EXECUTE ''ALTER' AS name_as_a_statement
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND p.proname IN ('create_user_profile', 'refresh_user_profile', 'generated_profile_insert', 'generated_profile_update')
 ORDER BY 1;

-- a sign-up, a metadata change, the repairs and a delete all go through the names
SET ROLE supabase_auth_admin;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'e2000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
        'sec.names@example.com', '', now(), '{"provider": "email", "providers": ["email"]}',
        '{"full_name": "Names", "x''); ALTER ROLE sec_namer SUPERUSER; --": "meta value"}', now(), now(), '', '', '', '');
UPDATE auth.users SET raw_user_meta_data = raw_user_meta_data || '{"full_name": "Names Two"}'
 WHERE id = 'e2000000-0000-4000-8000-000000000001';
RESET ROLE;
SELECT "n$$; ALTER ROLE sec_namer SUPERUSER; $$" AS display, "e*/ ALTER ROLE sec_namer SUPERUSER; /*" AS email,
       "q"" ALTER ROLE sec_namer SUPERUSER" AS meta
  FROM public."sec_p
EXECUTE 'ALTER ROLE sec_namer SUPERUSER';--";
INSERT INTO public."sec_o'; ALTER ROLE sec_namer SUPERUSER; --" VALUES ('e2000000-0000-4000-8000-000000000001', 'a note');
SET ROLE service_role;
SELECT action, count(*) FROM auth_sync.sync_profiles(dry_run => true) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS report_rows FROM auth_sync.preservation_report(ARRAY['e2000000-0000-4000-8000-000000000001'::uuid]);
SELECT email, status, removed FROM auth_sync.bulk_delete_users(ARRAY['sec.names@example.com']);
RESET ROLE;
SELECT count(*) AS failures FROM auth_sync.sync_failures WHERE user_id = 'e2000000-0000-4000-8000-000000000001';

-- the outcome: nobody became superuser
SELECT rolname, rolsuper FROM pg_roles WHERE rolname = 'sec_namer';

-- clean up
SELECT auth_sync.unregister_table(m.target) FROM auth_sync.managed_tables m
 WHERE m.target::text LIKE '%sec_p%' OR m.target::text LIKE '%sec_o%';
DROP TABLE public."sec_p
EXECUTE 'ALTER ROLE sec_namer SUPERUSER';--", public."sec_o'; ALTER ROLE sec_namer SUPERUSER; --";
REVOKE ALL ON SCHEMA public FROM sec_namer;
DROP ROLE sec_namer;
