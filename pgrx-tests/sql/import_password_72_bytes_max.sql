-- pgrx-tests/csv/13_password_72_73_bytes.csv: 72- and 73-byte passwords. Imported non-atomic
-- (every row reported, the valid ones written): 72 created (and verifies), 73 password_too_long.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/13_password_72_73_bytes.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT encrypted_password = crypt(repeat('a', 72), encrypted_password) AS pw72_verifies FROM auth.users WHERE email = 'pw72@example.com';
