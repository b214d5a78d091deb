-- DROP EXTENSION removes its functions and its triggers, and leaves auth.users alone; it installs
-- again afterwards.
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
DROP EXTENSION auth_sync;
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = to_regnamespace('auth_sync');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;
SELECT count(*) AS event_triggers_left FROM pg_event_trigger WHERE evtname LIKE 'auth_sync%';
SELECT to_regclass('auth.users') IS NOT NULL AS auth_users_still_there;
CREATE EXTENSION auth_sync;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;
