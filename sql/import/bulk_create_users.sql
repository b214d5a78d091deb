-- bulk_create_users(): the import's entry point (see sql/import/tables.sql for the design), and
-- its steps, in the order it takes them.

-- 1. Parses, validates and hashes the file (Rust; raises 22P04/22023 for whole-file problems) into
--    pg_temp.auth_sync_import, and in the same pass: the company by name (case-insensitively), an
--    existing user with the email (case-insensitively) or the id, the status of each row, and where
--    each file column goes. Returns the generated passwords, in file order (NULL without them),
--    and the number of rows.
CREATE FUNCTION auth_sync._import_stage(p_csv text, p_company text, p_conflict text, p_dry boolean,
                                        p_gen boolean, p_pcols text[], p_companies jsonb,
                                        OUT temp_passwords text[], OUT n int)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sql   text;
    v_extra text[];
BEGIN
    PERFORM auth_sync._import_create_temp();
    -- the names of the file's extra columns ($8), in the order of each row's extra values
    v_extra := auth_sync._import_extra_columns(p_csv);
    -- (p: the file's rows, read from _import_prepare, or from a CTE over it when the generated
    -- passwords are wanted; x: with what exists; d: with the row's user id and error code)
    v_sql := format($q$
    INSERT INTO pg_temp.auth_sync_import
           (i, k, line_number, email, user_id, password_hash, has_password, phone,
            email_confirmed, created_at, user_metadata, app_metadata, profile_values,
            status, error_code, message)
    SELECT d.i, row_number() OVER (ORDER BY d.uid), d.line_number, d.email, d.uid,
           d.password_hash, d.has_password, d.phone,
           d.email_confirmed, d.created_at::timestamptz,
           -- the file's other columns (and role, when no profile table has it) into the metadata
           -- (built here, after the sort of the window: the rows come with their extra values
           -- only, the names once in $8, so no copy of the rows repeats the names)
           coalesce(d.user_metadata::jsonb, '{}')
           || CASE WHEN d.extra IS NULL THEN '{}'
                   ELSE coalesce((SELECT jsonb_object_agg(kv.k, kv.v) FROM unnest($8::text[], d.extra) AS kv(k, v)
                                   WHERE kv.v IS NOT NULL AND NOT kv.k = ANY ($6)), '{}') END
           || CASE WHEN d.role IS NOT NULL AND NOT 'role' = ANY ($6) THEN jsonb_build_object('role', d.role) ELSE '{}' END,
           coalesce(d.app_metadata::jsonb, '{}'),
           nullif(CASE WHEN d.extra IS NULL THEN '{}'
                       ELSE coalesce((SELECT jsonb_object_agg(kv.k, kv.v) FROM unnest($8::text[], d.extra) AS kv(k, v)
                                       WHERE kv.v IS NOT NULL AND kv.k = ANY ($6)), '{}') END
                  || CASE WHEN d.role IS NOT NULL AND 'role' = ANY ($6) THEN jsonb_build_object('role', d.role) ELSE '{}' END
                  || CASE WHEN d.company_id IS NOT NULL AND 'company_id' = ANY ($6) THEN jsonb_build_object('company_id', d.company_id) ELSE '{}' END,
                  '{}'),
           CASE WHEN d.code IS NOT NULL THEN 'failed'
                WHEN d.existing_id IS NULL AND NOT d.id_taken THEN 'created'
                WHEN $5 = 'skip' THEN 'skipped'
                ELSE 'updated' END,
           d.code,
           CASE WHEN d.error_code IS NOT NULL THEN d.message
                WHEN d.code = 'unknown_company' THEN %3$s
                WHEN d.code = 'email_exists' THEN format('a user with email %%s already exists', d.email)
                WHEN d.code = 'id_exists' AND d.existing_id IS NOT NULL THEN
                     format('id %%s belongs to another user than email %%s', d.user_id, d.email)
                WHEN d.code = 'id_exists' THEN format('a user with id %%s already exists', d.user_id)
                WHEN d.existing_id IS NOT NULL OR d.id_taken THEN
                     CASE $5 WHEN 'skip' THEN 'a user with this email or id already exists' END
                END
      FROM (SELECT x.*, coalesce(x.existing_id, x.user_id::uuid, x.new_id) AS uid,
               CASE WHEN x.error_code IS NOT NULL THEN x.error_code
                    WHEN x.company_name IS NOT NULL AND x.company_id IS NULL THEN 'unknown_company'
                    WHEN x.existing_id IS NULL AND NOT x.id_taken THEN NULL
                    WHEN $5 = 'skip' THEN NULL
                    WHEN $5 = 'update' AND x.existing_id IS NOT NULL
                         AND (x.user_id IS NULL OR x.user_id::uuid = x.existing_id) THEN NULL
                    WHEN $5 = 'error' AND x.existing_id IS NOT NULL THEN 'email_exists'
                    ELSE 'id_exists' END AS code
          FROM (
                SELECT p.*, e.id AS existing_id, coalesce(idt.taken, false) AS id_taken,
                       coalesce(p.company, $4) AS company_name, c.company_id
                  FROM %1$s AS p
                  LEFT JOIN LATERAL (SELECT u.id FROM auth.users u
                                      WHERE p.error_code IS NULL
                                        AND u.instance_id = auth_sync._instance_id()
                                        AND lower(u.email::text) = p.email AND NOT u.is_sso_user
                                      LIMIT 1) AS e ON true
                  LEFT JOIN LATERAL (SELECT true AS taken FROM auth.users u
                                      WHERE p.error_code IS NULL AND p.user_id IS NOT NULL AND u.id = p.user_id::uuid) AS idt ON true
                  LEFT JOIN LATERAL (SELECT ($7 ->> lower(coalesce(p.company, $4)))::uuid AS company_id) AS c ON true
                ) AS x
           ) AS d$q$,
        -- (called in a select list, the function hands its rows over one at a time; in FROM,
        -- Postgres would first copy all of them into a tuplestore)
        CASE WHEN p_gen AND NOT p_dry THEN 'p'
             ELSE '(SELECT (f.r).* FROM (SELECT auth_sync._import_prepare($1, $2, $3) AS r OFFSET 0) AS f)' END,
        NULL,
        CASE WHEN p_companies IS NULL
             THEN $m$format('company %s: there is no public.companies table', quote_literal(d.company_name))$m$
             ELSE $m$format('no company is named %s in public.companies', quote_literal(d.company_name))$m$ END);
    IF p_gen AND NOT p_dry THEN
        -- the generated passwords come back from the same call of _import_prepare (they are never
        -- written to the temp table)
        EXECUTE 'WITH p AS (SELECT * FROM auth_sync._import_prepare($1, $2, $3)), ins AS (' || v_sql || ')
                 SELECT array_agg(p.temp_password ORDER BY p.i), count(*) FROM p'
            INTO temp_passwords, n
            USING p_csv, NOT p_dry, p_gen AND NOT p_dry, p_company, p_conflict, p_pcols, p_companies, v_extra;
    ELSE
        -- (straight from the function: no copy of its rows in a CTE)
        EXECUTE v_sql
            USING p_csv, NOT p_dry, p_gen AND NOT p_dry, p_company, p_conflict, p_pcols, p_companies, v_extra;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    -- (each chunk reads its range of k through this index; built once the table is filled, it
    -- costs a fifth of what maintaining it row by row during the fill does)
    CREATE UNIQUE INDEX ON pg_temp.auth_sync_import (k);
END
$$;

-- 2. Phones: another user's, or twice in the file.
CREATE FUNCTION auth_sync._import_check_phones() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_temp.auth_sync_import t WHERE t.phone IS NOT NULL AND t.status IN ('created', 'updated')) THEN
        UPDATE pg_temp.auth_sync_import t
           SET status = 'failed', error_code = 'phone_exists',
               message = format('another user already has phone %s', t.phone)
         WHERE t.status IN ('created', 'updated') AND t.phone IS NOT NULL
           AND EXISTS (SELECT FROM auth.users u WHERE u.phone = t.phone AND u.id <> t.user_id);
        UPDATE pg_temp.auth_sync_import t
           SET status = 'failed', error_code = 'duplicate_in_file',
               message = format('phone %s is also on line %s', t.phone, d.first_line)
          FROM (SELECT x.phone, min(x.i) AS first_i, min(x.line_number) AS first_line
                  FROM pg_temp.auth_sync_import x WHERE x.status IN ('created', 'updated') AND x.phone IS NOT NULL
                 GROUP BY x.phone HAVING count(*) > 1) AS d
         WHERE t.phone = d.phone AND t.i > d.first_i AND t.status IN ('created', 'updated');
    END IF;
END
$$;

-- 3. Writes the staged rows chunk by chunk, set-based; a chunk that fails is redone row by row to
--    find the rows that fail (profile_rejected & co.); atomic: any failure writes nothing at all.
--    Marks the rows that failed and returns how many did.
CREATE FUNCTION auth_sync._import_write_all(p_n int, p_atomic boolean, p_started timestamptz) RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_chunk     constant int := 20000;
    v_lo        int;
    v_done      int := 0;
    v_last_note timestamptz := clock_timestamp();
    v_fail_i    int[]  := '{}';
    v_fail_code text[] := '{}';
    v_fail_msg  text[] := '{}';
    v_i         int;
    v_k         int;
    v_state     text;
    v_msg       text;
    v_constr    text;
BEGIN
    PERFORM auth_sync._set_internal('auth_sync.bulk_import', 'on');  -- the auth.users triggers stand aside
    BEGIN
        FOR v_lo IN SELECT g FROM generate_series(1, greatest(p_n, 1), v_chunk) AS g LOOP
            BEGIN
                PERFORM auth_sync._import_write(v_lo, v_lo + v_chunk - 1);
            EXCEPTION WHEN OTHERS THEN
                -- (in file order: of two rows that clash, the later line fails)
                FOR v_i, v_k IN SELECT t.i, t.k FROM pg_temp.auth_sync_import t
                                 WHERE t.k BETWEEN v_lo AND v_lo + v_chunk - 1 AND t.status IN ('created', 'updated')
                                 ORDER BY t.i LOOP
                    BEGIN
                        PERFORM auth_sync._import_write(v_k, v_k);
                    EXCEPTION WHEN OTHERS THEN
                        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                                                v_constr = CONSTRAINT_NAME;
                        v_fail_i    := v_fail_i || v_i;
                        v_fail_code := v_fail_code || CASE
                            WHEN v_state = '23505' AND v_constr = 'users_email_partial_key' THEN 'email_exists'
                            WHEN v_state = '23505' AND v_constr = 'users_pkey' THEN 'id_exists'
                            WHEN v_state = '23505' AND v_constr = 'users_phone_key' THEN 'phone_exists'
                            ELSE 'profile_rejected' END;
                        v_fail_msg  := v_fail_msg || format('%s (SQLSTATE %s)', v_msg, v_state);
                    END;
                END LOOP;
            END;
            v_done := least(v_lo + v_chunk - 1, p_n);
            IF clock_timestamp() - v_last_note >= interval '5 seconds' OR v_done = p_n AND p_n > v_chunk THEN
                v_last_note := clock_timestamp();
                RAISE NOTICE 'auth_sync.bulk_create_users: % of % rows written (% rows/s)', v_done, p_n,
                    round(v_done / greatest(extract(epoch FROM clock_timestamp() - p_started), 0.001));
                PERFORM auth_sync._report_progress(format('auth_sync.bulk_create_users: %s of %s rows written', v_done, p_n));
            END IF;
        END LOOP;
        -- the capabilities loaded later hear of the new users: the employee linking, whose
        -- per-row trigger stood aside with the profile triggers, links them set-based
        IF NOT (p_atomic AND cardinality(v_fail_i) > 0) THEN
            PERFORM auth_sync._raise_event('users_created',
                (SELECT array_agg(t.user_id) FROM pg_temp.auth_sync_import t
                  WHERE t.status = 'created' AND NOT t.i = ANY (v_fail_i)));
        END IF;
        IF p_atomic AND cardinality(v_fail_i) > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'AS001', MESSAGE = 'auth_sync: atomic import rolled back';
        END IF;
    EXCEPTION WHEN SQLSTATE 'AS001' THEN
        NULL;  -- everything this import wrote is rolled back; the rows are reported below
    END;
    PERFORM auth_sync._set_internal('auth_sync.bulk_import', 'off');
    UPDATE pg_temp.auth_sync_import t
       SET status = 'failed', error_code = f.code, message = f.msg
      FROM unnest(v_fail_i, v_fail_code, v_fail_msg) AS f(i, code, msg)
     WHERE t.i = f.i;
    RETURN cardinality(v_fail_i);
END
$$;

-- 4. The statuses of a dry run, or of an atomic import that failed; then the journal: the batch,
--    every row (never a password or a hash), the audit log.
CREATE FUNCTION auth_sync._import_journal(p_batch uuid, p_started timestamptz, p_source_name text,
                                          p_options jsonb, p_failed int) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_dry    boolean := (p_options ->> 'dry_run')::boolean;
    v_atomic boolean := (p_options ->> 'atomic')::boolean;
    v_counts jsonb;
    v_status text;
BEGIN
    IF v_dry THEN
        UPDATE pg_temp.auth_sync_import t
           SET status = CASE t.status WHEN 'created' THEN 'would_create' WHEN 'updated' THEN 'would_update'
                                      WHEN 'skipped' THEN 'would_skip' ELSE t.status END;
    ELSIF v_atomic AND p_failed > 0 THEN
        UPDATE pg_temp.auth_sync_import t SET status = 'not_created' WHERE t.status <> 'failed';
    END IF;

    SELECT jsonb_build_object('rows', coalesce(sum(x.n), 0)) || coalesce(jsonb_object_agg(x.status, x.n), '{}')
      INTO v_counts
      FROM (SELECT t.status, count(*) AS n FROM pg_temp.auth_sync_import t GROUP BY t.status) AS x;
    v_status := CASE WHEN v_dry THEN 'dry_run'
                     WHEN p_failed = 0 THEN 'completed'
                     WHEN v_atomic THEN 'failed'
                     ELSE 'partial' END;
    INSERT INTO auth_sync.import_batches (id, started_at, run_by, claimed_sub, source_name, options, counts, status)
    VALUES (p_batch, p_started, auth_sync._caller(), auth_sync._jwt_claims() ->> 'sub', p_source_name,
            p_options, v_counts, v_status);
    INSERT INTO auth_sync.import_rows (batch_id, line_number, email, user_id, status, error_code, message)
    SELECT p_batch, t.line_number, t.email,
           CASE WHEN t.status IN ('created', 'updated', 'skipped', 'would_update', 'would_skip') THEN t.user_id END,
           t.status, t.error_code, t.message
      FROM pg_temp.auth_sync_import t;
    PERFORM auth_sync._audit('bulk_create_users',
        jsonb_build_object('batch_id', p_batch, 'source_name', p_source_name) || p_options,
        v_counts || jsonb_build_object('status', v_status));
END
$$;

CREATE FUNCTION auth_sync.bulk_create_users(
    csv                text,
    company            text    DEFAULT NULL,
    on_conflict        text    DEFAULT 'error',
    atomic             boolean DEFAULT true,
    dry_run            boolean DEFAULT false,
    generate_passwords boolean DEFAULT false,
    source_name        text    DEFAULT NULL)
RETURNS TABLE (line_number int, email text, user_id uuid, status text, error_code text,
               message text, temp_password text, batch_id uuid)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the parsed rows and the generated passwords stay in memory rather than in temp files
SET work_mem = '256MB'
AS $$
#variable_conflict use_column
DECLARE
    v_batch     uuid        := gen_random_uuid();
    v_started   timestamptz := clock_timestamp();
    v_conflict  text        := lower(btrim(coalesce(bulk_create_users.on_conflict, 'error')));
    v_atomic    boolean     := coalesce(bulk_create_users.atomic, true);
    v_dry       boolean     := coalesce(bulk_create_users.dry_run, false);
    v_gen       boolean     := coalesce(bulk_create_users.generate_passwords, false);
    v_company   text        := nullif(btrim(bulk_create_users.company), '');
    v_temp      text[];
    v_pcols     text[];
    v_n         int;
    v_failed    int;
    v_companies jsonb;
BEGIN
    IF bulk_create_users.csv IS NULL THEN
        RAISE EXCEPTION 'csv is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF v_conflict NOT IN ('error', 'skip', 'update') THEN
        RAISE EXCEPTION 'on_conflict must be ''error'', ''skip'' or ''update'', not %', quote_literal(bulk_create_users.on_conflict)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- the columns of the profile tables: a file column with one of these names goes to the profile
    SELECT coalesce(array_agg(DISTINCT a.attname::text), '{}') INTO v_pcols
      FROM auth_sync._profile_tables() AS tt
      JOIN pg_attribute a ON a.attrelid = tt AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      JOIN auth_sync.managed_tables m ON m.target = tt AND a.attname <> m.user_column;

    -- the companies by lower-case name, read as the owner of public.companies (a view or anything
    -- but a table named so is no company table: its code would run as auth_sync)
    IF EXISTS (SELECT FROM pg_class c WHERE c.oid = to_regclass('public.companies') AND c.relkind IN ('r', 'p')) THEN
        v_companies := coalesce(auth_sync._as_owner('public.companies'::regclass,
            'SELECT jsonb_object_agg(c.lname, c.id) FROM (SELECT DISTINCT ON (lower(co.name)) lower(co.name) AS lname, co.id
                                                           FROM public.companies co ORDER BY lower(co.name), co.id) AS c',
            0), '{}');
    END IF;

    SELECT st.temp_passwords, st.n INTO v_temp, v_n
      FROM auth_sync._import_stage(bulk_create_users.csv, v_company, v_conflict, v_dry, v_gen, v_pcols,
                                   v_companies) AS st;
    PERFORM auth_sync._import_check_phones();
    SELECT count(*) FILTER (WHERE t.status = 'failed') INTO v_failed FROM pg_temp.auth_sync_import t;
    IF NOT v_dry AND NOT (v_atomic AND v_failed > 0) THEN
        v_failed := v_failed + auth_sync._import_write_all(v_n, v_atomic, v_started);
    END IF;
    PERFORM auth_sync._import_journal(v_batch, v_started, bulk_create_users.source_name,
        jsonb_build_object('company', v_company, 'on_conflict', v_conflict, 'atomic', v_atomic,
                           'dry_run', v_dry, 'generate_passwords', v_gen),
        v_failed);
    -- (pg_stat_activity shows the real query again, after the progress of hashing and writing)
    PERFORM auth_sync._report_progress(NULL);

    RETURN QUERY
        SELECT t.line_number, t.email,
               CASE WHEN t.status IN ('created', 'updated', 'skipped', 'would_update', 'would_skip') THEN t.user_id END,
               t.status, t.error_code, t.message,
               CASE WHEN t.status = 'created' THEN tp.pw END,
               v_batch
          FROM pg_temp.auth_sync_import t
          -- (a join: a subscript into the array variable per row would walk it from the start;
          -- without generated passwords v_temp is NULL and the join is empty)
          LEFT JOIN unnest(v_temp) WITH ORDINALITY AS tp(pw, i) ON tp.i = t.i
         ORDER BY t.i;
    DROP TABLE pg_temp.auth_sync_import;
END
$$;
COMMENT ON FUNCTION auth_sync.bulk_create_users(text, text, text, boolean, boolean, boolean, text) IS
    'Creates auth users (with identities and profile rows) from a CSV file in the caller''s transaction; returns one report row per record. Pass the CSV as a bound parameter.';
