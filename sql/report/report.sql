-- The health of the sync: one summary row, and a JSON verdict for a server's /health endpoint.

CREATE FUNCTION auth_sync.get_auth_sync_summary()
RETURNS TABLE (total_auth_users bigint, active_auth_users bigint, total_profiles bigint,
               missing_profiles bigint, orphaned_profiles bigint, duplicate_profiles bigint,
               sync_percentage numeric(5,2), total_employees bigint, employees_linked bigint,
               employees_without_auth bigint, inactive_with_auth bigint, failed_events_24h bigint,
               last_sync_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the per-user rows of a profile table are hashed in memory, not in batches on disk
SET work_mem = '256MB'
AS $$
DECLARE
    v_tables regclass[];
    v_parts  text[] := '{}';
    v_sql    text;
    s        record;
    i        int := 0;
BEGIN
    SELECT coalesce(array_agg(tt), '{}') INTO v_tables FROM auth_sync._profile_tables() AS tt;
    -- Per profile table, one pass over auth.users joined to the rows per user of that table:
    -- live users without a row are missing, rows beyond the first of a live user are duplicates,
    -- and the rows that no live user matched are orphaned (their user is gone or soft-deleted,
    -- or their user column is NULL). The first table's pass also counts the users, so the
    -- common case reads auth.users once (and Postgres may scan it in parallel).
    FOR s IN SELECT m.target, m.user_column, m.user_unique
               FROM auth_sync.managed_tables m WHERE m.target = ANY (v_tables) ORDER BY m.target::text LOOP
        i := i + 1;
        v_parts := v_parts || format(
            $q$t%1$s AS (
                SELECT count(*) AS users,
                       count(*) FILTER (WHERE u.deleted_at IS NULL AND (u.banned_until IS NULL OR u.banned_until <= now())) AS active,
                       count(*) FILTER (WHERE u.deleted_at IS NULL) AS live,
                       count(*) FILTER (WHERE p.n IS NULL AND u.deleted_at IS NULL) AS missing,
                       coalesce(sum(p.n) FILTER (WHERE u.deleted_at IS NULL), 0)::bigint AS matched,
                       coalesce(sum(p.n - 1) FILTER (WHERE p.n > 1 AND u.deleted_at IS NULL), 0)::bigint AS duplicates
                  FROM auth.users AS u
                  LEFT JOIN (%2$s) AS p ON p.uid = u.id),
              c%1$s AS (SELECT count(*) AS profiles FROM %3$s)$q$,
            i,
            CASE WHEN s.user_unique THEN format('SELECT %I AS uid, 1::bigint AS n FROM %s', s.user_column, s.target)
                 ELSE format('SELECT %I AS uid, count(*) AS n FROM %s GROUP BY 1', s.user_column, s.target) END,
            s.target);
    END LOOP;
    IF i = 0 THEN
        v_sql := $q$WITH t0 AS (SELECT count(*) AS users,
                                      count(*) FILTER (WHERE deleted_at IS NULL AND (banned_until IS NULL OR banned_until <= now())) AS active,
                                      0::bigint AS profiles, 0::bigint AS missing, 0::bigint AS orphaned, 0::bigint AS duplicates, 0::bigint AS live
                                 FROM auth.users)
                    SELECT t0.users, t0.active, t0.profiles, t0.missing, t0.orphaned, t0.duplicates, 100.00::numeric(5,2)
                      FROM t0$q$;
    ELSE
        v_sql := format(
            $q$WITH %1$s
               SELECT t1.users, t1.active, %2$s, %3$s, %4$s, %5$s,
                      CASE WHEN t1.live * %6$s = 0 THEN 100.00
                           ELSE round(100.0 * (t1.live * %6$s - (%3$s)) / (t1.live * %6$s), 2) END::numeric(5,2)
                 FROM %7$s$q$,
            array_to_string(v_parts, ', '),
            (SELECT string_agg(format('c%s.profiles', g), ' + ') FROM generate_series(1, i) g),
            (SELECT string_agg(format('t%s.missing', g), ' + ') FROM generate_series(1, i) g),
            (SELECT string_agg(format('(c%1$s.profiles - t%1$s.matched)', g), ' + ') FROM generate_series(1, i) g),
            (SELECT string_agg(format('t%s.duplicates', g), ' + ') FROM generate_series(1, i) g),
            i,
            (SELECT string_agg(format('t%1$s, c%1$s', g), ', ') FROM generate_series(1, i) g));
    END IF;
    RETURN QUERY EXECUTE format(
        $q$SELECT s.*, e.total_employees, e.employees_linked, e.employees_without_auth, e.inactive_with_auth,
                  (SELECT count(*) FROM auth_sync.sync_failures f WHERE f.occurred_at > now() - interval '24 hours')
                  + (SELECT count(*) FROM auth_sync.webhook_events w WHERE w.status = 'failed' AND w.received_at > now() - interval '24 hours'),
                  (SELECT max(r.finished_at) FROM auth_sync.sync_runs r WHERE NOT r.dry_run)
             FROM (%s) AS s, auth_sync._employee_counts() AS e$q$, v_sql);
END
$$;
COMMENT ON FUNCTION auth_sync.get_auth_sync_summary() IS
    'One row: auth users, profiles (missing, orphaned, duplicate), sync percentage, employees, failures in the last 24 hours, last sync.';

-- '1 user needs' / '12 users need': a count and the phrase that agrees with it.
CREATE FUNCTION auth_sync._counted(p_n bigint, p_one text, p_many text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_n || ' ' || CASE WHEN p_n = 1 THEN p_one ELSE p_many END
$$;

CREATE FUNCTION auth_sync.health() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s          record;
    v_failing  text[];
    v_triggers boolean := auth_sync._triggers_installed();
    v_tables   bigint;
    v_warnings text[] := '{}';
    v_status   text;
BEGIN
    SELECT * INTO s FROM auth_sync.get_auth_sync_summary();
    SELECT array_agg(v.check_name ORDER BY v.check_name) INTO v_failing
      FROM auth_sync.verify_installation() AS v WHERE NOT v.ok;
    SELECT count(*) INTO v_tables FROM auth_sync._profile_tables();

    IF v_failing IS NOT NULL THEN
        v_warnings := v_warnings || format('installation checks failing: %s', array_to_string(v_failing, ', '));
    END IF;
    IF NOT v_triggers THEN
        v_warnings := v_warnings || 'auth_sync triggers are not installed on auth.users: sign-ups create no profiles'::text;
    END IF;
    IF s.missing_profiles > 0 THEN
        -- missing_profiles counts (user, table) pairs: with one profile table, users
        v_warnings := v_warnings || CASE
            WHEN v_tables = 1 THEN auth_sync._counted(s.missing_profiles, 'user needs', 'users need') || ' profile synchronization'
            ELSE auth_sync._counted(s.missing_profiles, 'missing profile row needs', 'missing profile rows need') || ' synchronization' END;
    END IF;
    IF s.orphaned_profiles > 0 THEN
        v_warnings := v_warnings || (auth_sync._counted(s.orphaned_profiles, 'profile row has', 'profile rows have') || ' no auth user');
    END IF;
    IF s.duplicate_profiles > 0 THEN
        v_warnings := v_warnings || auth_sync._counted(s.duplicate_profiles, 'duplicate profile row', 'duplicate profile rows');
    END IF;
    IF s.inactive_with_auth > 0 THEN
        v_warnings := v_warnings || (auth_sync._counted(s.inactive_with_auth, 'inactive employee can', 'inactive employees can')
                                     || ' still sign in (sync_status INACTIVE_WITH_AUTH in auth_sync.auth_sync_monitor)');
    END IF;
    IF s.failed_events_24h > 0 THEN
        v_warnings := v_warnings || (auth_sync._counted(s.failed_events_24h, 'sync failure', 'sync failures') || ' in the last 24 hours');
    END IF;

    v_status := CASE
        WHEN v_failing IS NOT NULL OR (NOT v_triggers AND v_tables > 0) OR s.sync_percentage < 90 THEN 'unhealthy'
        WHEN cardinality(v_warnings) > 0 THEN 'degraded'
        ELSE 'healthy' END;
    RETURN jsonb_build_object(
        'status', v_status,
        'checks', jsonb_build_object(
            'installation_ok', v_failing IS NULL,
            'triggers_installed', v_triggers,
            'profile_tables', v_tables,
            'sync_percentage', s.sync_percentage,
            'missing_profiles', s.missing_profiles,
            'orphaned_profiles', s.orphaned_profiles,
            'duplicate_profiles', s.duplicate_profiles,
            'inactive_with_auth', s.inactive_with_auth,
            'failed_events_24h', s.failed_events_24h,
            'last_sync_at', s.last_sync_at),
        'warnings', to_jsonb(v_warnings));
END
$$;
COMMENT ON FUNCTION auth_sync.health() IS
    'jsonb {"status": healthy|degraded|unhealthy, "checks": {...}, "warnings": [...]} for a /health endpoint.';
