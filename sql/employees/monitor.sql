-- The monitor: one row per employee with its auth user and sync_status, the employees without an
-- account, and the employee counts of get_auth_sync_summary().

CREATE FUNCTION auth_sync.find_employees_without_auth()
RETURNS TABLE (employee_id bigint, email text, is_active boolean, reason text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT t.%1$I::bigint, t.%2$I::text, t.%3$I,
               CASE WHEN u.deleted_at IS NOT NULL
                      OR (t.%4$I IS NOT NULL AND u.id IS NULL)
                      OR EXISTS (SELECT FROM auth_sync.integration_sync_log l
                                  WHERE l.action = 'AUTH_USER_DELETED' AND l.employee_id = t.%1$I)
                    THEN 'auth_user_deleted' ELSE 'no_auth_user' END
          FROM %5$s AS t
          LEFT JOIN auth.users u ON u.id = t.%4$I
         WHERE t.%4$I IS NULL OR u.id IS NULL OR u.deleted_at IS NOT NULL
         ORDER BY 1$q$,
        r.key_column, r.email_column, r.active_column, r.auth_user_column, r.target);
END
$$;
COMMENT ON FUNCTION auth_sync.find_employees_without_auth() IS
    'Employees without a live auth user: reason no_auth_user (never had one) or auth_user_deleted.';

-- The rows of the monitor view (a function, because the registered table is named at run time).
CREATE FUNCTION auth_sync.employee_monitor()
RETURNS TABLE (employee_id bigint, email text, is_active boolean, auth_user_id uuid, auth_email text,
               banned_until timestamptz, last_sign_in_at timestamptz, sync_status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT t.%1$I::bigint, t.%2$I::text, t.%3$I, t.%4$I, u.email::text, u.banned_until, u.last_sign_in_at,
               CASE WHEN u.id IS NULL
                         -- (not linked, and the only auth users with the email have not confirmed
                         -- it: linked when one does; looked up only for the unlinked employees)
                         AND (SELECT bool_and(p.email_confirmed_at IS NULL) FROM auth.users p
                               WHERE p.instance_id = auth_sync._instance_id()
                                 AND lower(p.email::text) = lower(btrim(t.%2$I::text)) AND p.deleted_at IS NULL)
                         THEN 'PENDING_CONFIRMATION'
                    WHEN u.id IS NULL OR u.deleted_at IS NOT NULL THEN 'MISSING_AUTH_UID'
                    WHEN NOT t.%3$I AND (u.banned_until IS NULL OR u.banned_until <= now()) THEN 'INACTIVE_WITH_AUTH'
                    WHEN t.%3$I AND u.banned_until > now() THEN 'ACTIVE_BUT_BANNED'
                    -- (linked to an auth user whose email is not confirmed: not proven to be theirs)
                    WHEN u.email_confirmed_at IS NULL THEN 'PENDING_CONFIRMATION'
                    WHEN lower(u.email::text) IS DISTINCT FROM lower(btrim(t.%2$I::text)) THEN 'EMAIL_MISMATCH'
                    ELSE 'OK' END
          FROM %5$s AS t
          LEFT JOIN auth.users u ON u.id = t.%4$I
         ORDER BY 1$q$,
        r.key_column, r.email_column, r.active_column, r.auth_user_column, r.target);
END
$$;
COMMENT ON FUNCTION auth_sync.employee_monitor() IS
    'One row per employee with its auth user and sync_status (the rows of view auth_sync.auth_sync_monitor).';

CREATE VIEW auth_sync.auth_sync_monitor AS
SELECT m.employee_id, m.email, m.is_active, m.auth_user_id, m.auth_email, m.banned_until,
       m.last_sign_in_at, m.sync_status
  FROM auth_sync.employee_monitor() AS m;
COMMENT ON VIEW auth_sync.auth_sync_monitor IS
    'One row per employee: its auth user, ban, last sign-in and sync_status (OK, PENDING_CONFIRMATION, MISSING_AUTH_UID, INACTIVE_WITH_AUTH, ACTIVE_BUT_BANNED, EMAIL_MISMATCH).';

-- The employee columns of get_auth_sync_summary().
CREATE FUNCTION auth_sync._employee_counts()
RETURNS TABLE (total_employees bigint, employees_linked bigint, employees_without_auth bigint,
               inactive_with_auth bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND OR NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = r.target::oid) THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT count(*),
               count(*) FILTER (WHERE u.id IS NOT NULL AND u.deleted_at IS NULL),
               count(*) FILTER (WHERE u.id IS NULL OR u.deleted_at IS NOT NULL),
               count(*) FILTER (WHERE NOT t.%2$I AND u.id IS NOT NULL AND u.deleted_at IS NULL
                                  AND (u.banned_until IS NULL OR u.banned_until <= now()))
          FROM %1$s AS t
          LEFT JOIN auth.users u ON u.id = t.%3$I$q$,
        r.target, r.active_column, r.auth_user_column);
END
$$;
