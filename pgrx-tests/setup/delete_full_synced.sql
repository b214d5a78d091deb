-- Given (after profiles.sql, delete.sql and delete_history.sql): what delete_full_sync_in_one_call
-- does: user 8's profile deleted, an orphan note and a duplicate profile row of user 8 added, and
-- full_sync() run.
\o /dev/null
DELETE FROM public.user_profiles WHERE user_id = 'd0000000-0000-4000-8000-000000000008';
INSERT INTO public.del_notes (user_id, body) VALUES ('d0000000-0000-4000-8000-00000000ffff', 'orphan again');
INSERT INTO public.del_profiles (user_id, nickname) VALUES ('d0000000-0000-4000-8000-000000000008', 'dup');
SELECT * FROM auth_sync.full_sync();
\o
