-- reconcile_external(provider, known_ids) deletes: mirrored users missing from known_ids are
-- tombstoned and their rows removed. A list from a failed fetch (empty) or a partial one (a page
-- missing) must not wipe the provider's users, and a user who signed up after the list was taken
-- (as_of) must not be tombstoned, even when the caller forces a large deletion.
\set SHOW_CONTEXT never
CREATE TABLE public.sec_recon_profiles (user_id text PRIMARY KEY, email text);
CREATE TABLE public.sec_recon_orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id text, total numeric);
SELECT table_name FROM auth_sync.register_table('public.sec_recon_profiles', 'user_id', 'profile', '{"email": "email"}', 'clerk');
SELECT table_name FROM auth_sync.register_table('public.sec_recon_orders', 'user_id', 'owned', '{}', 'clerk');
-- A Clerk user as its webhooks describe it.
CREATE FUNCTION pg_temp.clerk_user(p_id text, p_email text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('object', 'user', 'id', p_id, 'primary_email_address_id', 'e1',
                              'email_addresses', jsonb_build_array(jsonb_build_object('id', 'e1', 'email_address', p_email)))
$$;
-- Ten users the webhooks described a day ago, each with a profile and an order.
INSERT INTO auth_sync.external_users (provider, external_id, email, data, source_updated_at, created_at, updated_at)
SELECT 'clerk', 'user_sec_' || g, 'u' || g || '@sec-recon.example', pg_temp.clerk_user('user_sec_' || g, 'u' || g || '@sec-recon.example'),
       (extract(epoch FROM now() - interval '1 day') * 1000)::bigint, now() - interval '1 day', now() - interval '1 day'
  FROM generate_series(1, 10) AS g;
INSERT INTO public.sec_recon_profiles SELECT 'user_sec_' || g, 'u' || g || '@sec-recon.example' FROM generate_series(1, 10) AS g;
INSERT INTO public.sec_recon_orders (user_id, total) SELECT 'user_sec_' || g, g FROM generate_series(1, 10) AS g;
CREATE TEMP VIEW recon_state AS
SELECT (SELECT count(*) FROM auth_sync.external_users WHERE provider = 'clerk' AND external_id LIKE 'user_sec_%' AND deleted_at IS NULL) AS live_users,
       (SELECT count(*) FROM public.sec_recon_profiles) AS profiles,
       (SELECT count(*) FROM public.sec_recon_orders) AS orders;
GRANT SELECT ON recon_state TO service_role;
SELECT * FROM recon_state;

SET ROLE service_role;
-- 1. An empty list (a fetch that failed): refused, nothing changed.
SELECT * FROM auth_sync.reconcile_external('clerk', known_ids => '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.reconcile_external('clerk', known_ids => ARRAY[NULL]::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM recon_state;
-- 2. A list with a page missing (8 of 10: 20% would go, more than 10%): refused, nothing changed.
SELECT * FROM auth_sync.reconcile_external('clerk', known_ids => ARRAY(SELECT 'user_sec_' || g FROM generate_series(1, 8) AS g));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM recon_state;
-- a dry run of it reports what it would do and changes nothing
SELECT action, count(*) FROM auth_sync.reconcile_external('clerk', known_ids => '{}', dry_run => true) GROUP BY 1 ORDER BY 1;
SELECT * FROM recon_state;
-- 3. One user of ten gone (10%, not more): reconciled.
SELECT action, user_id, table_name FROM auth_sync.reconcile_external('clerk', known_ids => ARRAY(SELECT 'user_sec_' || g FROM generate_series(1, 9) AS g))
 ORDER BY 1, 2, 3;
SELECT * FROM recon_state;
RESET ROLE;

-- 4. The list is taken (as_of); then two users sign up and their webhooks arrive: one new at the
-- provider (mirror row created after as_of), one whose provider update is after as_of.
SELECT now() - interval '10 minutes' AS list_taken_at \gset
INSERT INTO auth_sync.external_users (provider, external_id, email, data, source_updated_at, created_at, updated_at)
VALUES ('clerk', 'user_sec_new', 'new@sec-recon.example', pg_temp.clerk_user('user_sec_new', 'new@sec-recon.example'), (extract(epoch FROM now() - interval '5 minutes') * 1000)::bigint,
        now() - interval '5 minutes', now() - interval '5 minutes'),
       ('clerk', 'user_sec_late', 'late@sec-recon.example', pg_temp.clerk_user('user_sec_late', 'late@sec-recon.example'), (extract(epoch FROM now() - interval '4 minutes') * 1000)::bigint,
        now() - interval '1 day', now() - interval '4 minutes');
INSERT INTO public.sec_recon_profiles VALUES ('user_sec_new', 'new@sec-recon.example'), ('user_sec_late', 'late@sec-recon.example');
INSERT INTO public.sec_recon_orders (user_id, total) VALUES ('user_sec_new', 100), ('user_sec_late', 200);
SET ROLE service_role;
-- the list (1..9) lacks both; as of when it was taken they are spared: nothing to tombstone
SELECT action, user_id, table_name FROM auth_sync.reconcile_external('clerk',
           known_ids => ARRAY(SELECT 'user_sec_' || g FROM generate_series(1, 9) AS g), as_of => :'list_taken_at')
 ORDER BY 1, 2, 3;
-- 5. Even forced, with an empty list: the old users go (the caller said so), the new ones stay.
SELECT action, count(*) FROM auth_sync.reconcile_external('clerk', known_ids => '{}', force => true, as_of => :'list_taken_at')
 GROUP BY 1 ORDER BY 1;
RESET ROLE;
SELECT external_id, deleted_at IS NULL AS live FROM auth_sync.external_users
 WHERE provider = 'clerk' AND external_id IN ('user_sec_new', 'user_sec_late', 'user_sec_1') ORDER BY 1;
SELECT user_id FROM public.sec_recon_profiles ORDER BY 1;
SELECT user_id, total FROM public.sec_recon_orders ORDER BY 1;
SELECT action, arguments - 'as_of' AS arguments, result FROM auth_sync.admin_audit_log
 WHERE action = 'reconcile_external' ORDER BY id DESC LIMIT 1;

-- Clean up.
SELECT auth_sync.unregister_table('public.sec_recon_profiles') IS NOT NULL AS unregistered,
       auth_sync.unregister_table('public.sec_recon_orders') IS NOT NULL AS unregistered_too;
DROP VIEW recon_state;
DROP TABLE public.sec_recon_profiles, public.sec_recon_orders;
DELETE FROM auth_sync.external_users WHERE provider = 'clerk' AND external_id LIKE 'user_sec_%';
