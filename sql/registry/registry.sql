-- Registered tables: register_table(), unregister_table() and the checks a table passes first. The
-- code generated from the registrations and the triggers on auth.users are in sql/auth_triggers/.

CREATE VIEW auth_sync.registered_tables AS
-- (a table dropped without unregistering shows as its OID)
SELECT CASE WHEN c.oid IS NULL THEN m.target::oid::text ELSE format('%I.%I', n.nspname, c.relname) END AS table_name,
       m.kind,
       m.source,
       m.user_column,
       m.column_map,
       m.user_unique                        AS user_column_unique,
       c.oid IS NOT NULL                    AS table_exists,
       m.registered_at,
       m.registered_by
  FROM auth_sync.managed_tables m
  LEFT JOIN pg_catalog.pg_class c ON c.oid = m.target::oid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 ORDER BY 1;
COMMENT ON VIEW auth_sync.registered_tables IS 'The tables auth_sync manages (register_table).';

-- The checks only a profile table needs: every sign-up writes it, so nothing in it may reject a
-- new user for a reason the user cannot change.
CREATE FUNCTION auth_sync._validate_profile_table(p_target regclass, p_user_column name, p_map jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_col name;
    v_idx record;
BEGIN
    -- a NOT NULL column nobody fills would reject every sign-up
    SELECT a.attname INTO v_col
      FROM pg_attribute a
     WHERE a.attrelid = p_target AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
       AND a.attname <> p_user_column AND NOT (p_map ? a.attname)
     ORDER BY a.attnum LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'column "%" of % is NOT NULL, has no default, and column_map does not fill it: every sign-up would fail',
                v_col, p_target
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Map it to a field, give it a default, or make it nullable.';
    END IF;

    -- a unique index that does not include the user column can reject a second user
    FOR v_idx IN
        SELECT i.indexrelid::regclass AS index_name, i.indnullsnotdistinct AS nnd,
               array_agg(a.attname ORDER BY a.attnum) AS cols,
               bool_or(a.attname = p_user_column) AS has_user,
               (array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE p_map ? a.attname))[1] AS mapped_col,
               (array_agg(a.attname ORDER BY a.attnum) FILTER (
                    WHERE NOT (p_map ? a.attname) AND a.attidentity = ''
                      AND ((d.adbin IS NOT NULL AND pg_get_expr(d.adbin, d.adrelid)
                              !~* '(nextval|gen_random_uuid|uuid_generate_v[1-7]|random)\(')
                           OR (d.adbin IS NULL AND i.indnullsnotdistinct))))[1] AS same_value_col
          FROM pg_index i
          -- the columns the index uses: its simple key columns, and those its expressions
          -- and predicate depend on
          CROSS JOIN LATERAL (
              SELECT k.attnum FROM unnest(i.indkey) AS k(attnum) WHERE k.attnum > 0
              UNION
              SELECT dep.refobjsubid FROM pg_depend dep
               WHERE dep.classid = 'pg_class'::regclass AND dep.objid = i.indexrelid
                 AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid = p_target
                 AND dep.refobjsubid > 0) AS used
          JOIN pg_attribute a ON a.attrelid = p_target AND a.attnum = used.attnum
          LEFT JOIN pg_attrdef d ON d.adrelid = p_target AND d.adnum = a.attnum
         WHERE i.indrelid = p_target AND i.indisunique
         GROUP BY i.indexrelid, i.indnullsnotdistinct
    LOOP
        CONTINUE WHEN v_idx.has_user;
        IF v_idx.mapped_col IS NOT NULL THEN
            RAISE EXCEPTION 'unique index % on % could reject a user: column "%" is filled from the auth user and two users can share its value',
                    v_idx.index_name, p_target, v_idx.mapped_col
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Include the user column "%s" in the index, or leave "%s" out of column_map.',
                                    p_user_column, v_idx.mapped_col);
        END IF;
        IF v_idx.same_value_col IS NOT NULL THEN
            RAISE EXCEPTION 'unique index % on % could reject a user: column "%" gets the same value for every new user',
                    v_idx.index_name, p_target, v_idx.same_value_col
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Include the user column "%s" in the index.', p_user_column);
        END IF;
    END LOOP;
END
$$;

-- Checks a table before it is registered, so that a problem shows now and not at a sign-up.
-- Returns whether the user column has a unique index of its own.
CREATE FUNCTION auth_sync._validate_table(p_target regclass, p_user_column name, p_kind text,
                                          p_map jsonb, p_source text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rel    record;
    v_uc     record;
    v_unique boolean;
BEGIN
    SELECT c.relkind, c.relpersistence, n.nspname INTO v_rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = p_target;
    IF v_rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', p_target USING ERRCODE = 'wrong_object_type';
    END IF;
    IF v_rel.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table', p_target USING ERRCODE = 'wrong_object_type';
    END IF;
    IF v_rel.nspname = ANY (auth_sync._internal_schemas()) THEN
        RAISE EXCEPTION 'auth_sync does not manage tables in schema %', v_rel.nspname
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Register your application''s own tables (for example in schema public).';
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('profile', 'owned') THEN
        RAISE EXCEPTION 'kind must be ''profile'' or ''owned'', not %', coalesce(quote_literal(p_kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_source IS NULL OR p_source !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'source must be ''supabase'' or the lower-case name of an identity provider (like ''clerk''), not %',
                coalesce(quote_literal(p_source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT a.attnum, a.atttypid, a.atttypmod INTO v_uc
      FROM pg_attribute a
     WHERE a.attrelid = p_target AND a.attname = p_user_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user column "%" does not exist in %', p_user_column, p_target
            USING ERRCODE = 'undefined_column';
    END IF;
    IF p_source = 'supabase' AND auth_sync._base_type(v_uc.atttypid) <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'user column "%" of % has type %; it must be uuid to hold auth.users.id',
                p_user_column, p_target, format_type(v_uc.atttypid, v_uc.atttypmod)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    IF p_source <> 'supabase' AND auth_sync._column_kind(v_uc.atttypid) <> 'text' THEN
        RAISE EXCEPTION 'user column "%" of % has type %; it must be text to hold % user ids',
                p_user_column, p_target, format_type(v_uc.atttypid, v_uc.atttypmod), p_source
            USING ERRCODE = 'datatype_mismatch';
    END IF;

    IF p_kind = 'owned' AND p_map IS DISTINCT FROM '{}'::jsonb THEN
        RAISE EXCEPTION 'column_map applies to profile tables; % is registered as owned', p_target
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- every mapped column exists and fits its field (raises naming the column)
    PERFORM auth_sync._map_columns(p_target, p_user_column, p_map, 'r', 'f');

    IF p_kind = 'profile' THEN
        PERFORM auth_sync._validate_profile_table(p_target, p_user_column, p_map);
    END IF;

    SELECT EXISTS (
        SELECT FROM pg_index i
         WHERE i.indrelid = p_target AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
           AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = v_uc.attnum)
      INTO v_unique;
    RETURN v_unique;
END
$$;

-- After a registration changed: regenerate, and refresh the UPDATE trigger if triggers are on.
CREATE FUNCTION auth_sync._registrations_changed() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM auth_sync._regenerate();
    IF auth_sync._triggers_installed() THEN
        PERFORM auth_sync._install_update_trigger();
    END IF;
END
$$;

CREATE FUNCTION auth_sync.register_table(target regclass, user_column name, kind text DEFAULT 'profile',
                                         column_map jsonb DEFAULT '{}', source text DEFAULT 'supabase')
RETURNS SETOF auth_sync.registered_tables
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_unique boolean;
    v_map    jsonb := coalesce(register_table.column_map, '{}');
BEGIN
    IF register_table.target IS NULL OR register_table.user_column IS NULL THEN
        RAISE EXCEPTION 'target and user_column are required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_unique := auth_sync._validate_table(register_table.target, register_table.user_column,
                                          register_table.kind, v_map, register_table.source);
    -- the caller could write and read these rows itself (auth_sync then does it for them)
    PERFORM auth_sync._require_table_rights(register_table.target,
        CASE register_table.kind WHEN 'profile' THEN 'SELECT, INSERT, UPDATE, DELETE' ELSE 'SELECT, DELETE' END);
    PERFORM auth_sync._grant_read(register_table.target);
    INSERT INTO auth_sync.managed_tables AS m
           (target, user_column, kind, column_map, source, user_unique, registered_by)
    VALUES (register_table.target, register_table.user_column, register_table.kind, v_map,
            register_table.source, v_unique, auth_sync._caller())
    ON CONFLICT (target) DO UPDATE
       SET user_column = EXCLUDED.user_column, kind = EXCLUDED.kind, column_map = EXCLUDED.column_map,
           source = EXCLUDED.source, user_unique = EXCLUDED.user_unique,
           registered_at = pg_catalog.now(), registered_by = EXCLUDED.registered_by
     WHERE (m.user_column, m.kind, m.column_map, m.source, m.user_unique)
           IS DISTINCT FROM (EXCLUDED.user_column, EXCLUDED.kind, EXCLUDED.column_map,
                             EXCLUDED.source, EXCLUDED.user_unique);
    PERFORM auth_sync._registrations_changed();
    PERFORM auth_sync._audit('register_table',
        jsonb_build_object('target', register_table.target::text, 'user_column', register_table.user_column,
                           'kind', register_table.kind, 'column_map', v_map, 'source', register_table.source),
        '{}');
    RETURN QUERY SELECT * FROM auth_sync.registered_tables r WHERE r.table_name = register_table.target::text;
END
$$;
COMMENT ON FUNCTION auth_sync.register_table(regclass, name, text, jsonb, text) IS
    'Registers a table for auth_sync to manage (kind profile: one row per user; owned: rows removed with the user). Checks the table now; re-registering updates the registration.';

CREATE FUNCTION auth_sync.unregister_table(target regclass) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_found boolean;
BEGIN
    IF EXISTS (SELECT FROM auth_sync.managed_tables m WHERE m.target = unregister_table.target)
       AND EXISTS (SELECT FROM pg_class c WHERE c.oid = unregister_table.target) THEN
        PERFORM auth_sync._require_table_rights(unregister_table.target, 'SELECT, INSERT, UPDATE, DELETE');
    END IF;
    DELETE FROM auth_sync.managed_tables m WHERE m.target = unregister_table.target;
    v_found := FOUND;
    IF v_found THEN
        PERFORM auth_sync._registrations_changed();
        IF NOT EXISTS (SELECT FROM auth_sync.linked_tables l WHERE l.target = unregister_table.target) THEN
            PERFORM auth_sync._revoke_read(unregister_table.target);
        END IF;
    END IF;
    PERFORM auth_sync._audit('unregister_table', jsonb_build_object('target', unregister_table.target::text),
                             jsonb_build_object('was_registered', v_found));
    RETURN v_found;
END
$$;
COMMENT ON FUNCTION auth_sync.unregister_table(regclass) IS
    'Stops managing a table; returns false when it was not registered.';
