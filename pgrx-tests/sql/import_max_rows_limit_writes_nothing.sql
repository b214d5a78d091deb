-- A file over auth_sync.max_import_rows raises (54000) and writes nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
SET auth_sync.max_import_rows = 2;
SELECT * FROM auth_sync.bulk_create_users(E'email\nm1@example.com\nm2@example.com\nm3@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET auth_sync.max_import_rows;
SELECT count(*) AS m_users FROM auth.users WHERE email LIKE 'm_@example.com';
