-- Installation: CREATE EXTENSION, the version, verify_installation(), grants, DROP EXTENSION.
\set SHOW_CONTEXT never

-- Without schema auth, CREATE EXTENSION refuses with a message that says what is missing.
CREATE DATABASE auth_sync_noauth TEMPLATE template0;
\c auth_sync_noauth
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
\echo :LAST_ERROR_SQLSTATE
-- With schema auth but no auth.users, likewise.
CREATE SCHEMA auth;
CREATE EXTENSION auth_sync;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS auth_sync_schemas FROM pg_namespace WHERE nspname = 'auth_sync';
\c auth_sync_regress
DROP DATABASE auth_sync_noauth;
\set SHOW_CONTEXT never

-- On the Supabase-shaped fixture it installs into schema auth_sync, not relocatable.
CREATE EXTENSION auth_sync;
SELECT extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'auth_sync';
SELECT auth_sync.version() = extversion AS library_matches_extension
  FROM pg_extension WHERE extname = 'auth_sync';

-- Every object of the extension lives in schema auth_sync.
SELECT count(*) AS objects_outside_auth_sync
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'auth_sync')
   AND d.deptype = 'e'
   AND p.pronamespace <> 'auth_sync'::regnamespace;

-- The checks, all ok.
SELECT check_name, ok FROM auth_sync.verify_installation();

-- Grants: anon and authenticated are refused, service_role may call.
SET ROLE anon;
SELECT auth_sync.version();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE authenticated;
SELECT * FROM auth_sync.verify_installation();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE service_role;
SELECT count(*) FILTER (WHERE ok) AS checks_ok, count(*) AS checks
  FROM auth_sync.verify_installation();
RESET ROLE;

-- A check fails when what it guards is broken.
BEGIN;
GRANT EXECUTE ON FUNCTION auth_sync.version() TO PUBLIC;
SELECT check_name, ok, detail FROM auth_sync.verify_installation() WHERE NOT ok;
ROLLBACK;
BEGIN;
GRANT EXECUTE ON FUNCTION auth_sync.verify_installation() TO authenticated;
SELECT check_name, ok, detail FROM auth_sync.verify_installation() WHERE NOT ok;
ROLLBACK;
BEGIN;
REVOKE EXECUTE ON FUNCTION auth_sync.version() FROM service_role;
SELECT check_name, ok, detail FROM auth_sync.verify_installation() WHERE NOT ok;
ROLLBACK;
BEGIN;
ALTER TABLE auth.users RENAME COLUMN banned_until TO banned_until_renamed;
SELECT check_name, ok, detail FROM auth_sync.verify_installation() WHERE NOT ok;
ROLLBACK;

-- The extension never touches auth.users columns: the fixture's shape is intact.
SELECT count(*) AS auth_users_columns FROM pg_attribute
 WHERE attrelid = 'auth.users'::regclass AND attnum > 0 AND NOT attisdropped;

-- The triggers on auth.users come with the extension; dropping another extension leaves them.
SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal ORDER BY 1;
CREATE EXTENSION pgcrypto;
DROP EXTENSION pgcrypto;
SELECT count(*) AS auth_sync_triggers FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;

-- DROP EXTENSION removes its functions and its triggers, and leaves auth.users alone.
DROP EXTENSION auth_sync;
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = to_regnamespace('auth_sync');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;
SELECT count(*) AS event_triggers_left FROM pg_event_trigger WHERE evtname LIKE 'auth_sync%';
SELECT to_regclass('auth.users') IS NOT NULL AS auth_users_still_there;

-- Installed again for the suites that follow.
CREATE EXTENSION auth_sync;
