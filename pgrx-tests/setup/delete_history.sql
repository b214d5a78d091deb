-- Given (after profiles.sql and delete.sql): what the delete tests before full_sync do, in order:
-- delete_bulk_dry_run_predicts_real_run (users 1 and 2 deleted), delete_soft_obfuscates_and_frees_email
-- (user 3 soft-deleted; del3@example.com signed up again and deleted),
-- delete_import_removes_created_not_updated (an import's new users removed, user 4 updated),
-- delete_outside_auth_sync_cleans_app_rows (users 4 and 5 deleted as the Auth server would),
-- delete_orphans_found_and_cleaned and delete_duplicate_profiles_keep_oldest (orphans and
-- duplicates made and cleaned up).
\o /dev/null
SELECT * FROM auth_sync.bulk_delete_users('{" DEL1@Example.com ", "missing@example.com", "not-an-email", NULL, "del1@example.com", "del2@example.com", "", "DEL2@EXAMPLE.COM"}');
SELECT * FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], soft => true);
SELECT status FROM auth_sync.bulk_create_users(E'email\ndel3@example.com', source_name => 'del3 again');
SELECT status, removed FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com']);
CREATE TEMP TABLE del_batch AS
SELECT * FROM auth_sync.bulk_create_users(E'email,first_name\nnew1@del.example,New\nnew2@del.example,Newer\ndel4@example.com,Updated',
                                          on_conflict => 'update', source_name => 'delete test');
INSERT INTO public.del_notes (user_id, body) SELECT user_id, 'imported note' FROM del_batch WHERE status = 'created';
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch));
DROP TABLE del_batch;
DELETE FROM public.del_comments WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
DELETE FROM public.del_tasks WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
SET ROLE supabase_auth_admin;
DELETE FROM auth.users WHERE id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
RESET ROLE;
INSERT INTO public.del_notes (user_id, body) VALUES
    ('d0000000-0000-4000-8000-00000000ffff', 'gone user'), ('d0000000-0000-4000-8000-00000000ffff', 'gone user'),
    ('d0000000-0000-4000-8000-000000000003', 'soft-deleted user'), (NULL, 'nobody''s note');
INSERT INTO public.del_profiles (user_id, nickname) VALUES (NULL, 'nobody'), ('d0000000-0000-4000-8000-00000000eeee', 'ghost');
SELECT * FROM auth_sync.cleanup_orphans();
INSERT INTO public.del_profiles (user_id, nickname, created_at) VALUES
    ('d0000000-0000-4000-8000-000000000006', 'older copy', now() - interval '1 day'),
    ('d0000000-0000-4000-8000-000000000006', 'newer copy', now() + interval '1 day'),
    ('d0000000-0000-4000-8000-000000000007', 'second', now() + interval '1 hour');
SELECT * FROM auth_sync.fix_duplicates();
\o
