-- Duplicate profile rows: the oldest row of a user is kept, the others removed (dry run first).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
INSERT INTO public.del_profiles (user_id, nickname, created_at) VALUES
    ('d0000000-0000-4000-8000-000000000006', 'older copy', now() - interval '1 day'),
    ('d0000000-0000-4000-8000-000000000006', 'newer copy', now() + interval '1 day'),
    ('d0000000-0000-4000-8000-000000000007', 'second', now() + interval '1 hour');
SELECT * FROM auth_sync.find_duplicate_profiles();
SELECT table_name, user_id, status, removed_row ->> 'nickname' AS nickname FROM auth_sync.fix_duplicates(dry_run => true);
SELECT table_name, user_id, status, removed_row ->> 'nickname' AS nickname FROM auth_sync.fix_duplicates();
SELECT user_id, nickname FROM public.del_profiles
 WHERE user_id IN ('d0000000-0000-4000-8000-000000000006', 'd0000000-0000-4000-8000-000000000007') ORDER BY 1;
SELECT count(*) AS duplicates_left FROM auth_sync.find_duplicate_profiles();
