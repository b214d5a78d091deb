-- Offboarding bans: an inactive employee's auth user is banned and signed out; reactivation lifts
-- only the bans auth_sync set (auth_sync.employee_bans).

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
