-- A schema named vault is not Supabase Vault. Where Vault is not installed, any role with CREATE on
-- the database can make one, with a create_secret() that captures the webhook signing secret (and
-- runs with auth_sync's privileges) and a decrypted_secrets view that hands out a key of its own,
-- so that forged webhooks verify. auth_sync uses vault only when the schema and the objects it
-- calls belong to the extension supabase_vault and are owned by a superuser; otherwise the secret
-- goes to its own table, and verify_installation() says so.
\set SHOW_CONTEXT never
-- (pgcrypto signs the test deliveries; in a schema of this test's, dropped at the end)
CREATE SCHEMA sec_vault_sign;
CREATE EXTENSION pgcrypto SCHEMA sec_vault_sign;
GRANT USAGE ON SCHEMA sec_vault_sign TO PUBLIC;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_vault_db_user') THEN
        CREATE ROLE sec_vault_db_user NOLOGIN;
    END IF;
    EXECUTE format('GRANT CREATE ON DATABASE %I TO sec_vault_db_user', current_database());
END
$$;
-- the real signing secret, and the attacker's key
SELECT 'whsec_' || encode(convert_to('sec-vault-the-real-signing-key', 'UTF8'), 'base64') AS real_secret,
       encode(convert_to('sec-vault-the-attackers-own-key', 'UTF8'), 'base64') AS attacker_key \gset
-- A Clerk user.created delivery signed now with a key (base64), as Svix signs it.
CREATE FUNCTION pg_temp.delivery(p_key text, p_id text, p_user text) RETURNS TABLE (headers jsonb, body text)
LANGUAGE sql AS $$
    SELECT jsonb_build_object('svix-id', p_id, 'svix-timestamp', ts, 'svix-signature',
               'v1,' || encode(sec_vault_sign.hmac(convert_to(p_id || '.' || ts || '.' || b, 'UTF8'), decode(p_key, 'base64'), 'sha256'), 'base64')),
           b
      FROM (SELECT extract(epoch FROM now())::bigint::text AS ts,
                   format('{"type":"user.created","object":"event","data":{"object":"user","id":"%s","email_addresses":[{"id":"e1","email_address":"%s@sec-vault.example"}],"primary_email_address_id":"e1","updated_at":1}}',
                          p_user, p_user) AS b) AS x
$$;

-- 1. The attacker's schema vault, where no Vault is installed.
SET ROLE sec_vault_db_user;
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, secret text);
CREATE TABLE vault.loot (secret text, ran_as text);
CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '')
RETURNS uuid LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO vault.loot VALUES (new_secret, current_user);
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE sec_vault_db_user SUPERUSER';
    END IF;
    RETURN gen_random_uuid();
END
$f$;
CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $f$ INSERT INTO vault.loot VALUES (new_secret, current_user) $f$;
CREATE VIEW vault.decrypted_secrets AS
SELECT gen_random_uuid() AS id, 'auth_sync_webhook_clerk'::text AS name,
       'whsec_c2VjLXZhdWx0LXRoZS1hdHRhY2tlcnMtb3duLWtleQ=='::text AS decrypted_secret;
GRANT USAGE ON SCHEMA vault TO PUBLIC;
GRANT SELECT, INSERT ON vault.loot, vault.secrets TO PUBLIC;
GRANT SELECT ON vault.decrypted_secrets TO PUBLIC;
RESET ROLE;

-- The admin stores the real secret: it goes to auth_sync's table, not to the attacker's function.
SET ROLE service_role;
SELECT auth_sync.set_webhook_secret('clerk', :'real_secret') AS stored_in;
RESET ROLE;
SELECT count(*) AS captured, (SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_vault_db_user') AS attacker_superuser
  FROM vault.loot;
SELECT secret = :'real_secret' AS real_secret_in_table FROM auth_sync.webhook_secrets WHERE provider = 'clerk';
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
-- A delivery signed with the attacker's key (what its decrypted_secrets offers) is refused and
-- writes nothing; one signed with the real key is processed.
SET ROLE service_role;
SELECT auth_sync.handle_clerk_webhook(d.headers, d.body) FROM pg_temp.delivery(:'attacker_key', 'msg_sec_vault_forged', 'user_sec_forged') AS d;
\echo :LAST_ERROR_SQLSTATE
SELECT auth_sync.handle_clerk_webhook(d.headers, d.body) ->> 'status' AS real_delivery
  FROM pg_temp.delivery(encode(convert_to('sec-vault-the-real-signing-key', 'UTF8'), 'base64'), 'msg_sec_vault_real', 'user_sec_real') AS d;
RESET ROLE;
SELECT external_id FROM auth_sync.external_users WHERE external_id LIKE 'user_sec_%' ORDER BY 1;
SELECT svix_id FROM auth_sync.webhook_events WHERE svix_id LIKE 'msg_sec_vault_%' ORDER BY 1;
DROP SCHEMA vault CASCADE;

-- 2. Supabase Vault installed (stood in for: Vault's SQL surface, recorded in the catalogs as the
-- members of extension supabase_vault, as CREATE EXTENSION records them; rolled back): it is used.
-- Then the attacker, given CREATE on schema vault, adds an overload of create_secret that is not
-- the extension's: the whole schema is passed over.
BEGIN;
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, description text, secret text);
CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '')
RETURNS uuid LANGUAGE sql AS $f$
    INSERT INTO vault.secrets (name, description, secret) VALUES (new_name, new_description, new_secret) RETURNING id
$f$;
CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL) RETURNS void LANGUAGE sql AS $f$
    UPDATE vault.secrets SET secret = coalesce(new_secret, secret) WHERE id = secret_id
$f$;
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, description, secret AS decrypted_secret FROM vault.secrets;
INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
SELECT (SELECT max(oid)::int8 + 1 FROM pg_extension)::oid, 'supabase_vault', 'postgres'::regrole, 'vault'::regnamespace, false, '0.2.8';
INSERT INTO pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
SELECT o.classid, o.objid, 0, 'pg_extension'::regclass, (SELECT oid FROM pg_extension WHERE extname = 'supabase_vault'), 0, 'e'
  FROM (VALUES ('pg_class'::regclass, 'vault.secrets'::regclass::oid), ('pg_class', 'vault.decrypted_secrets'::regclass::oid),
               ('pg_proc', 'vault.create_secret(text, text, text)'::regprocedure::oid),
               ('pg_proc', 'vault.update_secret(uuid, text)'::regprocedure::oid)) AS o(classid, objid);
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
SELECT auth_sync.set_webhook_secret('clerk', :'real_secret') AS stored_in;
SELECT count(*) AS secrets_in_vault FROM vault.secrets;
SAVEPOINT overload;
GRANT USAGE, CREATE ON SCHEMA vault TO sec_vault_db_user;
SET LOCAL ROLE sec_vault_db_user;
CREATE TABLE vault.sec_loot (secret text);
GRANT INSERT ON vault.sec_loot TO PUBLIC;
CREATE FUNCTION vault.create_secret(new_secret text, new_name text, new_description text, new_key_id uuid DEFAULT NULL)
RETURNS uuid LANGUAGE sql AS $f$ INSERT INTO vault.sec_loot VALUES (new_secret) RETURNING NULL::uuid $f$;
RESET ROLE;
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
SELECT auth_sync.set_webhook_secret('clerk', :'real_secret') AS stored_in;
SELECT count(*) AS captured FROM vault.sec_loot;
ROLLBACK TO SAVEPOINT overload;
-- ... or a member function handed to a role that is not a superuser: passed over as well
ALTER FUNCTION vault.update_secret(uuid, text) OWNER TO sec_vault_db_user;
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
SELECT auth_sync.set_webhook_secret('clerk', :'real_secret') AS stored_in;
ROLLBACK;

-- Clean up.
DELETE FROM auth_sync.webhook_events WHERE svix_id LIKE 'msg_sec_vault_%';
DELETE FROM auth_sync.external_users WHERE external_id LIKE 'user_sec_%';
DELETE FROM auth_sync.webhook_secrets WHERE provider = 'clerk';
DO $$
BEGIN
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM sec_vault_db_user', current_database());
END
$$;
DROP ROLE sec_vault_db_user;
DROP SCHEMA sec_vault_sign CASCADE;
