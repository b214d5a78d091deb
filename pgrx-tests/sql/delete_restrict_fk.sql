-- A delete of an auth user that does not go through auth_sync (the Auth API, SQL) is refused by
-- an app table's ON DELETE RESTRICT foreign key while the user has rows there.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
-- (as the Auth server's role)
SET ROLE supabase_auth_admin;
-- del_tasks' ON DELETE RESTRICT refuses it while the user has tasks...
DELETE FROM auth.users WHERE id = 'd0000000-0000-4000-8000-000000000004';
RESET ROLE;
