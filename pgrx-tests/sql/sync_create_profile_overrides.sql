-- create_profile creates a user's missing profile rows with overrides of the app's columns, leaves
-- existing rows alone, and refuses unknown columns, the user column, an unknown user and values
-- of the wrong type.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\i setup/profile_prefs.sql
\i setup/profile_synced.sql
\set ECHO all
DELETE FROM public.user_profiles WHERE user_id = 'a0000000-0000-4000-8000-000000000022';
SELECT table_name, action, profile ->> 'role' AS role, profile ->> 'is_active' AS is_active,
       profile ->> 'email' AS email
  FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"role": "admin", "is_active": false}');
SELECT table_name, action, profile ->> 'role' AS role
  FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"role": "viewer"}');
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"rank": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"user_id": "a0000000-0000-4000-8000-000000000001"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_profile('a0000000-0000-4000-8000-0000000000ff');
\echo :LAST_ERROR_SQLSTATE
SELECT table_name, action FROM auth_sync.create_profile('a0000000-0000-4000-8000-000000000022', '{"is_active": "perhaps"}');
\echo :LAST_ERROR_SQLSTATE
