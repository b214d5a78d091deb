-- The employee admin API: registering the employee table, creating an employee with its auth
-- account, activating and deactivating, provisioning accounts for every employee without one.

-- What is wrong with the registered table now, or NULL (verify_installation).
CREATE FUNCTION auth_sync._linked_table_problem(r auth_sync.linked_tables) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text[];
BEGIN
    IF NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = r.target::oid) THEN
        RETURN 'table no longer exists (auth_sync.unregister_linked_table it)';
    END IF;
    SELECT array_agg(c ORDER BY c) INTO v_missing
      FROM unnest(ARRAY[r.key_column, r.email_column, r.active_column, r.auth_user_column]::text[]) AS c
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = r.target AND a.attname = c
                          AND a.attnum > 0 AND NOT a.attisdropped);
    IF v_missing IS NOT NULL THEN
        RETURN 'missing columns: ' || array_to_string(v_missing, ', ');
    END IF;
    SELECT array_agg(t ORDER BY t) INTO v_missing
      FROM unnest(ARRAY['auth_sync_employee_insert', 'auth_sync_employee_update']) AS t
     WHERE NOT EXISTS (SELECT FROM pg_trigger tg WHERE tg.tgrelid = r.target AND tg.tgname = t AND tg.tgenabled <> 'D');
    IF v_missing IS NOT NULL THEN
        RETURN 'missing or disabled triggers: ' || array_to_string(v_missing, ', ') || ' (register the table again)';
    END IF;
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Registration
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.register_linked_table(target regclass, key_column name, email_column name,
                                                active_column name, auth_user_column name)
RETURNS SETOF auth_sync.linked_tables
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_rel    record;
    v_col    record;
    v_other  regclass;
    v_role   text;
    v_name   name;
    v_ok     boolean;
    r        auth_sync.linked_tables;
BEGIN
    IF target IS NULL OR key_column IS NULL OR email_column IS NULL OR active_column IS NULL
       OR auth_user_column IS NULL THEN
        RAISE EXCEPTION 'target, key_column, email_column, active_column and auth_user_column are required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT c.relkind, n.nspname INTO v_rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = target;
    IF v_rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', target USING ERRCODE = 'wrong_object_type';
    END IF;
    IF v_rel.nspname = ANY (auth_sync._internal_schemas()) THEN
        RAISE EXCEPTION 'auth_sync does not manage tables in schema %', v_rel.nspname
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT l.target INTO v_other FROM auth_sync.linked_tables l WHERE l.target <> target;
    IF FOUND THEN
        RAISE EXCEPTION 'employee table % is already registered; auth_sync links one employee table', v_other
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Run auth_sync.unregister_linked_table(%L) first.', v_other::text);
    END IF;

    -- each column: present, of the kind it must be, unique where it must be
    FOREACH v_role IN ARRAY ARRAY['key', 'email', 'active', 'auth_user'] LOOP
        v_name := CASE v_role WHEN 'key' THEN key_column WHEN 'email' THEN email_column
                              WHEN 'active' THEN active_column ELSE auth_user_column END;
        SELECT a.attnum, a.atttypid, a.atttypmod, auth_sync._base_type(a.atttypid) AS base,
               auth_sync._column_kind(a.atttypid) AS kind
          INTO v_col
          FROM pg_attribute a
         WHERE a.attrelid = target AND a.attname = v_name AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION '% column "%" does not exist in %', v_role, v_name, target
                USING ERRCODE = 'undefined_column';
        END IF;
        v_ok := CASE v_role
            WHEN 'key' THEN v_col.base IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
            WHEN 'email' THEN v_col.kind = 'text'
            WHEN 'active' THEN v_col.kind = 'boolean'
            ELSE v_col.base = 'uuid'::regtype END;
        IF NOT v_ok THEN
            RAISE EXCEPTION '% column "%" of % has type %; it must be %', v_role, v_name, target,
                    format_type(v_col.atttypid, v_col.atttypmod),
                    CASE v_role WHEN 'key' THEN 'an integer (smallint, integer or bigint)' WHEN 'email' THEN 'text'
                                WHEN 'active' THEN 'boolean' ELSE 'uuid' END
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        IF v_role IN ('key', 'auth_user') AND NOT EXISTS (
               SELECT FROM pg_index i
                WHERE i.indrelid = target AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND i.indnkeyatts = 1 AND i.indkey[0] = v_col.attnum) THEN
            RAISE EXCEPTION '% column "%" of % needs a unique index of its own', v_role, v_name, target
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('ALTER TABLE %s ADD UNIQUE (%I);', target, v_name);
        END IF;
        IF v_role = 'email' AND NOT EXISTS (
               SELECT FROM pg_index i
                WHERE i.indrelid = target AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1
                  AND pg_get_expr(i.indexprs, i.indrelid) IN (format('lower(%I)', v_name), format('lower((%I)::text)', v_name))) THEN
            RAISE EXCEPTION 'email column "%" of % needs a unique index on lower(%): an email must name one employee, in any case',
                    v_name, target, v_name
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('CREATE UNIQUE INDEX ON %s (lower(%I));', target, v_name);
        END IF;
        IF v_role = 'auth_user' AND NOT EXISTS (
               SELECT FROM pg_constraint con
                WHERE con.contype = 'f' AND con.conrelid = target AND con.confrelid = 'auth.users'::regclass
                  AND con.conkey = ARRAY[v_col.attnum] AND con.confdeltype = 'n') THEN
            RAISE EXCEPTION 'auth user column "%" of % needs a foreign key to auth.users (id) ON DELETE SET NULL',
                    v_name, target
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('ALTER TABLE %s ADD FOREIGN KEY (%I) REFERENCES auth.users (id) ON DELETE SET NULL;', target, v_name);
        END IF;
    END LOOP;

    -- the caller could read, write and put triggers on the table itself
    PERFORM auth_sync._require_table_rights(target, 'SELECT, INSERT, UPDATE, TRIGGER');
    PERFORM auth_sync._grant_read(target);
    INSERT INTO auth_sync.linked_tables AS l
           (target, key_column, email_column, active_column, auth_user_column, registered_by)
    VALUES (target, key_column, email_column, active_column, auth_user_column, auth_sync._caller())
    ON CONFLICT ON CONSTRAINT linked_tables_pkey DO UPDATE
       SET key_column = EXCLUDED.key_column, email_column = EXCLUDED.email_column,
           active_column = EXCLUDED.active_column, auth_user_column = EXCLUDED.auth_user_column,
           registered_at = pg_catalog.now(), registered_by = EXCLUDED.registered_by
     WHERE (l.key_column, l.email_column, l.active_column, l.auth_user_column)
           IS DISTINCT FROM (EXCLUDED.key_column, EXCLUDED.email_column, EXCLUDED.active_column, EXCLUDED.auth_user_column);
    SELECT * INTO r FROM auth_sync.linked_tables l WHERE l.target = target;
    PERFORM auth_sync._create_linked_triggers(r);
    IF auth_sync._triggers_installed() THEN
        PERFORM auth_sync._install_link_trigger();
    END IF;
    PERFORM auth_sync._audit('register_linked_table',
        jsonb_build_object('target', target::text, 'key_column', key_column, 'email_column', email_column,
                           'active_column', active_column, 'auth_user_column', auth_user_column), '{}');
    RETURN NEXT r;
END
$$;
COMMENT ON FUNCTION auth_sync.register_linked_table(regclass, name, name, name, name) IS
    'Registers the employee table whose rows are linked to auth users (at most one); installs its triggers.';

CREATE FUNCTION auth_sync.unregister_linked_table(target regclass) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_found boolean;
BEGIN
    IF EXISTS (SELECT FROM auth_sync.linked_tables l WHERE l.target = unregister_linked_table.target)
       AND EXISTS (SELECT FROM pg_class c WHERE c.oid = unregister_linked_table.target) THEN
        PERFORM auth_sync._require_table_rights(unregister_linked_table.target, 'SELECT, INSERT, UPDATE, TRIGGER');
    END IF;
    DELETE FROM auth_sync.linked_tables l WHERE l.target = unregister_linked_table.target;
    v_found := FOUND;
    PERFORM auth_sync._drop_linked_triggers(unregister_linked_table.target);
    IF v_found AND NOT EXISTS (SELECT FROM auth_sync.managed_tables m WHERE m.target = unregister_linked_table.target) THEN
        PERFORM auth_sync._revoke_read(unregister_linked_table.target);
    END IF;
    IF pg_catalog.to_regprocedure('auth_sync.generated_employee_pending(text[])') IS NOT NULL THEN
        DROP FUNCTION auth_sync.generated_employee_pending(text[]);
    END IF;
    IF auth_sync._triggers_installed() OR NOT EXISTS (SELECT FROM auth_sync.linked_tables) THEN
        PERFORM auth_sync._install_link_trigger();
    END IF;
    PERFORM auth_sync._audit('unregister_linked_table', jsonb_build_object('target', unregister_linked_table.target::text),
                             jsonb_build_object('was_registered', v_found));
    RETURN v_found;
END
$$;
COMMENT ON FUNCTION auth_sync.unregister_linked_table(regclass) IS
    'Stops linking the employee table (drops its triggers); false when it was not registered.';

-- A CSV field, quoted.
CREATE FUNCTION auth_sync._csv_field(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_value IS NULL THEN '' ELSE '"' || replace(p_value, '"', '""') || '"' END
$$;

-- The SQLSTATE for a bulk_create_users row error code.
CREATE FUNCTION auth_sync._row_error_sqlstate(p_code text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p_code IN ('email_exists', 'id_exists', 'phone_exists', 'duplicate_in_file') THEN '23505'
                WHEN p_code = 'profile_rejected' THEN '23514'
                ELSE '22023' END
$$;

CREATE FUNCTION auth_sync.create_employee_with_auth(employee jsonb, password text DEFAULT NULL)
RETURNS TABLE (employee_id bigint, auth_user_id uuid, temp_password text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r         auth_sync.linked_tables := auth_sync._linked_table();
    v_started timestamptz := clock_timestamp();
    v_email   text;
    v_bad     text[];
    v_cols    text;
    v_key     bigint;
    v_csv     text;
    v_first   text;
    v_last    text;
    b         record;
    v_linked  uuid;
    v_user    uuid;
BEGIN
    IF jsonb_typeof(create_employee_with_auth.employee) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'employee must be a JSON object of column: value, e.g. {"email": "ada@example.com", "first_name": "Ada"}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_email := nullif(btrim(create_employee_with_auth.employee ->> r.email_column::text), '');
    IF v_email IS NULL THEN
        RAISE EXCEPTION 'employee.% is required', r.email_column USING ERRCODE = 'not_null_violation';
    END IF;
    IF create_employee_with_auth.employee ? r.auth_user_column::text THEN
        RAISE EXCEPTION 'employee.% is set by create_employee_with_auth; leave it out', r.auth_user_column
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(k ORDER BY k) INTO v_bad
      FROM jsonb_object_keys(create_employee_with_auth.employee) AS k
     WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = r.target AND a.attname = k
                          AND a.attnum > 0 AND NOT a.attisdropped);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION '% has no column(s) %', r.target, array_to_string(v_bad, ', ')
            USING ERRCODE = 'undefined_column';
    END IF;
    SELECT u.id INTO v_user
      FROM auth.users u
     WHERE u.instance_id = auth_sync._instance_id() AND lower(u.email::text) = lower(v_email)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'an auth user with email % already exists (%)', lower(v_email), v_user
            USING ERRCODE = 'unique_violation',
                  HINT = 'Insert the employee and link it with auth_sync.link_employees() instead.';
    END IF;

    -- 1. the employee row (the columns the object names; defaults for the others)
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_cols
      FROM pg_attribute a
     WHERE a.attrelid = r.target AND a.attnum > 0 AND NOT a.attisdropped
       AND create_employee_with_auth.employee ? a.attname::text;
    -- (as the table's owner: its defaults and checks run as it)
    v_key := (auth_sync._as_owner(r.target,
                  format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, $1) RETURNING to_jsonb(%3$I::bigint)',
                         r.target, v_cols, r.key_column),
                  create_employee_with_auth.employee) #>> '{}')::bigint;

    -- 2. the auth user, through bulk_create_users (written as the Auth server writes it, with its
    --    identity and profile rows, confirmed); the password goes in the file, a bound parameter,
    --    and stays inside the import. Its insert links the employee (auth_sync_link_employees).
    IF jsonb_typeof(create_employee_with_auth.employee -> 'first_name') = 'string' THEN
        v_first := create_employee_with_auth.employee ->> 'first_name';
    END IF;
    IF jsonb_typeof(create_employee_with_auth.employee -> 'last_name') = 'string' THEN
        v_last := create_employee_with_auth.employee ->> 'last_name';
    END IF;
    v_csv := 'email,first_name,last_name' || CASE WHEN create_employee_with_auth.password IS NOT NULL THEN ',password' ELSE '' END
             || E'\n' || auth_sync._csv_field(v_email) || ',' || auth_sync._csv_field(v_first) || ','
             || auth_sync._csv_field(v_last)
             || CASE WHEN create_employee_with_auth.password IS NOT NULL
                     THEN ',' || auth_sync._csv_field(create_employee_with_auth.password) ELSE '' END
             || E'\n';
    SELECT x.user_id, x.status, x.error_code, x.message, x.temp_password INTO b
      FROM auth_sync.bulk_create_users(v_csv, on_conflict => 'error', atomic => true,
                                       generate_passwords => create_employee_with_auth.password IS NULL,
                                       source_name => 'create_employee_with_auth') AS x;
    v_csv := NULL;
    IF b.status IS DISTINCT FROM 'created' THEN
        RAISE EXCEPTION 'could not create the auth user of employee %: % (%)', lower(v_email), b.message, b.error_code
            USING ERRCODE = auth_sync._row_error_sqlstate(b.error_code);
    END IF;
    EXECUTE format('SELECT %I FROM %s WHERE %I = $1', r.auth_user_column, r.target, r.key_column)
        INTO v_linked USING v_key;
    IF v_linked IS DISTINCT FROM b.user_id THEN
        RAISE EXCEPTION 'the new auth user % was not linked to employee %', b.user_id, v_key
            USING ERRCODE = 'internal_error';
    END IF;

    PERFORM auth_sync._sync_log('CREATE_ACCOUNT', v_key, b.user_id,
        jsonb_build_object('source', 'create_employee_with_auth', 'db_user', auth_sync._caller(),
                           'email', lower(v_email),
                           'password', CASE WHEN create_employee_with_auth.password IS NULL THEN 'generated' ELSE 'given' END),
        'SUCCESS', NULL, v_started);
    PERFORM auth_sync._audit('create_employee_with_auth',
        jsonb_build_object('email', lower(v_email), 'columns', (SELECT jsonb_agg(k ORDER BY k) FROM jsonb_object_keys(create_employee_with_auth.employee) k),
                           'password_given', create_employee_with_auth.password IS NOT NULL),
        jsonb_build_object('employee_id', v_key, 'auth_user_id', b.user_id));
    RETURN QUERY SELECT v_key, b.user_id, b.temp_password;
END
$$;
COMMENT ON FUNCTION auth_sync.create_employee_with_auth(jsonb, text) IS
    'Creates an employee row and its auth user (confirmed, as the Auth server writes it), linked, all or nothing; without a password a random one is generated and returned once.';

CREATE FUNCTION auth_sync.set_employee_active(employee_id bigint, active boolean, reason text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    r        auth_sync.linked_tables := auth_sync._linked_table();
    v_prev   boolean;
    v_uid    uuid;
    v_source text := auth_sync._flag('auth_sync.source');
    v_reason text := auth_sync._flag('auth_sync.reason');
    v_banned timestamptz;
    v_result jsonb;
BEGIN
    IF employee_id IS NULL OR active IS NULL THEN
        RAISE EXCEPTION 'employee_id and active are required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- (the row lock is the table owner's to take)
    SELECT (j ->> 'a')::boolean, (j ->> 'u')::uuid INTO v_prev, v_uid
      FROM (SELECT auth_sync._as_owner(r.target,
                       format('SELECT jsonb_build_object(''a'', t.%I, ''u'', t.%I) FROM %s AS t WHERE t.%I = $1 FOR UPDATE',
                              r.active_column, r.auth_user_column, r.target, r.key_column),
                       employee_id) AS j) AS x;
    IF v_prev IS NULL THEN
        RAISE EXCEPTION 'employee % does not exist in %', employee_id, r.target USING ERRCODE = 'no_data_found';
    END IF;
    IF v_prev IS DISTINCT FROM active THEN
        -- the trigger of the employee table bans or unbans; it logs this call as the source
        PERFORM auth_sync._set_internal('auth_sync.source', 'set_employee_active');
        PERFORM auth_sync._set_internal('auth_sync.reason', coalesce(reason, ''));
        PERFORM auth_sync._as_owner(r.target,
            format('UPDATE %s AS t SET %I = ($1 ->> ''a'')::boolean WHERE t.%I = ($1 ->> ''k'')::bigint',
                   r.target, r.active_column, r.key_column),
            jsonb_build_object('k', employee_id, 'a', active));
        PERFORM auth_sync._set_internal('auth_sync.source', coalesce(v_source, ''));
        PERFORM auth_sync._set_internal('auth_sync.reason', coalesce(v_reason, ''));
    END IF;
    SELECT u.banned_until INTO v_banned FROM auth.users u WHERE u.id = v_uid;
    v_result := jsonb_build_object('employee_id', employee_id, 'is_active', active, 'changed', v_prev IS DISTINCT FROM active,
                                   'auth_user_id', v_uid, 'banned_until', v_banned);
    PERFORM auth_sync._audit('set_employee_active',
        jsonb_build_object('employee_id', employee_id, 'active', active, 'reason', reason), v_result);
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION auth_sync.set_employee_active(bigint, boolean, text) IS
    'Activates or deactivates an employee; deactivation bans the auth user (and revokes its sessions) in the same transaction, reactivation lifts auth_sync''s ban.';

CREATE FUNCTION auth_sync.provision_employee_accounts(dry_run boolean DEFAULT false,
                                                      generate_passwords boolean DEFAULT false)
RETURNS TABLE (employee_id bigint, email text, user_id uuid, status text, error_code text,
               message text, temp_password text, batch_id uuid)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '128MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    r         auth_sync.linked_tables := auth_sync._linked_table();
    v_started timestamptz := clock_timestamp();
    v_dry     boolean := coalesce(provision_employee_accounts.dry_run, false);
    v_gen     boolean := coalesce(provision_employee_accounts.generate_passwords, false);
    v_names   boolean;
    v_keys    bigint[];
    v_csv     text;
    v_counts  jsonb;
    -- the report, column by column
    v_r_keys   bigint[];
    v_r_emails text[];
    v_r_users  uuid[];
    v_r_status text[];
    v_r_codes  text[];
    v_r_msgs   text[];
    v_r_pw     text[];
    v_r_batch  uuid[];
BEGIN
    -- first_name / last_name go to the user metadata when the table has them
    v_names := (SELECT count(*) = 2 FROM pg_attribute a
                 WHERE a.attrelid = r.target AND a.attname IN ('first_name', 'last_name')
                   AND a.attnum > 0 AND NOT a.attisdropped AND auth_sync._column_kind(a.atttypid) = 'text');
    EXECUTE format($q$
        SELECT array_agg(t.%1$I::bigint ORDER BY t.%1$I),
               string_agg(auth_sync._csv_field(t.%2$I::text)%5$s, E'\n' ORDER BY t.%1$I)
          FROM %4$s AS t
         WHERE t.%3$I IS NULL AND t.%6$I$q$,
        r.key_column, r.email_column, r.auth_user_column, r.target,
        CASE WHEN v_names THEN $s$ || ',' || auth_sync._csv_field(t.first_name::text) || ',' || auth_sync._csv_field(t.last_name::text)$s$ ELSE '' END,
        r.active_column)
        INTO v_keys, v_csv;
    IF v_keys IS NULL THEN
        PERFORM auth_sync._audit('provision_employee_accounts',
            jsonb_build_object('dry_run', v_dry, 'generate_passwords', v_gen), '{"rows": 0}');
        RETURN;
    END IF;
    v_csv := CASE WHEN v_names THEN 'email,first_name,last_name' ELSE 'email' END || E'\n' || v_csv || E'\n';

    -- (the report is held in arrays, not a temp table: generated passwords stay out of every table;
    -- it comes back in file order: the n-th record is the n-th employee)
    SELECT array_agg(e.k ORDER BY b.ord), array_agg(b.email ORDER BY b.ord), array_agg(b.user_id ORDER BY b.ord),
           array_agg(b.status ORDER BY b.ord), array_agg(b.error_code ORDER BY b.ord),
           array_agg(b.message ORDER BY b.ord), array_agg(b.temp_password ORDER BY b.ord),
           array_agg(b.batch_id ORDER BY b.ord)
      INTO v_r_keys, v_r_emails, v_r_users, v_r_status, v_r_codes, v_r_msgs, v_r_pw, v_r_batch
      FROM auth_sync.bulk_create_users(v_csv, on_conflict => 'error', atomic => false, dry_run => v_dry,
                                       generate_passwords => v_gen, source_name => 'provision_employee_accounts')
           WITH ORDINALITY AS b(line_number, email, user_id, status, error_code, message, temp_password, batch_id, ord)
      JOIN unnest(v_keys) WITH ORDINALITY AS e(k, ord) ON e.ord = b.ord;
    v_csv := NULL;

    IF NOT v_dry THEN
        INSERT INTO auth_sync.integration_sync_log
               (action, employee_id, auth_user_id, request_data, status, error_message, created_at, completed_at)
        SELECT 'CREATE_ACCOUNT', p.employee_id, p.user_id,
               jsonb_build_object('source', 'provision_employee_accounts', 'db_user', auth_sync._caller(),
                                  'email', p.email, 'batch_id', p.batch_id,
                                  'password', CASE WHEN p.generated THEN 'generated' ELSE 'none' END),
               CASE WHEN p.status = 'created' THEN 'SUCCESS' ELSE 'FAILED' END,
               CASE WHEN p.status <> 'created' THEN coalesce(p.error_code || ': ' || p.message, p.status) END,
               v_started, clock_timestamp()
          FROM unnest(v_r_keys, v_r_emails, v_r_users, v_r_status, v_r_codes, v_r_msgs, v_r_batch,
                      (SELECT array_agg(pw IS NOT NULL) FROM unnest(v_r_pw) AS pw))
               AS p(employee_id, email, user_id, status, error_code, message, batch_id, generated);
    END IF;
    SELECT coalesce(jsonb_object_agg(x.status, x.n), '{}') INTO v_counts
      FROM (SELECT st AS status, count(*) AS n FROM unnest(v_r_status) AS st GROUP BY 1) AS x;
    PERFORM auth_sync._audit('provision_employee_accounts',
        jsonb_build_object('dry_run', v_dry, 'generate_passwords', v_gen), v_counts);
    RETURN QUERY
        SELECT * FROM unnest(v_r_keys, v_r_emails, v_r_users, v_r_status, v_r_codes, v_r_msgs, v_r_pw, v_r_batch)
                      AS p(employee_id, email, user_id, status, error_code, message, temp_password, batch_id)
         ORDER BY p.employee_id;
END
$$;
COMMENT ON FUNCTION auth_sync.provision_employee_accounts(boolean, boolean) IS
    'Creates auth accounts (through bulk_create_users) for every active employee without one; returns the import report with employee ids.';
