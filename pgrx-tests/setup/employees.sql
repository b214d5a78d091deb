-- Given (after profiles.sql): the migration pack's step 4 (public.employees, registered as the
-- linked employee table) and the employee tests' helpers: public.emp_signup(email, n), a sign-up
-- with an identity and a session, of user e0000000-...-n (public.emp_uid(n));
-- public.emp_log(mark), the integration log's entries after id mark, without what varies from run
-- to run; the view public.emp_state (each employee's auth email, ban, sessions); the psql
-- variable :mark at 0; bcrypt cost 4.
\o /dev/null
SET auth_sync.bcrypt_cost = 4;
SET client_min_messages = warning;
\i migrations/20261122000400_employees.sql
RESET client_min_messages;
-- A sign-up as the Auth server writes it (lower-cased email), with a session (test helper).
CREATE FUNCTION public.emp_signup(p_email text, p_n int) RETURNS uuid LANGUAGE sql AS $$
    WITH u AS (
        INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                confirmation_token, recovery_token, email_change_token_new, email_change)
        VALUES ('00000000-0000-0000-0000-000000000000',
                ('e0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid,
                'authenticated', 'authenticated', p_email, '', now(),
                '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', '')
        RETURNING id, email),
    i AS (
        INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
        SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now() FROM u)
    INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
    SELECT gen_random_uuid(), u.id, now(), now() FROM u
    RETURNING user_id
$$;
CREATE FUNCTION public.emp_uid(p_n int) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT ('e0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid
$$;
-- The log entries written since the mark (\gset), without the parts that vary from run to run.
CREATE FUNCTION public.emp_log(p_after bigint) RETURNS TABLE (action text, employee_id bigint, auth_email text,
                                                                status text, request_data jsonb, error_message text)
LANGUAGE sql AS $$
    SELECT l.action, l.employee_id, (SELECT u.email::text FROM auth.users u WHERE u.id = l.auth_user_id),
           l.status, l.request_data - ARRAY['db_user', 'batch_id', 'banned_until'], l.error_message
      FROM auth_sync.integration_sync_log l WHERE l.id > p_after ORDER BY l.id
$$;
CREATE VIEW public.emp_state AS
SELECT e.employee_id, e.email, e.is_active, u.email AS auth_email,
       CASE WHEN u.banned_until = 'infinity' THEN 'infinity'
            WHEN u.banned_until > now() THEN 'until later' END AS banned,
       (SELECT count(*) FROM auth.sessions s WHERE s.user_id = u.id) AS sessions
  FROM public.employees e LEFT JOIN auth.users u ON u.id = e.auth_user_id;
SELECT 0 AS mark \gset
\o
