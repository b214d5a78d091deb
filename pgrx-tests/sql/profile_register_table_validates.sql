-- Registration checks the table at once and names the column: a user column that is missing or
-- not uuid, NOT NULL columns nothing fills, unique indexes that could reject a user, unknown
-- fields, types a field cannot fill, generated columns, a bad map, kind or source, tables of
-- schema auth, views. An owned table needs no map; unregistering twice is harmless.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
CREATE TABLE public.reg_check (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid,
    owner_text text,
    nickname   text UNIQUE,
    must_fill  text NOT NULL,
    verified   boolean,
    seen       point,
    joined     timestamptz
);
SELECT * FROM auth_sync.register_table('public.reg_check', 'no_such_column');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'owner_text');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "nickname": "display_name"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "nickname"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "verified": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "seen": "meta:location"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "ghost": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '{"must_fill": "email", "id": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', column_map => '["email"]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'owned', column_map => '{"must_fill": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'friend');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.reg_check', 'user_id', source => 'Clerk!');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('auth.identities', 'user_id');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW public.reg_view AS SELECT * FROM public.reg_check;
SELECT * FROM auth_sync.register_table('public.reg_view', 'user_id');
\echo :LAST_ERROR_SQLSTATE
-- an owned table needs no map and may have any NOT NULL columns
SELECT table_name, kind FROM auth_sync.register_table('public.reg_check', 'user_id', kind => 'owned');
SELECT auth_sync.unregister_table('public.reg_check') AS unregistered,
       auth_sync.unregister_table('public.reg_check') AS unregistered_again;
DROP VIEW public.reg_view;
DROP TABLE public.reg_check;
