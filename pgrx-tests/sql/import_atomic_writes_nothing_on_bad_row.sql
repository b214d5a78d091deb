-- atomic (the default): one bad row and nothing is written; every row is reported (the others
-- not_created), the batch failed.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
SELECT * FROM public.import_counts;
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,first_name,last_name\natomic1@example.com,Ok,Row\natomic2@example.com,Ragged\natomic3@example.com,Ok,Too');
SELECT * FROM public.import_counts;
SELECT counts, status FROM public.last_batch;
