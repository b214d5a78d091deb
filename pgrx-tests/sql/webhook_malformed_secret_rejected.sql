-- A malformed secret (too short, not base64) raises without repeating it; so does a negative
-- tolerance.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\set ECHO all
-- a malformed secret raises without repeating it; so does a negative tolerance
SELECT auth_sync.verify_webhook_signature('whsec_c2hvcnQ=', 'msg', '1', 'body', 'v1,AAAA');
SELECT auth_sync.verify_webhook_signature('whsec_!!not base64!!', 'msg', '1', 'body', 'v1,AAAA');
SELECT public.check_sig(:'secret', :'ada_created_headers', :'ada_created_body', -1);
