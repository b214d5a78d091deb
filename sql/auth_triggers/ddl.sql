-- DDL on auth.users: as its owner, with a short lock_timeout and retries, so that a registration
-- never queues sign-ins behind it.

-- Runs one DDL statement on auth.users as its owner (only the owner may create or drop its
-- triggers; auth_sync_definer is not it).
CREATE FUNCTION auth_sync._auth_users_ddl(p_statement text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT auth_sync._as_owner('auth.users'::regclass, p_statement, 0)
$$;

-- Runs DDL statements on auth.users (as its owner) each under a short lock_timeout, retrying a
-- few times: ALTER-level locks on auth.users queue every sign-in behind them, so they are taken
-- only when they can be had at once.
CREATE FUNCTION auth_sync._with_short_lock_timeout(p_statements text[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old   text := current_setting('lock_timeout');
    v_try   int  := 0;
    v_stmt  text;
BEGIN
    LOOP
        v_try := v_try + 1;
        BEGIN
            PERFORM set_config('lock_timeout', '200ms', true);
            FOREACH v_stmt IN ARRAY p_statements LOOP
                PERFORM auth_sync._auth_users_ddl(v_stmt);
            END LOOP;
            PERFORM set_config('lock_timeout', v_old, true);
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', v_old, true);
            IF v_try >= 10 THEN
                RAISE EXCEPTION 'auth.users stayed locked by other sessions: auth_sync could not change its triggers'
                    USING ERRCODE = 'lock_not_available',
                          HINT = 'Retry when long transactions on auth.users have finished.';
            END IF;
            PERFORM pg_sleep(0.1 * v_try);
        END;
    END LOOP;
END
$$;

CREATE FUNCTION auth_sync._triggers_installed() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_trigger
                    WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_create_profile')
$$;
