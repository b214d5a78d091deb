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

-- Who ran something, in the journals and the audit log: what the database knows (the login role,
-- session_user, and the role SET ROLE chose, which PostgREST sets per request) apart from what the
-- request's JWT claims say (claimed_*: read from the request.jwt.claims setting, which any SQL
-- session can set to anything; trustworthy only for requests that came through the API).

-- One row per sync run (sync_profiles and the other repairs).
CREATE TABLE auth_sync.sync_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation    text        NOT NULL,
    dry_run      boolean     NOT NULL,
    run_by       text        NOT NULL,  -- as admin_audit_log.db_user
    session_role text        NOT NULL DEFAULT session_user,
    claimed_sub  text        NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    counts       jsonb       NOT NULL DEFAULT '{}'
);

-- Every call of an admin function: who, what, counts. Never a password.
CREATE TABLE auth_sync.admin_audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    called_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    db_user      text        NOT NULL,
    -- (the login role, as the column default: session_user is the same inside SECURITY DEFINER code)
    session_role text        NOT NULL DEFAULT session_user,
    claimed_sub  text        NULL,
    claimed_role text        NULL,
    action       text        NOT NULL,
    arguments    jsonb       NOT NULL DEFAULT '{}',
    result       jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_audit_log_called_at_idx ON auth_sync.admin_audit_log (called_at);
COMMENT ON COLUMN auth_sync.admin_audit_log.db_user IS
    'The calling role (the role SET ROLE chose, else the login role): known to the database.';
COMMENT ON COLUMN auth_sync.admin_audit_log.session_role IS
    'The login role (session_user): known to the database.';
COMMENT ON COLUMN auth_sync.admin_audit_log.claimed_sub IS
    'The sub claim of request.jwt.claims: what the request claims, settable by any SQL session; not verified by auth_sync.';
COMMENT ON COLUMN auth_sync.admin_audit_log.claimed_role IS
    'The role claim of request.jwt.claims: what the request claims, settable by any SQL session; not verified by auth_sync.';

-- The employee table's registration (register_linked_table, sql/employees/admin.sql): a registration
-- like managed_tables, which registry and the other capabilities consult too.
CREATE TABLE auth_sync.linked_tables (
    target           regclass    PRIMARY KEY,
    key_column       name        NOT NULL,
    email_column     name        NOT NULL,
    active_column    name        NOT NULL,
    auth_user_column name        NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by    text        NOT NULL
);
COMMENT ON TABLE auth_sync.linked_tables IS
    'The employee table registered with auth_sync.register_linked_table() (at most one).';

SELECT pg_catalog.pg_extension_config_dump('auth_sync.managed_tables', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.linked_tables', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.sync_failures', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.sync_runs', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.admin_audit_log', '');
