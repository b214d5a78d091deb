-- Grants: anon and authenticated are refused, service_role may call.
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
SET ROLE anon;
SELECT auth_sync.version();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE authenticated;
SELECT * FROM auth_sync.verify_installation();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE service_role;
SELECT count(*) FILTER (WHERE ok) AS checks_ok, count(*) AS checks
  FROM auth_sync.verify_installation();
RESET ROLE;
