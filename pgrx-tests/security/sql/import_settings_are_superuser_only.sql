-- The settings that decide how much CPU and memory one bulk_create_users call takes, and how
-- strong the stored hashes are, are the DBA's: a non-superuser can neither lower bcrypt_cost (weak
-- hashes) nor raise it or the limits (a denial of service), not even through a placeholder set
-- before the library was loaded; and no one can go above the caps.
\set VERBOSITY terse
LOAD 'auth_sync';
SELECT name, setting, context, min_val, max_val, unit
  FROM pg_settings
 WHERE name IN ('auth_sync.bcrypt_cost', 'auth_sync.max_import_rows', 'auth_sync.max_import_bytes')
 ORDER BY name;
-- hash_threads: default and cap are the number of cores (machine-dependent, so compared only)
SELECT context, boot_val = max_val AS default_is_the_cap, min_val,
       setting::int = max_val::int AS set_to_the_cap
  FROM pg_settings WHERE name = 'auth_sync.hash_threads';

-- caps hold for the superuser too
SET auth_sync.bcrypt_cost = 15;
SET auth_sync.bcrypt_cost = 31;
SET auth_sync.bcrypt_cost = 14;
SHOW auth_sync.bcrypt_cost;
RESET auth_sync.bcrypt_cost;
DO $$
BEGIN
    EXECUTE format('SET auth_sync.hash_threads = %s',
                   (SELECT max_val::int + 1 FROM pg_settings WHERE name = 'auth_sync.hash_threads'));
    RAISE NOTICE 'hash_threads above the cores was accepted';
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'hash_threads above the cores refused: %', SQLSTATE;
END
$$;
SET auth_sync.hash_threads = 1;
SHOW auth_sync.hash_threads;
RESET auth_sync.hash_threads;

-- a non-superuser, in a session where the library is loaded
CREATE ROLE import_settings_user LOGIN;
SET ROLE import_settings_user;
SET auth_sync.bcrypt_cost = 4;
SET auth_sync.bcrypt_cost = 14;
SET auth_sync.max_import_rows = 100000000;
SET auth_sync.max_import_bytes = '1GB';
SET auth_sync.hash_threads = 1;
SELECT set_config('auth_sync.bcrypt_cost', '4', true);
SHOW auth_sync.bcrypt_cost;
RESET ROLE;

-- a non-superuser in a new session, before the library is loaded: the placeholder is dropped
-- when the library defines the setting
GRANT USAGE ON SCHEMA auth_sync TO import_settings_user;
GRANT EXECUTE ON FUNCTION auth_sync.version() TO import_settings_user;
\c - import_settings_user
\set VERBOSITY terse
SET auth_sync.bcrypt_cost = 4;
SELECT auth_sync.version() IS NOT NULL AS library_loaded;
SHOW auth_sync.bcrypt_cost;
\c - postgres
REVOKE EXECUTE ON FUNCTION auth_sync.version() FROM import_settings_user;
REVOKE USAGE ON SCHEMA auth_sync FROM import_settings_user;
DROP ROLE import_settings_user;
