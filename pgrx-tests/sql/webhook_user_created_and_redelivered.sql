-- user.created makes the mirror row, the profile (primary address, lower-cased; names; image;
-- metadata) and a progress row. The same delivery again (a retry) is answered duplicate and
-- changes nothing, also with the unbranded header names or a rotated secret's signatures.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\set ECHO all
-- user.created: the mirror, the profile (primary address, lower-cased; names; image; metadata)
-- and a progress row
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
SELECT * FROM public.clerk_state;
-- the same delivery again (a retry): answered duplicate, nothing changes
SELECT auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body');
-- the unbranded header names and a rotated secret's signatures are accepted (same message id)
SELECT auth_sync.handle_clerk_webhook(:'ada_unbranded_headers', :'ada_created_body') ->> 'status' AS unbranded;
SELECT auth_sync.handle_clerk_webhook(:'ada_rotated_headers', :'ada_created_body') ->> 'status' AS rotated;
