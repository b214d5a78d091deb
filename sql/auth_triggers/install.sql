-- The triggers on auth.users, installed and removed from this one place: the profile triggers
-- (sql/auth_triggers/signup.sql, refresh.sql), the cleanup of deleted users' rows
-- (sql/delete/bulk.sql) and the employee link triggers (sql/employees/triggers.sql). Loaded after
-- all of them, so that none of them calls forward.

-- p_regenerate is false only inside CREATE EXTENSION: functions created there would become
-- members of the extension, which pg_dump does not dump; generated code must be dumped with the
-- registrations it comes from.
CREATE FUNCTION auth_sync._install_triggers(p_regenerate boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ddl text[] := '{}';
BEGIN
    IF p_regenerate THEN
        PERFORM auth_sync._regenerate();
    END IF;
    -- the owner of auth.users creates the triggers (see _auth_users_ddl)
    PERFORM auth_sync._grant_trigger_functions('auth.users'::regclass,
        ARRAY['auth_sync.create_user_profile()', 'auth_sync.refresh_user_profile()',
              'auth_sync.cleanup_deleted_users()', 'auth_sync._flag(text)']::regprocedure[]);
    IF NOT auth_sync._triggers_installed() THEN
        -- (no WHEN clause: Postgres would compile it for every INSERT statement, a cost every
        -- sign-up pays; the function itself stands aside while bulk_create_users writes the
        -- profiles, which only auth_sync's code can switch on)
        v_ddl := v_ddl || $t$CREATE TRIGGER auth_sync_create_profile AFTER INSERT ON auth.users
            FOR EACH ROW EXECUTE FUNCTION auth_sync.create_user_profile()$t$::text;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_trigger
                    WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_cleanup_deleted') THEN
        -- per statement, over the deleted rows: one set-based delete per table, however many
        -- users one statement deletes
        -- (bulk_delete_users and co. remove the rows first and set auth_sync.bulk_delete: the WHEN
        -- clause then spares the look for rows that are gone)
        v_ddl := v_ddl || $t$CREATE TRIGGER auth_sync_cleanup_deleted AFTER DELETE ON auth.users
            REFERENCING OLD TABLE AS auth_sync_deleted_users
            FOR EACH STATEMENT
            WHEN (auth_sync._flag('auth_sync.bulk_delete') IS DISTINCT FROM 'on')
            EXECUTE FUNCTION auth_sync.cleanup_deleted_users()$t$::text;
    END IF;
    IF v_ddl <> '{}' THEN
        PERFORM auth_sync._with_short_lock_timeout(v_ddl);
    END IF;
    PERFORM auth_sync._install_update_trigger();
    -- linking new auth users to employees, when an employee table is registered (sql/employees/triggers.sql)
    PERFORM auth_sync._install_link_trigger();
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The admin API
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.install_triggers()
RETURNS TABLE (trigger_name text, definition text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM auth_sync._install_triggers();
    PERFORM auth_sync._audit('install_triggers', '{}', '{}');
    RETURN QUERY
        SELECT tg.tgname::text, pg_get_triggerdef(tg.oid)
          FROM pg_trigger tg
         WHERE tg.tgrelid = 'auth.users'::regclass AND tg.tgname LIKE 'auth\_sync\_%'
         ORDER BY tg.tgname;
END
$$;
COMMENT ON FUNCTION auth_sync.install_triggers() IS
    'Installs (or refreshes) auth_sync''s triggers on auth.users; returns them.';

-- Drops auth_sync's triggers from auth.users and the generated code; returns the trigger names.
CREATE FUNCTION auth_sync._uninstall_triggers() RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_names text[];
BEGIN
    SELECT coalesce(array_agg(tg.tgname::text ORDER BY tg.tgname), '{}') INTO v_names
      FROM pg_trigger tg
     WHERE tg.tgrelid = 'auth.users'::regclass AND tg.tgname LIKE 'auth\_sync\_%';
    IF v_names <> '{}' THEN
        PERFORM auth_sync._with_short_lock_timeout(
            ARRAY(SELECT format('DROP TRIGGER %I ON auth.users', n) FROM unnest(v_names) AS n));
    END IF;
    IF to_regprocedure('auth_sync.generated_profile_insert(auth.users)') IS NOT NULL THEN
        DROP FUNCTION auth_sync.generated_profile_insert(auth.users);
    END IF;
    IF to_regprocedure('auth_sync.generated_profile_update(auth.users,auth.users)') IS NOT NULL THEN
        DROP FUNCTION auth_sync.generated_profile_update(auth.users, auth.users);
    END IF;
    RETURN v_names;
END
$$;

CREATE FUNCTION auth_sync.uninstall_triggers()
RETURNS TABLE (trigger_name text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_names text[] := auth_sync._uninstall_triggers();
BEGIN
    PERFORM auth_sync._audit('uninstall_triggers', '{}', jsonb_build_object('dropped', to_jsonb(v_names)));
    RETURN QUERY SELECT unnest(v_names);
END
$$;
COMMENT ON FUNCTION auth_sync.uninstall_triggers() IS
    'Removes auth_sync''s triggers from auth.users (sign-ups then create no profiles); returns their names.';
