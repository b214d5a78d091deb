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

