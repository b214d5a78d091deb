-- Bulk creation of auth users from CSV: auth_sync.bulk_create_users().
--
-- The file is parsed, validated and its passwords hashed in Rust (auth_sync._import_prepare:
-- plaintext passwords never leave it), conflicts are found set-based, and the users, their
-- identities and their profile rows are written with a few set-based statements per chunk of rows,
-- all in the caller's transaction.

CREATE TABLE auth_sync.import_batches (
    id           uuid        PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    -- who: known (the calling role, the login role) and claimed (request.jwt.claims; schema.sql)
    run_by       text        NOT NULL,
    session_role text        NOT NULL DEFAULT session_user,
    claimed_sub  text        NULL,
    source_name  text        NULL,
    options      jsonb       NOT NULL,
    counts       jsonb       NOT NULL,
    status       text        NOT NULL CHECK (status IN ('completed', 'partial', 'failed', 'dry_run'))
);
COMMENT ON TABLE auth_sync.import_batches IS 'One row per bulk_create_users() call (never the file, a password or a hash).';

-- (batch_id names a row of import_batches; no foreign key: bulk_create_users writes both, and a
-- per-row foreign-key check costs about a tenth of a 100,000-row import)
CREATE TABLE auth_sync.import_rows (
    batch_id    uuid NOT NULL,
    line_number int  NOT NULL,
    email       text NULL,
    user_id     uuid NULL,
    status      text NOT NULL,
    error_code  text NULL,
    message     text NULL
);
-- (one batch's rows share the key: deduplicated, this index costs far less per row than a
-- unique (batch_id, line_number) one; line numbers are unique per batch by construction)
CREATE INDEX import_rows_batch_id_idx ON auth_sync.import_rows (batch_id);
COMMENT ON TABLE auth_sync.import_rows IS 'The report of every bulk_create_users() row (never a password or a hash).';

SELECT pg_catalog.pg_extension_config_dump('auth_sync.import_batches', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.import_rows', '');

-- The rows of the import in progress (the call's temp table), without passwords: hashes only.
-- _import_write() reads it; one definition serves the set-based path and the one-row fallback.
CREATE FUNCTION auth_sync._import_create_temp() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass('pg_temp.auth_sync_import') IS NOT NULL THEN
        DROP TABLE pg_temp.auth_sync_import;
    END IF;
    CREATE TEMP TABLE auth_sync_import (
        i               int NOT NULL,  -- the record's position in the file (unique)
        -- the position in write order, which is user_id order: the users, identities and
        -- profile rows then go into their tables' id indexes in key order, chunk after chunk,
        -- instead of at random places (a tenth less time for a 100,000-user import)
        k               int NOT NULL,  -- (unique; indexed once the table is filled)
        line_number     int NOT NULL,
        email           text,
        user_id         uuid,
        password_hash   text,
        has_password    boolean NOT NULL,
        phone           text,
        email_confirmed boolean NOT NULL,
        created_at      timestamptz,
        user_metadata   jsonb NOT NULL,
        app_metadata    jsonb NOT NULL,
        profile_values  jsonb,  -- (NULL: none; most files set no profile column)
        status          text,
        error_code      text,
        message         text
    ) ON COMMIT DROP;
    -- the owner of auth.users writes the users from it (_import_write); it holds their hashes anyway
    EXECUTE format('GRANT SELECT ON pg_temp.auth_sync_import TO %I',
                   (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                     WHERE c.oid = 'auth.users'::regclass));
END
$$;

-- The sources (see auth_sync.user_source) of the import's rows k in [p_lo, p_hi] of status
-- p_status, in k order, as the auth users written from them hold them: what the profile tables'
-- owners get, with the file's profile columns as extra (no join back to auth.users for new users).
CREATE FUNCTION auth_sync._import_sources(p_lo int, p_hi int, p_status text, p_fields boolean)
RETURNS auth_sync.user_source[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(ROW(s.id, s.email, s.phone, s.email_confirmed_at, s.raw_user_meta_data,
                                  s.raw_app_meta_data, s.created_at, NULL, NULL,
                                  CASE WHEN p_fields THEN auth_sync.extract_user_fields(s.raw_user_meta_data, s.raw_app_meta_data, s.email) END,
                                  s.profile_values)::auth_sync.user_source ORDER BY s.k), '{}')
      FROM (SELECT t.k, t.user_id AS id, t.email, t.phone,
                   CASE WHEN t.email_confirmed THEN now() END AS email_confirmed_at,
                   t.user_metadata AS raw_user_meta_data,
                   t.app_metadata || '{"provider": "email", "providers": ["email"]}'::jsonb AS raw_app_meta_data,
                   coalesce(t.created_at, now()) AS created_at, t.profile_values
              FROM pg_temp.auth_sync_import t
             WHERE t.k BETWEEN p_lo AND p_hi AND t.status = p_status AND p_status = 'created'
            UNION ALL
            -- updated users: as they are now, after the update
            SELECT t.k, r.id, r.email, r.phone, r.email_confirmed_at, r.raw_user_meta_data,
                   r.raw_app_meta_data, r.created_at, t.profile_values
              FROM pg_temp.auth_sync_import t JOIN auth.users r ON r.id = t.user_id
             WHERE t.k BETWEEN p_lo AND p_hi AND t.status = p_status AND p_status = 'updated') AS s
$$;

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

    PERFORM auth_sync._as_owner('auth.users'::regclass,
        $w$WITH r AS (
            INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
                                    phone, confirmation_token, recovery_token, email_change_token_new, email_change,
                                    is_sso_user, is_anonymous)
            SELECT '00000000-0000-0000-0000-000000000000', t.user_id, 'authenticated', 'authenticated', t.email,
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
        SELECT NULL::jsonb FROM r LIMIT 1$w$,
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
    v_pending   int;
    v_chunk     constant int := 20000;
    v_lo        int;
    v_done      int := 0;
    v_last_note timestamptz := clock_timestamp();
    v_fail_i    int[]  := '{}';
    v_fail_code text[] := '{}';
    v_fail_msg  text[] := '{}';
    v_i         int;
    v_k         int;
    v_sql       text;
    v_state     text;
    v_msg       text;
    v_constr    text;
    v_counts    jsonb;
    v_status    text;
    v_companies jsonb;
    v_extra     text[];
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

    -- 1. parse, validate and hash (Rust; raises 22P04/22023 for whole-file problems), then in the
    --    same pass: the company by name (case-insensitively), an existing user with the email
    --    (case-insensitively) or the id, the status of each row, and where each file column goes
    PERFORM auth_sync._import_create_temp();
    -- the names of the file's extra columns ($8), in the order of each row's extra values
    v_extra := auth_sync._import_extra_columns(bulk_create_users.csv);
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
                                        AND u.instance_id = '00000000-0000-0000-0000-000000000000'
                                        AND lower(u.email::text) = p.email AND NOT u.is_sso_user
                                      LIMIT 1) AS e ON true
                  LEFT JOIN LATERAL (SELECT true AS taken FROM auth.users u
                                      WHERE p.error_code IS NULL AND p.user_id IS NOT NULL AND u.id = p.user_id::uuid) AS idt ON true
                  LEFT JOIN LATERAL (SELECT ($7 ->> lower(coalesce(p.company, $4)))::uuid AS company_id) AS c ON true
                ) AS x
           ) AS d$q$,
        -- (called in a select list, the function hands its rows over one at a time; in FROM,
        -- Postgres would first copy all of them into a tuplestore)
        CASE WHEN v_gen AND NOT v_dry THEN 'p'
             ELSE '(SELECT (f.r).* FROM (SELECT auth_sync._import_prepare($1, $2, $3) AS r OFFSET 0) AS f)' END,
        NULL,
        CASE WHEN v_companies IS NULL
             THEN $m$format('company %s: there is no public.companies table', quote_literal(d.company_name))$m$
             ELSE $m$format('no company is named %s in public.companies', quote_literal(d.company_name))$m$ END);
    IF v_gen AND NOT v_dry THEN
        -- the generated passwords come back from the same call of _import_prepare (they are never
        -- written to the temp table)
        EXECUTE 'WITH p AS (SELECT * FROM auth_sync._import_prepare($1, $2, $3)), ins AS (' || v_sql || ')
                 SELECT array_agg(p.temp_password ORDER BY p.i), count(*) FROM p'
            INTO v_temp, v_n
            USING bulk_create_users.csv, NOT v_dry, v_gen AND NOT v_dry, v_company, v_conflict, v_pcols, v_companies, v_extra;
    ELSE
        -- (straight from the function: no copy of its rows in a CTE)
        EXECUTE v_sql
            USING bulk_create_users.csv, NOT v_dry, v_gen AND NOT v_dry, v_company, v_conflict, v_pcols, v_companies, v_extra;
        GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    -- (each chunk reads its range of k through this index; built once the table is filled, it
    -- costs a fifth of what maintaining it row by row during the fill does)
    CREATE UNIQUE INDEX ON pg_temp.auth_sync_import (k);

    -- 2. phones: another user's, or twice in the file
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

    SELECT count(*) FILTER (WHERE t.status = 'failed') INTO v_pending FROM pg_temp.auth_sync_import t;

    -- 5. write: chunk by chunk, set-based; a chunk that fails is redone row by row to find the
    --    rows that fail (profile_rejected & co.); atomic: any failure writes nothing at all
    IF NOT v_dry AND NOT (v_atomic AND v_pending > 0) THEN
        PERFORM auth_sync._set_internal('auth_sync.bulk_import', 'on');  -- the auth.users triggers stand aside
        BEGIN
            FOR v_lo IN SELECT g FROM generate_series(1, greatest(v_n, 1), v_chunk) AS g LOOP
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
                v_done := least(v_lo + v_chunk - 1, v_n);
                IF clock_timestamp() - v_last_note >= interval '5 seconds' OR v_done = v_n AND v_n > v_chunk THEN
                    v_last_note := clock_timestamp();
                    RAISE NOTICE 'auth_sync.bulk_create_users: % of % rows written (% rows/s)', v_done, v_n,
                        round(v_done / greatest(extract(epoch FROM clock_timestamp() - v_started), 0.001));
                    PERFORM auth_sync._report_progress(format('auth_sync.bulk_create_users: %s of %s rows written', v_done, v_n));
                END IF;
            END LOOP;
            -- the capabilities loaded later hear of the new users: the employee linking, whose
            -- per-row trigger stood aside with the profile triggers, links them set-based
            IF NOT (v_atomic AND cardinality(v_fail_i) > 0) THEN
                PERFORM auth_sync._raise_event('users_created',
                    (SELECT array_agg(t.user_id) FROM pg_temp.auth_sync_import t
                      WHERE t.status = 'created' AND NOT t.i = ANY (v_fail_i)));
            END IF;
            IF v_atomic AND cardinality(v_fail_i) > 0 THEN
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
        v_pending := v_pending + cardinality(v_fail_i);
    END IF;

    -- 6. statuses for a dry run, or an atomic import that failed
    IF v_dry THEN
        UPDATE pg_temp.auth_sync_import t
           SET status = CASE t.status WHEN 'created' THEN 'would_create' WHEN 'updated' THEN 'would_update'
                                      WHEN 'skipped' THEN 'would_skip' ELSE t.status END;
    ELSIF v_atomic AND v_pending > 0 THEN
        UPDATE pg_temp.auth_sync_import t SET status = 'not_created' WHERE t.status <> 'failed';
    END IF;

    -- 7. the journal: the batch, every row (never a password or a hash), the audit log
    SELECT jsonb_build_object('rows', coalesce(sum(x.n), 0)) || coalesce(jsonb_object_agg(x.status, x.n), '{}')
      INTO v_counts
      FROM (SELECT t.status, count(*) AS n FROM pg_temp.auth_sync_import t GROUP BY t.status) AS x;
    v_status := CASE WHEN v_dry THEN 'dry_run'
                     WHEN v_pending = 0 THEN 'completed'
                     WHEN v_atomic THEN 'failed'
                     ELSE 'partial' END;
    INSERT INTO auth_sync.import_batches (id, started_at, run_by, claimed_sub, source_name, options, counts, status)
    VALUES (v_batch, v_started, auth_sync._caller(), auth_sync._jwt_claims() ->> 'sub', bulk_create_users.source_name,
            jsonb_build_object('company', v_company, 'on_conflict', v_conflict, 'atomic', v_atomic,
                               'dry_run', v_dry, 'generate_passwords', v_gen),
            v_counts, v_status);
    INSERT INTO auth_sync.import_rows (batch_id, line_number, email, user_id, status, error_code, message)
    SELECT v_batch, t.line_number, t.email,
           CASE WHEN t.status IN ('created', 'updated', 'skipped', 'would_update', 'would_skip') THEN t.user_id END,
           t.status, t.error_code, t.message
      FROM pg_temp.auth_sync_import t;
    PERFORM auth_sync._audit('bulk_create_users',
        jsonb_build_object('batch_id', v_batch, 'source_name', bulk_create_users.source_name, 'company', v_company,
                           'on_conflict', v_conflict, 'atomic', v_atomic, 'dry_run', v_dry,
                           'generate_passwords', v_gen),
        v_counts || jsonb_build_object('status', v_status));
    IF v_n > v_chunk THEN
        PERFORM auth_sync._report_progress(NULL);
    END IF;

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
