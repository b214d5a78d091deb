-- pgrx-tests/csv/15_non_ascii_email.csv: a Unicode email, an emoji email. Imported non-atomic
-- (every row reported, the valid ones written): Unicode accepted, emoji invalid_email.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/15_non_ascii_email.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
