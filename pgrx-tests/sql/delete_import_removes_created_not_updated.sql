-- bulk_delete_import removes the users its batch created, not those it updated; a second run
-- finds them gone; an unknown batch removes nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
CREATE TEMP TABLE del_batch AS
SELECT * FROM auth_sync.bulk_create_users(E'email,first_name\nnew1@del.example,New\nnew2@del.example,Newer\ndel4@example.com,Updated',
                                          on_conflict => 'update', source_name => 'delete test');
SELECT email, status FROM del_batch ORDER BY line_number;
INSERT INTO public.del_notes (user_id, body) SELECT user_id, 'imported note' FROM del_batch WHERE status = 'created';
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch), dry_run => true);
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch));
SELECT email FROM auth.users WHERE email IN ('new1@del.example', 'new2@del.example', 'del4@example.com');
-- again: the users are gone
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch));
SELECT * FROM auth_sync.bulk_delete_import('00000000-0000-4000-8000-00000000dead');
