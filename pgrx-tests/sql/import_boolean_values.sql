-- pgrx-tests/csv/24_booleans.csv: email_confirmed yes/No/1/0/TRUE/maybe/blank. Imported
-- non-atomic (every row reported, the valid ones written): maybe: invalid_boolean; blank:
-- confirmed (the default).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/24_booleans.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, u.email_confirmed_at IS NOT NULL AS confirmed, i.identity_data ->> 'email_verified' AS email_verified
  FROM auth.users u JOIN auth.identities i ON i.user_id = u.id
 WHERE u.email IN ('yes@example.com', 'no@example.com', 'one@example.com', 'zero@example.com', 'true@example.com', 'blank@example.com')
 ORDER BY 1;
