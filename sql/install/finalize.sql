-- Runs last in CREATE EXTENSION: safe-by-default grants, then the triggers on auth.users.
-- Every function starts executable by PUBLIC in Postgres; take that away, then grant each
-- client-facing function to the roles that need it. The Supabase roles may be missing on a plain
-- Postgres database; verify_installation() reports that.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA auth_sync FROM PUBLIC;
REVOKE ALL ON SCHEMA auth_sync FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
        GRANT USAGE ON SCHEMA auth_sync TO service_role;
        -- the admin API: owner and service_role only
        GRANT EXECUTE ON FUNCTION
            auth_sync.version(),
            auth_sync.verify_installation(),
            auth_sync.register_table(regclass, name, text, jsonb, text),
            auth_sync.unregister_table(regclass),
            auth_sync.install_triggers(),
            auth_sync.uninstall_triggers(),
            auth_sync.sync_profiles(boolean),
            auth_sync.create_profile(uuid, jsonb),
            auth_sync.preservation_report(uuid[]),
            auth_sync.get_auth_sync_summary(),
            auth_sync.health(),
            auth_sync.extract_user_fields(jsonb, jsonb, text),
            auth_sync.bulk_create_users(text, text, text, boolean, boolean, boolean, text),
            auth_sync.bulk_delete_users(text[], boolean, boolean),
            auth_sync.bulk_delete_import(uuid, boolean),
            auth_sync.find_orphans(),
            auth_sync.cleanup_orphans(boolean),
            auth_sync.find_duplicate_profiles(),
            auth_sync.fix_duplicates(boolean),
            auth_sync.full_sync(boolean),
            auth_sync.enable_owner_policies(regclass),
            auth_sync.verify_webhook_signature(text, text, text, text, text, integer),
            auth_sync.set_webhook_secret(text, text),
            auth_sync.handle_clerk_webhook(jsonb, text),
            auth_sync.analyze_external(text, text[]),
            auth_sync.reconcile_external(text, text[], boolean, boolean, timestamptz),
            auth_sync.register_linked_table(regclass, name, name, name, name),
            auth_sync.unregister_linked_table(regclass),
            auth_sync.create_employee_with_auth(jsonb, text),
            auth_sync.set_employee_active(bigint, boolean, text),
            auth_sync.link_employees(boolean),
            auth_sync.provision_employee_accounts(boolean, boolean),
            auth_sync.find_employees_without_auth(),
            auth_sync.employee_monitor()
        TO service_role;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
        -- signed-in users (through the API) may delete their own account, nothing else
        GRANT USAGE ON SCHEMA auth_sync TO authenticated;
        GRANT EXECUTE ON FUNCTION auth_sync.delete_my_account() TO authenticated;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
        GRANT SELECT ON auth_sync.registered_tables, auth_sync.sync_failures, auth_sync.sync_runs,
                        auth_sync.admin_audit_log, auth_sync.import_batches, auth_sync.import_rows,
                        auth_sync.external_users, auth_sync.webhook_events,
                        auth_sync.linked_tables, auth_sync.integration_sync_log, auth_sync.employee_bans,
                        auth_sync.auth_sync_monitor, auth_sync.recent_auth_sync_log
        TO service_role;
    END IF;
END
$grants$;

-- Every object of the extension belongs to auth_sync_definer (sql/install/privilege.sql), so that its
-- SECURITY DEFINER functions run as that role, not as the superuser who installed the extension.
-- (The event trigger stays the installer's: only a superuser may own one.)
DO $owner$
DECLARE
    o record;
BEGIN
    FOR o IN
        SELECT d.classid, d.objid
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'auth_sync')
    LOOP
        IF o.classid = 'pg_catalog.pg_proc'::regclass THEN
            EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO auth_sync_definer', o.objid::regprocedure);
        ELSIF o.classid = 'pg_catalog.pg_class'::regclass
              -- (an identity column's sequence goes with its table)
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend s
                               WHERE s.classid = 'pg_catalog.pg_class'::regclass AND s.objid = o.objid
                                 AND s.refclassid = 'pg_catalog.pg_class'::regclass AND s.deptype IN ('a', 'i')) THEN
            EXECUTE pg_catalog.format('ALTER %s %s OWNER TO auth_sync_definer',
                CASE (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = o.objid)
                     WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                o.objid::regclass);
        ELSIF o.classid = 'pg_catalog.pg_type'::regclass
              AND (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid = o.objid) IN ('c', 'd', 'e') THEN
            EXECUTE pg_catalog.format('ALTER TYPE %s OWNER TO auth_sync_definer', o.objid::regtype);
        END IF;
    END LOOP;
END
$owner$;

-- The WHEN clauses of auth_sync's triggers call _flag() as whichever role writes auth.users or the
-- employee table: it only says whether this transaction is inside one of auth_sync's own bulk
-- operations (verify_installation() allows this one grant).
GRANT EXECUTE ON FUNCTION auth_sync._flag(text) TO PUBLIC;

-- Code generated by an earlier installation (left behind by DROP EXTENSION ... CASCADE) names
-- tables this installation has not registered.
DROP FUNCTION IF EXISTS auth_sync.generated_profile_insert(auth.users);
DROP FUNCTION IF EXISTS auth_sync.generated_profile_update(auth.users, auth.users);
DROP FUNCTION IF EXISTS auth_sync.generated_employee_pending(text[]);

-- auth.users exists (the preflight checked): from now on sign-ups create the profiles of every
-- table registered with auth_sync.register_table().
SELECT auth_sync._install_triggers(p_regenerate => false);
