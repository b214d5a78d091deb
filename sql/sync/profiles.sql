-- Repairs and reports over the registered supabase profile tables.

-- The pieces of SQL every repair of one profile table needs, built from its column map:
-- * for the statements that write the table as its owner (through _as_owner()), over the
--   auth_sync.user_source values r (unnest($1)): cols, vals, set_list, diff;
-- * for auth_sync's own reads, over auth.users r and the derived fields x.f (from_users,
--   lateral_fields): read_diff, whose casts stop at the columns' base types.
CREATE FUNCTION auth_sync._profile_sql(p_target regclass)
RETURNS TABLE (target regclass, user_column name, user_unique boolean, uses_fields boolean,
               cols text, vals text, set_list text, diff text, read_diff text, from_users text,
               lateral_fields text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    c record;
BEGIN
    SELECT * INTO m FROM auth_sync.managed_tables mt WHERE mt.target = p_target;
    target := m.target; user_column := m.user_column; user_unique := m.user_unique;
    cols := quote_ident(m.user_column); vals := 'r.id'; set_list := NULL; diff := NULL; read_diff := NULL;
    uses_fields := false;
    FOR c IN SELECT * FROM auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'r.f') LOOP
        cols := cols || ', ' || quote_ident(c.column_name);
        vals := vals || ', ' || c.expr_sql;
        set_list := concat_ws(', ', set_list, format('%I = %s', c.column_name, c.expr_sql));
        diff := concat_ws(' OR ', diff, format('t.%I IS DISTINCT FROM %s', c.column_name, c.expr_sql));
        uses_fields := uses_fields OR c.uses_derived;
    END LOOP;
    FOR c IN SELECT * FROM auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'x.f') LOOP
        read_diff := concat_ws(' OR ', read_diff, format('t.%I IS DISTINCT FROM %s', c.column_name, c.cmp_sql));
    END LOOP;
    lateral_fields := CASE WHEN uses_fields THEN
        ' CROSS JOIN LATERAL (SELECT auth_sync.extract_user_fields(r.raw_user_meta_data, r.raw_app_meta_data, r.email) AS f) AS x'
        ELSE '' END;
    from_users := 'auth.users r' || lateral_fields;
    RETURN NEXT;
END
$$;

-- Inserts (p_op 'create') or refreshes (p_op 'refresh') the rows of the users p_src in the profile
-- table of s (a _profile_sql row), as the table's owner; returns the user ids written.
CREATE FUNCTION auth_sync._write_profiles(s record, p_op text, p_src auth_sync.user_source[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_res jsonb;
BEGIN
    IF p_op = 'create' THEN
        v_res := auth_sync._as_owner(s.target,
            format('WITH w AS (INSERT INTO %s (%s) SELECT %s FROM unnest($1) AS r%s ON CONFLICT DO NOTHING RETURNING %I) SELECT jsonb_agg(w.%I::text ORDER BY w.%I) FROM w',
                   s.target, s.cols, s.vals,
                   CASE WHEN s.user_unique THEN ''
                        ELSE format(' WHERE NOT EXISTS (SELECT FROM %s AS e WHERE e.%I = r.id)', s.target, s.user_column) END,
                   s.user_column, s.user_column, s.user_column),
            p_src);
    ELSE
        v_res := auth_sync._as_owner(s.target,
            format('WITH w AS (UPDATE %s AS t SET %s FROM unnest($1) AS r WHERE t.%I = r.id AND (%s) RETURNING t.%I) SELECT jsonb_agg(DISTINCT w.%I::text) FROM w',
                   s.target, s.set_list, s.user_column, s.diff, s.user_column, s.user_column),
            p_src);
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(coalesce(v_res, '[]')));
END
$$;

-- The supabase profile tables that exist, in a stable order.
CREATE FUNCTION auth_sync._profile_tables() RETURNS SETOF regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.target FROM auth_sync.managed_tables m
      JOIN pg_class c ON c.oid = m.target::oid
     WHERE m.kind = 'profile' AND m.source = 'supabase'
     ORDER BY m.target::text
$$;

CREATE FUNCTION auth_sync.sync_profiles(dry_run boolean DEFAULT false)
RETURNS TABLE (table_name text, user_id text, action text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_started   timestamptz := clock_timestamp();
    v_dry       boolean := coalesce(sync_profiles.dry_run, false);
    s           record;
    v_op        text;
    v_list      text;
    v_ids       text[];
    v_uuids     uuid[];
    v_id        uuid;
    v_created   bigint := 0;
    v_refreshed bigint := 0;
    v_failed    bigint := 0;
    v_tables    bigint := 0;
    v_state     text;
    v_msg       text;
    c_slice     constant int := 50000;
BEGIN
    -- the caller could read and write every profile table itself
    PERFORM auth_sync._require_table_rights(tt, CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, INSERT, UPDATE' END)
       FROM auth_sync._profile_tables() AS tt;
    -- one sync at a time: concurrent runs would only wait on each other's rows (or deadlock)
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.sync_profiles'));
    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        v_tables := v_tables + 1;
        IF NOT v_dry AND NOT s.user_unique THEN
            -- no unique index on the user column: keep sign-ups out until this commits
            PERFORM auth_sync._as_owner(s.target, format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', s.target), 0);
        END IF;
        FOREACH v_op IN ARRAY ARRAY['create', 'refresh'] LOOP
            CONTINUE WHEN v_op = 'refresh' AND s.set_list IS NULL;
            -- the users to work on: without a row / with a row whose mapped columns are stale
            v_list := CASE v_op
                WHEN 'create' THEN format('SELECT r.id FROM auth.users r WHERE r.deleted_at IS NULL AND NOT EXISTS (SELECT FROM %s AS t WHERE t.%I = r.id)',
                                          s.target, s.user_column)
                ELSE format('SELECT DISTINCT r.id FROM %s AS t, %s WHERE t.%I = r.id AND r.deleted_at IS NULL AND (%s)',
                            s.target, s.from_users, s.user_column, s.read_diff) END;
            EXECUTE format('SELECT array_agg(l.id ORDER BY l.id) FROM (%s) AS l', v_list) INTO v_uuids;
            IF v_dry OR v_uuids IS NULL THEN
                v_ids := v_uuids::text[];
            ELSE
                BEGIN
                    -- (in slices: each goes to the table's owner as one array argument)
                    v_ids := '{}';
                    FOR v_lo IN 1 .. cardinality(v_uuids) BY c_slice LOOP
                        v_ids := v_ids || auth_sync._write_profiles(s, v_op,
                            auth_sync._user_sources(v_uuids[v_lo : v_lo + c_slice - 1], s.uses_fields));
                    END LOOP;
                EXCEPTION WHEN OTHERS THEN
                    -- the table refused some row: do it one user at a time, journal the refusals
                    v_ids := NULL;
                    FOREACH v_id IN ARRAY v_uuids LOOP
                        BEGIN
                            v_ids := v_ids || auth_sync._write_profiles(s, v_op, auth_sync._user_sources(ARRAY[v_id], s.uses_fields));
                        EXCEPTION WHEN OTHERS THEN
                            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
                            PERFORM auth_sync._record_failure(v_id::text, s.target::text, 'sync_' || v_op, v_state, v_msg);
                            v_failed := v_failed + 1;
                            table_name := s.target::text; user_id := v_id::text; action := 'failed';
                            RETURN NEXT;
                        END;
                    END LOOP;
                END;
            END IF;
            IF v_op = 'create' THEN
                v_created := v_created + coalesce(cardinality(v_ids), 0);
            ELSE
                v_refreshed := v_refreshed + coalesce(cardinality(v_ids), 0);
            END IF;
            RETURN QUERY
                SELECT s.target::text, u,
                       CASE WHEN v_dry THEN 'would_' ELSE '' END
                       || CASE v_op WHEN 'create' THEN 'create' ELSE 'refresh' END
                       || CASE WHEN v_dry THEN '' ELSE CASE v_op WHEN 'create' THEN 'd' ELSE 'ed' END END
                  FROM unnest(v_ids) AS u ORDER BY u;
        END LOOP;
    END LOOP;

    IF v_failed > 0 THEN
        RAISE NOTICE 'sync_profiles: % row(s) refused by their table; see auth_sync.sync_failures', v_failed;
    END IF;
    INSERT INTO auth_sync.sync_runs (operation, dry_run, run_by, claimed_sub, started_at, counts)
    VALUES ('sync_profiles', v_dry, auth_sync._caller(), auth_sync._jwt_claims() ->> 'sub', v_started,
            jsonb_build_object('tables', v_tables, 'created', v_created, 'refreshed', v_refreshed, 'failed', v_failed));
    PERFORM auth_sync._audit('sync_profiles', jsonb_build_object('dry_run', v_dry),
        jsonb_build_object('tables', v_tables, 'created', v_created, 'refreshed', v_refreshed, 'failed', v_failed));
END
$$;
COMMENT ON FUNCTION auth_sync.sync_profiles(boolean) IS
    'Creates every missing profile row of the registered profile tables and refreshes stale mapped columns (never the columns the map does not name). dry_run reports would_create / would_refresh and writes nothing.';

CREATE FUNCTION auth_sync.create_profile(user_id uuid, overrides jsonb DEFAULT '{}')
RETURNS TABLE (table_name text, action text, profile jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_uid  uuid  := create_profile.user_id;
    v_ov   jsonb := coalesce(create_profile.overrides, '{}');
    s      record;
    v_key  text;
    v_cols text;
    v_vals text;
    v_row  jsonb;
    v_done jsonb := '[]';
    v_src  auth_sync.user_source[];
BEGIN
    IF v_uid IS NULL THEN
        RAISE EXCEPTION 'user_id is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(v_ov) <> 'object' THEN
        RAISE EXCEPTION 'overrides must be a JSON object of column: value, e.g. {"role": "admin"}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM auth_sync._require_table_rights(tt, 'SELECT, INSERT') FROM auth_sync._profile_tables() AS tt;
    IF NOT EXISTS (SELECT FROM auth.users u WHERE u.id = v_uid) THEN
        RAISE EXCEPTION 'no auth user has id %', v_uid USING ERRCODE = 'no_data_found';
    END IF;
    -- every override names a column of some profile table, and never the user column
    FOR v_key IN SELECT jsonb_object_keys(v_ov) LOOP
        IF NOT EXISTS (SELECT FROM auth_sync._profile_tables() tt
                         JOIN pg_attribute a ON a.attrelid = tt AND a.attname = v_key
                                            AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'override "%" names no column of a registered profile table', v_key
                USING ERRCODE = 'undefined_column';
        END IF;
        IF EXISTS (SELECT FROM auth_sync.managed_tables m WHERE m.user_column = v_key AND m.kind = 'profile') THEN
            RAISE EXCEPTION 'override "%" is a user column; the user is given by user_id', v_key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;

    v_src := auth_sync._user_sources(ARRAY[v_uid], true, v_ov);

    -- the override values fit the columns of every table that has them (raises 22P02 & co.
    -- otherwise; the table's owner casts them, its domains' checks run as it)
    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        PERFORM auth_sync._as_owner(s.target,
            format('SELECT NULL::jsonb FROM jsonb_populate_record(NULL::%s, $1)', s.target), v_ov);
    END LOOP;

    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        -- mapped columns, except those an override replaces, then the overrides this table has
        SELECT string_agg(quote_ident(c.column_name), ', ' ORDER BY c.attnum),
               string_agg(c.expr_sql, ', ' ORDER BY c.attnum)
          INTO v_cols, v_vals
          FROM auth_sync.managed_tables m,
               auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'r.f') AS c
         WHERE m.target = s.target AND NOT (v_ov ? c.column_name);
        SELECT concat_ws(', ', quote_ident(s.user_column), v_cols, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)),
               concat_ws(', ', 'r.id', v_vals, string_agg(format('o.%I', a.attname), ', ' ORDER BY a.attnum))
          INTO v_cols, v_vals
          FROM pg_attribute a
         WHERE a.attrelid = s.target AND a.attnum > 0 AND NOT a.attisdropped AND v_ov ? a.attname;
        IF NOT s.user_unique THEN
            PERFORM pg_advisory_xact_lock(s.target::oid::int, hashtext(v_uid::text));
        END IF;
        v_row := auth_sync._as_owner(s.target,
            format('INSERT INTO %1$s AS t (%2$s) SELECT %3$s FROM unnest($1) AS r, jsonb_populate_record(NULL::%1$s, r.extra) AS o
                     WHERE NOT EXISTS (SELECT FROM %1$s AS e WHERE e.%4$I = r.id)
                    ON CONFLICT DO NOTHING RETURNING to_jsonb(t.*)',
                   s.target, v_cols, v_vals, s.user_column),
            v_src);
        table_name := s.target::text;
        IF v_row IS NOT NULL THEN
            action := 'created';
        ELSE
            action := 'exists';
            EXECUTE format('SELECT to_jsonb(t.*) FROM %s AS t WHERE t.%I = $1 LIMIT 1', s.target, s.user_column)
                INTO v_row USING v_uid;
        END IF;
        profile := v_row;
        v_done := v_done || jsonb_build_object('table', table_name, 'action', action);
        RETURN NEXT;
    END LOOP;
    PERFORM auth_sync._audit('create_profile',
        jsonb_build_object('user_id', v_uid, 'override_columns', (SELECT jsonb_agg(k) FROM jsonb_object_keys(v_ov) k)),
        jsonb_build_object('tables', v_done));
END
$$;
COMMENT ON FUNCTION auth_sync.create_profile(uuid, jsonb) IS
    'Creates the profile rows of one user in every registered profile table, with column overrides; returns the rows (action created, or exists when the row was already there).';

CREATE FUNCTION auth_sync.preservation_report(user_ids uuid[] DEFAULT NULL)
RETURNS TABLE (user_id uuid, table_name text, column_name text, current_value text,
               auth_value text, sync_action text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    s        record;
    v_values text;
BEGIN
    PERFORM auth_sync._require_table_rights(tt, 'SELECT') FROM auth_sync._profile_tables() AS tt;
    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        -- one VALUES row per column: mapped columns compare with what sync would write, the
        -- others are the application's and are kept
        SELECT string_agg(CASE WHEN c.column_name IS NOT NULL THEN
                   format('(%L::text, %s, t.%I::text, (%s)::text, CASE WHEN t.%I IS NULL AND t.%I IS NULL THEN ''create'' WHEN t.%I IS NOT DISTINCT FROM %s THEN ''in_sync'' ELSE ''refresh'' END)',
                          a.attname, a.attnum, a.attname, c.expr_sql, a.attname, s.user_column, a.attname, c.expr_sql)
                 ELSE
                   format('(%L::text, %s, t.%I::text, NULL::text, CASE WHEN t.%I IS NULL THEN NULL ELSE ''keep'' END)',
                          a.attname, a.attnum, a.attname, s.user_column) END,
                 ', ' ORDER BY a.attnum)
          INTO v_values
          FROM pg_attribute a
          JOIN auth_sync.managed_tables m ON m.target = s.target
          LEFT JOIN LATERAL (SELECT mc.column_name, mc.cmp_sql AS expr_sql
                               FROM auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'x.f') AS mc) AS c
                 ON c.column_name = a.attname
         WHERE a.attrelid = s.target AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> s.user_column;
        CONTINUE WHEN v_values IS NULL;
        RETURN QUERY EXECUTE format(
            'SELECT r.id, %L::text, v.column_name, v.current_value, v.auth_value, v.sync_action
               FROM %s LEFT JOIN %s AS t ON t.%I = r.id
              CROSS JOIN LATERAL (VALUES %s) AS v(column_name, attnum, current_value, auth_value, sync_action)
              WHERE r.deleted_at IS NULL AND ($1 IS NULL OR r.id = ANY ($1)) AND v.sync_action IS NOT NULL
              ORDER BY r.id, v.attnum',
            s.target, s.from_users, s.target, s.user_column, v_values)
            USING preservation_report.user_ids;
    END LOOP;
END
$$;
COMMENT ON FUNCTION auth_sync.preservation_report(uuid[]) IS
    'Before a sync: for each profile column, its value, what sync would write, and whether sync refreshes it (refresh / in_sync / create) or keeps it (keep: the column is the application''s).';
