-- pgrx-tests/csv/07_unbalanced_quote.csv: a quote never closed. Imported non-atomic (every row
-- reported, the valid ones written): ERROR 22P04 naming the line where the quote opened; nothing
-- written.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/07_unbalanced_quote.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
