-- The triggers of the registered employee table and the link triggers on auth.users: what they
-- do is described in sql/employees/tables.sql.

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
         WHERE u.instance_id = auth_sync._instance_id()
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
