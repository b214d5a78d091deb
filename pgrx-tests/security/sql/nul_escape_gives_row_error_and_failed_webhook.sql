-- A \u0000 escape is valid JSON but jsonb cannot hold it. In a CSV metadata cell it must give that
-- row the row-level invalid_json code (the other rows of a non-atomic import are created); in a
-- correctly signed Clerk event it must be answered {"status": "failed"} and recorded, never raise
-- 22P05 (a raised error records nothing and the sender retries the poison message forever).
\set VERBOSITY terse
CREATE SCHEMA nul_escape_sign;
CREATE EXTENSION pgcrypto SCHEMA nul_escape_sign;

-- 1. bulk import, non-atomic, as the API role that calls it
SET ROLE service_role;
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(
        E'email,user_metadata\nnul.good@example.com,{}\nnul.bad@example.com,"{""nick"":""a\\u0000b""}"\nnul.deep@example.com,"{""a"":[{""\\u0000"":1}]}"\n',
        atomic => false, source_name => 'nul_escape')
 ORDER BY line_number;
RESET ROLE;
-- the good row was written, the bad ones were not; the journal has the row error
SELECT email FROM auth.users WHERE email LIKE 'nul.%@example.com' ORDER BY email;
SELECT r.line_number, r.email, r.status, r.error_code, r.message LIKE '%\u0000%' AS says_why
  FROM auth_sync.import_rows r JOIN auth_sync.import_batches b ON b.id = r.batch_id
 WHERE b.source_name = 'nul_escape' ORDER BY r.line_number;

-- 2. a verified Clerk delivery whose data holds \u0000
SET ROLE service_role;
SELECT auth_sync.set_webhook_secret('clerk', 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX');
RESET ROLE;
SELECT extract(epoch FROM now())::bigint::text AS ts \gset
SELECT '{"type":"user.created","data":{"object":"user","id":"user_nul","first_name":"Ada\u0000","updated_at":1}}' AS body \gset
SELECT 'v1,' || encode(nul_escape_sign.hmac(convert_to('msg_nul_escape.' || :'ts' || '.' || :'body', 'UTF8'),
                       decode('AAECAwQFBgcICQoLDA0ODxAREhMUFRYX', 'base64'), 'sha256'), 'base64') AS sig \gset
SELECT auth_sync.verify_webhook_signature('whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX', 'msg_nul_escape', :'ts', :'body', :'sig') AS signature_valid;
SET ROLE service_role;
SELECT r ->> 'status' AS status, r ->> 'svix_id' AS svix_id, r ->> 'error' LIKE '%\u0000%' AS says_why
  FROM auth_sync.handle_clerk_webhook(
        jsonb_build_object('svix-id', 'msg_nul_escape', 'svix-timestamp', :'ts', 'svix-signature', :'sig'), :'body') AS r;
RESET ROLE;
-- recorded as failed (a retry is answered again, not raised)
SELECT provider, svix_id, status, error LIKE '%\u0000%' AS says_why
  FROM auth_sync.webhook_events WHERE svix_id = 'msg_nul_escape';
SET ROLE service_role;
SELECT r ->> 'status' AS retry_status
  FROM auth_sync.handle_clerk_webhook(
        jsonb_build_object('svix-id', 'msg_nul_escape', 'svix-timestamp', :'ts', 'svix-signature', :'sig'), :'body') AS r;
RESET ROLE;
SELECT attempts, status FROM auth_sync.webhook_events WHERE svix_id = 'msg_nul_escape';

DELETE FROM auth_sync.webhook_events WHERE svix_id = 'msg_nul_escape';
DROP SCHEMA nul_escape_sign CASCADE;
