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
-- foreign-key check per journal row is a cost of its own in a large import)
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
        -- instead of at random places, which touches far fewer index pages
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

