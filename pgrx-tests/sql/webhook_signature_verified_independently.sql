-- verify_webhook_signature agrees with an independent implementation (the standardwebhooks
-- package signed the requests): a valid signature, a tampered body, the wrong secret, a rotated
-- secret's list, stale and future timestamps, a larger tolerance, a missing or malformed
-- signature, a v2-only signature, an empty body, all arguments missing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/webhook.sql
\set ECHO all
SELECT public.check_sig(:'secret', :'ada_created_headers', :'ada_created_body') AS valid,
       public.check_sig(:'secret', :'ada_created_headers', :'ada_tampered_body') AS tampered_body,
       public.check_sig(:'wrong_secret', :'ada_created_headers', :'ada_created_body') AS wrong_secret,
       public.check_sig(:'secret', :'ada_wrong_secret_headers', :'ada_created_body') AS signed_with_another_secret,
       public.check_sig(:'secret', :'ada_rotated_headers', :'ada_created_body') AS rotated_second_matches,
       public.check_sig(:'old_secret', :'ada_rotated_headers', :'ada_created_body') AS rotated_first_matches;
SELECT public.check_sig(:'secret', :'ada_stale_headers', :'ada_created_body') AS stale,
       public.check_sig(:'secret', :'ada_future_headers', :'ada_created_body') AS future,
       public.check_sig(:'secret', :'ada_stale_headers', :'ada_created_body', 600) AS stale_with_more_tolerance,
       public.check_sig(:'secret', :'ada_missing_signature_headers', :'ada_created_body') AS missing_signature,
       public.check_sig(:'secret', :'ada_bad_base64_headers', :'ada_created_body') AS not_base64,
       public.check_sig(:'secret', :'ada_v2_only_headers', :'ada_created_body') AS v2_only,
       public.check_sig(:'secret', :'empty_headers', '') AS empty_body_signed,
       public.check_sig(:'secret', :'empty_headers', ' ') AS empty_body_tampered;
SELECT auth_sync.verify_webhook_signature(:'secret', NULL, NULL, NULL, NULL) AS all_missing;
