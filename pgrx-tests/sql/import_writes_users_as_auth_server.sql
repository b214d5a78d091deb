-- pgrx-tests/csv/01_basic.csv: users written exactly as the Auth server writes them (all-zero
-- instance, lower-case email, confirmed, empty tokens), found by its sign-in lookup, bcrypt $2a$
-- hashes at auth_sync.bcrypt_cost that pgcrypto verifies ('' without a password), an email
-- identity each, a profile each, and the batch's report and rows.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
\set csv `cat csv/01_basic.csv`
SELECT line_number, email, user_id IS NOT NULL AS has_user_id, status, error_code, message, temp_password
  FROM auth_sync.bulk_create_users(:'csv', source_name => 'basic');
SELECT email, instance_id, aud, role, email_confirmed_at IS NOT NULL AS confirmed,
       confirmation_token, recovery_token, email_change_token_new, email_change, phone_change,
       phone_change_token, email_change_token_current, reauthentication_token,
       created_at IS NOT NULL AND updated_at IS NOT NULL AS has_timestamps,
       is_sso_user, is_anonymous, deleted_at, raw_app_meta_data, raw_user_meta_data
  FROM auth.users ORDER BY email;
-- the Auth server's sign-in lookup: all-zero instance, lower(email), not SSO
SELECT count(*) AS found_by_sign_in_lookup FROM auth.users
 WHERE instance_id = '00000000-0000-0000-0000-000000000000' AND lower(email) = lower('Ada@Example.COM')
   AND aud = 'authenticated' AND NOT is_sso_user AND email_confirmed_at IS NOT NULL;
-- bcrypt $2a$ at auth_sync.bcrypt_cost, and pgcrypto's crypt() verifies it; no password: ''
SELECT email, left(encrypted_password, 7) AS prefix, length(encrypted_password) AS length,
       CASE WHEN encrypted_password <> '' THEN
           encrypted_password = crypt(CASE email WHEN 'ada@example.com' THEN 'correct horse' ELSE 'battery staple' END,
                                      encrypted_password) END AS verifies,
       CASE WHEN encrypted_password <> '' THEN encrypted_password = crypt('wrong password', encrypted_password) END AS wrong_verifies
  FROM auth.users ORDER BY email;
SELECT u.email, i.provider, i.provider_id = u.id::text AS provider_id_is_user_id,
       i.identity_data ->> 'sub' = u.id::text AS sub_is_user_id, i.identity_data - 'sub' AS identity_data,
       i.email AS identity_email, i.created_at IS NOT NULL AND i.updated_at IS NOT NULL AS has_timestamps
  FROM auth.identities i JOIN auth.users u ON u.id = i.user_id ORDER BY 1;
SELECT p.email, p.full_name, p.sso_provider, p.role FROM public.user_profiles p ORDER BY 1;
SELECT * FROM public.last_batch;
SELECT r.line_number, r.email, r.status, r.error_code
  FROM auth_sync.import_rows r JOIN auth_sync.import_batches b ON b.id = r.batch_id
 WHERE b.source_name = 'basic' ORDER BY 1;
