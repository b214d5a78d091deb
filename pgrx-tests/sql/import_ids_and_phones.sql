-- pgrx-tests/csv/28_ids_phones.csv: ids and phones: formatted, duplicate, too short. Imported
-- non-atomic (every row reported, the valid ones written): phone stored as digits;
-- duplicate_in_file; invalid_phone.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/28_ids_phones.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, id, phone FROM auth.users WHERE email LIKE 'keep%' ORDER BY 1;
