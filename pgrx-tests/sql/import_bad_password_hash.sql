-- pgrx-tests/csv/20_bad_hash.csv: broken bcrypt, md5, broken argon2. Imported non-atomic (every
-- row reported, the valid ones written): invalid_password_hash each.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/20_bad_hash.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
