-- A value of the wrong type for a profile column is refused as profile_rejected, the other rows
-- written.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
-- a value of the wrong type for a profile column is refused the same way
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,is_active\nbool1@example.com,true\nbool2@example.com,sometimes', atomic => false);
