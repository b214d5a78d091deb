-- Runs last in CREATE EXTENSION: safe-by-default grants.
-- Every function starts executable by PUBLIC in Postgres; take that away, then grant each
-- function to the roles that need it. The Supabase roles may be missing on a plain Postgres
-- database; verify_installation() reports that.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON SCHEMA auth_sync FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
        GRANT USAGE ON SCHEMA auth_sync TO service_role;
        GRANT EXECUTE ON FUNCTION auth_sync.version() TO service_role;
        GRANT EXECUTE ON FUNCTION auth_sync.verify_installation() TO service_role;
    END IF;
END
$grants$;
