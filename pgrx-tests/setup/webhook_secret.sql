-- Given (after profiles.sql and webhook.sql): Clerk's signing secret stored (:old_secret first,
-- then :secret, as webhook_secret_never_returned_or_logged stores them).
\o /dev/null
SELECT auth_sync.set_webhook_secret('clerk', :'old_secret') AS stored_in;
SELECT auth_sync.set_webhook_secret('clerk', :'secret') AS stored_in;
\o
