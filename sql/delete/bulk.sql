-- Bulk deletes: bulk_delete_users(), bulk_delete_import(), and the statement trigger on auth.users
-- that removes a deleted user's rows from registered tables whose key does not cascade. The
-- locking rules are in sql/delete/remove.sql.

CREATE FUNCTION auth_sync.bulk_delete_users(emails text[], dry_run boolean DEFAULT false,
                                            soft boolean DEFAULT false)
RETURNS TABLE (email text, user_id uuid, status text, removed jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- (the per-user reports of 100,000 users are hashed and sorted in memory, not in batches on disk;
-- and these one-off statements would spend more on JIT compilation than they save)
SET work_mem = '128MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_dry     boolean := coalesce(bulk_delete_users.dry_run, false);
    v_soft    boolean := coalesce(bulk_delete_users.soft, false);
    v_input   text[];
    v_status  text[];
    v_valid   text[];
    v_valid_at bigint[];
    v_ids     uuid[];
    v_matched bigint[];  -- per user: the place in the list of the entry that named them
    v_removed jsonb[];
    v_totals  jsonb;
BEGIN
    IF bulk_delete_users.emails IS NULL THEN
        RAISE EXCEPTION 'emails is required: an array of email addresses'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM auth_sync._require_registered_rights(CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, DELETE' END);
    PERFORM pg_advisory_xact_lock_shared(hashtext('auth_sync.sync_profiles'));

    -- each entry trimmed and lower-cased; the shape checked; repeats marked
    SELECT coalesce(array_agg(x.norm ORDER BY x.ord), '{}'),
           coalesce(array_agg(CASE WHEN x.norm IS NULL OR x.norm !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN 'invalid_email'
                                   WHEN x.nth > 1 THEN 'duplicate_in_list' END
                              ORDER BY x.ord), '{}')
      INTO v_input, v_status
      -- (COLLATE "C": repeats are found by bytes, and sorting by bytes is cheaper than by locale)
      FROM (SELECT y.norm, y.ord, row_number() OVER (PARTITION BY y.norm COLLATE "C" ORDER BY y.ord) AS nth
              FROM (SELECT lower(btrim(l.e, E' \t\r\n')) AS norm, l.o AS ord
                      FROM unnest(bulk_delete_users.emails) WITH ORDINALITY AS l(e, o)) AS y) AS x;
    -- the entries to look up, with their place in the list (the report joins on it: integers hash
    -- and compare cheaper than text)
    SELECT array_agg(c.norm), array_agg(c.ord) INTO v_valid, v_valid_at
      FROM unnest(v_input, v_status) WITH ORDINALITY AS c(norm, status, ord) WHERE c.status IS NULL;

    -- the users, locked in id order (a user deleted meanwhile drops out: not_found)
    IF v_dry THEN
        SELECT array_agg(u.id ORDER BY u.id), array_agg(v.at ORDER BY u.id) INTO v_ids, v_matched
          FROM auth.users u JOIN unnest(v_valid, v_valid_at) AS v(email, at) ON lower(u.email) = v.email;
    ELSE
        -- (locked by the owner of auth.users; those still there are the users)
        v_ids := auth_sync._lock_auth_users(
            ARRAY(SELECT u.id FROM auth.users u JOIN unnest(v_valid) AS v(email) ON lower(u.email) = v.email));
        SELECT array_agg(u.id ORDER BY u.id), array_agg(v.at ORDER BY u.id) INTO v_ids, v_matched
          FROM unnest(v_ids) AS l(id)
          JOIN auth.users u ON u.id = l.id
          JOIN unnest(v_valid, v_valid_at) AS v(email, at) ON lower(u.email) = v.email;
    END IF;
    -- (one row per user in the order of v_ids, then the totals)
    SELECT array_agg(d.removed ORDER BY d.ord) FILTER (WHERE d.user_id IS NOT NULL),
           (array_agg(d.removed) FILTER (WHERE d.user_id IS NULL))[1]
      INTO v_removed, v_totals
      FROM auth_sync._delete_users(coalesce(v_ids, '{}'), v_dry, v_soft) WITH ORDINALITY AS d(user_id, removed, ord);

    RETURN QUERY
        SELECT c.norm, m.id,
               coalesce(c.status, CASE WHEN m.id IS NULL THEN 'not_found' END,
                        auth_sync._removal_status(v_dry, v_soft)),
               coalesce(m.removed, '{}')
          FROM unnest(v_input, v_status) WITH ORDINALITY AS c(norm, status, ord)
          LEFT JOIN unnest(v_ids, v_matched, v_removed) AS m(id, at, removed) ON m.at = c.ord
         ORDER BY c.ord, m.id;

    PERFORM auth_sync._audit('bulk_delete_users',
        jsonb_build_object('emails', cardinality(v_input), 'dry_run', v_dry, 'soft', v_soft),
        jsonb_build_object(
            'users', coalesce(cardinality(v_ids), 0),
            'not_found', coalesce(cardinality(v_valid), 0) - (SELECT count(DISTINCT e) FROM unnest(v_matched) AS e),
            'invalid_email', (SELECT count(*) FROM unnest(v_status) AS x WHERE x = 'invalid_email'),
            'duplicate_in_list', (SELECT count(*) FROM unnest(v_status) AS x WHERE x = 'duplicate_in_list'),
            'rows', v_totals));
END
$$;
COMMENT ON FUNCTION auth_sync.bulk_delete_users(text[], boolean, boolean) IS
    'Deletes the users with these emails (trimmed, case-insensitive) and their rows in every registered table, owned tables first; one report row per entry. soft: the Auth server''s soft delete. dry_run: counts, writes nothing.';

CREATE FUNCTION auth_sync.bulk_delete_import(batch_id uuid, dry_run boolean DEFAULT false)
RETURNS TABLE (email text, user_id uuid, status text, removed jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- (the per-user reports of 100,000 users are hashed and sorted in memory, not in batches on disk;
-- and these one-off statements would spend more on JIT compilation than they save)
SET work_mem = '128MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_dry     boolean := coalesce(bulk_delete_import.dry_run, false);
    v_created uuid[];
    v_emails  text[];
    v_ids     uuid[];
    v_rids    uuid[];
    v_removed jsonb[];
    v_totals  jsonb;
BEGIN
    IF NOT EXISTS (SELECT FROM auth_sync.import_batches b WHERE b.id = bulk_delete_import.batch_id) THEN
        RAISE EXCEPTION 'no import batch %', coalesce(bulk_delete_import.batch_id::text, 'NULL')
            USING ERRCODE = 'no_data_found',
                  HINT = 'The batch_id column of bulk_create_users() and auth_sync.import_batches name the batches.';
    END IF;
    PERFORM auth_sync._require_registered_rights(CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, DELETE' END);
    PERFORM pg_advisory_xact_lock_shared(hashtext('auth_sync.sync_profiles'));
    -- the users this batch created (not those it updated or skipped)
    SELECT array_agg(r.user_id ORDER BY r.line_number), array_agg(r.email ORDER BY r.line_number)
      INTO v_created, v_emails
      FROM auth_sync.import_rows r
     WHERE r.batch_id = bulk_delete_import.batch_id AND r.status = 'created' AND r.user_id IS NOT NULL;
    IF v_dry THEN
        SELECT array_agg(u.id ORDER BY u.id) INTO v_ids FROM auth.users u WHERE u.id = ANY (v_created);
    ELSE
        v_ids := nullif(auth_sync._lock_auth_users(v_created), '{}');
    END IF;
    SELECT array_agg(d.user_id) FILTER (WHERE d.user_id IS NOT NULL),
           array_agg(d.removed) FILTER (WHERE d.user_id IS NOT NULL),
           (array_agg(d.removed) FILTER (WHERE d.user_id IS NULL))[1]
      INTO v_rids, v_removed, v_totals
      FROM auth_sync._delete_users(coalesce(v_ids, '{}'), v_dry, false) AS d;

    RETURN QUERY
        SELECT c.email, c.id,
               CASE WHEN r.id IS NOT NULL THEN auth_sync._removal_status(v_dry, false) ELSE 'not_found' END,
               coalesce(r.removed, '{}')
          FROM unnest(v_created, v_emails) WITH ORDINALITY AS c(id, email, ord)
          LEFT JOIN unnest(v_rids, v_removed) AS r(id, removed) ON r.id = c.id
         ORDER BY c.ord;
    PERFORM auth_sync._audit('bulk_delete_import',
        jsonb_build_object('batch_id', bulk_delete_import.batch_id, 'dry_run', v_dry),
        jsonb_build_object('created_by_batch', coalesce(cardinality(v_created), 0),
                           'users', coalesce(cardinality(v_ids), 0), 'rows', v_totals));
END
$$;
COMMENT ON FUNCTION auth_sync.bulk_delete_import(uuid, boolean) IS
    'Deletes the users one bulk_create_users() batch created (not those it updated or skipped), with their rows in every registered table.';

-- ---------------------------------------------------------------------------------------------
-- The delete trigger: a user deleted any other way (the Auth API, SQL) leaves no row behind in a
-- registered table whose foreign key does not cascade (or that has none).
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.cleanup_deleted_users() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s         record;
    v_n       bigint;
    v_removed jsonb := '{}';
    v_state   text;
    v_msg     text;
    v_ids     uuid[];
BEGIN
    FOR s IN SELECT * FROM auth_sync._removal_order('supabase') AS o WHERE NOT o.cascades ORDER BY o.pos LOOP
        BEGIN
            -- (as the table's owner, which cannot see this trigger's transition table: the ids go
            -- as an array)
            v_ids := coalesce(v_ids, (SELECT array_agg(g.id) FROM auth_sync_deleted_users AS g));
            v_n := (auth_sync._as_owner(s.target,
                        format('WITH d AS (DELETE FROM %s AS t WHERE t.%I = ANY ($1) RETURNING 1) SELECT to_jsonb(count(*)) FROM d',
                               s.target, s.user_column),
                        v_ids) #>> '{}')::bigint;
            IF v_n > 0 THEN
                v_removed := v_removed || jsonb_build_object(s.target::text, v_n);
            END IF;
        EXCEPTION WHEN OTHERS THEN
            IF auth_sync._strict_triggers() THEN
                RAISE;
            END IF;
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
            PERFORM auth_sync._record_failure(g.id::text, s.target::text, 'cleanup_deleted', v_state, v_msg)
               FROM auth_sync_deleted_users AS g;
        END;
    END LOOP;
    IF v_removed <> '{}' THEN
        PERFORM auth_sync._audit('auth_users_deleted',
            jsonb_build_object('users', (SELECT count(*) FROM auth_sync_deleted_users)), v_removed);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth_sync.cleanup_deleted_users() IS
    'Trigger on auth.users (AFTER DELETE, per statement): removes the deleted users'' rows from registered tables whose foreign key does not cascade.';
