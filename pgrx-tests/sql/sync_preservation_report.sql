-- The preservation report says, column by column, what sync would refresh and what it keeps.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\i setup/profile_synced.sql
\set ECHO all
UPDATE public.user_profiles SET full_name = 'Hand Edited', role = 'owner'
 WHERE user_id = 'a0000000-0000-4000-8000-000000000003';
SELECT table_name, column_name, current_value, auth_value, sync_action
  FROM auth_sync.preservation_report(ARRAY['a0000000-0000-4000-8000-000000000003'::uuid])
 WHERE table_name = 'public.user_profiles' AND column_name NOT IN ('id', 'created_at', 'updated_at');
SELECT column_name, sync_action FROM auth_sync.preservation_report(ARRAY['a0000000-0000-4000-8000-000000000003'::uuid])
 WHERE table_name = 'public.prefs';
