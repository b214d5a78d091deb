-- A cancel (here statement_timeout) during hashing stops the import (57014) and leaves nothing
-- written.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
SELECT 'email,password' || string_agg(format(E'\ncancel%s@example.com,password-%s', g, g), '') AS cancel_csv
  FROM generate_series(1, 40) g \gset
SET auth_sync.bcrypt_cost = 12;
SET statement_timeout = '300ms';
SELECT count(*) FROM auth_sync.bulk_create_users(:'cancel_csv');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SET auth_sync.bcrypt_cost = 4;
SELECT count(*) AS cancel_users FROM auth.users WHERE email LIKE 'cancel%';
