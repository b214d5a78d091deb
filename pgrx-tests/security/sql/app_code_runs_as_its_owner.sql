-- Code a role attaches to its tables (triggers, defaults, domain checks) runs with that role's own
-- privileges whenever auth_sync writes the table: never as auth_sync's definer role, never as a
-- superuser. The attacker owns an application table and plants a probe that tries to become
-- superuser, to read password hashes and to forge auth_sync's audit log; it records who it ran
-- as. Every path that writes an application table is driven once.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE sec_app_owner NOLOGIN;
GRANT USAGE, CREATE ON SCHEMA public TO sec_app_owner;

SET ROLE sec_app_owner;
CREATE TABLE public.sec_seen (tag text, who text, became_super boolean, read_hashes boolean, forged_audit boolean);
GRANT INSERT ON public.sec_seen TO PUBLIC;
CREATE FUNCTION public.sec_probe(p_tag text) RETURNS boolean LANGUAGE plpgsql AS $f$
DECLARE
    v_super boolean := false;
    v_hash  boolean := false;
    v_audit boolean := false;
BEGIN
    BEGIN EXECUTE 'ALTER ROLE sec_app_owner SUPERUSER'; v_super := true; EXCEPTION WHEN OTHERS THEN NULL; END;
    BEGIN PERFORM u.encrypted_password FROM auth.users u LIMIT 1; v_hash := true; EXCEPTION WHEN OTHERS THEN NULL; END;
    BEGIN
        INSERT INTO auth_sync.admin_audit_log (db_user, action) VALUES ('forged', 'forged');
        v_audit := true;
    EXCEPTION WHEN OTHERS THEN NULL; END;
    INSERT INTO public.sec_seen VALUES (p_tag, current_user, v_super, v_hash, v_audit);
    RETURN true;
END
$f$;
CREATE FUNCTION public.sec_row_probe() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM public.sec_probe(TG_OP || ' ' || TG_TABLE_NAME);
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$f$;
CREATE FUNCTION public.sec_default_theme() RETURNS text LANGUAGE sql AS $f$ SELECT CASE WHEN public.sec_probe('default') THEN 'dark' END $f$;
CREATE DOMAIN public.sec_name AS text CHECK (public.sec_probe('domain check'));
-- a profile table and an owned table, each with the probe everywhere it can go
CREATE TABLE public.sec_prefs (
    user_id uuid PRIMARY KEY,
    display public.sec_name,
    theme   text DEFAULT public.sec_default_theme());
CREATE TRIGGER sec_prefs_probe BEFORE INSERT OR UPDATE OR DELETE ON public.sec_prefs
    FOR EACH ROW EXECUTE FUNCTION public.sec_row_probe();
CREATE TABLE public.sec_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid, body text);
CREATE TRIGGER sec_notes_probe BEFORE INSERT OR UPDATE OR DELETE ON public.sec_notes
    FOR EACH ROW EXECUTE FUNCTION public.sec_row_probe();
-- (as Supabase's default privileges do for the tables of public)
GRANT ALL ON public.sec_prefs, public.sec_notes TO service_role;
RESET ROLE;

-- the admin registers both, as the README documents
SET ROLE service_role;
SELECT table_name, kind FROM auth_sync.register_table('public.sec_prefs', 'user_id', 'profile', '{"display": "display_name"}');
SELECT table_name, kind FROM auth_sync.register_table('public.sec_notes', 'user_id', 'owned');
RESET ROLE;

-- 1. a sign-up, as the Auth server writes it (the profile trigger)
SET ROLE supabase_auth_admin;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'e1000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
        'sec.one@example.com', '$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01', now(),
        '{"provider": "email", "providers": ["email"]}', '{"full_name": "Sec One"}', now(), now(), '', '', '', '');
-- 2. the user changes their name (the refresh trigger)
UPDATE auth.users SET raw_user_meta_data = '{"full_name": "Sec Uno"}' WHERE id = 'e1000000-0000-4000-8000-000000000001';
RESET ROLE;
SELECT user_id, display, theme FROM public.sec_prefs;

-- 3. the repairs: a lost profile row recreated by sync_profiles, another by create_profile
-- (the test's own changes to the tables are made as their owner, so its probes run as it too)
SET ROLE sec_app_owner;
DELETE FROM public.sec_prefs;
SET ROLE service_role;
SELECT table_name, action FROM auth_sync.sync_profiles() WHERE table_name = 'public.sec_prefs';
SET ROLE sec_app_owner;
DELETE FROM public.sec_prefs;
SET ROLE service_role;
SELECT table_name, action FROM auth_sync.create_profile('e1000000-0000-4000-8000-000000000001') WHERE table_name = 'public.sec_prefs';
-- 4. an orphaned owned row removed by cleanup_orphans
SET ROLE sec_app_owner;
INSERT INTO public.sec_notes (user_id, body) VALUES ('e1000000-0000-4000-8000-0000000000ff', 'nobody''s');
SET ROLE service_role;
SELECT table_name, row_count FROM auth_sync.cleanup_orphans() WHERE table_name = 'public.sec_notes';
-- 5. a bulk import, and a dry run of one
SELECT line_number, status FROM auth_sync.bulk_create_users(E'email,full_name\nsec.two@example.com,Sec Two\n');
SELECT line_number, status FROM auth_sync.bulk_create_users(E'email,full_name\nsec.three@example.com,Sec Three\n', dry_run => true);
RESET ROLE;

-- 6. the owner of auth.users plants its own trigger; a signed-in user deletes their account
SET ROLE sec_app_owner;
INSERT INTO public.sec_notes (user_id, body) VALUES ('e1000000-0000-4000-8000-000000000001', 'mine');
SET ROLE supabase_auth_admin;
CREATE FUNCTION auth.sec_auth_probe() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM public.sec_probe('auth.users ' || TG_OP);
    RETURN OLD;
END
$f$;
CREATE TRIGGER sec_auth_probe BEFORE DELETE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.sec_auth_probe();
RESET ROLE;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "e1000000-0000-4000-8000-000000000001", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account() ? 'public.sec_notes' AS removed_my_notes;
COMMIT;
DROP TRIGGER sec_auth_probe ON auth.users;
DROP FUNCTION auth.sec_auth_probe();

-- 7. the owner of public.companies swaps in a view whose function would run as its reader
ALTER TABLE public.companies OWNER TO sec_app_owner;
SET ROLE sec_app_owner;
ALTER TABLE public.companies RENAME TO sec_companies_data;
CREATE VIEW public.companies AS SELECT id, name, created_at FROM public.sec_companies_data WHERE public.sec_probe('companies view');
INSERT INTO public.sec_companies_data (name) VALUES ('Acme Sec');
RESET ROLE;
SET ROLE service_role;
SELECT line_number, status, error_code FROM auth_sync.bulk_create_users(E'email,company\nsec.four@example.com,Acme Sec\n', dry_run => true);
RESET ROLE;

-- The outcome: each probe ran as the owner of the table it belongs to (the app's code as
-- sec_app_owner, the auth schema's as supabase_auth_admin), nothing became superuser, no app code
-- read a password hash or wrote auth_sync's log, and the view was never read at all.
SELECT who, array_agg(DISTINCT tag ORDER BY tag) AS tags, bool_or(became_super) AS became_super,
       bool_or(read_hashes) FILTER (WHERE who <> 'supabase_auth_admin') AS app_read_hashes,
       bool_or(forged_audit) AS forged_audit
  FROM public.sec_seen GROUP BY who ORDER BY who;
SELECT rolname, rolsuper FROM pg_roles WHERE rolname IN ('sec_app_owner', 'supabase_auth_admin', 'auth_sync_definer') ORDER BY 1;
SELECT count(*) AS forged_audit_rows FROM auth_sync.admin_audit_log WHERE action = 'forged';

-- clean up
ALTER TABLE public.sec_prefs DISABLE TRIGGER USER;
ALTER TABLE public.sec_notes DISABLE TRIGGER USER;
DROP VIEW public.companies;
ALTER TABLE public.sec_companies_data RENAME TO companies;
ALTER TABLE public.companies OWNER TO postgres;
DELETE FROM public.companies WHERE name = 'Acme Sec';
SELECT auth_sync.unregister_table('public.sec_prefs'), auth_sync.unregister_table('public.sec_notes');
DELETE FROM auth.users WHERE email LIKE 'sec.%@example.com';
DROP TABLE public.sec_prefs, public.sec_notes, public.sec_seen;
DROP FUNCTION public.sec_default_theme(), public.sec_row_probe();
DROP DOMAIN public.sec_name;
DROP FUNCTION public.sec_probe(text);
REVOKE ALL ON SCHEMA public FROM sec_app_owner;
REVOKE ALL ON SCHEMA auth_sync FROM sec_app_owner;
DROP ROLE sec_app_owner;
