-- Internal helpers. None of them is granted to anyone: the admin functions (SECURITY DEFINER,
-- owned by the extension owner) call them.

-- (auth_sync._caller(), the role that called, is in sql/install/privilege.sql: the privilege checks use it)

-- One-way hooks. A capability raises an event; a capability loaded after it handles the event
-- through a row here naming its handler, so that no file calls code loaded after it: the
-- employee linking hears of the users bulk_create_users created, the outside providers' mirror of
-- an account deleted with delete_my_account(). Only auth_sync's install script writes rows.
CREATE TABLE auth_sync.event_handlers (
    event   text         NOT NULL,
    handler regprocedure NOT NULL,
    PRIMARY KEY (event, handler)
);
COMMENT ON TABLE auth_sync.event_handlers IS
    'Which function handles which event of another capability (auth_sync''s own; one-way dependencies).';

-- Calls every handler of p_event with p_ids (the handlers of an event take its argument type).
-- (regproc output is the schema-qualified, quoted name: the handler reaches the statement only
-- as a name Postgres printed)
CREATE FUNCTION auth_sync._raise_event(p_event text, p_ids anyarray) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h regprocedure;
BEGIN
    FOR h IN SELECT e.handler FROM auth_sync.event_handlers e WHERE e.event = p_event ORDER BY e.handler::oid LOOP
        EXECUTE format('SELECT %s($1)', h::oid::regproc) USING p_ids;
    END LOOP;
END
$$;

-- The instance id the Supabase Auth server writes in every auth.users row (one instance per
-- project). IMMUTABLE: the planner reads it once, as a constant.
CREATE FUNCTION auth_sync._instance_id() RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

-- The schemas of Postgres, Supabase and auth_sync itself: auth_sync registers no table there.
CREATE FUNCTION auth_sync._internal_schemas() RETURNS name[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY['pg_catalog', 'information_schema', 'pg_toast', 'auth', 'auth_sync', 'storage', 'vault',
                 'realtime', 'supabase_functions', 'extensions', 'graphql', 'graphql_public', 'pgsodium',
                 'pgsodium_masks', 'net', 'cron', 'supabase_migrations']::name[]
$$;

-- The JWT claims the API set for this request, or NULL (psql, or claims that do not parse).
CREATE FUNCTION auth_sync._jwt_claims() RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
BEGIN
    IF v IS NULL THEN
        RETURN NULL;
    END IF;
    BEGIN
        RETURN v::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN NULL;
    END;
END
$$;

-- One row of the admin audit log: the calling role and (the column's default) the login role, which
-- the database knows, apart from the JWT's sub and role, which the request only claims (any SQL
-- session can set request.jwt.claims).
CREATE FUNCTION auth_sync._audit(p_action text, p_arguments jsonb, p_result jsonb) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO auth_sync.admin_audit_log (db_user, claimed_sub, claimed_role, action, arguments, result)
    SELECT auth_sync._caller(), c ->> 'sub', c ->> 'role', p_action,
           coalesce(p_arguments, '{}'), coalesce(p_result, '{}')
      FROM (SELECT auth_sync._jwt_claims() AS c) AS claims
$$;

-- auth_sync.strict_triggers: when on, a failing profile write fails the sign-up.
CREATE FUNCTION auth_sync._strict_triggers() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT lower(coalesce(nullif(pg_catalog.current_setting('auth_sync.strict_triggers', true), ''), 'off'))
           IN ('on', 'true', 'yes', '1')
$$;

CREATE FUNCTION auth_sync._record_failure(p_user_id text, p_table text, p_operation text,
                                          p_sqlstate text, p_message text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO auth_sync.sync_failures (user_id, table_name, operation, sqlstate, message)
    VALUES (p_user_id, p_table, p_operation, p_sqlstate, p_message)
$$;

-- ---------------------------------------------------------------------------------------------
-- Column maps: which fields exist, what they read from auth.users, and the SQL that computes them.
-- ---------------------------------------------------------------------------------------------

-- The fields a column_map may name (besides meta:<key>), what kind of column each fills, and the
-- auth.users columns it is computed from. Positions 1..6 of extract_user_fields() are the
-- derived fields, in this order.
CREATE FUNCTION auth_sync._fields()
RETURNS TABLE (field text, kind text, deps text[], derived_pos int)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES ('email',            'text',      ARRAY['email'],                     NULL::int),
           ('phone',            'text',      ARRAY['phone'],                     NULL),
           ('display_name',     'text',      ARRAY['raw_user_meta_data', 'email'], 1),
           ('first_name',       'text',      ARRAY['raw_user_meta_data'],        2),
           ('last_name',        'text',      ARRAY['raw_user_meta_data'],        3),
           ('avatar_url',       'text',      ARRAY['raw_user_meta_data'],        4),
           ('provider',         'text',      ARRAY['raw_app_meta_data'],         5),
           ('provider_user_id', 'text',      ARRAY['raw_user_meta_data'],        6),
           ('email_confirmed',  'boolean',   ARRAY['email_confirmed_at'],        NULL),
           ('created_at',       'timestamp', ARRAY['created_at'],                NULL),
           ('last_sign_in_at',  'timestamp', ARRAY['last_sign_in_at'],          NULL)
$$;

-- The type a column stores, looking through domains.
CREATE FUNCTION auth_sync._base_type(p_type oid) RETURNS oid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE d(oid, typtype, typbasetype) AS (
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_type t WHERE t.oid = p_type
        UNION ALL
        SELECT t.oid, t.typtype, t.typbasetype FROM pg_type t JOIN d ON t.oid = d.typbasetype
         WHERE d.typtype = 'd'
    )
    SELECT oid FROM d WHERE typtype <> 'd' LIMIT 1
$$;

-- The column kinds a field kind can fill, by base type.
CREATE FUNCTION auth_sync._column_kind(p_type oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN t.typcategory = 'S' THEN 'text'
        WHEN b = 'boolean'::regtype THEN 'boolean'
        WHEN b IN ('timestamptz'::regtype, 'timestamp'::regtype) THEN 'timestamp'
        WHEN b IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype) THEN 'number'
        WHEN b IN ('json'::regtype, 'jsonb'::regtype) THEN 'json'
        WHEN b = 'uuid'::regtype THEN 'uuid'
        ELSE 'other' END
      FROM (SELECT auth_sync._base_type(p_type) AS b) AS base
      JOIN pg_type t ON t.oid = base.b
$$;

-- The SQL expression for meta:<key> read from row alias p_row into a column of base type p_type
-- (NULL when the value has the wrong JSON type, so a sign-up never fails on metadata).
CREATE FUNCTION auth_sync._meta_sql(p_key text, p_type oid, p_row text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text := auth_sync._column_kind(p_type);
    v_b    oid  := auth_sync._base_type(p_type);
    v_val  text := format('%s.raw_user_meta_data -> %L', p_row, p_key);
    v_txt  text := format('%s.raw_user_meta_data ->> %L', p_row, p_key);
BEGIN
    RETURN CASE
        WHEN v_kind = 'text' THEN
            format('CASE WHEN jsonb_typeof(%s) = ''string'' THEN %s END', v_val, v_txt)
        WHEN v_kind = 'boolean' THEN
            format('CASE WHEN jsonb_typeof(%s) = ''boolean'' THEN (%s)::boolean END', v_val, v_txt)
        WHEN v_kind = 'json' THEN v_val
        WHEN v_kind = 'uuid' THEN
            format('CASE WHEN jsonb_typeof(%s) = ''string'' AND %s ~* %L THEN (%s)::uuid END',
                   v_val, v_txt, '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$', v_txt)
        WHEN v_kind = 'number' AND v_b = 'numeric'::regtype THEN
            format('CASE WHEN jsonb_typeof(%s) = ''number'' THEN (%s)::numeric END', v_val, v_txt)
        WHEN v_kind = 'number' THEN
            -- integers only, and few enough digits that the cast cannot overflow
            format('CASE WHEN jsonb_typeof(%s) = ''number'' AND %s ~ %L THEN (%s)::%s END',
                   v_val, v_txt,
                   CASE v_b WHEN 'int2'::regtype THEN '^-?[0-9]{1,4}$'
                            WHEN 'int4'::regtype THEN '^-?[0-9]{1,9}$'
                            ELSE '^-?[0-9]{1,18}$' END,
                   v_txt, v_b::regtype)
        ELSE NULL END;
END
$$;

-- One row per mapped column of p_target: the column, its field, the auth.users columns it depends
-- on, and the SQL that computes its value from row alias p_row and derived-fields array p_fields:
-- expr_sql cast to the column's type, for the statements that write the table as its owner;
-- cmp_sql cast to the type under the column's domain, for auth_sync's own reads (casting to a
-- domain would run the domain owner's CHECK as auth_sync). Raises (naming the column) when the map
-- does not fit the table.
CREATE FUNCTION auth_sync._map_columns(p_target regclass, p_user_column name, p_map jsonb,
                                       p_row text, p_fields text)
RETURNS TABLE (column_name name, attnum int, field text, deps text[], uses_derived boolean,
               expr_sql text, cmp_sql text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e      record;
    a      record;
    f      record;
    v_kind text;
    v_expr text;
BEGIN
    IF jsonb_typeof(p_map) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'column_map must be a JSON object of column: field, e.g. {"full_name": "display_name"}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR e IN SELECT key, value FROM jsonb_each(p_map) ORDER BY key LOOP
        SELECT att.attnum, att.atttypid, att.atttypmod, att.attgenerated, att.attidentity
          INTO a
          FROM pg_attribute att
         WHERE att.attrelid = p_target AND att.attname = e.key AND att.attnum > 0 AND NOT att.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'column_map names column "%", which % does not have', e.key, p_target
                USING ERRCODE = 'undefined_column';
        END IF;
        IF e.key = p_user_column THEN
            RAISE EXCEPTION 'column_map cannot map the user column "%" of %', e.key, p_target
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF a.attgenerated <> '' OR a.attidentity = 'a' THEN
            RAISE EXCEPTION 'column "%" of % is generated and cannot be mapped', e.key, p_target
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF jsonb_typeof(e.value) IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'column_map value for column "%" must be a field name (a string)', e.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_kind := auth_sync._column_kind(a.atttypid);

        IF e.value #>> '{}' LIKE 'meta:%' THEN
            IF length(e.value #>> '{}') <= 5 THEN
                RAISE EXCEPTION 'column_map value for column "%" is "meta:" without a key', e.key
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            v_expr := auth_sync._meta_sql(substr(e.value #>> '{}', 6), a.atttypid, p_row);
            IF v_expr IS NULL THEN
                RAISE EXCEPTION 'column "%" of % has type %, which % cannot fill',
                        e.key, p_target, format_type(a.atttypid, a.atttypmod), e.value #>> '{}'
                    USING ERRCODE = 'datatype_mismatch',
                          HINT = 'meta:<key> fills text, boolean, integer, numeric, json, jsonb and uuid columns.';
            END IF;
            column_name := e.key; attnum := a.attnum; field := e.value #>> '{}';
            deps := ARRAY['raw_user_meta_data']; uses_derived := false;
        ELSE
            SELECT * INTO f FROM auth_sync._fields() AS x WHERE x.field = e.value #>> '{}';
            IF NOT FOUND THEN
                RAISE EXCEPTION 'column_map maps column "%" to unknown field "%"', e.key, e.value #>> '{}'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Known fields: ' || (SELECT string_agg(x.field, ', ') FROM auth_sync._fields() x)
                                 || ', and meta:<key> for any key of raw_user_meta_data.';
            END IF;
            IF f.kind <> v_kind THEN
                RAISE EXCEPTION 'column "%" of % has type %, but field "%" is %',
                        e.key, p_target, format_type(a.atttypid, a.atttypmod), f.field,
                        CASE f.kind WHEN 'text' THEN 'text' WHEN 'boolean' THEN 'boolean'
                                    ELSE 'a timestamp' END
                    USING ERRCODE = 'datatype_mismatch';
            END IF;
            v_expr := CASE
                WHEN f.derived_pos IS NOT NULL THEN format('%s[%s]', p_fields, f.derived_pos)
                WHEN f.field = 'email_confirmed' THEN format('(%s.email_confirmed_at IS NOT NULL)', p_row)
                ELSE format('%s.%I', p_row, f.field) END;
            column_name := e.key; attnum := a.attnum; field := f.field;
            deps := f.deps; uses_derived := f.derived_pos IS NOT NULL;
        END IF;
        -- an explicit cast: also truncates text to a varchar(n) column instead of failing
        expr_sql := format('(%s)::%s', v_expr, format_type(a.atttypid, a.atttypmod));
        cmp_sql := CASE WHEN auth_sync._base_type(a.atttypid) = a.atttypid THEN expr_sql
                        ELSE format('(%s)::%s', v_expr,
                                    format_type(auth_sync._base_type(a.atttypid),
                                                (SELECT t.typtypmod FROM pg_type t WHERE t.oid = a.atttypid))) END;
        RETURN NEXT;
    END LOOP;
END
$$;
