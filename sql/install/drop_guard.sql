-- DROP EXTENSION auth_sync removes auth_sync's triggers from auth.users and the employee table first (see
-- src/drop_guard.rs): triggers cannot be extension members, and without this a plain
-- DROP EXTENSION would fail on them.

CREATE FUNCTION auth_sync._before_drop_extension() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM auth_sync._uninstall_triggers();
    -- and the triggers of the registered employee table (sql/employees/triggers.sql)
    PERFORM auth_sync._drop_linked_triggers(l.target) FROM auth_sync.linked_tables l;
    IF pg_catalog.to_regprocedure('auth_sync.generated_employee_pending(text[])') IS NOT NULL THEN
        DROP FUNCTION auth_sync.generated_employee_pending(text[]);
    END IF;
END
$$;

CREATE FUNCTION auth_sync._drop_extension_guard() RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'auth_sync_drop_guard';

CREATE EVENT TRIGGER auth_sync_drop_extension ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION auth_sync._drop_extension_guard();
