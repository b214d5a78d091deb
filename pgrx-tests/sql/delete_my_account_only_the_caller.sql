-- delete_my_account() removes the caller and nothing else: anon is refused, authenticated without
-- a JWT or with a user that does not exist gets an error, no argument can name anyone else;
-- audited with the claims.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\i setup/delete_history.sql
\i setup/delete_full_synced.sql
\set ECHO all
SET ROLE anon;
SELECT auth_sync.delete_my_account();
RESET ROLE;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT auth_sync.delete_my_account();
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-00000000ffff", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account();
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000009", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
-- (no argument could name anyone else)
SELECT auth_sync.delete_my_account('d0000000-0000-4000-8000-000000000008');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000009", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account() AS removed;
COMMIT;
SELECT public.del_rows(9) AS user_9, public.del_rows(8) AS user_8;
SELECT db_user, session_role, claimed_sub, claimed_role, result FROM auth_sync.admin_audit_log WHERE action = 'delete_my_account';
