-- Reconciliation for the webhooks that were missed: analyze_external() and reconcile_external(),
-- guarded against a wipe by an empty or suspicious list of known ids.

-- The users a provider has now: known_ids when given, else the live mirrored users. With p_as_of
-- (when known_ids was taken), known_ids plus the live mirrored users created or updated at the
-- provider after it: a list is a snapshot, and a user who signed up since is not gone.
CREATE FUNCTION auth_sync._known_external(p_provider text, p_known text[], p_as_of timestamptz DEFAULT NULL)
RETURNS TABLE (id text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT k FROM unnest(p_known) AS k WHERE p_known IS NOT NULL AND k IS NOT NULL
    UNION ALL
    SELECT e.external_id FROM auth_sync.external_users e
     WHERE e.provider = p_provider AND e.deleted_at IS NULL
       AND (p_known IS NULL
            OR p_as_of IS NOT NULL AND (e.created_at > p_as_of
                                        OR e.source_updated_at > (extract(epoch FROM p_as_of) * 1000)::bigint))
$$;

CREATE FUNCTION auth_sync.analyze_external(provider text, known_ids text[] DEFAULT NULL)
RETURNS TABLE (category text, user_id text, table_name text, row_count bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- (the rows per user of every table are hashed in memory)
SET work_mem = '128MB'
AS $$
#variable_conflict use_column
DECLARE
    s record;
BEGIN
    PERFORM auth_sync._check_provider(analyze_external.provider);
    FOR s IN SELECT * FROM auth_sync._removal_order(analyze_external.provider) AS o ORDER BY o.target::text LOOP
        RETURN QUERY EXECUTE format(
            $q$WITH rows_per_user AS (SELECT t.%1$I::text AS uid, count(*) AS n FROM %2$s AS t GROUP BY 1),
                    known AS (SELECT k.id FROM auth_sync._known_external($1, $2) AS k)
               SELECT CASE WHEN k.id IS NULL THEN 'orphaned'
                           WHEN r.n IS NULL THEN 'missing_profile'
                           WHEN r.n > 1 AND %3$L = 'profile' THEN 'duplicate'
                           ELSE 'synced' END,
                      coalesce(k.id, r.uid), %4$L::text, coalesce(r.n, 0)
                 FROM rows_per_user AS r
                 FULL JOIN known AS k ON k.id = r.uid
                WHERE %3$L = 'profile' OR r.uid IS NOT NULL
                ORDER BY 1, 2$q$,
            s.user_column, s.target, s.kind, s.target::text)
        USING analyze_external.provider, analyze_external.known_ids;
    END LOOP;
    -- ids the provider reports that no webhook ever described
    RETURN QUERY
        SELECT 'provider_only', k, NULL::text, 0::bigint
          FROM unnest(analyze_external.known_ids) AS k
         WHERE k IS NOT NULL
           AND NOT EXISTS (SELECT FROM auth_sync.external_users e
                            WHERE e.provider = analyze_external.provider AND e.external_id = k AND e.deleted_at IS NULL)
         ORDER BY 2;
END
$$;
COMMENT ON FUNCTION auth_sync.analyze_external(text, text[]) IS
    'Compares a provider''s users (known_ids, else the webhook mirror) with the tables registered for it: synced, missing_profile, duplicate, orphaned, provider_only.';

CREATE FUNCTION auth_sync.reconcile_external(provider text, known_ids text[] DEFAULT NULL, dry_run boolean DEFAULT false,
                                             force boolean DEFAULT false, as_of timestamptz DEFAULT now())
RETURNS TABLE (action text, user_id text, table_name text, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '128MB'
AS $$
#variable_conflict use_column
DECLARE
    v_dry   boolean := coalesce(reconcile_external.dry_run, false);
    v_force boolean := coalesce(reconcile_external.force, false);
    v_as_of timestamptz := coalesce(reconcile_external.as_of, now());
    v_p     text := reconcile_external.provider;
    v_known text[];
    v_live  bigint;
    v_gone  bigint;
    -- the largest share of the live mirrored users one call marks deleted without force => true
    -- (a list that would delete more is more likely a failed or partial fetch than that many
    -- users leaving at once)
    c_max_share constant numeric := 0.10;
    s       record;
BEGIN
    PERFORM auth_sync._check_provider(v_p);
    -- the caller could read and delete these rows itself
    PERFORM auth_sync._require_table_rights(o.target, CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, INSERT, UPDATE, DELETE' END)
       FROM auth_sync._removal_order(v_p) AS o;
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.reconcile_external:' || v_p));
    -- 1. with the provider's full list: mirrored users it no longer has are deleted, except those
    --    created or updated at the provider after the list was taken (as_of)
    IF reconcile_external.known_ids IS NOT NULL THEN
        v_known := ARRAY(SELECT k.id FROM auth_sync._known_external(v_p, reconcile_external.known_ids, v_as_of) AS k);
        SELECT count(*), count(*) FILTER (WHERE NOT (e.external_id = ANY (v_known))) INTO v_live, v_gone
          FROM auth_sync.external_users e WHERE e.provider = v_p AND e.deleted_at IS NULL;
        -- an empty list, or one that would delete more than the share: refused unless forced
        -- (a dry run only reports)
        IF v_gone > 0 AND NOT v_force AND NOT v_dry THEN
            IF NOT EXISTS (SELECT FROM unnest(reconcile_external.known_ids) AS k WHERE k IS NOT NULL) THEN
                RAISE EXCEPTION 'reconcile_external(%): known_ids is empty, but % mirrored user(s) are live; nothing was changed',
                        v_p, v_gone
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'An empty list is more often a failed fetch than a provider without users. If the provider really has none, call again with force => true.';
            ELSIF v_gone > v_live * c_max_share THEN
                RAISE EXCEPTION 'reconcile_external(%): known_ids would mark % of the % live mirrored users deleted (more than %); nothing was changed',
                        v_p, v_gone, v_live, round(c_max_share * 100) || '%'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Check that known_ids is the provider''s complete list (every page); see dry_run => true. If so many users really left, call again with force => true.';
            END IF;
        END IF;
        RETURN QUERY
            WITH gone AS (
                SELECT e.external_id FROM auth_sync.external_users e
                 WHERE e.provider = v_p AND e.deleted_at IS NULL AND NOT (e.external_id = ANY (v_known))),
            marked AS (
                UPDATE auth_sync.external_users e SET deleted_at = pg_catalog.now(), updated_at = pg_catalog.now()
                  FROM gone WHERE NOT v_dry AND e.provider = v_p AND e.external_id = gone.external_id
                RETURNING e.external_id)
            SELECT CASE WHEN v_dry THEN 'would_mark_deleted' ELSE 'marked_deleted' END, g.external_id,
                   'auth_sync.external_users', 1::bigint
              FROM gone AS g ORDER BY 2;
    END IF;
    -- 2. missing profile rows (and stale mapped columns) of the users the mirror describes
    RETURN QUERY
        SELECT a.action, u, a.table_name, 1::bigint
          FROM auth_sync._external_apply_profiles(v_p,
                   (SELECT array_agg(k.id) FROM auth_sync._known_external(v_p, reconcile_external.known_ids, v_as_of) AS k), v_dry) AS a,
               unnest(a.user_ids) AS u
         ORDER BY 1, 3, 2;
    -- 3. orphans: rows of users the provider does not have (or NULL); 4. duplicates: keep the oldest
    --    (the repairs' own helpers, table by table in removal order)
    FOR s IN SELECT o.*, m.user_unique FROM auth_sync._removal_order(v_p) AS o
               JOIN auth_sync.managed_tables m ON m.target = o.target ORDER BY o.pos LOOP
        RETURN QUERY
            SELECT CASE WHEN v_dry THEN 'would_remove_orphans' ELSE 'removed_orphans' END, x.user_id,
                   s.target::text, x.row_count
              FROM auth_sync._table_orphans(s.target, s.user_column, s.kind,
                       format('EXISTS (SELECT FROM auth_sync._known_external(%L, %L::text[], %L::timestamptz) AS k WHERE k.id = t.%I)',
                              v_p, reconcile_external.known_ids, v_as_of, s.user_column),
                       v_dry) AS x;
        CONTINUE WHEN s.kind <> 'profile' OR s.user_unique;
        RETURN QUERY
            SELECT CASE WHEN v_dry THEN 'would_remove_duplicates' ELSE 'removed_duplicates' END, x.user_id,
                   s.target::text, count(*)
              FROM auth_sync._table_duplicates(s.target, s.user_column, v_dry) AS x
             GROUP BY x.user_id ORDER BY x.user_id;
    END LOOP;
    -- 5. ids the provider reports that no webhook described: nothing to build their rows from
    RETURN QUERY
        SELECT 'skipped_provider_only', k, NULL::text, 0::bigint
          FROM unnest(reconcile_external.known_ids) AS k
         WHERE k IS NOT NULL
           AND NOT EXISTS (SELECT FROM auth_sync.external_users e
                            WHERE e.provider = v_p AND e.external_id = k AND e.deleted_at IS NULL)
         ORDER BY 2;
    PERFORM auth_sync._audit('reconcile_external',
        jsonb_build_object('provider', v_p, 'known_ids', cardinality(reconcile_external.known_ids), 'dry_run', v_dry,
                           'force', v_force, 'as_of', v_as_of),
        jsonb_strip_nulls(jsonb_build_object('mirrored_live', v_live, 'not_in_known_ids', v_gone)));
END
$$;
COMMENT ON FUNCTION auth_sync.reconcile_external(text, text[], boolean, boolean, timestamptz) IS
    'For missed webhooks: creates missing profile rows, removes orphans and fixes duplicates in the tables registered for a provider, in one transaction (dry_run: reports). known_ids is the provider''s full list of user ids as of as_of (users created or updated after it are kept); NULL uses the webhook mirror. An empty list, or one that would mark more than 10% of the mirrored users deleted, is refused (22023) unless force => true.';
