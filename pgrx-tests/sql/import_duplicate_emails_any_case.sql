-- pgrx-tests/csv/16_mixed_case_duplicates.csv: the same email in three cases. Imported non-atomic
-- (every row reported, the valid ones written): first created, the others duplicate_in_file
-- naming line 2.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/16_mixed_case_duplicates.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
