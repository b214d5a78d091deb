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

-- Bans the auth users of employees that went inactive: banned_until 'infinity' (what the Auth
-- server reads as a permanent ban), their sessions and refresh tokens revoked, the ban they had
-- before remembered in employee_bans, one BAN row per user in the log. (auth.users is written by
-- its owner.)
CREATE FUNCTION auth_sync._ban_users(p_uids uuid[], p_keys bigint[], p_context jsonb,
                                     p_started timestamptz) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_banned uuid[];
BEGIN
    IF coalesce(cardinality(p_uids), 0) = 0 THEN
        RETURN;
    END IF;
    -- (a ban already recorded keeps the value from before auth_sync's first ban)
    INSERT INTO auth_sync.employee_bans (auth_user_id, employee_id, previous_banned_until)
    SELECT u.id, x.k, u.banned_until
      FROM unnest(p_uids, p_keys) AS x(uid, k)
      JOIN auth.users u ON u.id = x.uid
    ON CONFLICT (auth_user_id) DO NOTHING;
    v_banned := ARRAY(SELECT jsonb_array_elements_text(coalesce(auth_sync._auth_write('auth.users',
        $q$WITH b AS (UPDATE auth.users u SET banned_until = 'infinity', updated_at = now()
                        FROM unnest($1) AS x(uid) WHERE u.id = x.uid RETURNING u.id)
           SELECT jsonb_agg(b.id) FROM b$q$, p_uids), '[]'))::uuid);
    WITH sc AS MATERIALIZED (
        SELECT o.user_id, o.sessions AS n FROM auth_sync._sign_out(p_uids) AS o
    )
    INSERT INTO auth_sync.integration_sync_log
           (action, employee_id, auth_user_id, request_data, status, error_message, created_at, completed_at)
    SELECT 'BAN', x.k, x.uid,
           p_context || jsonb_build_object('banned_until', 'infinity', 'sessions_revoked', coalesce(sc.n, 0)),
           CASE WHEN b.id IS NULL THEN 'FAILED' ELSE 'SUCCESS' END,
           CASE WHEN b.id IS NULL THEN format('auth user %s does not exist', x.uid) END,
           p_started, clock_timestamp()
      FROM unnest(p_uids, p_keys) AS x(uid, k)
      LEFT JOIN unnest(v_banned) AS b(id) ON b.id = x.uid
      LEFT JOIN sc ON sc.user_id = x.uid;
END
$$;

-- Lifts the bans auth_sync set on these users (and only those: a ban the app set, or changed
-- since, stays); an earlier ban of the app's that is still running comes back. One UNBAN row per
-- user in the log, saying whether a ban was lifted.
CREATE FUNCTION auth_sync._unban_users(p_uids uuid[], p_keys bigint[], p_context jsonb,
                                       p_started timestamptz) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_d jsonb;
    v_u jsonb;
BEGIN
    IF coalesce(cardinality(p_uids), 0) = 0 THEN
        RETURN;
    END IF;
    WITH d AS (
        DELETE FROM auth_sync.employee_bans b WHERE b.auth_user_id = ANY (p_uids)
        RETURNING b.auth_user_id, b.previous_banned_until
    )
    SELECT coalesce(jsonb_agg(to_jsonb(d.*)), '[]') INTO v_d FROM d;
    v_u := coalesce(auth_sync._as_owner('auth.users'::regclass,
        $q$WITH d AS (SELECT * FROM jsonb_to_recordset($1) AS d(auth_user_id uuid, previous_banned_until timestamptz)),
                u AS (UPDATE auth.users u
                         SET banned_until = CASE WHEN d.previous_banned_until > now() THEN d.previous_banned_until END,
                             updated_at = now()
                        FROM d
                       WHERE u.id = d.auth_user_id AND u.banned_until = 'infinity'
                      RETURNING u.id, u.banned_until)
           SELECT jsonb_agg(jsonb_build_object('id', u.id, 'banned_until', u.banned_until)) FROM u$q$,
        v_d), '[]');
    INSERT INTO auth_sync.integration_sync_log
           (action, employee_id, auth_user_id, request_data, status, error_message, created_at, completed_at)
    SELECT 'UNBAN', x.k, x.uid,
           p_context || jsonb_strip_nulls(jsonb_build_object(
               'lifted', u.id IS NOT NULL,
               'banned_until', u.banned_until,
               'note', CASE WHEN d.auth_user_id IS NULL THEN 'auth_sync had not banned this user: any ban stays'
                            WHEN u.id IS NULL THEN 'the ban was changed elsewhere after auth_sync set it: it stays'
                            WHEN u.banned_until IS NOT NULL THEN 'the app''s earlier ban is back' END)),
           'SUCCESS', NULL, p_started, clock_timestamp()
      FROM unnest(p_uids, p_keys) AS x(uid, k)
      LEFT JOIN jsonb_to_recordset(v_d) AS d(auth_user_id uuid, previous_banned_until timestamptz) ON d.auth_user_id = x.uid
      LEFT JOIN jsonb_to_recordset(v_u) AS u(id uuid, banned_until timestamptz) ON u.id = x.uid;
END
$$;

-- Links unlinked employees to the auth user with the same email (case-insensitively; live users
-- of the Auth server's instance only, whose email is confirmed: anyone can sign up with an
-- employee's address, only its owner can confirm it; an unconfirmed user is linked when it
-- confirms, by the auth_sync_link_confirmed trigger). p_user_ids: only employees whose email one of these users
-- has (a sign-up, an import); NULL: every unlinked employee. An employee that two auth users
-- match, or whose auth user is already linked to another employee, is not linked (status failed,
-- logged FAILED). Linked inactive employees are banned. p_dry: the same report, nothing written
-- or logged.
CREATE FUNCTION auth_sync._link_employees(p_user_ids uuid[], p_dry boolean, p_source text)
RETURNS TABLE (employee_id bigint, email text, auth_user_id uuid, status text, message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- (a 100,000-employee link costs far more to JIT-compile than to run)
SET jit = off
AS $$
DECLARE
    r          auth_sync.linked_tables;
    v_emails   text[];
    v_flag     text;
    v_cand     text;
    v_x        jsonb;
    v_w        jsonb;
    v_ban_uids uuid[];
    v_ban_keys bigint[];
    v_started  timestamptz := clock_timestamp();
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_user_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT lower(u.email::text)) INTO v_emails
          FROM auth.users u WHERE u.id = ANY (p_user_ids) AND u.email IS NOT NULL;
        IF v_emails IS NULL THEN
            RETURN;
        END IF;
    END IF;
    -- x: the candidates, each unlinked employee with the live auth user of its email (counted per
    -- lower-cased email: two users whose emails differ in case make the link ambiguous), and why
    -- it cannot be linked (msg), if it cannot
    v_cand := format($q$
        WITH e AS (
            SELECT t.%1$I::bigint AS k, t.%2$I::text AS em, lower(t.%2$I::text) AS le
              FROM %4$s AS t
             WHERE t.%3$I IS NULL%5$s
        ), m AS (
            -- (grouped per employee, hashed; an ambiguous email's users are looked up again below,
            -- there are few)
            SELECT e.k, e.em, count(*) AS n, (array_agg(u.id))[1] AS uid
              FROM e
              JOIN auth.users u ON u.instance_id = '00000000-0000-0000-0000-000000000000'
                               AND lower(u.email::text) = e.le AND u.deleted_at IS NULL
                               AND u.email_confirmed_at IS NOT NULL%6$s
             GROUP BY e.k, e.em
        ), x AS (
            SELECT m.k, m.em,
                   CASE WHEN m.n = 1 THEN m.uid
                        ELSE (SELECT min(u.id::text)::uuid FROM auth.users u
                               WHERE u.instance_id = '00000000-0000-0000-0000-000000000000'
                                 AND lower(u.email::text) = lower(m.em) AND u.deleted_at IS NULL
                                 AND u.email_confirmed_at IS NOT NULL) END AS uid,
                   CASE WHEN m.n > 1 THEN
                            format('%%s auth users have email %%s (%%s): link one by hand', m.n, m.em,
                                   (SELECT string_agg(u.id::text, ', ' ORDER BY u.id) FROM auth.users u
                                     WHERE u.instance_id = '00000000-0000-0000-0000-000000000000'
                                       AND lower(u.email::text) = lower(m.em) AND u.deleted_at IS NULL
                                       AND u.email_confirmed_at IS NOT NULL))
                        WHEN o.k IS NOT NULL THEN
                            format('auth user %%s (email %%s) is already linked to employee %%s', m.uid, m.em, o.k) END AS msg
              FROM m
              -- (the employees already linked, hashed once: not an index probe per candidate)
              LEFT JOIN (SELECT o.%3$I AS uid, o.%1$I::bigint AS k FROM %4$s AS o WHERE o.%3$I IS NOT NULL) AS o
                     ON o.uid = m.uid AND m.n = 1
        )$q$,
        r.key_column, r.email_column, r.auth_user_column, r.target,
        -- (the emails of the given users, as an array: both tables are then probed through their
        -- lower(email) indexes)
        CASE WHEN p_user_ids IS NULL THEN '' ELSE format(' AND lower(t.%I::text) = ANY ($1)', r.email_column) END,
        CASE WHEN p_user_ids IS NULL THEN '' ELSE ' AND lower(u.email::text) = ANY ($1)' END);

    IF p_dry THEN
        RETURN QUERY EXECUTE v_cand || $q$
            SELECT x.k, x.em, x.uid, CASE WHEN x.msg IS NULL THEN 'would_link' ELSE 'failed' END, x.msg
              FROM x ORDER BY x.k$q$
            USING v_emails;
        RETURN;
    END IF;

    -- The links (as the employee table's owner), then the bans of the inactive employees among
    -- them (what _ban_users does for one: the ban they had before remembered, banned_until
    -- 'infinity', sessions and refresh tokens revoked; auth.users written by its owner), the log
    -- rows, and the report. The per-row trigger of the employee table stands aside meanwhile.
    v_flag := auth_sync._flag('auth_sync.linking');
    PERFORM auth_sync._set_internal('auth_sync.linking', 'on');
    EXECUTE v_cand || $q$ SELECT coalesce(jsonb_agg(jsonb_build_object('k', x.k, 'em', x.em, 'uid', x.uid, 'msg', x.msg)), '[]') FROM x$q$
        INTO v_x USING v_emails;
    v_w := coalesce(auth_sync._as_owner(r.target, format($q$
        WITH x AS (SELECT * FROM jsonb_to_recordset($1) AS x(k bigint, uid uuid, msg text)),
             w AS (UPDATE %1$s AS t SET %2$I = x.uid
                     FROM x
                    WHERE t.%3$I = x.k AND x.msg IS NULL AND t.%2$I IS NULL
                   RETURNING t.%3$I::bigint AS k, t.%2$I AS uid, t.%4$I AS active, t.%5$I::text AS em)
        SELECT jsonb_agg(to_jsonb(w.*)) FROM w$q$,
        r.target, r.auth_user_column, r.key_column, r.active_column, r.email_column), v_x), '[]');
    SELECT coalesce(array_agg(w.uid ORDER BY w.k), '{}'), coalesce(array_agg(w.k ORDER BY w.k), '{}')
      INTO v_ban_uids, v_ban_keys
      FROM jsonb_to_recordset(v_w) AS w(k bigint, uid uuid, active boolean, em text) WHERE NOT w.active;
    INSERT INTO auth_sync.integration_sync_log
           (action, employee_id, auth_user_id, request_data, status, error_message, created_at, completed_at)
    SELECT 'LINK', w.k, w.uid, jsonb_build_object('source', p_source, 'db_user', auth_sync._caller(), 'email', w.em, 'is_active', w.active),
           'SUCCESS', NULL, v_started, clock_timestamp()
      FROM jsonb_to_recordset(v_w) AS w(k bigint, uid uuid, active boolean, em text)
    UNION ALL
    SELECT 'LINK', x.k, x.uid, jsonb_build_object('source', p_source, 'db_user', auth_sync._caller(), 'email', x.em),
           'FAILED', x.msg, v_started, clock_timestamp()
      FROM jsonb_to_recordset(v_x) AS x(k bigint, em text, uid uuid, msg text) WHERE x.msg IS NOT NULL;
    PERFORM auth_sync._ban_users(v_ban_uids, v_ban_keys,
        jsonb_build_object('source', p_source, 'db_user', auth_sync._caller(), 'reason', 'linked to an inactive employee'),
        v_started);
    PERFORM auth_sync._set_internal('auth_sync.linking', coalesce(v_flag, ''));
    RETURN QUERY
        SELECT x.k, x.em, x.uid,
               CASE WHEN x.msg IS NOT NULL THEN 'failed' WHEN w.k IS NULL THEN 'skipped' ELSE 'linked' END,
               CASE WHEN x.msg IS NOT NULL THEN x.msg
                    WHEN w.k IS NULL THEN 'linked or changed by another transaction meanwhile'
                    WHEN NOT w.active THEN 'the employee is inactive: the auth user is banned' END
          FROM jsonb_to_recordset(v_x) AS x(k bigint, em text, uid uuid, msg text)
          LEFT JOIN jsonb_to_recordset(v_w) AS w(k bigint, uid uuid, active boolean, em text) ON w.k = x.k
         ORDER BY x.k;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------------

-- Links new auth users (a sign-up's, a bulk_create_users call's) to the unlinked employees with
-- their email, once confirmed (p_source auth_user_confirmed: a user who just confirmed it). Like
-- the profile triggers it never blocks a sign-up or an import: a failure is logged FAILED (unless
-- auth_sync.strict_triggers).
CREATE FUNCTION auth_sync._link_new_users(p_ids uuid[], p_source text DEFAULT 'auth_user_created') RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text;
    v_msg   text;
BEGIN
    IF p_ids IS NULL OR NOT EXISTS (SELECT FROM auth_sync.linked_tables) THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM auth_sync._link_employees(p_ids, false, p_source);
    EXCEPTION WHEN OTHERS THEN
        IF auth_sync._strict_triggers() THEN
            RAISE;
        END IF;
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
        INSERT INTO auth_sync.integration_sync_log (action, auth_user_id, request_data, status, error_message, completed_at)
        SELECT 'LINK', u.id, jsonb_build_object('source', p_source, 'email', u.email, 'sqlstate', v_state),
               'FAILED', v_msg, clock_timestamp()
          FROM auth.users u
         WHERE u.id = ANY (p_ids);
    END;
END
$$;

-- The users bulk_create_users created (the event users_created, see auth_sync.event_handlers):
-- the employees among them are linked, set-based. Only when an unlinked employee has one of
-- their emails: the common case, nobody waiting, costs one probe of the employee table instead
-- of a join of every user.
CREATE FUNCTION auth_sync._employees_hear_users_created(p_ids uuid[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_ids IS NULL OR NOT EXISTS (SELECT FROM auth_sync.linked_tables) THEN
        RETURN;
    END IF;
    -- (generated by register_linked_table; parsed only when reached, once it is known to exist)
    IF pg_catalog.to_regprocedure('auth_sync.generated_employee_pending(text[])') IS NOT NULL
       AND NOT auth_sync.generated_employee_pending(
               (SELECT array_agg(lower(u.email::text)) FROM auth.users u WHERE u.id = ANY (p_ids))) THEN
        RETURN;
    END IF;
    PERFORM auth_sync._link_new_users(p_ids);
END
$$;
INSERT INTO auth_sync.event_handlers (event, handler)
VALUES ('users_created', 'auth_sync._employees_hear_users_created(uuid[])');

-- AFTER INSERT on auth.users, per row (while an employee table is registered; the WHEN clause
-- skips users without an email and bulk_create_users, which links set-based): links a new user
-- (a sign-up, an invite, an SSO login) to the unlinked employee with its email, when that email is
-- confirmed. The same function is the AFTER UPDATE trigger auth_sync_link_confirmed, whose WHEN
-- clause fires it when a user's email_confirmed_at goes from NULL to a time: an unconfirmed
-- sign-up is linked when it confirms. The common case, a sign-up that is nobody's employee, costs
-- one index probe: static SQL generated at registration, so its plan is cached.
CREATE FUNCTION auth_sync.link_new_auth_user() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL OR NEW.instance_id IS DISTINCT FROM '00000000-0000-0000-0000-000000000000'
       OR NEW.email_confirmed_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.to_regproc('auth_sync.generated_employee_pending') IS NOT NULL
       AND NOT auth_sync.generated_employee_pending(ARRAY[lower(NEW.email::text)]) THEN
        RETURN NULL;
    END IF;
    PERFORM auth_sync._link_new_users(ARRAY[NEW.id],
        CASE WHEN TG_OP = 'UPDATE' THEN 'auth_user_confirmed' ELSE 'auth_user_created' END);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth_sync.link_new_auth_user() IS
    'Trigger on auth.users (AFTER INSERT, and AFTER UPDATE when the email gets confirmed; per row): links a new, confirmed auth user to the unlinked employee with its email.';

-- AFTER INSERT / UPDATE on the linked table, per row, only when its active, email or auth user
-- column changed (the WHEN clause). Trigger arguments: key, email, active and auth user columns.
CREATE FUNCTION auth_sync.employee_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n        jsonb := to_jsonb(NEW);
    o        jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
    v_key    bigint := (n ->> TG_ARGV[0])::bigint;
    v_email  text := n ->> TG_ARGV[1];
    v_active boolean := (n ->> TG_ARGV[2])::boolean;
    v_uid    uuid := (n ->> TG_ARGV[3])::uuid;
    o_email  text := o ->> TG_ARGV[1];
    o_active boolean := (o ->> TG_ARGV[2])::boolean;
    o_uid    uuid := (o ->> TG_ARGV[3])::uuid;
    v_ctx    jsonb := auth_sync._change_context();
    v_start  timestamptz := clock_timestamp();
    v_new    text;
    v_other  uuid;
    v_prev   text;
    v_auth   record;
BEGIN
    IF v_uid IS DISTINCT FROM o_uid THEN
        -- a link names the employee's own account only: an auth user with the employee's email
        -- (case-insensitively), confirmed. Otherwise whoever may write this table could rename,
        -- ban or sign out any account (an admin's, a customer's) through the link.
        IF v_uid IS NOT NULL THEN
            SELECT u.email::text AS email, u.email_confirmed_at IS NOT NULL AS confirmed INTO v_auth
              FROM auth.users u WHERE u.id = v_uid;
            IF NOT FOUND OR lower(v_auth.email) IS DISTINCT FROM lower(btrim(v_email)) THEN
                RAISE EXCEPTION 'employee % cannot be linked to auth user %: its email is not the employee''s (%)',
                        v_key, v_uid, coalesce(quote_literal(v_email), 'NULL')
                    USING ERRCODE = 'check_violation',
                          HINT = 'An employee links only to the auth user with the same email (in any case). Leave the auth user column NULL and run auth_sync.link_employees(), or correct the email.';
            END IF;
            IF NOT v_auth.confirmed THEN
                RAISE EXCEPTION 'employee % cannot be linked to auth user %: its email % is not confirmed',
                        v_key, v_uid, quote_literal(v_auth.email)
                    USING ERRCODE = 'check_violation',
                          HINT = 'Leave the auth user column NULL: auth_sync links the employee when the user confirms the email.';
            END IF;
        END IF;
        IF o_uid IS NOT NULL THEN
            IF NOT EXISTS (SELECT FROM auth.users u WHERE u.id = o_uid) THEN
                -- the foreign key (ON DELETE SET NULL) unlinked an auth user that was deleted
                DELETE FROM auth_sync.employee_bans b WHERE b.auth_user_id = o_uid;
                PERFORM auth_sync._sync_log('AUTH_USER_DELETED', v_key, o_uid,
                    jsonb_build_object('source', 'auth_user_deleted', 'email', v_email, 'is_active', v_active),
                    'SUCCESS', NULL, v_start);
            ELSE
                PERFORM auth_sync._sync_log('UNLINK', v_key, o_uid, v_ctx || jsonb_build_object('email', v_email),
                                            'SUCCESS', NULL, v_start);
            END IF;
        END IF;
        IF v_uid IS NOT NULL THEN
            PERFORM auth_sync._sync_log('LINK', v_key, v_uid,
                v_ctx || jsonb_build_object('email', v_email, 'is_active', v_active), 'SUCCESS', NULL, v_start);
            IF NOT v_active THEN
                PERFORM auth_sync._ban_users(ARRAY[v_uid], ARRAY[v_key],
                    v_ctx || jsonb_build_object('reason', 'linked to an inactive employee'), v_start);
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    IF v_uid IS NULL THEN
        RETURN NULL;
    END IF;

    -- the email: HR's change goes to the auth user and its email identity
    IF lower(btrim(v_email)) IS DISTINCT FROM lower(btrim(o_email)) THEN
        v_new := lower(btrim(v_email));
        IF v_new !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
            RAISE EXCEPTION 'cannot change the email of employee % to %: not an email address', v_key, quote_literal(v_email)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT u.id INTO v_other
          FROM auth.users u
         WHERE u.instance_id = '00000000-0000-0000-0000-000000000000'
           AND lower(u.email::text) = v_new AND u.id <> v_uid
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'cannot change the email of employee % to %: auth user % already has that email', v_key, v_new, v_other
                USING ERRCODE = 'unique_violation',
                      HINT = 'Delete or rename the other auth user first, or keep the employee''s email.';
        END IF;
        SELECT u.email INTO v_prev FROM auth.users u WHERE u.id = v_uid;
        BEGIN
            PERFORM auth_sync._as_owner('auth.users'::regclass,
                'UPDATE auth.users u SET email = $1 ->> ''email'', updated_at = now() WHERE u.id = ($1 ->> ''id'')::uuid',
                jsonb_build_object('id', v_uid, 'email', v_new));
        EXCEPTION WHEN unique_violation THEN
            RAISE EXCEPTION 'cannot change the email of employee % to %: another auth user already has that email', v_key, v_new
                USING ERRCODE = 'unique_violation',
                      HINT = 'Delete or rename the other auth user first, or keep the employee''s email.';
        END;
        PERFORM auth_sync._as_owner('auth.identities'::regclass,
            $q$UPDATE auth.identities i
                  SET identity_data = i.identity_data || jsonb_build_object('email', $1 ->> 'email'), updated_at = now()
                WHERE i.user_id = ($1 ->> 'id')::uuid AND i.provider = 'email'$q$,
            jsonb_build_object('id', v_uid, 'email', v_new));
        PERFORM auth_sync._sync_log('EMAIL_UPDATE', v_key, v_uid,
            v_ctx || jsonb_build_object('old_email', o_email, 'new_email', v_new, 'previous_auth_email', v_prev),
            'SUCCESS', NULL, v_start);
    END IF;

    -- leaving and coming back
    IF v_active IS DISTINCT FROM o_active THEN
        IF v_active THEN
            PERFORM auth_sync._unban_users(ARRAY[v_uid], ARRAY[v_key], v_ctx, v_start);
        ELSE
            PERFORM auth_sync._ban_users(ARRAY[v_uid], ARRAY[v_key], v_ctx, v_start);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth_sync.employee_changed() IS
    'Trigger on the linked employee table (AFTER INSERT/UPDATE, per row, when active, email or the auth user changed): bans, unbans, email updates, link log.';

-- Creates (or drops, when no table is registered) the linking triggers on auth.users: at sign-up,
-- and when a user confirms the email.
CREATE FUNCTION auth_sync._install_link_trigger() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_exists    boolean := EXISTS (SELECT FROM pg_trigger
                                    WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_link_employees');
    v_confirmed boolean := EXISTS (SELECT FROM pg_trigger
                                    WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_link_confirmed');
BEGIN
    IF EXISTS (SELECT FROM auth_sync.linked_tables) THEN
        IF NOT v_exists THEN
            -- (while bulk_create_users writes, the WHEN clause keeps Postgres from even calling
            -- the function: the import links its users set-based)
            PERFORM auth_sync._grant_trigger_functions('auth.users'::regclass,
                ARRAY['auth_sync.link_new_auth_user()', 'auth_sync._flag(text)']::regprocedure[]);
            PERFORM auth_sync._with_short_lock_timeout(ARRAY[$t$CREATE TRIGGER auth_sync_link_employees AFTER INSERT ON auth.users
                FOR EACH ROW
                WHEN (NEW.email IS NOT NULL
                      AND auth_sync._flag('auth_sync.bulk_import') IS DISTINCT FROM 'on')
                EXECUTE FUNCTION auth_sync.link_new_auth_user()$t$]);
        END IF;
        IF NOT v_confirmed THEN
            -- (an unconfirmed sign-up is linked when its email is confirmed; any other update of
            -- a user, a sign-in included, does not even call the function)
            PERFORM auth_sync._grant_trigger_functions('auth.users'::regclass,
                ARRAY['auth_sync.link_new_auth_user()', 'auth_sync._flag(text)']::regprocedure[]);
            PERFORM auth_sync._with_short_lock_timeout(ARRAY[$t$CREATE TRIGGER auth_sync_link_confirmed AFTER UPDATE ON auth.users
                FOR EACH ROW
                WHEN (OLD.email_confirmed_at IS NULL AND NEW.email_confirmed_at IS NOT NULL
                      AND NEW.email IS NOT NULL
                      AND auth_sync._flag('auth_sync.bulk_import') IS DISTINCT FROM 'on')
                EXECUTE FUNCTION auth_sync.link_new_auth_user()$t$]);
        END IF;
    ELSE
        IF v_exists THEN
            PERFORM auth_sync._with_short_lock_timeout(ARRAY['DROP TRIGGER auth_sync_link_employees ON auth.users']);
        END IF;
        IF v_confirmed THEN
            PERFORM auth_sync._with_short_lock_timeout(ARRAY['DROP TRIGGER auth_sync_link_confirmed ON auth.users']);
        END IF;
    END IF;
END
$$;

-- The triggers of the registered table (their names are fixed; the columns are trigger arguments).
CREATE FUNCTION auth_sync._create_linked_triggers(r auth_sync.linked_tables) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM auth_sync._drop_linked_triggers(r.target);
    -- (created by the table's owner: only it may; it can name the trigger function, which runs
    -- only as a trigger)
    PERFORM auth_sync._grant_trigger_functions(r.target,
        ARRAY['auth_sync.employee_changed()', 'auth_sync._flag(text)']::regprocedure[]);
    PERFORM auth_sync._as_owner(r.target, format(
        'CREATE TRIGGER auth_sync_employee_insert AFTER INSERT ON %1$s FOR EACH ROW
         WHEN (NEW.%5$I IS NOT NULL AND auth_sync._flag(''auth_sync.linking'') IS DISTINCT FROM ''on'')
         EXECUTE FUNCTION auth_sync.employee_changed(%2$L, %3$L, %4$L, %5$L)',
        r.target, r.key_column, r.email_column, r.active_column, r.auth_user_column), 0);
    PERFORM auth_sync._as_owner(r.target, format(
        'CREATE TRIGGER auth_sync_employee_update AFTER UPDATE ON %1$s FOR EACH ROW
         WHEN ((OLD.%3$I IS DISTINCT FROM NEW.%3$I OR OLD.%4$I IS DISTINCT FROM NEW.%4$I OR OLD.%5$I IS DISTINCT FROM NEW.%5$I)
               AND auth_sync._flag(''auth_sync.linking'') IS DISTINCT FROM ''on'')
         EXECUTE FUNCTION auth_sync.employee_changed(%2$L, %3$L, %4$L, %5$L)',
        r.target, r.key_column, r.email_column, r.active_column, r.auth_user_column), 0);
    -- Whether an unlinked employee has one of these (lower-cased) emails: static SQL for the
    -- registered table, so the sign-up trigger runs a cached plan. An ordinary function (not a
    -- member of the extension), so pg_dump keeps it with the registration it comes from.
    EXECUTE format($f$CREATE OR REPLACE FUNCTION auth_sync.generated_employee_pending(p_emails text[]) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS %L$f$,
        format(E'-- generated by auth_sync.register_linked_table() from auth_sync.linked_tables; do not edit\nBEGIN\n    RETURN EXISTS (SELECT FROM %s AS t WHERE lower(t.%I::text) = ANY (p_emails) AND t.%I IS NULL);\nEND',
               r.target, r.email_column, r.auth_user_column));
    REVOKE ALL ON FUNCTION auth_sync.generated_employee_pending(text[]) FROM PUBLIC;
END
$$;

CREATE FUNCTION auth_sync._drop_linked_triggers(p_target regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name name;
BEGIN
    FOR v_name IN SELECT tg.tgname FROM pg_trigger tg
                   WHERE tg.tgrelid = p_target::oid
                     AND tg.tgname IN ('auth_sync_employee_insert', 'auth_sync_employee_update')
                   ORDER BY 1 LOOP
        PERFORM auth_sync._as_owner(p_target, format('DROP TRIGGER %I ON %s', v_name, p_target), 0);
    END LOOP;
END
$$;

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
    IF v_rel.nspname IN ('pg_catalog', 'information_schema', 'pg_toast', 'auth', 'auth_sync',
                         'storage', 'vault', 'realtime', 'supabase_functions', 'extensions',
                         'graphql', 'graphql_public', 'pgsodium', 'pgsodium_masks', 'net', 'cron',
                         'supabase_migrations') THEN
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

-- ---------------------------------------------------------------------------------------------
-- The admin API
-- ---------------------------------------------------------------------------------------------

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
     WHERE u.instance_id = '00000000-0000-0000-0000-000000000000' AND lower(u.email::text) = lower(v_email)
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

CREATE FUNCTION auth_sync.link_employees(dry_run boolean DEFAULT false)
RETURNS TABLE (employee_id bigint, email text, auth_user_id uuid, status text, message text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '128MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    r      auth_sync.linked_tables := auth_sync._linked_table();
    v_dry  boolean := coalesce(link_employees.dry_run, false);
    v_rows bigint;
    v_log  bigint;
BEGIN
    -- one run at a time (two would wait on each other's rows)
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.link_employees'));
    SELECT coalesce(max(l.id), 0) INTO v_log FROM auth_sync.integration_sync_log l;
    RETURN QUERY SELECT * FROM auth_sync._link_employees(NULL, v_dry, 'link_employees');
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM auth_sync._audit('link_employees', jsonb_build_object('dry_run', v_dry, 'target', r.target::text),
        jsonb_build_object('rows', v_rows) || coalesce(
            (SELECT jsonb_object_agg(lower(x.action) || '_' || lower(x.status), x.n)
               FROM (SELECT l.action, l.status, count(*) AS n FROM auth_sync.integration_sync_log l
                      WHERE l.id > v_log GROUP BY 1, 2) AS x), '{}'));
END
$$;
COMMENT ON FUNCTION auth_sync.link_employees(boolean) IS
    'Links every unlinked employee to the auth user with the same email (case-insensitively); rows (employee_id, email, auth_user_id, status, message).';

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

CREATE FUNCTION auth_sync.find_employees_without_auth()
RETURNS TABLE (employee_id bigint, email text, is_active boolean, reason text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT t.%1$I::bigint, t.%2$I::text, t.%3$I,
               CASE WHEN u.deleted_at IS NOT NULL
                      OR (t.%4$I IS NOT NULL AND u.id IS NULL)
                      OR EXISTS (SELECT FROM auth_sync.integration_sync_log l
                                  WHERE l.action = 'AUTH_USER_DELETED' AND l.employee_id = t.%1$I)
                    THEN 'auth_user_deleted' ELSE 'no_auth_user' END
          FROM %5$s AS t
          LEFT JOIN auth.users u ON u.id = t.%4$I
         WHERE t.%4$I IS NULL OR u.id IS NULL OR u.deleted_at IS NOT NULL
         ORDER BY 1$q$,
        r.key_column, r.email_column, r.active_column, r.auth_user_column, r.target);
END
$$;
COMMENT ON FUNCTION auth_sync.find_employees_without_auth() IS
    'Employees without a live auth user: reason no_auth_user (never had one) or auth_user_deleted.';

-- The rows of the monitor view (a function, because the registered table is named at run time).
CREATE FUNCTION auth_sync.employee_monitor()
RETURNS TABLE (employee_id bigint, email text, is_active boolean, auth_user_id uuid, auth_email text,
               banned_until timestamptz, last_sign_in_at timestamptz, sync_status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT t.%1$I::bigint, t.%2$I::text, t.%3$I, t.%4$I, u.email::text, u.banned_until, u.last_sign_in_at,
               CASE WHEN u.id IS NULL
                         -- (not linked, and the only auth users with the email have not confirmed
                         -- it: linked when one does; looked up only for the unlinked employees)
                         AND (SELECT bool_and(p.email_confirmed_at IS NULL) FROM auth.users p
                               WHERE p.instance_id = '00000000-0000-0000-0000-000000000000'
                                 AND lower(p.email::text) = lower(btrim(t.%2$I::text)) AND p.deleted_at IS NULL)
                         THEN 'PENDING_CONFIRMATION'
                    WHEN u.id IS NULL OR u.deleted_at IS NOT NULL THEN 'MISSING_AUTH_UID'
                    WHEN NOT t.%3$I AND (u.banned_until IS NULL OR u.banned_until <= now()) THEN 'INACTIVE_WITH_AUTH'
                    WHEN t.%3$I AND u.banned_until > now() THEN 'ACTIVE_BUT_BANNED'
                    -- (linked to an auth user whose email is not confirmed: not proven to be theirs)
                    WHEN u.email_confirmed_at IS NULL THEN 'PENDING_CONFIRMATION'
                    WHEN lower(u.email::text) IS DISTINCT FROM lower(btrim(t.%2$I::text)) THEN 'EMAIL_MISMATCH'
                    ELSE 'OK' END
          FROM %5$s AS t
          LEFT JOIN auth.users u ON u.id = t.%4$I
         ORDER BY 1$q$,
        r.key_column, r.email_column, r.active_column, r.auth_user_column, r.target);
END
$$;
COMMENT ON FUNCTION auth_sync.employee_monitor() IS
    'One row per employee with its auth user and sync_status (the rows of view auth_sync.auth_sync_monitor).';

CREATE VIEW auth_sync.auth_sync_monitor AS
SELECT m.employee_id, m.email, m.is_active, m.auth_user_id, m.auth_email, m.banned_until,
       m.last_sign_in_at, m.sync_status
  FROM auth_sync.employee_monitor() AS m;
COMMENT ON VIEW auth_sync.auth_sync_monitor IS
    'One row per employee: its auth user, ban, last sign-in and sync_status (OK, PENDING_CONFIRMATION, MISSING_AUTH_UID, INACTIVE_WITH_AUTH, ACTIVE_BUT_BANNED, EMAIL_MISMATCH).';

-- The employee columns of get_auth_sync_summary().
CREATE FUNCTION auth_sync._employee_counts()
RETURNS TABLE (total_employees bigint, employees_linked bigint, employees_without_auth bigint,
               inactive_with_auth bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    r auth_sync.linked_tables;
BEGIN
    SELECT * INTO r FROM auth_sync.linked_tables LIMIT 1;
    IF NOT FOUND OR NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = r.target::oid) THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT count(*),
               count(*) FILTER (WHERE u.id IS NOT NULL AND u.deleted_at IS NULL),
               count(*) FILTER (WHERE u.id IS NULL OR u.deleted_at IS NOT NULL),
               count(*) FILTER (WHERE NOT t.%2$I AND u.id IS NOT NULL AND u.deleted_at IS NULL
                                  AND (u.banned_until IS NULL OR u.banned_until <= now()))
          FROM %1$s AS t
          LEFT JOIN auth.users u ON u.id = t.%3$I$q$,
        r.target, r.active_column, r.auth_user_column);
END
$$;
