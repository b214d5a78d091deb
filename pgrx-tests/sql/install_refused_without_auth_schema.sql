-- Without schema auth, or without auth.users, CREATE EXTENSION refuses with a message that says
-- what is missing, and leaves nothing behind.
\set SHOW_CONTEXT never
\set testdb :DBNAME
CREATE DATABASE auth_sync_noauth TEMPLATE template0;
\c auth_sync_noauth
\set SHOW_CONTEXT never
CREATE EXTENSION auth_sync;
\echo :LAST_ERROR_SQLSTATE
-- With schema auth but no auth.users, likewise.
CREATE SCHEMA auth;
CREATE EXTENSION auth_sync;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS auth_sync_schemas FROM pg_namespace WHERE nspname = 'auth_sync';
\c :testdb
DROP DATABASE auth_sync_noauth;
