-- service_role imports through the RPC wrapper public.bulk_create_users, audited with its JWT's
-- claims; anon and authenticated are refused, through the wrapper or directly.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims', '{"sub": "server-1", "role": "service_role"}', true) IS NOT NULL AS claims;
SELECT line_number, email, status FROM public.bulk_create_users(E'email\nrpc@example.com', source_name => 'rpc');
COMMIT;
SELECT db_user, session_role, claimed_sub, claimed_role, action, arguments ->> 'source_name' AS source_name, result ->> 'status' AS status
  FROM auth_sync.admin_audit_log WHERE action = 'bulk_create_users' ORDER BY id DESC LIMIT 1;
SET ROLE authenticated;
SELECT * FROM public.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE anon;
SELECT * FROM public.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;
