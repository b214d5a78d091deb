-- The repairs: orphans (rows whose user is gone), duplicate profiles, and full_sync(), which runs
-- them with sync_profiles(). They hold the advisory lock 'auth_sync.sync_profiles' exclusively
-- (see sql/delete/remove.sql for the locking rules they share with the deletes).

-- The rows of one table whose user p_exists (an SQL condition on the row alias t: the user is
-- there) does not find, counted per user (p_dry), or removed by the table's owner; a profile
-- row without a user counts too. Used for Supabase Auth users (_orphans) and for an outside
-- provider's users (reconcile_external).
CREATE FUNCTION auth_sync._table_orphans(p_target regclass, p_user_column name, p_kind text,
                                         p_exists text, p_dry boolean)
RETURNS TABLE (user_id text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_gone text := format('%s NOT (%s)',
                          CASE WHEN p_kind = 'profile' THEN '' ELSE format('t.%I IS NOT NULL AND', p_user_column) END,
                          p_exists);
    v_type text;
    v_ids  text[];
BEGIN
    IF p_dry THEN
        RETURN QUERY EXECUTE format('SELECT t.%1$I::text, count(*) FROM %2$s AS t WHERE %3$s GROUP BY 1 ORDER BY 1',
                                    p_user_column, p_target, v_gone);
        RETURN;
    END IF;
    -- (found as auth_sync, removed by the table's owner, by the user column's own type so that
    -- its index serves the delete)
    EXECUTE format('SELECT array_agg(DISTINCT t.%1$I::text) FROM %2$s AS t WHERE %3$s AND t.%1$I IS NOT NULL',
                   p_user_column, p_target, v_gone)
        INTO v_ids;
    SELECT format_type(a.atttypid, NULL) INTO v_type
      FROM pg_attribute a WHERE a.attrelid = p_target AND a.attname = p_user_column;
    RETURN QUERY
        SELECT e ->> 0, (e ->> 1)::bigint
          FROM jsonb_array_elements(coalesce(auth_sync._as_owner(p_target, format(
            'WITH d AS (DELETE FROM %1$s AS t WHERE t.%2$I = ANY ($1::%3$s[])%4$s RETURNING t.%2$I::text AS uid)
             SELECT jsonb_agg(jsonb_build_array(x.uid, x.n) ORDER BY x.uid) FROM (SELECT d.uid, count(*) AS n FROM d GROUP BY 1) AS x',
            p_target, p_user_column, v_type,
            CASE WHEN p_kind = 'profile' THEN format(' OR t.%I IS NULL', p_user_column) ELSE '' END),
            coalesce(v_ids, '{}')), '[]')) AS e;
END
$$;

-- The rows of every registered Supabase table whose auth user is gone (or NULL, in a profile
-- table): listed (p_dry) or removed.
CREATE FUNCTION auth_sync._orphans(p_dry boolean)
RETURNS TABLE (table_name text, user_id text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    -- (table by table, in removal order: a table goes before the tables it references)
    FOR s IN SELECT * FROM auth_sync._removal_order('supabase') AS o ORDER BY o.pos LOOP
        RETURN QUERY
            SELECT s.target::text, x.user_id, x.row_count
              FROM auth_sync._table_orphans(s.target, s.user_column, s.kind,
                       format('EXISTS (SELECT FROM auth.users AS u WHERE u.id = t.%I AND u.deleted_at IS NULL)',
                              s.user_column),
                       p_dry) AS x;
    END LOOP;
END
$$;

-- The extra rows of one profile table without a unique user column: per user, every row but the
-- one to keep (_keep_order), listed (p_dry) or removed by the table's owner in one statement (no
-- row moves between finding and removing).
CREATE FUNCTION auth_sync._table_duplicates(p_target regclass, p_user_column name, p_dry boolean)
RETURNS TABLE (user_id text, row_data jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sel text := format('SELECT t.ctid AS row_ctid, row_number() OVER (PARTITION BY t.%1$I ORDER BY %2$s) AS n
                            FROM %3$s AS t WHERE t.%1$I IS NOT NULL',
                         p_user_column, auth_sync._keep_order(p_target), p_target);
BEGIN
    IF p_dry THEN
        RETURN QUERY EXECUTE format(
            'SELECT t.%1$I::text, to_jsonb(t.*) FROM %2$s AS t
              WHERE t.ctid = ANY (ARRAY(SELECT d.row_ctid FROM (%3$s) AS d WHERE d.n > 1))
              ORDER BY 1, 2::text',
            p_user_column, p_target, v_sel);
        RETURN;
    END IF;
    RETURN QUERY
        SELECT e ->> 0, e -> 1
          FROM jsonb_array_elements(coalesce(auth_sync._as_owner(p_target, format(
            'WITH d AS (DELETE FROM %2$s AS t
                         WHERE t.ctid = ANY (ARRAY(SELECT d.row_ctid FROM (%3$s) AS d WHERE d.n > 1))
                        RETURNING t.%1$I::text AS uid, to_jsonb(t.*) AS row_data)
             SELECT jsonb_agg(jsonb_build_array(d.uid, d.row_data) ORDER BY d.uid, d.row_data::text) FROM d',
            p_user_column, p_target, v_sel), 0), '[]')) AS e;
END
$$;

-- The duplicate profile rows of every registered Supabase profile table without a unique user
-- column.
CREATE FUNCTION auth_sync._duplicates(p_dry boolean)
RETURNS TABLE (table_name text, user_id text, row_data jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT o.* FROM auth_sync._removal_order('supabase') AS o
              JOIN auth_sync.managed_tables m ON m.target = o.target
             WHERE o.kind = 'profile' AND NOT m.user_unique ORDER BY o.pos LOOP
        RETURN QUERY
            SELECT s.target::text, x.user_id, x.row_data
              FROM auth_sync._table_duplicates(s.target, s.user_column, p_dry) AS x;
    END LOOP;
END
$$;

CREATE FUNCTION auth_sync.find_orphans()
RETURNS TABLE (table_name text, user_id text, row_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth_sync._require_registered_rights('SELECT');
    SELECT * FROM auth_sync._orphans(true)
$$;
COMMENT ON FUNCTION auth_sync.find_orphans() IS
    'Rows of registered tables whose user no longer exists or is soft-deleted (profile rows without a user too), counted per table and user.';

CREATE FUNCTION auth_sync.cleanup_orphans(dry_run boolean DEFAULT false)
RETURNS TABLE (table_name text, user_id text, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_dry  boolean := coalesce(cleanup_orphans.dry_run, false);
    v_rows bigint;
BEGIN
    PERFORM auth_sync._require_registered_rights(CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, DELETE' END);
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.sync_profiles'));
    RETURN QUERY SELECT * FROM auth_sync._orphans(v_dry);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM auth_sync._audit('cleanup_orphans', jsonb_build_object('dry_run', v_dry),
                             jsonb_build_object('groups', v_rows));
END
$$;
COMMENT ON FUNCTION auth_sync.cleanup_orphans(boolean) IS
    'Removes the rows find_orphans() finds (dry_run: reports them); one row per table and user.';

-- The order that puts the row to keep first among one user's rows of p_target: the oldest by
-- created_at when the table has that column, then by primary key, then by physical position.
CREATE FUNCTION auth_sync._keep_order(p_target regclass) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT concat_ws(', ',
        (SELECT 't.created_at ASC NULLS LAST' FROM pg_attribute a
          WHERE a.attrelid = p_target AND a.attname = 'created_at' AND a.attnum > 0 AND NOT a.attisdropped),
        (SELECT string_agg(format('t.%I', a.attname), ', ' ORDER BY k.n)
           FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = p_target AND a.attnum = k.attnum
          WHERE i.indrelid = p_target AND i.indisprimary),
        't.ctid')
$$;

CREATE FUNCTION auth_sync.find_duplicate_profiles()
RETURNS TABLE (table_name text, user_id text, row_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth_sync._require_registered_rights('SELECT', true);
    SELECT d.table_name, d.user_id, count(*) + 1
      FROM auth_sync._duplicates(true) AS d
     GROUP BY 1, 2
     ORDER BY 1, 2
$$;
COMMENT ON FUNCTION auth_sync.find_duplicate_profiles() IS
    'Users with more than one row in a registered profile table: table, user, how many rows.';

CREATE FUNCTION auth_sync.fix_duplicates(dry_run boolean DEFAULT false)
RETURNS TABLE (table_name text, user_id text, status text, removed_row jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_dry  boolean := coalesce(fix_duplicates.dry_run, false);
    v_rows bigint;
BEGIN
    PERFORM auth_sync._require_registered_rights(CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, DELETE' END, true);
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.sync_profiles'));
    RETURN QUERY SELECT d.table_name, d.user_id, CASE WHEN v_dry THEN 'would_remove' ELSE 'removed' END, d.row_data
                   FROM auth_sync._duplicates(v_dry) AS d;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM auth_sync._audit('fix_duplicates', jsonb_build_object('dry_run', v_dry),
                             jsonb_build_object('rows', v_rows));
END
$$;
COMMENT ON FUNCTION auth_sync.fix_duplicates(boolean) IS
    'Keeps the oldest row per user in each registered profile table (by created_at, else primary key) and removes the others; returns each removed row.';

-- ---------------------------------------------------------------------------------------------
-- full_sync: every repair in one call and one transaction
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.full_sync(dry_run boolean DEFAULT false)
RETURNS TABLE (step text, table_name text, affected bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_dry     boolean := coalesce(full_sync.dry_run, false);
    v_started timestamptz := clock_timestamp();
    v_tables  text[];
    v_result  jsonb := '[]';
BEGIN
    PERFORM auth_sync._require_registered_rights(CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, INSERT, UPDATE, DELETE' END);
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.sync_profiles'));
    SELECT coalesce(array_agg(o.target::text ORDER BY o.pos), '{}') INTO v_tables
      FROM auth_sync._removal_order('supabase') AS o;

    -- 1. analyse: what needs doing, per table (before anything changes)
    WITH sync AS (SELECT s.table_name, s.action FROM auth_sync.sync_profiles(true) AS s),
         orphans AS (SELECT o.table_name, sum(o.row_count) AS n FROM auth_sync._orphans(true) AS o GROUP BY 1),
         dups AS (SELECT d.table_name, count(*) AS n FROM auth_sync._duplicates(true) AS d GROUP BY 1)
    SELECT v_result || coalesce(jsonb_agg(jsonb_build_object('step', x.step, 'table_name', x.t, 'affected', x.n)
                                          ORDER BY x.step_pos, x.t_pos), '[]')
      INTO v_result
      FROM (SELECT a.step, a.step_pos, t.t, t.t_pos,
                   CASE a.step
                       WHEN 'analyse_missing_profiles' THEN (SELECT count(*) FROM sync WHERE sync.table_name = t.t AND sync.action = 'would_create')
                       WHEN 'analyse_stale_profiles' THEN (SELECT count(*) FROM sync WHERE sync.table_name = t.t AND sync.action = 'would_refresh')
                       WHEN 'analyse_orphans' THEN coalesce((SELECT orphans.n FROM orphans WHERE orphans.table_name = t.t), 0)
                       ELSE coalesce((SELECT dups.n FROM dups WHERE dups.table_name = t.t), 0) END AS n,
                   m.kind
              FROM unnest(v_tables) WITH ORDINALITY AS t(t, t_pos)
              JOIN auth_sync.managed_tables m ON m.target::text = t.t
             CROSS JOIN (VALUES ('analyse_missing_profiles', 1), ('analyse_stale_profiles', 2),
                                ('analyse_orphans', 3), ('analyse_duplicates', 4)) AS a(step, step_pos)
             WHERE m.kind = 'profile' OR a.step = 'analyse_orphans') AS x;

    -- 2. create the missing profiles and refresh stale mapped columns; 3. clean orphans;
    -- 4. fix duplicates (in a dry run: what a real run would affect)
    WITH sync AS (SELECT s.table_name, s.action FROM auth_sync.sync_profiles(v_dry) AS s),
         orphans AS (SELECT o.table_name, sum(o.row_count) AS n FROM auth_sync._orphans(v_dry) AS o GROUP BY 1),
         dups AS (SELECT d.table_name, count(*) AS n FROM auth_sync._duplicates(v_dry) AS d GROUP BY 1)
    SELECT v_result || coalesce(jsonb_agg(jsonb_build_object('step', x.step, 'table_name', x.t, 'affected', x.n)
                                          ORDER BY x.step_pos, x.t_pos), '[]')
      INTO v_result
      FROM (SELECT a.step, a.step_pos, t.t, t.t_pos,
                   CASE a.step
                       WHEN 'create_profiles' THEN (SELECT count(*) FROM sync WHERE sync.table_name = t.t AND sync.action IN ('created', 'would_create'))
                       WHEN 'refresh_profiles' THEN (SELECT count(*) FROM sync WHERE sync.table_name = t.t AND sync.action IN ('refreshed', 'would_refresh'))
                       WHEN 'cleanup_orphans' THEN coalesce((SELECT orphans.n FROM orphans WHERE orphans.table_name = t.t), 0)
                       ELSE coalesce((SELECT dups.n FROM dups WHERE dups.table_name = t.t), 0) END AS n
              FROM unnest(v_tables) WITH ORDINALITY AS t(t, t_pos)
              JOIN auth_sync.managed_tables m ON m.target::text = t.t
             CROSS JOIN (VALUES ('create_profiles', 5), ('refresh_profiles', 6),
                                ('cleanup_orphans', 7), ('fix_duplicates', 8)) AS a(step, step_pos)
             WHERE m.kind = 'profile' OR a.step = 'cleanup_orphans') AS x;

    INSERT INTO auth_sync.sync_runs (operation, dry_run, run_by, claimed_sub, started_at, counts)
    VALUES ('full_sync', v_dry, auth_sync._caller(), auth_sync._jwt_claims() ->> 'sub', v_started,
            (SELECT coalesce(jsonb_object_agg(s.key, s.total), '{}')
               FROM (SELECT r ->> 'step' AS key, sum((r ->> 'affected')::bigint) AS total
                       FROM jsonb_array_elements(v_result) AS r GROUP BY 1) AS s));
    PERFORM auth_sync._audit('full_sync', jsonb_build_object('dry_run', v_dry), jsonb_build_object('steps', v_result));
    RETURN QUERY SELECT r ->> 'step', r ->> 'table_name', (r ->> 'affected')::bigint
                   FROM jsonb_array_elements(v_result) WITH ORDINALITY AS e(r, n) ORDER BY e.n;
END
$$;
COMMENT ON FUNCTION auth_sync.full_sync(boolean) IS
    'Analyses, then creates missing profiles, refreshes stale ones, removes orphans and fixes duplicates, in one transaction; one row per step and table (dry_run: what a real run would affect).';
