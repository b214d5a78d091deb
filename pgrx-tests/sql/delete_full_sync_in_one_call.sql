-- full_sync: analyse, create missing profiles, refresh stale ones, clean orphans and fix
-- duplicates in one call (dry run first); a second dry run finds nothing left; each run is
-- recorded.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\i setup/delete_history.sql
\set ECHO all
DELETE FROM public.user_profiles WHERE user_id = 'd0000000-0000-4000-8000-000000000008';
INSERT INTO public.del_notes (user_id, body) VALUES ('d0000000-0000-4000-8000-00000000ffff', 'orphan again');
INSERT INTO public.del_profiles (user_id, nickname) VALUES ('d0000000-0000-4000-8000-000000000008', 'dup');
SELECT * FROM auth_sync.full_sync(dry_run => true);
SELECT * FROM auth_sync.full_sync();
SELECT step, sum(affected) AS affected FROM auth_sync.full_sync(dry_run => true) GROUP BY 1 ORDER BY 1;
SELECT operation, dry_run, counts FROM auth_sync.sync_runs WHERE operation = 'full_sync' ORDER BY id;
