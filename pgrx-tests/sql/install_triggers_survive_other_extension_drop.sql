-- The triggers on auth.users come with the extension; dropping another extension leaves them.
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal ORDER BY 1;
CREATE EXTENSION pgcrypto;
DROP EXTENSION pgcrypto;
SELECT count(*) AS auth_sync_triggers FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal;
