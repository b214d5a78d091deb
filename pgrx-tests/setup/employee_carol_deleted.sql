-- Given (after employee_linking.sql): Carol's auth user deleted (employee 5 unlinked), as
-- employee_auth_user_deleted_unlinks does; :mark moved on.
\o /dev/null
DELETE FROM auth.users WHERE id = public.emp_uid(3);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
