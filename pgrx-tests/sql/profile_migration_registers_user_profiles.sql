-- The migration pack's steps 1 and 2 install auth_sync and register public.user_profiles, with
-- its column map.
\set SHOW_CONTEXT never
\set VERBOSITY default
\set ECHO none
SET client_min_messages = warning;
\i migrations/20261122000100_install_auth_sync.sql
\i migrations/20261122000200_user_profiles.sql
RESET client_min_messages;
\set ECHO all
SELECT table_name, kind, source, user_column, column_map, user_column_unique, table_exists
  FROM auth_sync.registered_tables;
