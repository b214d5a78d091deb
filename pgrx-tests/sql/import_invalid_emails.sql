-- pgrx-tests/csv/32_invalid_emails.csv: nine kinds of broken email. Imported non-atomic (every
-- row reported, the valid ones written): invalid_email each.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/32_invalid_emails.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
