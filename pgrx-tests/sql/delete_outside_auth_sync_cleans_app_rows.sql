-- A delete of auth users that does not go through auth_sync (the Auth API as supabase_auth_admin,
-- one statement, two users): the trigger removes the rows of the tables whose key does not
-- cascade, and logs it.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
-- ...without them (the app removed them), the trigger removes the rows of the tables whose key
-- does not cascade: one statement, two users
DELETE FROM public.del_comments WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
DELETE FROM public.del_tasks WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
SET ROLE supabase_auth_admin;
DELETE FROM auth.users WHERE id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
RESET ROLE;
SELECT public.del_rows(4) AS user_4, public.del_rows(5) AS user_5;
SELECT action, arguments, result FROM auth_sync.admin_audit_log WHERE action = 'auth_users_deleted' ORDER BY id;
