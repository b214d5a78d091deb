-- pgrx-tests/csv/23_overlong.csv: a 250-character local part, a 20,000-character name. Imported
-- non-atomic (every row reported, the valid ones written): invalid_email, value_too_long.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/23_overlong.csv`
SELECT line_number, left(email, 20) AS email_start, status, error_code, left(message, 80) AS message
  FROM auth_sync.bulk_create_users(:'csv', atomic => false);
