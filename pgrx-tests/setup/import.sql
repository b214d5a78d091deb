-- Given (after profiles.sql): what the bulk_create_users tests build on: bcrypt cost 4 for speed
-- (import_default_bcrypt_cost_is_10 checks the default), the migration pack's step 3 (the RPC
-- wrapper), pgcrypto (to verify hashes with crypt()), a department column in user_profiles, the
-- company 'ACME Corp', and two views: public.import_counts (users, identities, profiles) and
-- public.last_batch (the report of the newest batch).
\o /dev/null
SET auth_sync.bcrypt_cost = 4;
SET client_min_messages = warning;
\i migrations/20261122000300_bulk_create_users_rpc.sql
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
ALTER TABLE public.user_profiles ADD COLUMN department text;
INSERT INTO public.companies (name) VALUES ('ACME Corp');
CREATE VIEW public.import_counts AS
SELECT (SELECT count(*) FROM auth.users) AS users,
       (SELECT count(*) FROM auth.identities) AS identities,
       (SELECT count(*) FROM public.user_profiles) AS profiles;
CREATE VIEW public.last_batch AS
SELECT source_name, options, counts, status FROM auth_sync.import_batches ORDER BY started_at DESC, finished_at DESC LIMIT 1;
\o
