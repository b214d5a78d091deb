-- Employees and their auth accounts: the linked table (one HR table of employees, registered with
-- register_linked_table), linking, offboarding bans, email changes, the integration log, the
-- monitor view, create_employee_with_auth, set_employee_active, link_employees,
-- provision_employee_accounts and find_employees_without_auth.
--
-- Everything happens in the transaction of the change that causes it:
-- * auth.users AFTER INSERT (per row), and AFTER UPDATE when email_confirmed_at goes from NULL to
--   a time: a new auth user whose email matches an unlinked employee (case-insensitively) is
--   linked once that email is confirmed (a sign-up with someone else's address is not); an
--   inactive one is banned.
-- * an auth user column written by hand must name the employee's own account (the same email,
--   confirmed), or the write fails (23514).
-- * the linked table AFTER INSERT / UPDATE (per row, WHEN the columns that matter changed): an
--   employee going inactive bans the auth user (banned_until = 'infinity', sessions revoked),
--   going active lifts the ban auth_sync set (and only that one); an email change updates the
--   auth user and its email identity (a conflicting auth user fails the update); the auth user's
--   deletion (the foreign key sets the link NULL) is logged.
-- * the set-based paths (link_employees, bulk_create_users' inserts) set auth_sync.linking
--   locally so the per-row trigger stands aside, and do the same work for all rows at once.
--
-- Locking: every path locks the employee row before the auth user row (a sign-in locks only the
-- auth user; a sign-up inserts the auth user, then links), so deactivations, sign-ins and
-- link_employees never wait on each other in a cycle. link_employees runs one at a time.

-- Every action on an employee's auth account: what, for whom, SUCCESS or FAILED. Never a password.
CREATE TABLE auth_sync.integration_sync_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_name   text        NOT NULL DEFAULT 'SUPABASE_AUTH',
    action        text        NOT NULL,
    employee_id   bigint      NULL,
    auth_user_id  uuid        NULL,
    request_data  jsonb       NOT NULL DEFAULT '{}',
    status        text        NOT NULL CHECK (status IN ('SUCCESS', 'FAILED')),
    error_message text        NULL,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    completed_at  timestamptz NULL
);
-- (BRIN: the log is appended to in time order; a B-tree would cost every logged row an insert)
CREATE INDEX integration_sync_log_created_at_idx ON auth_sync.integration_sync_log USING brin (created_at);
-- (find_employees_without_auth: which unlinked employees lost their auth user)
CREATE INDEX integration_sync_log_deleted_idx ON auth_sync.integration_sync_log (employee_id)
    WHERE action = 'AUTH_USER_DELETED';
COMMENT ON TABLE auth_sync.integration_sync_log IS
    'Every action auth_sync took on an employee''s auth account (link, ban, unban, email update, deletion, account creation).';

-- The bans auth_sync set, with the ban the auth user had before: reactivation lifts only these,
-- and gives back an earlier ban of the app's that is still running.
CREATE TABLE auth_sync.employee_bans (
    auth_user_id          uuid        PRIMARY KEY,
    employee_id           bigint      NOT NULL,
    previous_banned_until timestamptz NULL,
    banned_at             timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE auth_sync.employee_bans IS
    'Auth users auth_sync banned because their employee went inactive (reactivation lifts only these bans).';

SELECT pg_catalog.pg_extension_config_dump('auth_sync.integration_sync_log', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.employee_bans', '');

CREATE VIEW auth_sync.recent_auth_sync_log AS
SELECT l.id, l.system_name, l.action, l.employee_id, l.auth_user_id, l.request_data, l.status,
       l.error_message, l.created_at, l.completed_at
  FROM auth_sync.integration_sync_log l
 WHERE l.created_at > pg_catalog.now() - interval '7 days'
 ORDER BY l.created_at DESC, l.id DESC;
COMMENT ON VIEW auth_sync.recent_auth_sync_log IS 'The integration log of the last 7 days, newest first.';

-- ---------------------------------------------------------------------------------------------
-- Internal helpers
-- ---------------------------------------------------------------------------------------------

-- The registration, or an error that says how to make one.
CREATE FUNCTION auth_sync._linked_table() RETURNS auth_sync.linked_tables
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no employee table is registered'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Register it with auth_sync.register_linked_table(target, key_column, email_column, active_column, auth_user_column) (the migration pack registers public.employees).';
    END IF;
    RETURN r;
END
$$;

-- The source of the change in progress and its reason (set by the admin functions for the
-- triggers they cause), for the log.
CREATE FUNCTION auth_sync._change_context() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'source', coalesce(nullif(auth_sync._flag('auth_sync.source'), ''), 'employee_update'),
        'reason', nullif(auth_sync._flag('auth_sync.reason'), ''),
        'db_user', auth_sync._caller()))
$$;

CREATE FUNCTION auth_sync._sync_log(p_action text, p_employee_id bigint, p_auth_user_id uuid,
                                    p_request jsonb, p_status text, p_error text,
                                    p_started timestamptz) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO auth_sync.integration_sync_log
           (action, employee_id, auth_user_id, request_data, status, error_message, created_at, completed_at)
    VALUES (p_action, p_employee_id, p_auth_user_id, coalesce(p_request, '{}'), p_status, p_error,
            coalesce(p_started, pg_catalog.clock_timestamp()), pg_catalog.clock_timestamp())
$$;
