-- pgrx-tests/csv/18_bad_json.csv: metadata JSON: valid, invalid, an array. Imported non-atomic
-- (every row reported, the valid ones written): created, invalid_json, invalid_json.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/18_bad_json.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data, raw_app_meta_data FROM auth.users WHERE email LIKE 'json%' ORDER BY 1;
