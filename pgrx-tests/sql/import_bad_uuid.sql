-- pgrx-tests/csv/19_bad_uuid.csv: ids: valid, not a uuid, upper case. Imported non-atomic (every
-- row reported, the valid ones written): created with that id, invalid_id, created (lower-cased).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/19_bad_uuid.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, id FROM auth.users WHERE email LIKE 'id_@example.com' ORDER BY 1;
