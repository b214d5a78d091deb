-- auth_sync's own tables. Their rows are configuration and journals, so pg_dump keeps them
-- (pg_extension_config_dump) and a restore brings them back with the extension.

-- Tables the extension manages (register_table / unregister_table).
CREATE TABLE auth_sync.managed_tables (
    target        regclass    PRIMARY KEY,
    user_column   name        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('profile', 'owned')),
    column_map    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(column_map) = 'object'),
    source        text        NOT NULL DEFAULT 'supabase' CHECK (source ~ '^[a-z][a-z0-9_]{0,62}$'),
    -- true when a unique index covers exactly the user column: inserts can rely on ON CONFLICT
    user_unique   boolean     NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by text        NOT NULL
);
COMMENT ON TABLE auth_sync.managed_tables IS 'Tables registered with auth_sync.register_table().';

-- A profile row the triggers could not write. The sign-up went through; this says what to fix.
CREATE TABLE auth_sync.sync_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text        NOT NULL,
    table_name  text        NOT NULL,
    operation   text        NOT NULL,
    sqlstate    text        NOT NULL,
    message     text        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX sync_failures_occurred_at_idx ON auth_sync.sync_failures (occurred_at);
COMMENT ON TABLE auth_sync.sync_failures IS
    'Profile writes that failed inside the auth.users triggers (the sign-up itself went through).';

-- One row per sync run (sync_profiles and the other repairs).
CREATE TABLE auth_sync.sync_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation   text        NOT NULL,
    dry_run     boolean     NOT NULL,
    run_by      text        NOT NULL,
    jwt_sub     text        NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    counts      jsonb       NOT NULL DEFAULT '{}'
);

-- Every call of an admin function: who, what, counts. Never a password.
CREATE TABLE auth_sync.admin_audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    called_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    db_user    text        NOT NULL,
    jwt_sub    text        NULL,
    jwt_role   text        NULL,
    action     text        NOT NULL,
    arguments  jsonb       NOT NULL DEFAULT '{}',
    result     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_log_called_at_idx ON auth_sync.admin_audit_log (called_at);

SELECT pg_catalog.pg_extension_config_dump('auth_sync.managed_tables', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.sync_failures', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.sync_runs', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.admin_audit_log', '');
