-- pgrx-tests/csv/21_good_hashes.csv: bcrypt $2a/$2b/$2y, argon2id, Firebase scrypt. Imported
-- non-atomic (every row reported, the valid ones written): created, hashes stored as given.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/21_good_hashes.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, u.encrypted_password = h.hash AS stored_as_given
  FROM auth.users u
  JOIN (SELECT split_part(l, ',', 1) AS email, btrim(substr(l, length(split_part(l, ',', 1)) + 2), '"') AS hash
          FROM regexp_split_to_table(:'csv', E'\n') AS l) AS h ON h.email = u.email
 ORDER BY 1;
