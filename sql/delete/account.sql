-- delete_my_account(): a signed-in user deletes their own account and rows, through the API.

-- ---------------------------------------------------------------------------------------------
-- For signed-in users
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.delete_my_account() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sub     text := auth_sync._jwt_claims() ->> 'sub';
    v_id      uuid;
    v_banned  timestamptz;
    v_removed jsonb;
BEGIN
    IF v_sub IS NULL OR coalesce(auth_sync._jwt_claims() ->> 'role', '') = 'anon' THEN
        RAISE EXCEPTION 'delete_my_account() needs a signed-in user'
            USING ERRCODE = 'invalid_authorization_specification',
                  HINT = 'Call it with the user''s access token (the request''s JWT has no sub claim).';
    END IF;
    IF v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        -- a user of an outside provider (Clerk: sub is its user id): their rows in the tables
        -- registered for each provider, and the mirror marks them deleted; the provider's own
        -- account is the provider's to delete
        IF NOT EXISTS (SELECT FROM auth_sync.managed_tables m WHERE m.source <> 'supabase') THEN
            RAISE EXCEPTION 'delete_my_account(): the signed-in user is not a Supabase Auth user'
                USING ERRCODE = 'invalid_authorization_specification';
        END IF;
        SELECT coalesce(jsonb_object_agg(r.table_name, r.total), '{}') INTO v_removed
          FROM (SELECT DISTINCT m.source FROM auth_sync.managed_tables m WHERE m.source <> 'supabase') AS src,
               auth_sync._remove_user_rows(ARRAY[v_sub], false, src.source) AS r;
        -- (the outside providers' mirror marks them deleted: sql/providers/mirror.sql)
        PERFORM auth_sync._raise_event('external_user_deleted', ARRAY[v_sub]);
        PERFORM auth_sync._audit('delete_my_account', '{}', v_removed);
        RETURN v_removed;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtext('auth_sync.sync_profiles'));
    PERFORM auth_sync._lock_auth_users(ARRAY[v_sub::uuid]);
    SELECT u.id, u.banned_until INTO v_id, v_banned
      FROM auth.users u WHERE u.id = v_sub::uuid AND u.deleted_at IS NULL;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'delete_my_account(): the signed-in user no longer exists'
            USING ERRCODE = 'no_data_found';
    END IF;
    -- a banned user (an offboarded employee whose access token has not expired yet) keeps no
    -- right to delete the account and the rows keyed to it
    IF v_banned > now() THEN
        RAISE EXCEPTION 'delete_my_account(): the signed-in user is banned'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'A banned account cannot delete itself; an administrator can (auth_sync.bulk_delete_users).';
    END IF;
    SELECT d.removed INTO v_removed FROM auth_sync._delete_users(ARRAY[v_id], false, false) AS d WHERE d.user_id = v_id;
    PERFORM auth_sync._audit('delete_my_account', '{}', v_removed);
    RETURN v_removed;
END
$$;
COMMENT ON FUNCTION auth_sync.delete_my_account() IS
    'For the signed-in user (role authenticated): removes the caller''s rows in every registered table and the caller''s auth user; returns the rows removed per table.';
