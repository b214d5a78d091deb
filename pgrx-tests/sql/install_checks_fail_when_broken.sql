-- A check of verify_installation() fails, saying why, when what it guards is broken: a grant to
-- PUBLIC or to a client role, a grant taken from service_role, a column of auth.users renamed.
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
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
