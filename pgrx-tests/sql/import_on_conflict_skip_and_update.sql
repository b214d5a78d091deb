-- on_conflict => 'skip' skips an existing user and creates the others; 'update' updates the
-- password, the metadata and the profile; emails match case-insensitively, so the user stays one.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\i setup/import_users.sql
\set ECHO all
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,password,department\nADA@example.com,new secret 1,Research\nfresh@example.com,,Ops', on_conflict => 'skip');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,password,department,first_name\nADA@example.com,new secret 1,Research,Augusta', on_conflict => 'update');
SELECT u.email, u.encrypted_password = crypt('new secret 1', u.encrypted_password) AS new_password,
       u.raw_user_meta_data, p.department, p.full_name
  FROM auth.users u JOIN public.user_profiles p ON p.user_id = u.id WHERE u.email = 'ada@example.com';
SELECT count(*) AS ada_users FROM auth.users WHERE lower(email) = 'ada@example.com';
