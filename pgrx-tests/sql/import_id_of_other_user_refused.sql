-- A row whose id belongs to another user fails with id_exists, with on_conflict => 'update' (the
-- email is someone else's) or without.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,id\nada@example.com,00000000-0000-4000-8000-0000000000a1', on_conflict => 'update');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,id\nother@example.com,00000000-0000-4000-8000-0000000000a1');
