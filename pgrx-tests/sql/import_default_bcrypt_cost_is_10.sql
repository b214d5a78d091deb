-- Without auth_sync.bcrypt_cost set, hashes are made at cost 10, the Auth server's.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
-- the default cost is the Auth server's: 10
RESET auth_sync.bcrypt_cost;
SHOW auth_sync.bcrypt_cost;
SELECT status FROM auth_sync.bulk_create_users(E'email,password\ncost10@example.com,cost ten pw');
SELECT left(encrypted_password, 7) AS prefix, encrypted_password = crypt('cost ten pw', encrypted_password) AS verifies
  FROM auth.users WHERE email = 'cost10@example.com';
