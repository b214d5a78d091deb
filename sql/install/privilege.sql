-- Least privilege (README, Security):
-- * auth_sync_definer, a NOLOGIN role that is not a superuser, owns every object of the extension;
--   the SECURITY DEFINER functions run as it. It reads auth.users and auth.identities, and the
--   tables registered with auth_sync (each registration grants it SELECT, BYPASSRLS keeps the
--   tables' policies from running as it); it writes only auth_sync's own tables.
-- * Every write to a table another role owns — auth.* and the application's tables alike — and
--   every DDL statement on one runs through auth_sync._as_owner() with the privileges of that
--   table's owner, as PostgreSQL's foreign-key triggers do: triggers, defaults, constraints and
--   index expressions the owner attached to its table run with the owner's privileges, never
--   auth_sync_definer's. Those statements receive the values they write, never a password hash
--   or token of a user the owner would not otherwise hold.

DO $role$
DECLARE
    m record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_sync_definer') THEN
        CREATE ROLE auth_sync_definer NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
            NOREPLICATION BYPASSRLS;
    ELSE
        -- (another database of the cluster made it: roles are cluster-wide)
        ALTER ROLE auth_sync_definer NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
            NOREPLICATION BYPASSRLS;
    END IF;
    -- a member of the role could act as it, and so as every table owner through _as_owner()
    FOR m IN SELECT r.rolname FROM pg_catalog.pg_auth_members am
               JOIN pg_catalog.pg_roles r ON r.oid = am.member
              WHERE am.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'auth_sync_definer')
    LOOP
        EXECUTE pg_catalog.format('REVOKE auth_sync_definer FROM %I', m.rolname);
    END LOOP;
END
$role$;

ALTER SCHEMA auth_sync OWNER TO auth_sync_definer;
GRANT USAGE ON SCHEMA auth TO auth_sync_definer;
GRANT SELECT ON auth.users, auth.identities TO auth_sync_definer;

CREATE FUNCTION auth_sync._as_owner(target regclass, query text, arg anyelement) RETURNS jsonb
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'auth_sync_as_owner';
COMMENT ON FUNCTION auth_sync._as_owner(regclass, text, anyelement) IS
    'Runs one statement of auth_sync''s ($1 = arg) with the privileges of the owner of table target; returns its jsonb result.';

-- The role that called, for the audit log and the privilege checks: the role SET ROLE chose
-- (PostgREST sets it per request; a SECURITY DEFINER function does not change it), else the login
-- role.
CREATE FUNCTION auth_sync._caller() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user::text
                ELSE pg_catalog.current_setting('role') END
$$;

CREATE FUNCTION auth_sync._caller_oid() RETURNS oid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.oid FROM pg_roles r WHERE r.rolname = auth_sync._caller()
$$;

-- Refuses (42501, naming the table) unless the calling role owns p_target (or is a member of its
-- owner) or holds every privilege of p_privileges on it and USAGE on its schema: auth_sync does
-- to a table only what its caller could do directly.
CREATE FUNCTION auth_sync._require_table_rights(p_target regclass, p_privileges text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := auth_sync._caller_oid();
    c        record;
BEGIN
    SELECT cl.relowner, cl.relnamespace INTO c FROM pg_class cl WHERE cl.oid = p_target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', p_target::oid USING ERRCODE = 'undefined_table';
    END IF;
    IF v_caller IS NOT NULL
       AND has_schema_privilege(v_caller, c.relnamespace, 'USAGE')
       AND (pg_has_role(v_caller, c.relowner, 'USAGE')
            -- (each of them: has_table_privilege() with a list is true when any one is held)
            OR (p_privileges IS NOT NULL
                AND NOT EXISTS (SELECT FROM unnest(string_to_array(p_privileges, ',')) AS p(priv)
                                 WHERE NOT has_table_privilege(v_caller, p_target, btrim(p.priv))))) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'permission denied for table %', p_target
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = CASE WHEN p_privileges IS NULL THEN 'Only the table''s owner may do this.'
                            ELSE format('auth_sync needs the caller to own the table or to hold %s on it.', p_privileges) END,
              HINT = 'auth_sync acts on a table only for a role that could do the same directly.';
END
$$;

-- The owner of p_target may create auth_sync's triggers on it: USAGE on schema auth_sync (to name
-- the function) and EXECUTE on the trigger functions (which refuse to run as anything but a
-- trigger).
CREATE FUNCTION auth_sync._grant_trigger_functions(p_target regclass, p_functions regprocedure[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_owner name;
    f       regprocedure;
BEGIN
    SELECT r.rolname INTO v_owner FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = p_target;
    EXECUTE format('GRANT USAGE ON SCHEMA auth_sync TO %I', v_owner);
    FOREACH f IN ARRAY p_functions LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, v_owner);
    END LOOP;
END
$$;

-- auth_sync_definer reads a registered table (reports, repairs, deletes): its owner grants it SELECT.
CREATE FUNCTION auth_sync._grant_read(p_target regclass) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    -- (revoked first: the grant then always ends the table's ACL, so registering again, as a
    -- migration applied twice does, leaves the same ACL)
    SELECT auth_sync._as_owner(p_target, format('REVOKE SELECT ON TABLE %s FROM auth_sync_definer', p_target), 0);
    SELECT auth_sync._as_owner(p_target, format('GRANT SELECT ON TABLE %s TO auth_sync_definer', p_target), 0)
$$;

CREATE FUNCTION auth_sync._revoke_read(p_target regclass) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_class c WHERE c.oid = p_target AND c.relkind IN ('r', 'p')) THEN
        PERFORM auth_sync._as_owner(p_target, format('REVOKE SELECT ON TABLE %s FROM auth_sync_definer', p_target), 0);
    END IF;
END
$$;

-- What the statements run as a table's owner get of an auth user: the columns a column map can
-- read (see auth_sync._fields()) and the derived fields f (extract_user_fields), never the
-- password hash, tokens or anything else of the row; and extra, the caller's own values for the
-- table's other columns (an import file's profile columns, create_profile's overrides).
CREATE TYPE auth_sync.user_source AS (
    id                 uuid,
    email              text,
    phone              text,
    email_confirmed_at timestamptz,
    raw_user_meta_data jsonb,
    raw_app_meta_data  jsonb,
    created_at         timestamptz,
    last_sign_in_at    timestamptz,
    deleted_at         timestamptz,
    f                  text[],
    extra              jsonb
);

-- The sources of the users p_ids, in id order (p_fields: with the derived fields).
CREATE FUNCTION auth_sync._user_sources(p_ids uuid[], p_fields boolean, p_extra jsonb DEFAULT NULL)
RETURNS auth_sync.user_source[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(ROW(r.id, r.email, r.phone, r.email_confirmed_at, r.raw_user_meta_data,
                                  r.raw_app_meta_data, r.created_at, r.last_sign_in_at, r.deleted_at,
                                  CASE WHEN p_fields THEN auth_sync.extract_user_fields(r.raw_user_meta_data, r.raw_app_meta_data, r.email) END,
                                  p_extra)::auth_sync.user_source ORDER BY r.id), '{}')
      FROM unnest(p_ids) AS k(id) JOIN auth.users r ON r.id = k.id
$$;
