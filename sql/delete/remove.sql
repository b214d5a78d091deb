-- Removing users completely: what every path that removes users shares (the bulk deletes and the
-- delete trigger: sql/delete/bulk.sql; delete_my_account(): sql/delete/account.sql; the repairs:
-- sql/sync/repairs.sql).
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

