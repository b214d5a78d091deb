-- A profile table that refuses a row: profile_rejected. Atomic, nothing is written; not atomic,
-- the other rows are, and of the refused row not even its auth user.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
-- a profile table that refuses a row: profile_rejected; atomic writes nothing
ALTER TABLE public.user_profiles ADD CONSTRAINT no_forbidden_department CHECK (department IS DISTINCT FROM 'Forbidden');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,department\nrej1@example.com,Sales\nrej2@example.com,Forbidden\nrej3@example.com,Support');
SELECT * FROM public.import_counts;
-- not atomic: the others are written, the refused row is not (not even its auth user)
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,department\nrej1@example.com,Sales\nrej2@example.com,Forbidden\nrej3@example.com,Support', atomic => false);
SELECT u.email, p.department FROM auth.users u LEFT JOIN public.user_profiles p ON p.user_id = u.id
 WHERE u.email LIKE 'rej%' ORDER BY 1;
SELECT counts, status FROM public.last_batch;
ALTER TABLE public.user_profiles DROP CONSTRAINT no_forbidden_department;
