-- Orphans: rows whose user is gone or soft-deleted, a profile row without a user; found, cleaned
-- (dry run first); an owned row assigned to nobody is kept.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
-- user 3 soft-deleted
SELECT email, status FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], soft => true);
INSERT INTO public.del_notes (user_id, body) VALUES
    ('d0000000-0000-4000-8000-00000000ffff', 'gone user'), ('d0000000-0000-4000-8000-00000000ffff', 'gone user'),
    ('d0000000-0000-4000-8000-000000000003', 'soft-deleted user'), (NULL, 'nobody''s note');
INSERT INTO public.del_profiles (user_id, nickname) VALUES (NULL, 'nobody'), ('d0000000-0000-4000-8000-00000000eeee', 'ghost');
SELECT * FROM auth_sync.find_orphans();
SELECT * FROM auth_sync.cleanup_orphans(dry_run => true);
SELECT * FROM auth_sync.cleanup_orphans();
SELECT count(*) AS orphans_left FROM auth_sync.find_orphans();
SELECT count(*) AS unassigned_notes_kept FROM public.del_notes WHERE user_id IS NULL;
