-- Outside identity providers (Clerk): webhook secrets, verified webhooks, the mirror of the
-- provider's users, and reconciliation for the webhooks that were missed.
--
-- A thin HTTP endpoint (an edge function, any server) forwards the request's headers and raw body
-- to auth_sync.handle_clerk_webhook(); the signature is checked here, in the database, with the
-- secret stored by auth_sync.set_webhook_secret().

-- The provider's users as its webhooks last described them.
CREATE TABLE auth_sync.external_users (
    provider          text        NOT NULL,
    external_id       text        NOT NULL,
    email             text        NULL,
    data              jsonb       NOT NULL DEFAULT '{}',
    -- the provider's updated_at (ms since the epoch) of `data`: an older event never overwrites it
    source_updated_at bigint      NULL,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deleted_at        timestamptz NULL,
    PRIMARY KEY (provider, external_id)
);
COMMENT ON TABLE auth_sync.external_users IS
    'Users of an outside identity provider, as its webhooks last described them (deleted_at: the provider deleted them).';

-- An outside provider's user deleted their account with delete_my_account() (the event
-- external_user_deleted, see auth_sync.event_handlers): the mirror marks them deleted.
CREATE FUNCTION auth_sync._external_hear_users_deleted(p_ids text[]) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE auth_sync.external_users e SET deleted_at = now(), updated_at = now()
     WHERE e.external_id = ANY (p_ids) AND e.deleted_at IS NULL
$$;
INSERT INTO auth_sync.event_handlers (event, handler)
VALUES ('external_user_deleted', 'auth_sync._external_hear_users_deleted(text[])');

-- Every webhook delivery that passed the signature check, once per message id.
CREATE TABLE auth_sync.webhook_events (
    provider     text        NOT NULL,
    svix_id      text        NOT NULL,
    event_type   text        NULL,
    external_id  text        NULL,
    received_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    status       text        NOT NULL CHECK (status IN ('processed', 'ignored', 'failed')),
    error        text        NULL,
    attempts     int         NOT NULL DEFAULT 1,
    PRIMARY KEY (provider, svix_id)
);
CREATE INDEX webhook_events_received_at_idx ON auth_sync.webhook_events (received_at);
COMMENT ON TABLE auth_sync.webhook_events IS
    'Verified webhook deliveries (svix-id is the idempotency key); status processed, ignored or failed.';

-- Webhook signing secrets, when there is no Supabase Vault. No grants: only the owner (and so the
-- SECURITY DEFINER functions) reads it; pg_dump leaves it out, so a restore needs the secret set
-- again rather than a dump file carrying it.
CREATE TABLE auth_sync.webhook_secrets (
    provider   text        PRIMARY KEY,
    secret     text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

SELECT pg_catalog.pg_extension_config_dump('auth_sync.external_users', '');
SELECT pg_catalog.pg_extension_config_dump('auth_sync.webhook_events', '');

-- The Vault secret's name for a provider.
CREATE FUNCTION auth_sync._vault_secret_name(p_provider text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'auth_sync_webhook_' || p_provider
$$;

-- Why schema vault is not to be used for secrets, or NULL when it is Supabase Vault: the schema
-- and the objects auth_sync calls (vault.secrets, vault.decrypted_secrets, vault.create_secret,
-- vault.update_secret) belong to the installed extension supabase_vault (pg_depend, or the
-- extension's own schema), and each is owned by a superuser or by the role auth_sync runs as.
-- A schema vault made by anyone else (any role with CREATE on the database can make one where
-- Vault is not installed) would receive the secret in its create_secret(), run code as
-- auth_sync's owner, and choose the key webhooks are verified with.
CREATE FUNCTION auth_sync._vault_problem() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_nsp oid := pg_catalog.to_regnamespace('vault');
    v_ext record;
    v_bad text[];
BEGIN
    IF v_nsp IS NULL THEN
        RETURN 'there is no schema vault';
    END IF;
    SELECT e.oid, e.extnamespace INTO v_ext FROM pg_extension e WHERE e.extname = 'supabase_vault';
    IF NOT FOUND THEN
        RETURN 'schema vault is not Supabase Vault (the extension supabase_vault is not installed)';
    END IF;
    IF (SELECT count(DISTINCT c.relname) FROM pg_class c
         WHERE c.relnamespace = v_nsp AND c.relname IN ('secrets', 'decrypted_secrets')) < 2
       OR (SELECT count(DISTINCT p.proname) FROM pg_proc p
            WHERE p.pronamespace = v_nsp AND p.proname IN ('create_secret', 'update_secret')) < 2 THEN
        RETURN 'schema vault lacks vault.secrets, vault.decrypted_secrets, vault.create_secret or vault.update_secret';
    END IF;
    -- every object by those names (every overload of the functions), and the schema
    WITH o(what, classid, objid, owner) AS (
        SELECT 'schema vault', 'pg_namespace'::regclass, n.oid, n.nspowner FROM pg_namespace n WHERE n.oid = v_nsp
        UNION ALL
        SELECT format('vault.%I', c.relname), 'pg_class'::regclass, c.oid, c.relowner
          FROM pg_class c WHERE c.relnamespace = v_nsp AND c.relname IN ('secrets', 'decrypted_secrets')
        UNION ALL
        SELECT p.oid::regprocedure::text, 'pg_proc'::regclass, p.oid, p.proowner
          FROM pg_proc p WHERE p.pronamespace = v_nsp AND p.proname IN ('create_secret', 'update_secret')
    )
    SELECT array_agg(o.what || CASE WHEN m.member THEN ' (owned by ' || quote_ident(r.rolname) || ')'
                                    ELSE ' (not part of the extension)' END ORDER BY o.what)
      INTO v_bad
      FROM o
      CROSS JOIN LATERAL (SELECT (o.classid = 'pg_namespace'::regclass AND o.objid = v_ext.extnamespace)
                                 OR EXISTS (SELECT FROM pg_depend d
                                             WHERE d.classid = o.classid AND d.objid = o.objid AND d.objsubid = 0
                                               AND d.refclassid = 'pg_extension'::regclass
                                               AND d.refobjid = v_ext.oid AND d.deptype = 'e') AS member) AS m
      LEFT JOIN pg_roles r ON r.oid = o.owner
     WHERE NOT m.member OR NOT (coalesce(r.rolsuper, false) OR r.rolname = current_user);
    IF v_bad IS NOT NULL THEN
        RETURN 'schema vault is not Supabase Vault: ' || array_to_string(v_bad, ', ');
    END IF;
    RETURN NULL;
END
$$;

-- vault.secrets, looked up in the catalog (auth_sync_definer has no USAGE on schema vault: it
-- uses Vault as the owner of vault.secrets, through _as_owner()).
CREATE FUNCTION auth_sync._vault_secrets_table() RETURNS regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'vault' AND c.relname = 'secrets' AND c.relkind IN ('r', 'p')
$$;

CREATE FUNCTION auth_sync._check_provider(p_provider text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_provider IS NULL OR p_provider !~ '^[a-z][a-z0-9_]{0,62}$' OR p_provider = 'supabase' THEN
        RAISE EXCEPTION 'provider must be the lower-case name of an outside identity provider (like ''clerk''), not %',
                coalesce(quote_literal(p_provider), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE FUNCTION auth_sync.set_webhook_secret(provider text, secret text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_store text;
    v_id    uuid;
BEGIN
    PERFORM auth_sync._check_provider(set_webhook_secret.provider);
    IF set_webhook_secret.secret IS NULL THEN
        RAISE EXCEPTION 'secret is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- raises 22023 for a malformed secret, without repeating it
    PERFORM auth_sync._webhook_check_secret(set_webhook_secret.secret);
    -- (only Supabase Vault itself: any other schema named vault is passed over)
    IF auth_sync._vault_problem() IS NULL THEN
        v_store := 'vault';
        -- (Vault's objects are its owner's: auth_sync uses them as that owner, with fixed statements)
        v_id := (auth_sync._as_owner(auth_sync._vault_secrets_table(),
                     'SELECT to_jsonb(s.id) FROM vault.secrets s WHERE s.name = $1',
                     auth_sync._vault_secret_name(set_webhook_secret.provider)) #>> '{}')::uuid;
        IF v_id IS NULL THEN
            PERFORM auth_sync._as_owner(auth_sync._vault_secrets_table(),
                $q$SELECT to_jsonb(vault.create_secret($1 ->> 'secret', $1 ->> 'name', $1 ->> 'description'))$q$,
                jsonb_build_object('secret', set_webhook_secret.secret,
                                   'name', auth_sync._vault_secret_name(set_webhook_secret.provider),
                                   'description', 'auth_sync: webhook signing secret of ' || set_webhook_secret.provider));
        ELSE
            PERFORM auth_sync._as_owner(auth_sync._vault_secrets_table(),
                $q$SELECT NULL::jsonb FROM (SELECT vault.update_secret(($1 ->> 'id')::uuid, $1 ->> 'secret')) AS x$q$,
                jsonb_build_object('id', v_id, 'secret', set_webhook_secret.secret));
        END IF;
        DELETE FROM auth_sync.webhook_secrets w WHERE w.provider = set_webhook_secret.provider;
    ELSE
        v_store := 'table';
        INSERT INTO auth_sync.webhook_secrets AS w (provider, secret)
        VALUES (set_webhook_secret.provider, set_webhook_secret.secret)
        ON CONFLICT ON CONSTRAINT webhook_secrets_pkey
        DO UPDATE SET secret = EXCLUDED.secret, updated_at = pg_catalog.now();
    END IF;
    PERFORM auth_sync._audit('set_webhook_secret',
        jsonb_build_object('provider', set_webhook_secret.provider), jsonb_build_object('stored_in', v_store));
    RETURN v_store;
END
$$;
COMMENT ON FUNCTION auth_sync.set_webhook_secret(text, text) IS
    'Stores a provider''s webhook signing secret (whsec_...) in Supabase Vault when the extension supabase_vault provides schema vault, else in a table only the owner reads; returns where. Pass the secret as a bound parameter.';

-- The stored secret of a provider, or NULL.
CREATE FUNCTION auth_sync._webhook_secret(p_provider text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_secret text;
BEGIN
    IF auth_sync._vault_problem() IS NULL THEN
        v_secret := auth_sync._as_owner(auth_sync._vault_secrets_table(),
                        'SELECT to_jsonb(s.decrypted_secret) FROM vault.decrypted_secrets s WHERE s.name = $1',
                        auth_sync._vault_secret_name(p_provider)) #>> '{}';
    END IF;
    IF v_secret IS NULL THEN
        SELECT w.secret INTO v_secret FROM auth_sync.webhook_secrets w WHERE w.provider = p_provider;
    END IF;
    RETURN v_secret;
END
$$;

-- A provider's user as a row shaped like auth.users, so that the column maps of profile tables
-- (written for Supabase users) read it: email, names, username and image as the metadata keys
-- the derived fields look for, the provider's public metadata under them for meta:<key>.
CREATE FUNCTION auth_sync._external_auth_row(p_provider text, p_email text, p_data jsonb)
RETURNS auth.users
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_populate_record(NULL::auth.users, jsonb_build_object(
               'email', p_email,
               'raw_user_meta_data',
                   CASE WHEN jsonb_typeof(p_data -> 'public_metadata') = 'object' THEN p_data -> 'public_metadata' ELSE '{}' END
                   || jsonb_strip_nulls(jsonb_build_object(
                          'first_name', u ->> 'first_name',
                          'last_name', u ->> 'last_name',
                          'user_name', u ->> 'username',
                          'avatar_url', u ->> 'image_url',
                          'provider_id', u ->> 'id',
                          'sub', u ->> 'id')),
               'raw_app_meta_data', jsonb_build_object('provider', p_provider, 'providers', jsonb_build_array(p_provider)),
               'email_confirmed_at',
                   CASE WHEN EXISTS (SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_data -> 'email_addresses') = 'array'
                                                                          THEN p_data -> 'email_addresses' ELSE '[]' END) AS a
                                      WHERE a ->> 'id' = p_data ->> 'primary_email_address_id'
                                        AND a #>> '{verification,status}' = 'verified')
                        THEN auth_sync._ms_to_timestamptz(p_data -> 'created_at') END,
               'created_at', auth_sync._ms_to_timestamptz(p_data -> 'created_at'),
               'updated_at', auth_sync._ms_to_timestamptz(p_data -> 'updated_at'),
               'last_sign_in_at', auth_sync._ms_to_timestamptz(p_data -> 'last_sign_in_at')))
      FROM (SELECT auth_sync._clerk_user(p_data) AS u) AS x
$$;

-- Milliseconds since the epoch (a JSON number) as a timestamp, or NULL.
CREATE FUNCTION auth_sync._ms_to_timestamptz(p_ms jsonb) RETURNS timestamptz
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN jsonb_typeof(p_ms) = 'number' AND (p_ms #>> '{}') ~ '^[0-9]{1,15}$'
                THEN to_timestamp((p_ms #>> '{}')::bigint / 1000.0) END
$$;

-- The sources (see auth_sync.user_source) of the mirrored users p_ids of p_provider, by id: no
-- auth.users id; extra holds the provider's user id (external_id), which their rows are keyed by.
CREATE FUNCTION auth_sync._external_sources(p_provider text, p_ids text[], p_fields boolean)
RETURNS auth_sync.user_source[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(ROW(NULL, r.email, r.phone, r.email_confirmed_at, r.raw_user_meta_data,
                                  r.raw_app_meta_data, r.created_at, r.last_sign_in_at, r.deleted_at,
                                  CASE WHEN p_fields THEN auth_sync.extract_user_fields(r.raw_user_meta_data, r.raw_app_meta_data, r.email) END,
                                  jsonb_build_object('external_id', e.external_id))::auth_sync.user_source
                              ORDER BY e.external_id), '{}')
      FROM auth_sync.external_users AS e
     CROSS JOIN LATERAL auth_sync._external_auth_row(e.provider, e.email, e.data) AS r
     WHERE e.provider = p_provider AND e.deleted_at IS NULL AND e.external_id = ANY (p_ids)
$$;

-- Creates the missing rows and refreshes the mapped columns of every profile table of
-- p_provider for the mirrored users p_ids (all live mirrored users when NULL). p_dry counts.
-- One row per table and action (created / refreshed, or would_...), with the users. (Finding
-- reads as auth_sync; writing runs as the table's owner.)
CREATE FUNCTION auth_sync._external_apply_profiles(p_provider text, p_ids text[], p_dry boolean)
RETURNS TABLE (table_name text, action text, user_ids text[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s      record;
    v_from text;
    v_ids  text[];
    v_res  jsonb;
BEGIN
    FOR s IN SELECT p.* FROM auth_sync.managed_tables m, auth_sync._profile_sql(m.target) AS p
              WHERE m.kind = 'profile' AND m.source = p_provider
                AND EXISTS (SELECT FROM pg_class c WHERE c.oid = m.target::oid)
              ORDER BY m.target::text LOOP
        v_from := format('auth_sync.external_users AS e CROSS JOIN LATERAL auth_sync._external_auth_row(e.provider, e.email, e.data) AS r%s
                          WHERE e.provider = $1 AND e.deleted_at IS NULL AND ($2::text[] IS NULL OR e.external_id = ANY ($2::text[]))',
                         s.lateral_fields);
        -- missing rows
        EXECUTE format('SELECT array_agg(e.external_id ORDER BY e.external_id) FROM %s AND NOT EXISTS (SELECT FROM %s AS t WHERE t.%I = e.external_id)',
                       v_from, s.target, s.user_column)
            INTO v_ids USING p_provider, p_ids;
        IF v_ids IS NOT NULL AND NOT p_dry THEN
            v_res := auth_sync._as_owner(s.target,
                format('WITH w AS (INSERT INTO %s (%s) SELECT r.extra ->> %L%s FROM unnest($1) AS r%s RETURNING %I) SELECT jsonb_agg(w.%I::text ORDER BY w.%I) FROM w',
                       s.target, s.cols, 'external_id', substr(s.vals, length('r.id') + 1),
                       CASE WHEN s.user_unique THEN ' ON CONFLICT DO NOTHING'
                            ELSE format(' WHERE NOT EXISTS (SELECT FROM %s AS t WHERE t.%I = r.extra ->> %L)', s.target, s.user_column, 'external_id') END,
                       s.user_column, s.user_column, s.user_column),
                auth_sync._external_sources(p_provider, v_ids, s.uses_fields));
            v_ids := nullif(ARRAY(SELECT jsonb_array_elements_text(coalesce(v_res, '[]'))), '{}');
        END IF;
        IF v_ids IS NOT NULL THEN
            table_name := s.target::text; action := CASE WHEN p_dry THEN 'would_create' ELSE 'created' END;
            user_ids := v_ids;
            RETURN NEXT;
        END IF;
        CONTINUE WHEN s.set_list IS NULL;
        -- stale mapped columns
        EXECUTE format('SELECT array_agg(DISTINCT e.external_id) FROM %s AS t, %s AND t.%I = e.external_id AND (%s)',
                       s.target, v_from, s.user_column, s.read_diff)
            INTO v_ids USING p_provider, p_ids;
        IF v_ids IS NOT NULL AND NOT p_dry THEN
            v_res := auth_sync._as_owner(s.target,
                format('WITH w AS (UPDATE %s AS t SET %s FROM unnest($1) AS r WHERE t.%I = r.extra ->> %L AND (%s) RETURNING t.%I)
                        SELECT jsonb_agg(DISTINCT w.%I::text) FROM w',
                       s.target, s.set_list, s.user_column, 'external_id', s.diff, s.user_column, s.user_column),
                auth_sync._external_sources(p_provider, v_ids, s.uses_fields));
            v_ids := nullif(ARRAY(SELECT jsonb_array_elements_text(coalesce(v_res, '[]'))), '{}');
        END IF;
        IF v_ids IS NOT NULL THEN
            table_name := s.target::text; action := CASE WHEN p_dry THEN 'would_refresh' ELSE 'refreshed' END;
            user_ids := v_ids;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;

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

-- The users a provider has now: known_ids when given, else the live mirrored users. With p_as_of
-- (when known_ids was taken), known_ids plus the live mirrored users created or updated at the
-- provider after it: a list is a snapshot, and a user who signed up since is not gone.
CREATE FUNCTION auth_sync._known_external(p_provider text, p_known text[], p_as_of timestamptz DEFAULT NULL)
RETURNS TABLE (id text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT k FROM unnest(p_known) AS k WHERE p_known IS NOT NULL AND k IS NOT NULL
    UNION ALL
    SELECT e.external_id FROM auth_sync.external_users e
     WHERE e.provider = p_provider AND e.deleted_at IS NULL
       AND (p_known IS NULL
            OR p_as_of IS NOT NULL AND (e.created_at > p_as_of
                                        OR e.source_updated_at > (extract(epoch FROM p_as_of) * 1000)::bigint))
$$;

CREATE FUNCTION auth_sync.analyze_external(provider text, known_ids text[] DEFAULT NULL)
RETURNS TABLE (category text, user_id text, table_name text, row_count bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- (the rows per user of every table are hashed in memory)
SET work_mem = '128MB'
AS $$
#variable_conflict use_column
DECLARE
    s record;
BEGIN
    PERFORM auth_sync._check_provider(analyze_external.provider);
    FOR s IN SELECT * FROM auth_sync._removal_order(analyze_external.provider) AS o ORDER BY o.target::text LOOP
        RETURN QUERY EXECUTE format(
            $q$WITH rows_per_user AS (SELECT t.%1$I::text AS uid, count(*) AS n FROM %2$s AS t GROUP BY 1),
                    known AS (SELECT k.id FROM auth_sync._known_external($1, $2) AS k)
               SELECT CASE WHEN k.id IS NULL THEN 'orphaned'
                           WHEN r.n IS NULL THEN 'missing_profile'
                           WHEN r.n > 1 AND %3$L = 'profile' THEN 'duplicate'
                           ELSE 'synced' END,
                      coalesce(k.id, r.uid), %4$L::text, coalesce(r.n, 0)
                 FROM rows_per_user AS r
                 FULL JOIN known AS k ON k.id = r.uid
                WHERE %3$L = 'profile' OR r.uid IS NOT NULL
                ORDER BY 1, 2$q$,
            s.user_column, s.target, s.kind, s.target::text)
        USING analyze_external.provider, analyze_external.known_ids;
    END LOOP;
    -- ids the provider reports that no webhook ever described
    RETURN QUERY
        SELECT 'provider_only', k, NULL::text, 0::bigint
          FROM unnest(analyze_external.known_ids) AS k
         WHERE k IS NOT NULL
           AND NOT EXISTS (SELECT FROM auth_sync.external_users e
                            WHERE e.provider = analyze_external.provider AND e.external_id = k AND e.deleted_at IS NULL)
         ORDER BY 2;
END
$$;
COMMENT ON FUNCTION auth_sync.analyze_external(text, text[]) IS
    'Compares a provider''s users (known_ids, else the webhook mirror) with the tables registered for it: synced, missing_profile, duplicate, orphaned, provider_only.';

CREATE FUNCTION auth_sync.reconcile_external(provider text, known_ids text[] DEFAULT NULL, dry_run boolean DEFAULT false,
                                             force boolean DEFAULT false, as_of timestamptz DEFAULT now())
RETURNS TABLE (action text, user_id text, table_name text, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET work_mem = '128MB'
AS $$
#variable_conflict use_column
DECLARE
    v_dry   boolean := coalesce(reconcile_external.dry_run, false);
    v_force boolean := coalesce(reconcile_external.force, false);
    v_as_of timestamptz := coalesce(reconcile_external.as_of, now());
    v_p     text := reconcile_external.provider;
    v_known text[];
    v_live  bigint;
    v_gone  bigint;
    -- the largest share of the live mirrored users one call marks deleted without force => true
    -- (a list that would delete more is more likely a failed or partial fetch than that many
    -- users leaving at once)
    c_max_share constant numeric := 0.10;
    s       record;
    v_orph  text[];
    v_sql   text;
    v_res   jsonb;
BEGIN
    PERFORM auth_sync._check_provider(v_p);
    -- the caller could read and delete these rows itself
    PERFORM auth_sync._require_table_rights(o.target, CASE WHEN v_dry THEN 'SELECT' ELSE 'SELECT, INSERT, UPDATE, DELETE' END)
       FROM auth_sync._removal_order(v_p) AS o;
    PERFORM pg_advisory_xact_lock(hashtext('auth_sync.reconcile_external:' || v_p));
    -- 1. with the provider's full list: mirrored users it no longer has are deleted, except those
    --    created or updated at the provider after the list was taken (as_of)
    IF reconcile_external.known_ids IS NOT NULL THEN
        v_known := ARRAY(SELECT k.id FROM auth_sync._known_external(v_p, reconcile_external.known_ids, v_as_of) AS k);
        SELECT count(*), count(*) FILTER (WHERE NOT (e.external_id = ANY (v_known))) INTO v_live, v_gone
          FROM auth_sync.external_users e WHERE e.provider = v_p AND e.deleted_at IS NULL;
        -- an empty list, or one that would delete more than the share: refused unless forced
        -- (a dry run only reports)
        IF v_gone > 0 AND NOT v_force AND NOT v_dry THEN
            IF NOT EXISTS (SELECT FROM unnest(reconcile_external.known_ids) AS k WHERE k IS NOT NULL) THEN
                RAISE EXCEPTION 'reconcile_external(%): known_ids is empty, but % mirrored user(s) are live; nothing was changed',
                        v_p, v_gone
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'An empty list is more often a failed fetch than a provider without users. If the provider really has none, call again with force => true.';
            ELSIF v_gone > v_live * c_max_share THEN
                RAISE EXCEPTION 'reconcile_external(%): known_ids would mark % of the % live mirrored users deleted (more than %); nothing was changed',
                        v_p, v_gone, v_live, round(c_max_share * 100) || '%'
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Check that known_ids is the provider''s complete list (every page); see dry_run => true. If so many users really left, call again with force => true.';
            END IF;
        END IF;
        RETURN QUERY
            WITH gone AS (
                SELECT e.external_id FROM auth_sync.external_users e
                 WHERE e.provider = v_p AND e.deleted_at IS NULL AND NOT (e.external_id = ANY (v_known))),
            marked AS (
                UPDATE auth_sync.external_users e SET deleted_at = pg_catalog.now(), updated_at = pg_catalog.now()
                  FROM gone WHERE NOT v_dry AND e.provider = v_p AND e.external_id = gone.external_id
                RETURNING e.external_id)
            SELECT CASE WHEN v_dry THEN 'would_mark_deleted' ELSE 'marked_deleted' END, g.external_id,
                   'auth_sync.external_users', 1::bigint
              FROM gone AS g ORDER BY 2;
    END IF;
    -- 2. missing profile rows (and stale mapped columns) of the users the mirror describes
    RETURN QUERY
        SELECT a.action, u, a.table_name, 1::bigint
          FROM auth_sync._external_apply_profiles(v_p,
                   (SELECT array_agg(k.id) FROM auth_sync._known_external(v_p, reconcile_external.known_ids, v_as_of) AS k), v_dry) AS a,
               unnest(a.user_ids) AS u
         ORDER BY 1, 3, 2;
    -- 3. orphans: rows of users the provider does not have (or NULL); 4. duplicates: keep the oldest
    FOR s IN SELECT o.*, m.user_unique FROM auth_sync._removal_order(v_p) AS o
               JOIN auth_sync.managed_tables m ON m.target = o.target ORDER BY o.pos LOOP
        IF v_dry THEN
            RETURN QUERY EXECUTE format(
                $q$SELECT 'would_remove_orphans', t.%1$I::text, %2$L::text, count(*) FROM %3$s AS t
                    WHERE %4$s NOT EXISTS (SELECT FROM auth_sync._known_external($1, $2, $3) AS k WHERE k.id = t.%1$I)
                    GROUP BY 2 ORDER BY 2$q$,
                s.user_column, s.target::text, s.target,
                CASE WHEN s.kind = 'profile' THEN '' ELSE format('t.%I IS NOT NULL AND', s.user_column) END)
            USING v_p, reconcile_external.known_ids, v_as_of;
        ELSE
            -- (found as auth_sync, removed by the table's owner)
            EXECUTE format(
                $q$SELECT array_agg(DISTINCT t.%1$I::text) FROM %2$s AS t
                    WHERE t.%1$I IS NOT NULL AND NOT EXISTS (SELECT FROM auth_sync._known_external($1, $2, $3) AS k WHERE k.id = t.%1$I)$q$,
                s.user_column, s.target)
                INTO v_orph USING v_p, reconcile_external.known_ids, v_as_of;
            RETURN QUERY
                SELECT 'removed_orphans', e ->> 0, s.target::text, (e ->> 1)::bigint
                  FROM jsonb_array_elements(coalesce(auth_sync._as_owner(s.target, format(
                    $q$WITH d AS (DELETE FROM %1$s AS t WHERE t.%2$I = ANY ($1)%3$s RETURNING t.%2$I::text AS uid)
                       SELECT jsonb_agg(jsonb_build_array(x.uid, x.n) ORDER BY x.uid) FROM (SELECT d.uid, count(*) AS n FROM d GROUP BY 1) AS x$q$,
                    s.target, s.user_column, CASE WHEN s.kind = 'profile' THEN format(' OR t.%I IS NULL', s.user_column) ELSE '' END),
                    coalesce(v_orph, '{}')), '[]')) AS e;
        END IF;
        CONTINUE WHEN s.kind <> 'profile' OR s.user_unique;
        v_sql := format(
            $q$WITH extra AS (SELECT d.row_ctid FROM (
                                 SELECT t.ctid AS row_ctid, row_number() OVER (PARTITION BY t.%1$I ORDER BY %3$s) AS n
                                   FROM %2$s AS t WHERE t.%1$I IS NOT NULL) AS d WHERE d.n > 1),
                    gone AS (%4$s)
               SELECT jsonb_agg(jsonb_build_array(x.uid, x.n) ORDER BY x.uid) FROM (SELECT g.uid, count(*) AS n FROM gone AS g GROUP BY 1) AS x$q$,
            s.user_column, s.target, auth_sync._keep_order(s.target),
            CASE WHEN v_dry THEN format('SELECT t.%I::text AS uid FROM %s AS t WHERE t.ctid = ANY (ARRAY(SELECT row_ctid FROM extra))',
                                        s.user_column, s.target)
                 ELSE format('DELETE FROM %s AS t WHERE t.ctid = ANY (ARRAY(SELECT row_ctid FROM extra)) RETURNING t.%I::text AS uid',
                             s.target, s.user_column) END);
        IF v_dry THEN
            EXECUTE v_sql INTO v_res;
        ELSE
            v_res := auth_sync._as_owner(s.target, v_sql, 0);
        END IF;
        RETURN QUERY SELECT CASE WHEN v_dry THEN 'would_remove_duplicates' ELSE 'removed_duplicates' END,
                            e ->> 0, s.target::text, (e ->> 1)::bigint
                       FROM jsonb_array_elements(coalesce(v_res, '[]')) AS e;
    END LOOP;
    -- 5. ids the provider reports that no webhook described: nothing to build their rows from
    RETURN QUERY
        SELECT 'skipped_provider_only', k, NULL::text, 0::bigint
          FROM unnest(reconcile_external.known_ids) AS k
         WHERE k IS NOT NULL
           AND NOT EXISTS (SELECT FROM auth_sync.external_users e
                            WHERE e.provider = v_p AND e.external_id = k AND e.deleted_at IS NULL)
         ORDER BY 2;
    PERFORM auth_sync._audit('reconcile_external',
        jsonb_build_object('provider', v_p, 'known_ids', cardinality(reconcile_external.known_ids), 'dry_run', v_dry,
                           'force', v_force, 'as_of', v_as_of),
        jsonb_strip_nulls(jsonb_build_object('mirrored_live', v_live, 'not_in_known_ids', v_gone)));
END
$$;
COMMENT ON FUNCTION auth_sync.reconcile_external(text, text[], boolean, boolean, timestamptz) IS
    'For missed webhooks: creates missing profile rows, removes orphans and fixes duplicates in the tables registered for a provider, in one transaction (dry_run: reports). known_ids is the provider''s full list of user ids as of as_of (users created or updated after it are kept); NULL uses the webhook mirror. An empty list, or one that would mark more than 10% of the mirrored users deleted, is refused (22023) unless force => true.';
