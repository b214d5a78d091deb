-- register_linked_table refuses what it cannot work with, naming the column: a second employee
-- table, an active column that is not boolean, an email column without a unique index on
-- lower(email), a missing column.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\set ECHO all
CREATE TABLE public.emp_other (id bigint PRIMARY KEY, email text, active boolean, uid uuid);
SELECT * FROM auth_sync.register_linked_table('public.emp_other', 'id', 'email', 'active', 'uid');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'first_name', 'auth_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'employee_number', 'is_active', 'auth_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'nope');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE public.emp_other;
