-- Linking employees to their auth users: by confirmed email, case-insensitively, set-based for
-- many users (link_employees, the users bulk_create_users created) and per row for a sign-up.

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
-- (the link's one large statement costs more to JIT-compile than to run)
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
              JOIN auth.users u ON u.instance_id = auth_sync._instance_id()
                               AND lower(u.email::text) = e.le AND u.deleted_at IS NULL
                               AND u.email_confirmed_at IS NOT NULL%6$s
             GROUP BY e.k, e.em
        ), x AS (
            SELECT m.k, m.em,
                   CASE WHEN m.n = 1 THEN m.uid
                        ELSE (SELECT min(u.id::text)::uuid FROM auth.users u
                               WHERE u.instance_id = auth_sync._instance_id()
                                 AND lower(u.email::text) = lower(m.em) AND u.deleted_at IS NULL
                                 AND u.email_confirmed_at IS NOT NULL) END AS uid,
                   CASE WHEN m.n > 1 THEN
                            format('%%s auth users have email %%s (%%s): link one by hand', m.n, m.em,
                                   (SELECT string_agg(u.id::text, ', ' ORDER BY u.id) FROM auth.users u
                                     WHERE u.instance_id = auth_sync._instance_id()
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
    IF NEW.deleted_at IS NOT NULL OR NEW.instance_id IS DISTINCT FROM auth_sync._instance_id()
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
