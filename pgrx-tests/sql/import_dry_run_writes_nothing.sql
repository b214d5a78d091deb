-- dry_run validates and checks conflicts (would_update, would_create, would_skip, row errors),
-- returns no password, and writes nothing; the batch is reported as dry_run.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
SELECT * FROM public.import_counts;
SELECT line_number, email, status, error_code, temp_password
  FROM auth_sync.bulk_create_users(E'email,password\nada@example.com,whatever1\ndry@example.com,whatever2\nbad-email,whatever3',
                                   dry_run => true, on_conflict => 'update', generate_passwords => true);
SELECT line_number, email, status FROM auth_sync.bulk_create_users(E'email\nada@example.com', dry_run => true, on_conflict => 'skip');
SELECT * FROM public.import_counts;
SELECT counts, status FROM public.last_batch;
