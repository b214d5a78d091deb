-- Every event delivered again, in another order: each answered duplicate, the state unchanged.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\i setup/webhook_secret.sql
\i setup/webhook_history.sql
\set ECHO all
-- everything delivered again, in another order: the same state
CREATE TEMP TABLE state_before AS SELECT * FROM public.clerk_state;
SELECT e ->> 'status' AS status, count(*)
  FROM (VALUES (auth_sync.handle_clerk_webhook(:'ada_deleted_headers', :'ada_deleted_body')),
               (auth_sync.handle_clerk_webhook(:'grace_created_late_headers', :'grace_created_late_body')),
               (auth_sync.handle_clerk_webhook(:'ada_updated_headers', :'ada_updated_body')),
               (auth_sync.handle_clerk_webhook(:'ada_created_headers', :'ada_created_body')),
               (auth_sync.handle_clerk_webhook(:'grace_updated_first_headers', :'grace_updated_first_body'))) AS r(e)
 GROUP BY 1;
SELECT count(*) AS differences FROM ((TABLE public.clerk_state EXCEPT ALL TABLE state_before)
                                     UNION ALL (TABLE state_before EXCEPT ALL TABLE public.clerk_state)) AS d;
