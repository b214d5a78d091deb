-- An unknown on_conflict and a NULL csv raise (22023, 22004).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
SELECT * FROM auth_sync.bulk_create_users(E'email\nx@example.com', on_conflict => 'merge');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.bulk_create_users(NULL);
\echo :LAST_ERROR_SQLSTATE
