-- The sign-up trigger writes each profile row as the table's owner, under a search_path of its
-- own: whatever search_path the session that inserts the user has, no operator or function of
-- that session's choosing runs inside the owner's statements. The attacker may insert users (as
-- an admin tool would) and owns a schema with look-alike operators; the profile tables belong to
-- the superuser, as on Supabase. The trigger function also refuses to be used anywhere else.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE sec_pathfinder NOLOGIN;
GRANT USAGE ON SCHEMA auth, auth_sync TO sec_pathfinder;
GRANT INSERT ON auth.users TO sec_pathfinder;
CREATE SCHEMA sec_path AUTHORIZATION sec_pathfinder;
GRANT USAGE ON SCHEMA sec_path TO PUBLIC;

SET ROLE sec_pathfinder;
CREATE TABLE sec_path.seen (who text, became_super boolean);
GRANT INSERT ON sec_path.seen TO PUBLIC;
CREATE FUNCTION sec_path.probe() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    v_super boolean := false;
BEGIN
    BEGIN EXECUTE 'ALTER ROLE sec_pathfinder SUPERUSER'; v_super := true; EXCEPTION WHEN OTHERS THEN NULL; END;
    INSERT INTO sec_path.seen VALUES (current_user, v_super);
END
$f$;
-- look-alikes of the = the insert without a unique index compares ids with, and of the ->> a
-- meta:<key> map reads metadata with
CREATE FUNCTION sec_path.same(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_path.probe(); RETURN $1 OPERATOR(pg_catalog.=) $2; END $f$;
CREATE OPERATOR sec_path.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = sec_path.same);
CREATE FUNCTION sec_path.field(jsonb, text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN PERFORM sec_path.probe(); RETURN $1 OPERATOR(pg_catalog.->>) $2; END $f$;
CREATE OPERATOR sec_path.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = sec_path.field);
RESET ROLE;

-- the profile tables: one without a unique index on its user column, one with a primary key
CREATE TABLE public.sec_path_notes (user_id uuid, nickname text);
CREATE TABLE public.sec_path_profiles (id uuid PRIMARY KEY, nickname text);
SELECT table_name, kind FROM auth_sync.register_table('public.sec_path_notes', 'user_id', 'profile', '{"nickname": "meta:nickname"}');
SELECT table_name, kind FROM auth_sync.register_table('public.sec_path_profiles', 'id', 'profile', '{"nickname": "meta:nickname"}');

-- a sign-up from a session whose search_path puts the attacker's schema first
SET ROLE sec_pathfinder;
SET search_path = sec_path, pg_catalog, public;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
VALUES ('00000000-0000-0000-0000-000000000000', 'e5000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
        'sec.path@example.com', '', now(), '{"provider": "email", "providers": ["email"]}', '{"nickname": "Pat"}',
        now(), now(), '', '', '', '');
-- (the session itself does reach the look-alike: it is the session's own choice)
SELECT '{"nickname": "x"}'::jsonb ->> 'nickname' AS own_lookup;
RESET search_path;
RESET ROLE;

-- the outcome: both profiles were written, the look-alikes ran only in the session's own query,
-- as the session's own role, and nobody became superuser
SELECT nickname FROM public.sec_path_notes WHERE user_id = 'e5000000-0000-4000-8000-000000000001';
SELECT nickname FROM public.sec_path_profiles WHERE id = 'e5000000-0000-4000-8000-000000000001';
SELECT who, became_super, count(*) FROM sec_path.seen GROUP BY 1, 2;
SELECT count(*) AS failures FROM auth_sync.sync_failures WHERE user_id = 'e5000000-0000-4000-8000-000000000001';
SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_pathfinder';

-- the trigger function cannot be borrowed: its owner may not attach it to a table of its own
SET ROLE sec_pathfinder;
CREATE TABLE sec_path.decoy (id uuid);
CREATE TRIGGER decoy AFTER INSERT ON sec_path.decoy FOR EACH ROW EXECUTE FUNCTION auth_sync.create_user_profile();
RESET ROLE;
-- and attached by a superuser elsewhere, or called, it refuses
CREATE TRIGGER decoy AFTER INSERT ON sec_path.decoy FOR EACH ROW EXECUTE FUNCTION auth_sync.create_user_profile();
INSERT INTO sec_path.decoy VALUES ('e5000000-0000-4000-8000-000000000002');
CREATE TRIGGER decoy_statement AFTER INSERT ON auth.users FOR EACH STATEMENT EXECUTE FUNCTION auth_sync.create_user_profile();
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at)
VALUES ('00000000-0000-0000-0000-000000000000', 'e5000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated',
        'sec.path3@example.com', '', '{}', '{}', now(), now());
DROP TRIGGER decoy_statement ON auth.users;
SELECT auth_sync.create_user_profile();
SELECT count(*) AS decoy_rows FROM sec_path.decoy;

-- clean up
SELECT auth_sync.unregister_table('public.sec_path_notes');
SELECT auth_sync.unregister_table('public.sec_path_profiles');
DELETE FROM auth.users WHERE id = 'e5000000-0000-4000-8000-000000000001';
DROP TABLE public.sec_path_notes, public.sec_path_profiles;
DROP SCHEMA sec_path CASCADE;
REVOKE INSERT ON auth.users FROM sec_pathfinder;
REVOKE USAGE ON SCHEMA auth, auth_sync FROM sec_pathfinder;
DROP ROLE sec_pathfinder;
