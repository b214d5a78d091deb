-- Two rows that clash in a profile table (a unique index): the later line fails, whatever the
-- order of their ids.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
-- two rows that clash in a profile table: the later line fails, whatever the order of their ids
-- (rows are written in id order; the row-by-row retry of a failed chunk goes in file order)
CREATE UNIQUE INDEX user_profiles_department_key ON public.user_profiles (department) WHERE department LIKE 'Desk %';
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,id,department\nclash1@example.com,ffffffff-ffff-4fff-bfff-ffffffffffff,Desk 7\nclash2@example.com,00000000-0000-4000-8000-000000000001,Desk 7\nclash3@example.com,80000000-0000-4000-8000-000000000000,Desk 8', atomic => false);
SELECT u.email, u.id, p.department FROM auth.users u LEFT JOIN public.user_profiles p ON p.user_id = u.id
 WHERE u.email LIKE 'clash%' ORDER BY 1;
DELETE FROM auth.users WHERE email LIKE 'clash%';
DROP INDEX public.user_profiles_department_key;
