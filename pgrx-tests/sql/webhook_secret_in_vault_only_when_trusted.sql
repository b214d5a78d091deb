-- With Supabase Vault the secret goes there. A stand-in with Vault's SQL surface (vault.secrets,
-- vault.create_secret, vault.update_secret, vault.decrypted_secrets) as a plain schema named
-- vault is not trusted: the secret stays in auth_sync's table. Registered in the catalogs as the
-- members of an extension supabase_vault, it is used, and the webhook verifies with the secret
-- from Vault.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
BEGIN;
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE, description text,
                            secret text NOT NULL, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '')
RETURNS uuid LANGUAGE sql AS $$
    INSERT INTO vault.secrets (name, description, secret) VALUES (new_name, new_description, new_secret) RETURNING id
$$;
CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
    UPDATE vault.secrets SET secret = coalesce(new_secret, secret), updated_at = now() WHERE id = secret_id
$$;
CREATE VIEW vault.decrypted_secrets AS SELECT id, name, description, secret AS decrypted_secret FROM vault.secrets;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT count(*) AS secrets_in_stand_in FROM vault.secrets;
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
SELECT (SELECT max(oid)::int8 + 1 FROM pg_extension)::oid, 'supabase_vault', 'postgres'::regrole, 'vault'::regnamespace, false, '0.2.8';
INSERT INTO pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
SELECT o.classid, o.objid, 0, 'pg_extension'::regclass, (SELECT oid FROM pg_extension WHERE extname = 'supabase_vault'), 0, 'e'
  FROM (VALUES ('pg_class'::regclass, 'vault.secrets'::regclass::oid), ('pg_class', 'vault.decrypted_secrets'::regclass::oid),
               ('pg_proc', 'vault.create_secret(text, text, text)'::regprocedure::oid),
               ('pg_proc', 'vault.update_secret(uuid, text)'::regprocedure::oid)) AS o(classid, objid);
SELECT ok, detail FROM auth_sync.verify_installation() WHERE check_name = 'webhook_secret_store';
SELECT auth_sync.set_webhook_secret('clerk', :'old_secret') AS stored_in;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
SELECT name, description, secret = :'secret' AS is_current FROM vault.secrets;
SELECT count(*) AS secrets_in_table FROM auth_sync.webhook_secrets;
-- (the secret now comes from Vault: the table holds none)
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body') ->> 'status' AS verified_with_vault_secret;
ROLLBACK;
SELECT count(*) AS secrets_in_table FROM auth_sync.webhook_secrets;
