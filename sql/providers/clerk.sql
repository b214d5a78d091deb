-- Verified Clerk webhooks: handle_clerk_webhook() checks the signature (the secret stored by
-- set_webhook_secret), records the delivery once, and applies the event to the mirror and the
-- registered tables.

-- One verified Clerk event (the body parsed), applied. Returns the JSON answer.
CREATE FUNCTION auth_sync._apply_clerk_event(p_type text, p_data jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_user    jsonb;
    v_id      text;
    v_ts      bigint;
    v_fresh   boolean;
    v_deleted boolean;
    v_changes jsonb;
    v_removed jsonb;
BEGIN
    IF p_type NOT IN ('user.created', 'user.updated', 'user.deleted') THEN
        RETURN jsonb_build_object('status', 'ignored', 'type', p_type);
    END IF;
    v_user := auth_sync._clerk_user(p_data);
    v_id := v_user ->> 'id';
    v_ts := CASE WHEN (p_data ->> 'updated_at') ~ '^[0-9]{1,18}$' THEN (p_data ->> 'updated_at')::bigint END;

    IF p_type = 'user.deleted' THEN
        -- (a mirror row even for a user never seen: a late user.created must not bring them back)
        INSERT INTO auth_sync.external_users AS e (provider, external_id, deleted_at)
        VALUES ('clerk', v_id, pg_catalog.now())
        ON CONFLICT ON CONSTRAINT external_users_pkey
        DO UPDATE SET deleted_at = coalesce(e.deleted_at, pg_catalog.now()), updated_at = pg_catalog.now();
        SELECT coalesce(jsonb_object_agg(r.table_name, r.total), '{}') INTO v_removed
          FROM auth_sync._remove_user_rows(ARRAY[v_id], false, 'clerk') AS r;
        RETURN jsonb_build_object('status', 'processed', 'type', p_type, 'user_id', v_id, 'removed', v_removed);
    END IF;

    -- created / updated: the mirror keeps the newest data (by the provider's updated_at), so events
    -- replayed or out of order leave the state a single in-order delivery leaves
    SELECT e.deleted_at IS NOT NULL INTO v_deleted
      FROM auth_sync.external_users e WHERE e.provider = 'clerk' AND e.external_id = v_id FOR UPDATE;
    IF v_deleted THEN
        RETURN jsonb_build_object('status', 'ignored', 'type', p_type, 'user_id', v_id,
                                  'reason', 'the user was deleted');
    END IF;
    INSERT INTO auth_sync.external_users AS e (provider, external_id, email, data, source_updated_at)
    VALUES ('clerk', v_id, v_user ->> 'email', p_data, v_ts)
    ON CONFLICT ON CONSTRAINT external_users_pkey
    DO UPDATE SET email = EXCLUDED.email, data = EXCLUDED.data, source_updated_at = EXCLUDED.source_updated_at,
                  updated_at = pg_catalog.now()
     WHERE e.source_updated_at IS NULL OR EXCLUDED.source_updated_at IS NULL
        OR EXCLUDED.source_updated_at >= e.source_updated_at;
    v_fresh := FOUND;
    SELECT coalesce(jsonb_object_agg(a.table_name, a.action), '{}') INTO v_changes
      FROM auth_sync._external_apply_profiles('clerk', ARRAY[v_id], false) AS a;
    RETURN jsonb_build_object('status', 'processed', 'type', p_type, 'user_id', v_id,
                              'stale', NOT v_fresh, 'profiles', v_changes);
END
$$;

CREATE FUNCTION auth_sync.handle_clerk_webhook(headers jsonb, body text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_secret text := auth_sync._webhook_secret('clerk');
    v_fail   text;
    v_msg_id text;
    v_type   text;
    v_data   jsonb;
    v_result jsonb;
    v_new    boolean;
    v_state  text;
    v_error  text;
BEGIN
    IF v_secret IS NULL THEN
        RAISE EXCEPTION 'no webhook secret is set for clerk'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Store the endpoint''s signing secret: SELECT auth_sync.set_webhook_secret(''clerk'', $1).';
    END IF;
    -- 1. the signature: a forged or stale request writes nothing
    v_fail := auth_sync._webhook_verify(v_secret, handle_clerk_webhook.headers, handle_clerk_webhook.body, 300);
    IF v_fail IS NOT NULL THEN
        RAISE EXCEPTION 'webhook signature verification failed: %', v_fail
            USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    v_msg_id := auth_sync._webhook_header(handle_clerk_webhook.headers, 'id');

    -- 2. the message id, once: a concurrent delivery of the same id waits here for this one
    BEGIN
        SELECT e.event_type, e.data INTO v_type, v_data FROM auth_sync._clerk_event(handle_clerk_webhook.body) AS e;
    -- (untranslatable_character: a string jsonb cannot hold, e.g. \u0000; _clerk_event refuses
    -- that itself, this keeps any other such value a recorded failure too)
    EXCEPTION WHEN invalid_parameter_value OR untranslatable_character THEN
        GET STACKED DIAGNOSTICS v_error = MESSAGE_TEXT;
    END;
    INSERT INTO auth_sync.webhook_events AS w (provider, svix_id, event_type, external_id, status, error)
    VALUES ('clerk', v_msg_id, v_type, v_data ->> 'id', CASE WHEN v_error IS NULL THEN 'processed' ELSE 'failed' END, v_error)
    ON CONFLICT ON CONSTRAINT webhook_events_pkey
    DO UPDATE SET attempts = w.attempts + 1, received_at = pg_catalog.clock_timestamp(),
                  status = EXCLUDED.status, error = EXCLUDED.error
     WHERE w.status = 'failed'
    RETURNING true INTO v_new;
    IF v_new IS NULL THEN
        RETURN jsonb_build_object('status', 'duplicate', 'svix_id', v_msg_id);
    END IF;
    IF v_error IS NOT NULL THEN
        RETURN jsonb_build_object('status', 'failed', 'svix_id', v_msg_id, 'error', v_error);
    END IF;

    -- 3. the event; a failure is recorded (and answered) rather than raised, so the delivery
    -- counts as received; reconcile_external() repairs what it left out
    BEGIN
        v_result := auth_sync._apply_clerk_event(v_type, v_data);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_error = MESSAGE_TEXT;
        v_result := jsonb_build_object('status', 'failed', 'type', v_type, 'error', v_error, 'sqlstate', v_state);
    END;
    UPDATE auth_sync.webhook_events w
       SET status = CASE v_result ->> 'status' WHEN 'processed' THEN 'processed' WHEN 'ignored' THEN 'ignored' ELSE 'failed' END,
           error = v_result ->> 'error'
     WHERE w.provider = 'clerk' AND w.svix_id = v_msg_id;
    RETURN v_result || jsonb_build_object('svix_id', v_msg_id);
END
$$;
COMMENT ON FUNCTION auth_sync.handle_clerk_webhook(jsonb, text) IS
    'Verifies a Clerk (Svix) webhook with the stored secret (SQLSTATE 28000 when it fails; nothing written), ignores a message id already processed, and applies user.created / user.updated / user.deleted to the tables registered with source => ''clerk''.';
