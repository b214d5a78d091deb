-- Webhook signing secrets: in Supabase Vault when the real Vault extension is there (checked by
-- its extension membership and owner), else in auth_sync.webhook_secrets.

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
