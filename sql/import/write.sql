-- The writes of one chunk of an import: users, identities and profile rows, set-based, each as
-- the owner of the table it writes.

-- Writes the pending rows k in [p_lo, p_hi] of the import: new users (status 'created') and
-- their identities in one statement, as the owner of auth.users; their profile rows, table by
-- table, as each table's owner; and for on_conflict => 'update' the existing users (status
-- 'updated'). The caller runs it per chunk, and per row only to find a row that fails.
CREATE FUNCTION auth_sync._import_write(p_lo int, p_hi int) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       record;
    v_pcols text;
    v_pvals text;
    v_set   text;
    v_keys  text[];
    v_src   auth_sync.user_source[];
    v_srcf  auth_sync.user_source[];
BEGIN
    -- the profile columns the file sets in this chunk (one pass over the chunk)
    SELECT coalesce(array_agg(DISTINCT pk.key), '{}') INTO v_keys
      FROM pg_temp.auth_sync_import t, jsonb_object_keys(t.profile_values) AS pk(key)
     WHERE t.k BETWEEN p_lo AND p_hi AND t.status IN ('created', 'updated') AND t.profile_values IS NOT NULL;

    PERFORM auth_sync._as_owner('auth.users'::regclass, format(
        $w$WITH r AS (
            INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
                                    phone, confirmation_token, recovery_token, email_change_token_new, email_change,
                                    is_sso_user, is_anonymous)
            SELECT %L::uuid, t.user_id, 'authenticated', 'authenticated', t.email,
                   coalesce(t.password_hash, ''),
                   CASE WHEN t.email_confirmed THEN now() END,
                   t.app_metadata || '{"provider": "email", "providers": ["email"]}'::jsonb,
                   t.user_metadata, NULL, coalesce(t.created_at, now()), now(),
                   t.phone, '', '', '', '', false, false
              FROM pg_temp.auth_sync_import t
             WHERE t.k BETWEEN $1[1] AND $1[2] AND t.status = 'created'
             ORDER BY t.k  -- (in id order: see the temp table)
            RETURNING id, email, email_confirmed_at
        ), i AS (
            INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
            SELECT r.id::text, r.id,
                   jsonb_build_object('sub', r.id::text, 'email', r.email,
                                      'email_verified', r.email_confirmed_at IS NOT NULL, 'phone_verified', false),
                   'email', NULL, now(), now()
              FROM r
        )
        SELECT NULL::jsonb FROM r LIMIT 1$w$, auth_sync._instance_id()),
        ARRAY[p_lo, p_hi]);

    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        IF s.uses_fields AND v_srcf IS NULL THEN
            v_srcf := auth_sync._import_sources(p_lo, p_hi, 'created', true);
        ELSIF NOT s.uses_fields AND v_src IS NULL THEN
            v_src := auth_sync._import_sources(p_lo, p_hi, 'created', false);
        END IF;
        CONTINUE WHEN cardinality(CASE WHEN s.uses_fields THEN v_srcf ELSE v_src END) = 0;
        -- the file's columns for this table (a column both mapped and in the file: the file wins)
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
               string_agg(format('v.%I', a.attname), ', ' ORDER BY a.attnum)
          INTO v_pcols, v_pvals
          FROM pg_attribute a
         WHERE a.attrelid = s.target AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
           AND a.attname <> s.user_column AND a.attname = ANY (v_keys);
        -- (no ON CONFLICT: the users are new, so no row can exist for them, and a speculative
        -- insertion costs a fifth more per row; a stray row with a new user's id fails the chunk,
        -- and the row-by-row pass reports that user profile_rejected)
        PERFORM auth_sync._as_owner(s.target,
            format('INSERT INTO %1$s (%2$s) SELECT %3$s FROM unnest($1) AS r%4$s%5$s',
                   s.target, concat_ws(', ', s.cols, v_pcols), concat_ws(', ', s.vals, v_pvals),
                   CASE WHEN v_pcols IS NULL THEN ''
                        ELSE format(' CROSS JOIN LATERAL jsonb_populate_record(NULL::%s, r.extra) AS v', s.target) END,
                   CASE WHEN s.user_unique THEN ''
                        ELSE format(' WHERE NOT EXISTS (SELECT FROM %s AS e WHERE e.%I = r.id)', s.target, s.user_column) END),
            CASE WHEN s.uses_fields THEN v_srcf ELSE v_src END);
    END LOOP;

    IF NOT EXISTS (SELECT FROM pg_temp.auth_sync_import t WHERE t.k BETWEEN p_lo AND p_hi AND t.status = 'updated') THEN
        RETURN;
    END IF;
    PERFORM auth_sync._as_owner('auth.users'::regclass,
        $w$UPDATE auth.users u
       SET encrypted_password = CASE WHEN t.has_password THEN coalesce(t.password_hash, '') ELSE u.encrypted_password END,
           raw_user_meta_data = coalesce(u.raw_user_meta_data, '{}') || t.user_metadata,
           raw_app_meta_data  = coalesce(u.raw_app_meta_data, '{}') || t.app_metadata,
           phone              = coalesce(t.phone, u.phone),
           email_confirmed_at = CASE WHEN t.email_confirmed THEN coalesce(u.email_confirmed_at, now())
                                     ELSE u.email_confirmed_at END,
           updated_at         = now()
      FROM pg_temp.auth_sync_import t
     WHERE t.k BETWEEN $1[1] AND $1[2] AND t.status = 'updated' AND u.id = t.user_id$w$,
        ARRAY[p_lo, p_hi]);
    v_srcf := auth_sync._import_sources(p_lo, p_hi, 'updated', true);
    FOR s IN SELECT p.* FROM auth_sync._profile_tables() AS tt, auth_sync._profile_sql(tt) AS p LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
               string_agg(format('v.%I', a.attname), ', ' ORDER BY a.attnum),
               string_agg(format('%1$I = CASE WHEN r.extra ? %2$L THEN v.%1$I ELSE p.%1$I END', a.attname, a.attname), ', ' ORDER BY a.attnum)
          INTO v_pcols, v_pvals, v_set
          FROM pg_attribute a
         WHERE a.attrelid = s.target AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
           AND a.attname <> s.user_column AND a.attname = ANY (v_keys);
        -- updated users without a row get one
        PERFORM auth_sync._as_owner(s.target,
            format('INSERT INTO %1$s AS p (%2$s)
                    SELECT %3$s FROM unnest($1) AS r
                     CROSS JOIN LATERAL jsonb_populate_record(NULL::%1$s, r.extra) AS v
                     WHERE NOT EXISTS (SELECT FROM %1$s AS e WHERE e.%4$I = r.id)
                    ON CONFLICT DO NOTHING',
                   s.target, concat_ws(', ', s.cols, v_pcols), concat_ws(', ', s.vals, v_pvals), s.user_column),
            v_srcf);
        -- and the others: the mapped columns refreshed, the file's profile columns set
        IF s.set_list IS NOT NULL OR v_set IS NOT NULL THEN
            PERFORM auth_sync._as_owner(s.target,
                format('UPDATE %1$s AS p SET %2$s
                          FROM unnest($1) AS r
                         CROSS JOIN LATERAL jsonb_populate_record(NULL::%1$s, r.extra) AS v
                         WHERE p.%3$I = r.id',
                       s.target, concat_ws(', ', s.set_list, v_set), s.user_column),
                v_srcf);
        END IF;
    END LOOP;
END
$$;
