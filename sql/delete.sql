-- Removing users completely: bulk deletes, the delete trigger on auth.users, orphans, duplicates,
-- full_sync, delete_my_account() and the owner policies.
--
-- Locking, so that deletes, sign-ups and repairs never deadlock or leave an orphan behind:
-- * the repairs (sync_profiles, cleanup_orphans, fix_duplicates, full_sync) hold the
--   transaction-level advisory lock 'auth_sync.sync_profiles' exclusively; the deletes hold it
--   shared. A repair therefore never creates a profile for a user a delete in flight removes.
-- * a delete locks its auth.users rows (FOR UPDATE, in id order) before it touches an app row, the
--   same order as an UPDATE of auth.users whose trigger refreshes a profile.

-- The registered tables of one source in the order their rows are removed: a table comes before
-- every registered table it references by foreign key (so RESTRICT and NO ACTION keys between
-- them never fire), owned tables before profile tables otherwise. cascades: the user column has a
-- foreign key to auth.users with ON DELETE CASCADE, so deleting the auth user removes the rows.
CREATE FUNCTION auth_sync._removal_order(p_source text DEFAULT 'supabase')
RETURNS TABLE (target regclass, user_column name, kind text, cascades boolean, pos int)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE t AS (
        SELECT m.target, m.user_column, m.kind
          FROM auth_sync.managed_tables m
          JOIN pg_class c ON c.oid = m.target::oid
         WHERE m.source = p_source
    ),
    -- referrer -> referenced, between registered tables
    e AS (
        SELECT DISTINCT con.conrelid AS referrer, con.confrelid AS referenced
          FROM pg_constraint con
         WHERE con.contype = 'f' AND con.conrelid <> con.confrelid
           AND con.conrelid IN (SELECT t.target::oid FROM t)
           AND con.confrelid IN (SELECT t.target::oid FROM t)
    ),
    -- depth: the longest chain of registered tables that reference this one (a cycle stops at 16)
    d (rel, depth) AS (
        SELECT t.target::oid, 0 FROM t
        UNION ALL
        SELECT e.referenced, d.depth + 1 FROM d JOIN e ON e.referrer = d.rel WHERE d.depth < 16
    )
    SELECT t.target, t.user_column, t.kind,
           EXISTS (SELECT FROM pg_constraint con
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                    WHERE con.contype = 'f' AND con.conrelid = t.target::oid
                      AND con.confrelid = 'auth.users'::regclass AND cardinality(con.conkey) = 1
                      AND a.attname = t.user_column AND con.confdeltype = 'c'),
           (row_number() OVER (ORDER BY max(d.depth), t.kind = 'profile', t.target::text))::int
      FROM t JOIN d ON d.rel = t.target::oid
     GROUP BY t.target, t.user_column, t.kind
$$;

-- Removes (p_dry: only counts) the rows of every registered table of source p_source whose user
-- column is one of p_ids, table by table in removal order. One row per table that had rows: how
-- many rows each user of p_ids had there (0 for none; in the order of p_ids), and the total.
-- (The ids are joined, not matched with = ANY: a hash join beats probing an index 100,000 times,
-- and the planner estimates an unnest without reading every element.)
CREATE FUNCTION auth_sync._remove_user_rows(p_ids text[], p_dry boolean, p_source text DEFAULT 'supabase')
RETURNS TABLE (table_name text, counts bigint[], total bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s     record;
    v_sql text;
    v_res jsonb;
BEGIN
    FOR s IN SELECT * FROM auth_sync._removal_order(p_source) AS o ORDER BY o.pos LOOP
        -- (counting reads as auth_sync; deleting runs as the table's owner)
        v_sql := format(
            'WITH k AS MATERIALIZED (SELECT k.id::%3$s AS id, k.ord FROM unnest($1::text[]) WITH ORDINALITY AS k(id, ord)),
                  d AS (%4$s),
                  g AS (SELECT d.uid, count(*) AS n FROM d GROUP BY 1)
             SELECT jsonb_build_object(''c'', to_jsonb(array_agg(coalesce(g.n, 0) ORDER BY k.ord)), ''t'', sum(g.n)::bigint)
               FROM k LEFT JOIN g ON g.uid = k.id
             HAVING sum(g.n) > 0',
            s.user_column, s.target,
            CASE WHEN p_source = 'supabase' THEN 'uuid' ELSE 'text' END,
            format(CASE WHEN p_dry THEN 'SELECT t.%1$I AS uid FROM %2$s AS t JOIN k ON t.%1$I = k.id'
                        ELSE 'DELETE FROM %2$s AS t USING k WHERE t.%1$I = k.id RETURNING t.%1$I AS uid' END,
                   s.user_column, s.target));
        IF p_dry THEN
            EXECUTE v_sql INTO v_res USING p_ids;
        ELSE
            v_res := auth_sync._as_owner(s.target, v_sql, p_ids);
        END IF;
        CONTINUE WHEN v_res IS NULL;
        table_name := s.target::text;
        counts := ARRAY(SELECT e::bigint FROM jsonb_array_elements_text(v_res -> 'c') AS e);
        total := (v_res ->> 't')::bigint;
        RETURN NEXT;
    END LOOP;
END
$$;

-- Runs p_sql (whose $1 is the uuid[] p_ids) as the owner of auth table p_table, when the table
-- exists (not every auth schema version has all of them).
CREATE FUNCTION auth_sync._auth_write(p_table text, p_sql text, p_ids uuid[]) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass(p_table) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN auth_sync._as_owner(to_regclass(p_table), p_sql, p_ids);
END
$$;

-- What the Auth server's soft delete does to a user (see the Auth server's SoftDeleteUser): the
-- row stays with deleted_at set; email, phone and the pending changes become hashes of the user
-- id and the value (so the address is free again and unreadable); password and tokens cleared;
-- both metadata objects emptied; identities emptied and their provider ids hashed; sessions,
-- refresh tokens, MFA factors and one-time tokens removed. (The hash, auth_sync._obfuscated(), is
-- written out in the statements: they run as the auth tables' owner, which does not call
-- auth_sync's functions.)
CREATE FUNCTION auth_sync._soft_delete_auth_users(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_hash constant text := $h$translate(encode(sha256(convert_to(%s::text || %s, 'UTF8')), 'base64'), E'+/=\n', '-_')$h$;
BEGIN
    PERFORM auth_sync._auth_write('auth.users', format(
        $u$UPDATE auth.users u
              SET email = %s, phone = left(%s, 15), email_change = %s, phone_change = left(%s, 15),
                  encrypted_password = '',
                  confirmation_token = '', recovery_token = '', email_change_token_current = '',
                  email_change_token_new = '', phone_change_token = '',
                  raw_user_meta_data = '{}', raw_app_meta_data = '{}',
                  deleted_at = now(), updated_at = now()
            WHERE u.id = ANY ($1)$u$,
        format(c_hash, 'u.id', $e$coalesce(u.email, '')$e$), format(c_hash, 'u.id', $e$coalesce(u.phone, '')$e$),
        format(c_hash, 'u.id', $e$coalesce(u.email_change, '')$e$), format(c_hash, 'u.id', $e$coalesce(u.phone_change, '')$e$)),
        p_ids);
    PERFORM auth_sync._auth_write('auth.identities', format(
        $u$UPDATE auth.identities i
              SET identity_data = '{}', provider_id = %s, updated_at = now()
            WHERE i.user_id = ANY ($1)$u$,
        format(c_hash, 'i.user_id', $e$(i.provider || ':' || i.provider_id)$e$)),
        p_ids);
    PERFORM auth_sync._sign_out(p_ids);
    PERFORM auth_sync._auth_write('auth.mfa_factors', 'DELETE FROM auth.mfa_factors f WHERE f.user_id = ANY ($1)', p_ids);
    PERFORM auth_sync._auth_write('auth.one_time_tokens', 'DELETE FROM auth.one_time_tokens o WHERE o.user_id = ANY ($1)', p_ids);
END
$$;

-- Signs users out everywhere, as the Auth server's logout does: their sessions and refresh tokens
-- removed. One row per user who had sessions, with how many.
CREATE FUNCTION auth_sync._sign_out(p_ids uuid[]) RETURNS TABLE (user_id uuid, sessions bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM auth_sync._auth_write('auth.refresh_tokens',
        'DELETE FROM auth.refresh_tokens r WHERE r.user_id = ANY ($1::text[])', p_ids);
    RETURN QUERY
        SELECT (e ->> 0)::uuid, (e ->> 1)::bigint
          FROM jsonb_array_elements(coalesce(auth_sync._auth_write('auth.sessions',
                   'WITH s AS (DELETE FROM auth.sessions s WHERE s.user_id = ANY ($1) RETURNING s.user_id)
                    SELECT jsonb_agg(jsonb_build_array(x.user_id, x.n)) FROM (SELECT s.user_id, count(*) AS n FROM s GROUP BY 1) AS x',
                   p_ids), '[]')) AS e;
END
$$;

-- Locks the auth users p_ids FOR UPDATE in id order, as the owner of auth.users (locking a row is
-- a write privilege auth_sync_definer does not have); returns those that exist, in id order.
CREATE FUNCTION auth_sync._lock_auth_users(p_ids uuid[]) RETURNS uuid[]
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(ARRAY(SELECT jsonb_array_elements_text(
               auth_sync._as_owner('auth.users'::regclass,
                   'SELECT jsonb_agg(l.id ORDER BY l.id)
                      FROM (SELECT u.id FROM auth.users u JOIN unnest($1) AS k(id) ON u.id = k.id
                             ORDER BY u.id FOR UPDATE OF u) AS l',
                   coalesce(p_ids, '{}')))::uuid), '{}')
$$;

-- base64url (no padding) of sha256(id || value): the Auth server's obfuscation of a soft-deleted
-- user's email, phone and provider ids.
CREATE FUNCTION auth_sync._obfuscated(p_id uuid, p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT translate(encode(sha256(convert_to(p_id::text || p_value, 'UTF8')), 'base64'), E'+/=\n', '-_')
$$;

-- Removes p_ids (locked by the caller) completely: their rows in every registered table, then the
-- auth users (hard delete: the auth schema's cascades take identities, sessions and the rest;
-- p_soft: the Auth server's soft delete). p_dry counts instead. One row per user id with the rows
-- removed per table ({"public.tasks": 3, "auth.users": 1}; tables without rows left out), then
-- one row with user_id NULL: the totals per table.
-- (Results travel in arrays and meet in hash joins: a jsonb map keyed by user id, or subscripts
-- into an array variable, cost a copy per lookup, quadratic over 100,000 users.)
CREATE FUNCTION auth_sync._delete_users(p_ids uuid[], p_dry boolean, p_soft boolean)
RETURNS TABLE (user_id uuid, removed jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tables text[];
    v_counts bigint[];  -- [table][user]: rows removed, in the order of v_tables and p_ids
    v_totals jsonb;
    v_auth   jsonb := CASE WHEN p_soft THEN '{}' ELSE '{"auth.users": 1}' END;
BEGIN
    SELECT array_agg(r.table_name ORDER BY r.ord), array_agg(r.counts ORDER BY r.ord),
           coalesce(jsonb_object_agg(r.table_name, r.total), '{}')
      INTO v_tables, v_counts, v_totals
      FROM auth_sync._remove_user_rows(p_ids::text[], p_dry) WITH ORDINALITY AS r(table_name, counts, total, ord);
    IF NOT p_dry THEN
        IF p_soft THEN
            PERFORM auth_sync._soft_delete_auth_users(p_ids);
        ELSE
            -- (the delete trigger stands aside: the rows it would look for are gone already)
            -- the users' identities and sessions set-based first: the cascade from auth.users then
            -- probes per user and finds nothing, which costs less than deleting per user
            -- (each as its table's owner)
            PERFORM auth_sync._auth_write('auth.identities',
                'DELETE FROM auth.identities i USING unnest($1) AS k(id) WHERE i.user_id = k.id', p_ids);
            PERFORM auth_sync._auth_write('auth.sessions',
                'DELETE FROM auth.sessions x USING unnest($1) AS k(id) WHERE x.user_id = k.id', p_ids);
            PERFORM auth_sync._set_internal('auth_sync.bulk_delete', 'on');
            PERFORM auth_sync._auth_write('auth.users',
                'DELETE FROM auth.users u USING unnest($1) AS k(id) WHERE u.id = k.id', p_ids);
            PERFORM auth_sync._set_internal('auth_sync.bulk_delete', 'off');
        END IF;
    END IF;
    -- one object per user from the counts, tables without rows left out (the counts array has
    -- no NULLs, so reading element [t][i] costs the same for every i)
    RETURN QUERY EXECUTE format(
        'SELECT x.id, jsonb_strip_nulls(jsonb_build_object(%s)) || $3
           FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord)',
        coalesce((SELECT string_agg(format('%L, nullif($2[%s][x.ord], 0)', t.name, t.n), ', ' ORDER BY t.n)
                    FROM unnest(v_tables) WITH ORDINALITY AS t(name, n)), ''))
        USING p_ids, v_counts, v_auth;
    RETURN QUERY SELECT NULL::uuid,
                        v_totals || CASE WHEN p_soft THEN '{}' ELSE jsonb_build_object('auth.users', cardinality(p_ids)) END;
END
$$;

-- The removal statuses a report row ends in, by mode.
CREATE FUNCTION auth_sync._removal_status(p_dry boolean, p_soft boolean) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_dry THEN 'would_delete' WHEN p_soft THEN 'soft_deleted' ELSE 'deleted' END
$$;

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

-- ---------------------------------------------------------------------------------------------
-- Orphans and duplicates
-- ---------------------------------------------------------------------------------------------

-- The condition for an orphaned row of a registered supabase table (alias t): its user is gone
-- or soft-deleted. A profile row without a user (NULL) is an orphan too; an owned row with a NULL
-- user column is the app's business (a task nobody is assigned to) and is left alone.
CREATE FUNCTION auth_sync._orphan_condition(p_user_column name, p_kind text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('%s NOT EXISTS (SELECT FROM auth.users AS u WHERE u.id = t.%I AND u.deleted_at IS NULL)',
                  CASE WHEN p_kind = 'profile' THEN '' ELSE format('t.%I IS NOT NULL AND', p_user_column) END,
                  p_user_column)
$$;

-- Finds (p_dry) or removes the orphaned rows of every registered supabase table. (Finding reads
-- as auth_sync, which may read auth.users; removing runs as the table's owner, by user id.)
CREATE FUNCTION auth_sync._orphans(p_dry boolean)
RETURNS TABLE (table_name text, user_id text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s     record;
    v_ids uuid[];
    v_res jsonb;
BEGIN
    FOR s IN SELECT * FROM auth_sync._removal_order('supabase') AS o ORDER BY o.pos LOOP
        IF p_dry THEN
            RETURN QUERY EXECUTE format(
                'SELECT %1$L::text, t.%2$I::text, count(*) FROM %3$s AS t WHERE %4$s GROUP BY 2 ORDER BY 2',
                s.target::text, s.user_column, s.target, auth_sync._orphan_condition(s.user_column, s.kind));
            CONTINUE;
        END IF;
        EXECUTE format('SELECT array_agg(DISTINCT t.%1$I) FROM %2$s AS t WHERE %3$s AND t.%1$I IS NOT NULL',
                       s.user_column, s.target, auth_sync._orphan_condition(s.user_column, s.kind))
            INTO v_ids;
        v_res := auth_sync._as_owner(s.target, format(
            'WITH d AS (DELETE FROM %1$s AS t WHERE t.%2$I = ANY ($1)%3$s RETURNING t.%2$I)
             SELECT jsonb_agg(jsonb_build_array(x.u, x.n) ORDER BY x.u) FROM (SELECT d.%2$I::text AS u, count(*) AS n FROM d GROUP BY 1) AS x',
            s.target, s.user_column, CASE WHEN s.kind = 'profile' THEN format(' OR t.%I IS NULL', s.user_column) ELSE '' END),
            coalesce(v_ids, '{}'));
        RETURN QUERY SELECT s.target::text, e ->> 0, (e ->> 1)::bigint
                       FROM jsonb_array_elements(coalesce(v_res, '[]')) AS e;
    END LOOP;
END
$$;

-- Refuses (42501) unless the caller could do p_privileges on every registered supabase table
-- (p_profiles_only: every profile table) itself.
CREATE FUNCTION auth_sync._require_registered_rights(p_privileges text, p_profiles_only boolean DEFAULT false)
RETURNS void
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth_sync._require_table_rights(o.target, p_privileges)
      FROM auth_sync._removal_order('supabase') AS o
     WHERE NOT p_profiles_only OR o.kind = 'profile'
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

-- Finds (p_dry) or removes the rows beyond the first of one user in a registered supabase profile
-- table without a unique user column. One row per removed row, as JSON.
CREATE FUNCTION auth_sync._duplicates(p_dry boolean)
RETURNS TABLE (table_name text, user_id text, row_data jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s     record;
    v_sel text;
BEGIN
    FOR s IN SELECT * FROM auth_sync._removal_order('supabase') AS o
              JOIN auth_sync.managed_tables m ON m.target = o.target
             WHERE o.kind = 'profile' AND NOT m.user_unique ORDER BY o.pos LOOP
        v_sel := format('SELECT t.ctid AS row_ctid, row_number() OVER (PARTITION BY t.%1$I ORDER BY %2$s) AS n
                           FROM %3$s AS t WHERE t.%1$I IS NOT NULL',
                        s.user_column, auth_sync._keep_order(s.target), s.target);
        IF p_dry THEN
            RETURN QUERY EXECUTE format(
                'SELECT %1$L::text, t.%2$I::text, to_jsonb(t.*) FROM %3$s AS t
                  WHERE t.ctid = ANY (ARRAY(SELECT d.row_ctid FROM (%4$s) AS d WHERE d.n > 1))
                  ORDER BY 2, 3::text',
                s.target::text, s.user_column, s.target, v_sel);
        ELSE
            -- (the table's owner finds and removes them in one statement: no row moves between)
            RETURN QUERY
                SELECT s.target::text, e ->> 0, e -> 1
                  FROM jsonb_array_elements(coalesce(auth_sync._as_owner(s.target, format(
                    'WITH d AS (DELETE FROM %2$s AS t
                                 WHERE t.ctid = ANY (ARRAY(SELECT d.row_ctid FROM (%3$s) AS d WHERE d.n > 1))
                                RETURNING t.%1$I::text AS uid, to_jsonb(t.*) AS row_data)
                     SELECT jsonb_agg(jsonb_build_array(d.uid, d.row_data) ORDER BY d.uid, d.row_data::text) FROM d',
                    s.user_column, s.target, v_sel), 0), '[]')) AS e;
        END IF;
    END LOOP;
END
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

-- ---------------------------------------------------------------------------------------------
-- For signed-in users
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.delete_my_account() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sub     text := auth_sync._jwt_claims() ->> 'sub';
    v_id      uuid;
    v_banned  timestamptz;
    v_removed jsonb;
BEGIN
    IF v_sub IS NULL OR coalesce(auth_sync._jwt_claims() ->> 'role', '') = 'anon' THEN
        RAISE EXCEPTION 'delete_my_account() needs a signed-in user'
            USING ERRCODE = 'invalid_authorization_specification',
                  HINT = 'Call it with the user''s access token (the request''s JWT has no sub claim).';
    END IF;
    IF v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        -- a user of an outside provider (Clerk: sub is its user id): their rows in the tables
        -- registered for each provider, and the mirror marks them deleted; the provider's own
        -- account is the provider's to delete
        IF NOT EXISTS (SELECT FROM auth_sync.managed_tables m WHERE m.source <> 'supabase') THEN
            RAISE EXCEPTION 'delete_my_account(): the signed-in user is not a Supabase Auth user'
                USING ERRCODE = 'invalid_authorization_specification';
        END IF;
        SELECT coalesce(jsonb_object_agg(r.table_name, r.total), '{}') INTO v_removed
          FROM (SELECT DISTINCT m.source FROM auth_sync.managed_tables m WHERE m.source <> 'supabase') AS src,
               auth_sync._remove_user_rows(ARRAY[v_sub], false, src.source) AS r;
        -- (the outside providers' mirror marks them deleted: sql/webhook.sql)
        PERFORM auth_sync._raise_event('external_user_deleted', ARRAY[v_sub]);
        PERFORM auth_sync._audit('delete_my_account', '{}', v_removed);
        RETURN v_removed;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtext('auth_sync.sync_profiles'));
    PERFORM auth_sync._lock_auth_users(ARRAY[v_sub::uuid]);
    SELECT u.id, u.banned_until INTO v_id, v_banned
      FROM auth.users u WHERE u.id = v_sub::uuid AND u.deleted_at IS NULL;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'delete_my_account(): the signed-in user no longer exists'
            USING ERRCODE = 'no_data_found';
    END IF;
    -- a banned user (an offboarded employee whose access token has not expired yet) keeps no
    -- right to delete the account and the rows keyed to it
    IF v_banned > now() THEN
        RAISE EXCEPTION 'delete_my_account(): the signed-in user is banned'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A banned account cannot delete itself; an administrator can (auth_sync.bulk_delete_users).';
    END IF;
    SELECT d.removed INTO v_removed FROM auth_sync._delete_users(ARRAY[v_id], false, false) AS d WHERE d.user_id = v_id;
    PERFORM auth_sync._audit('delete_my_account', '{}', v_removed);
    RETURN v_removed;
END
$$;
COMMENT ON FUNCTION auth_sync.delete_my_account() IS
    'For the signed-in user (role authenticated): removes the caller''s rows in every registered table and the caller''s auth user; returns the rows removed per table.';

-- ---------------------------------------------------------------------------------------------
-- Row level security for a registered table
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.enable_owner_policies(target regclass)
RETURNS TABLE (policy_name text, command text, using_expression text, check_expression text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    m      record;
    v_own  text;
    v_cmd  text;
BEGIN
    SELECT * INTO m FROM auth_sync.managed_tables mt WHERE mt.target = enable_owner_policies.target;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not registered with auth_sync', coalesce(enable_owner_policies.target::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Register it first: SELECT auth_sync.register_table(...).';
    END IF;
    -- changing a table's security is its owner's: so must the caller be
    PERFORM auth_sync._require_table_rights(m.target, NULL);
    -- a Supabase user's id is auth.uid(); an outside provider's is the JWT's sub (text)
    v_own := format('%I = (SELECT %s)', m.user_column,
                    CASE WHEN m.source = 'supabase' THEN 'auth.uid()' ELSE 'auth.jwt() ->> ''sub''' END);
    PERFORM auth_sync._as_owner(m.target, format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', m.target), 0);
    FOREACH v_cmd IN ARRAY ARRAY['select', 'insert', 'update', 'delete'] LOOP
        IF EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = m.target AND p.polname = 'auth_sync_' || v_cmd || '_own') THEN
            PERFORM auth_sync._as_owner(m.target, format('DROP POLICY %I ON %s', 'auth_sync_' || v_cmd || '_own', m.target), 0);
        END IF;
        PERFORM auth_sync._as_owner(m.target, format('CREATE POLICY %I ON %s FOR %s TO authenticated %s',
                       'auth_sync_' || v_cmd || '_own', m.target, upper(v_cmd),
                       CASE v_cmd WHEN 'insert' THEN format('WITH CHECK (%s)', v_own)
                                  WHEN 'update' THEN format('USING (%s) WITH CHECK (%s)', v_own, v_own)
                                  ELSE format('USING (%s)', v_own) END), 0);
    END LOOP;
    PERFORM auth_sync._audit('enable_owner_policies', jsonb_build_object('target', m.target::text), '{}');
    RETURN QUERY
        SELECT p.polname::text,
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                             WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
          FROM pg_policy p
         WHERE p.polrelid = m.target AND p.polname LIKE 'auth\_sync\_%\_own'
         ORDER BY strpos('rawd', p.polcmd::text);
END
$$;
COMMENT ON FUNCTION auth_sync.enable_owner_policies(regclass) IS
    'Turns on row level security for a registered table with auth_sync_{select,insert,update,delete}_own policies: a signed-in user reaches only the rows whose user column is theirs. Safe to run again.';
