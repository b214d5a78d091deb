-- Soft delete: the row stays as the Auth server's soft delete leaves it (email, phone and
-- identity hashed, secrets and metadata cleared, deleted_at set), the user's rows are removed,
-- the sign-in lookup no longer finds the address, and it can sign up again.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
SELECT * FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], soft => true);
SELECT email = auth_sync._obfuscated(id, 'del3@example.com') AS email_is_hash,
       length(email) AS email_length, phone = left(auth_sync._obfuscated(id, '+15550000003'), 15) AS phone_is_hash,
       encrypted_password, raw_user_meta_data, raw_app_meta_data, deleted_at IS NOT NULL AS deleted,
       confirmation_token, recovery_token
  FROM auth.users WHERE id = 'd0000000-0000-4000-8000-000000000003';
SELECT identity_data, provider_id = auth_sync._obfuscated(user_id, 'email:' || user_id::text) AS provider_id_is_hash,
       email AS identity_email
  FROM auth.identities WHERE user_id = 'd0000000-0000-4000-8000-000000000003';
SELECT public.del_rows(3) AS user_3_soft_deleted;
-- the Auth server's sign-in lookup no longer finds the address, and it can sign up again
SELECT count(*) AS sign_in_lookup
  FROM auth.users
 WHERE instance_id = '00000000-0000-0000-0000-000000000000' AND lower(email) = 'del3@example.com'
   AND aud = 'authenticated' AND is_sso_user = false;
SELECT status FROM auth_sync.bulk_create_users(E'email\ndel3@example.com', source_name => 'del3 again');
SELECT email, user_id <> 'd0000000-0000-4000-8000-000000000003' AS new_user, status, removed
  FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], dry_run => true, soft => true);
SELECT status, removed FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com']);
