-- Registered tables, the code generated from them, and the triggers on auth.users.

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
    v_col    name;
    v_idx    record;
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
    IF v_rel.nspname IN ('pg_catalog', 'information_schema', 'pg_toast', 'auth', 'auth_sync',
                         'storage', 'vault', 'realtime', 'supabase_functions', 'extensions',
                         'graphql', 'graphql_public', 'pgsodium', 'pgsodium_masks', 'net', 'cron',
                         'supabase_migrations') THEN
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
    END IF;

    SELECT EXISTS (
        SELECT FROM pg_index i
         WHERE i.indrelid = p_target AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
           AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = v_uc.attnum)
      INTO v_unique;
    RETURN v_unique;
END
$$;

-- The statements that create a user's row in one registered profile table, each taking the user
-- as $1 (an auth_sync.user_source value: the columns a map can read, never the password hash or a
-- token). They are auth_sync's own static SQL, run through the owner-switching path of
-- src/privilege.rs with the privileges of the table's owner; format() quotes every name in them.
-- With a unique index on the user column, one INSERT ... ON CONFLICT DO NOTHING; without one, the
-- insert serialises with sync_profiles and create_profile (the table lock first, as they take it).
CREATE FUNCTION auth_sync._insert_statements(p_target regclass, p_user_column name, p_column_map jsonb,
                                             p_user_unique boolean)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      record;
    v_uc   text := quote_ident(p_user_column);
    v_cols text := quote_ident(p_user_column);
    v_vals text := '($1).id';
BEGIN
    FOR c IN SELECT * FROM auth_sync._map_columns(p_target, p_user_column, p_column_map, '($1)', '($1).f') LOOP
        v_cols := v_cols || ', ' || quote_ident(c.column_name);
        v_vals := v_vals || ', ' || c.expr_sql;
    END LOOP;
    IF p_user_unique THEN
        RETURN ARRAY[format('INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING',
                            p_target, v_cols, v_vals, v_uc)];
    END IF;
    RETURN ARRAY[format('LOCK TABLE %s IN ROW EXCLUSIVE MODE', p_target),
                 format('SELECT pg_catalog.pg_advisory_xact_lock(%s, pg_catalog.hashtext(($1).id::text))',
                        p_target::oid::int),
                 format('INSERT INTO %1$s (%2$s) SELECT %3$s WHERE NOT EXISTS (SELECT FROM %1$s AS t WHERE t.%4$s = ($1).id) ON CONFLICT DO NOTHING',
                        p_target, v_cols, v_vals, v_uc)];
END
$$;

-- What the sign-up trigger (auth_sync.create_user_profile(), src/signup.rs) runs for a new user:
-- for each registered supabase profile table, in OID order, the table and its statements. The
-- trigger loads this once per backend and again after any function is created or replaced
-- (_regenerate replaces the generated functions whenever a registration changes).
CREATE FUNCTION auth_sync._signup_program()
RETURNS TABLE (target oid, statements text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.target::oid, auth_sync._insert_statements(m.target, m.user_column, m.column_map, m.user_unique)
      FROM auth_sync.managed_tables m
      JOIN pg_class pc ON pc.oid = m.target::oid
     WHERE m.kind = 'profile' AND m.source = 'supabase' AND pc.relkind IN ('r', 'p')
     ORDER BY m.target::oid
$$;

-- The plpgsql body of the profile refresh generated from the registered supabase profile tables,
-- for rows named p_new and p_old. Each table's statement is auth_sync's own static SQL, run through
-- _as_owner() with the privileges of the table's owner (its plan is prepared once per backend),
-- and gets the user as an auth_sync.user_source value. Each table has its own exception block:
-- one failing table neither blocks the change nor the others. Tables appear by OID only: no name
-- of a table, column or key reaches the generated code except inside the statements' literals,
-- where format() quoted it. (The calls are assignments, not PERFORM: plpgsql evaluates an
-- assignment's function call directly, a PERFORM as a query through the executor. The body ends
-- in %RET% where a trigger returns NULL.)
CREATE FUNCTION auth_sync._generated_update_body(p_new text, p_old text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $gen$
DECLARE
    t          record;
    c          record;
    v_upd      text := '';
    v_upd_f    boolean := false;
    v_set      text;
    v_diff     text;
    v_deps     text[];
    v_uses_f   boolean;
    v_rel      text;
BEGIN
    FOR t IN
        SELECT m.*, m.target::oid AS toid FROM auth_sync.managed_tables m
          JOIN pg_class pc ON pc.oid = m.target::oid
         WHERE m.kind = 'profile' AND m.source = 'supabase' AND pc.relkind IN ('r', 'p')
         ORDER BY m.target::oid
    LOOP
        v_rel := format('%s::oid::regclass', t.toid);
        v_set := NULL; v_diff := NULL; v_deps := '{}'; v_uses_f := false;
        FOR c IN SELECT * FROM auth_sync._map_columns(t.target, t.user_column, t.column_map, '($1)', '($1).f') LOOP
            v_set := concat_ws(', ', v_set, format('%I = %s', c.column_name, c.expr_sql));
            v_diff := concat_ws(' OR ', v_diff, format('t.%I IS DISTINCT FROM %s', c.column_name, c.expr_sql));
            v_deps := v_deps || c.deps;
            v_uses_f := v_uses_f OR c.uses_derived;
        END LOOP;
        CONTINUE WHEN v_set IS NULL;

        v_upd := v_upd || format($s$
        IF %1$s THEN
        BEGIN
            w := auth_sync._as_owner(%2$s, %3$L, s);
        EXCEPTION WHEN OTHERS THEN
            IF auth_sync._strict_triggers() THEN
                RAISE;
            END IF;
            PERFORM auth_sync._record_failure(%4$s.id::text, %2$s::text, 'update', SQLSTATE, SQLERRM);
        END;
        END IF;$s$,
            (SELECT string_agg(format('%2$s.%1$I IS DISTINCT FROM %3$s.%1$I', d, p_old, p_new), ' OR ' ORDER BY d)
               FROM (SELECT DISTINCT unnest(v_deps) AS d) AS x),
            v_rel,
            format('UPDATE %s AS t SET %s WHERE t.%s = ($1).id AND (%s)', t.target, v_set, quote_ident(t.user_column), v_diff),
            p_new);
        v_upd_f := v_upd_f OR v_uses_f;
    END LOOP;

    RETURN format(E'DECLARE\n    f text[];\n    s auth_sync.user_source;\n    w jsonb;\nBEGIN\n    IF %s.deleted_at IS NOT NULL THEN\n        RETURN%%RET%%;\n    END IF;%s%s%s',
        p_new,
        CASE WHEN v_upd_f THEN format(E'\n    f := auth_sync.extract_user_fields(%1$s.raw_user_meta_data, %1$s.raw_app_meta_data, %1$s.email);', p_new) ELSE '' END,
        CASE WHEN v_upd <> '' THEN format(E'\n    s := ROW(%1$s.id, %1$s.email, %1$s.phone, %1$s.email_confirmed_at, %1$s.raw_user_meta_data, %1$s.raw_app_meta_data, %1$s.created_at, %1$s.last_sign_in_at, %1$s.deleted_at, f, NULL)::auth_sync.user_source;', p_new) ELSE '' END,
        v_upd);
END
$gen$;

-- Writes the code generated from the registrations (see _generated_update_body):
-- * auth_sync.generated_profile_update(auth.users, auth.users): an ordinary function, so pg_dump
--   keeps it with the registrations; the static refresh_user_profile() of a fresh or restored
--   installation calls it;
-- * the same code inlined into the trigger function refresh_user_profile() itself (a member of the
--   extension, which pg_dump does not dump), sparing every change a second function call.
-- Replacing them also tells every backend's sign-up trigger to load _signup_program() again: it
-- drops its copy whenever pg_proc changes (src/signup.rs).
-- Nobody but the owner may execute the generated function; it pins search_path like every
-- function of auth_sync.
CREATE FUNCTION auth_sync._regenerate() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $gen$
DECLARE
    c_header   constant text := E'-- generated by auth_sync._regenerate() from auth_sync.managed_tables; do not edit\n';
BEGIN
    EXECUTE format('CREATE OR REPLACE FUNCTION auth_sync.generated_profile_update(o auth.users, r auth.users) RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS %L',
                   c_header || replace(auth_sync._generated_update_body('r', 'o'), '%RET%', '') || E'\nEND');
    REVOKE ALL ON FUNCTION auth_sync.generated_profile_update(auth.users, auth.users) FROM PUBLIC;
    EXECUTE format('CREATE OR REPLACE FUNCTION auth_sync.refresh_user_profile() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L',
                   c_header || replace(auth_sync._generated_update_body('NEW', 'OLD'), '%RET%', ' NULL') || E'\n    RETURN NULL;\nEND');
END
$gen$;

-- The auth.users columns whose change must refresh a profile (the union over the column maps).
CREATE FUNCTION auth_sync._update_dependencies() RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT d ORDER BY d), '{}')
      FROM auth_sync.managed_tables m
      JOIN pg_class pc ON pc.oid = m.target::oid
     CROSS JOIN LATERAL auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'f') AS c
     CROSS JOIN LATERAL unnest(c.deps) AS d
     WHERE m.kind = 'profile' AND m.source = 'supabase'
$$;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions on auth.users. The Auth server inserts as supabase_auth_admin, which has no
-- rights on application tables: each profile row is written with the privileges of its table's
-- owner.
-- ---------------------------------------------------------------------------------------------
-- The sign-up trigger is native (src/signup.rs): it runs _signup_program()'s statements as each
-- table's owner, each table in a subtransaction of its own, journals a failure in sync_failures
-- as auth_sync_definer, and pins its own search_path. Not SECURITY DEFINER: nothing in it runs
-- as auth_sync's role except the journal and the loading of the program.
CREATE FUNCTION auth_sync.create_user_profile() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'auth_sync_create_user_profile';
COMMENT ON FUNCTION auth_sync.create_user_profile() IS
    'AFTER INSERT on auth.users: creates the row of every registered profile table (never blocks the sign-up unless auth_sync.strict_triggers is on).';

CREATE FUNCTION auth_sync.refresh_user_profile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regproc('auth_sync.generated_profile_update') IS NOT NULL THEN
        PERFORM auth_sync.generated_profile_update(OLD, NEW);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth_sync.refresh_user_profile() IS
    'AFTER UPDATE on auth.users (only when a mapped source column changed): refreshes mapped profile columns.';

-- Runs one DDL statement on auth.users as its owner (only the owner may create or drop its
-- triggers; auth_sync_definer is not it).
CREATE FUNCTION auth_sync._auth_users_ddl(p_statement text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth_sync._as_owner('auth.users'::regclass, p_statement, 0)
$$;

-- The UPDATE triggers. auth_sync_refresh_profile watches every auth.users column a column map can
-- read except last_sign_in_at: its WHEN clause does not depend on the registrations, so
-- registering a table never takes auth.users' strongest lock (the generated function checks per
-- table which columns its map reads). last_sign_in_at changes at every sign-in, so its own
-- trigger, auth_sync_refresh_sign_in, exists only while a map names it: without it a sign-in does
-- no profile work at all.
CREATE FUNCTION auth_sync._install_update_trigger() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_watched constant text[] := ARRAY['email', 'phone', 'raw_user_meta_data', 'raw_app_meta_data',
                                       'email_confirmed_at', 'created_at'];
    v_changed text := (SELECT string_agg(format('OLD.%1$I IS DISTINCT FROM NEW.%1$I', c), ' OR ')
                         FROM unnest(c_watched) AS c);
    v_ddl     text[] := '{}';
    v_sign_in boolean := 'last_sign_in_at' = ANY (auth_sync._update_dependencies());
    v_has_sign_in boolean := EXISTS (SELECT FROM pg_trigger tg
                                      WHERE tg.tgrelid = 'auth.users'::regclass AND tg.tgname = 'auth_sync_refresh_sign_in');
BEGIN
    IF NOT EXISTS (SELECT FROM pg_trigger tg
                    WHERE tg.tgrelid = 'auth.users'::regclass AND tg.tgname = 'auth_sync_refresh_profile') THEN
        v_ddl := v_ddl || format('CREATE TRIGGER auth_sync_refresh_profile AFTER UPDATE ON auth.users FOR EACH ROW WHEN ((%s) AND auth_sync._flag(''auth_sync.bulk_import'') IS DISTINCT FROM ''on'') EXECUTE FUNCTION auth_sync.refresh_user_profile()',
                                 v_changed);
    END IF;
    IF v_sign_in AND NOT v_has_sign_in THEN
        -- (only when nothing else changed: then the trigger above runs the function already)
        v_ddl := v_ddl || format('CREATE TRIGGER auth_sync_refresh_sign_in AFTER UPDATE ON auth.users FOR EACH ROW WHEN (OLD.last_sign_in_at IS DISTINCT FROM NEW.last_sign_in_at AND NOT (%s) AND auth_sync._flag(''auth_sync.bulk_import'') IS DISTINCT FROM ''on'') EXECUTE FUNCTION auth_sync.refresh_user_profile()',
                                 v_changed);
    ELSIF v_has_sign_in AND NOT v_sign_in THEN
        v_ddl := v_ddl || 'DROP TRIGGER auth_sync_refresh_sign_in ON auth.users'::text;
    END IF;
    IF v_ddl <> '{}' THEN
        PERFORM auth_sync._with_short_lock_timeout(v_ddl);
    END IF;
END
$$;

-- Runs DDL statements on auth.users (as its owner) each under a short lock_timeout, retrying a
-- few times: ALTER-level locks on auth.users queue every sign-in behind them, so they are taken
-- only when they can be had at once.
CREATE FUNCTION auth_sync._with_short_lock_timeout(p_statements text[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old   text := current_setting('lock_timeout');
    v_try   int  := 0;
    v_stmt  text;
BEGIN
    LOOP
        v_try := v_try + 1;
        BEGIN
            PERFORM set_config('lock_timeout', '200ms', true);
            FOREACH v_stmt IN ARRAY p_statements LOOP
                PERFORM auth_sync._auth_users_ddl(v_stmt);
            END LOOP;
            PERFORM set_config('lock_timeout', v_old, true);
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', v_old, true);
            IF v_try >= 10 THEN
                RAISE EXCEPTION 'auth.users stayed locked by other sessions: auth_sync could not change its triggers'
                    USING ERRCODE = 'lock_not_available',
                          HINT = 'Retry when long transactions on auth.users have finished.';
            END IF;
            PERFORM pg_sleep(0.1 * v_try);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION auth_sync._triggers_installed() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_trigger
                    WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_create_profile')
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
