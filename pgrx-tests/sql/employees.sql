-- Employees and auth accounts: the migration pack's public.employees, linking, offboarding bans,
-- email changes, deletions, create_employee_with_auth, provision_employee_accounts,
-- link_employees, the monitor view, find_employees_without_auth, summary and health.
\set SHOW_CONTEXT never
SET auth_sync.bcrypt_cost = 4;
\i migrations/20261122000400_employees.sql
-- applying the step again changes nothing
\i migrations/20261122000400_employees.sql
SELECT target, key_column, email_column, active_column, auth_user_column FROM auth_sync.linked_tables;
SELECT check_name, ok, detail FROM auth_sync.verify_installation()
 WHERE check_name IN ('triggers_installed', 'linked_tables', 'service_role_execute', 'no_public_execute');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND tgname LIKE 'auth\_sync\_%' ORDER BY 1;

-- Registration refuses what it cannot work with, naming the column.
CREATE TABLE public.emp_other (id bigint PRIMARY KEY, email text, active boolean, uid uuid);
SELECT * FROM auth_sync.register_linked_table('public.emp_other', 'id', 'email', 'active', 'uid');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'first_name', 'auth_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'employee_number', 'is_active', 'auth_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'nope');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE public.emp_other;

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

-- 1. A new auth user whose email matches an unlinked employee (in any case) is linked.
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('Alice.Smith@Example.com', 'Alice', 'Smith', 'E001', true),
       ('bob@example.com', 'Bob', 'Jones', 'E002', true),
       ('carol@example.com', 'Carol', 'White', 'E003', true),
       ('dave@example.com', 'Dave', 'Green', 'E004', false);
SELECT public.emp_signup('alice.smith@example.com', 1) IS NOT NULL AS alice_signed_up;
SELECT public.emp_signup('nobody@example.com', 99) IS NOT NULL AS stranger_signed_up;
-- an inactive employee who signs up is linked and banned at once
SELECT public.emp_signup('dave@example.com', 4) IS NOT NULL AS dave_signed_up;
SELECT * FROM public.emp_state ORDER BY employee_id;
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- 2. Offboarding: going inactive bans the auth user ('infinity') and revokes its sessions, in the
--    same transaction; going active again lifts the ban.
BEGIN;
SELECT auth_sync.set_employee_active(1, false, 'left the company') - 'banned_until' AS deactivated;
SELECT * FROM public.emp_state WHERE employee_id = 1;
COMMIT;
SELECT auth_sync.set_employee_active(1, false) ->> 'changed' AS changed_again;
SELECT auth_sync.set_employee_active(1, true, 'rehired') - 'banned_until' AS reactivated;
SELECT * FROM public.emp_state WHERE employee_id = 1;
-- a ban the app set elsewhere is not lifted by an unrelated employee update, nor by an
-- "activation" of an active employee
UPDATE auth.users SET banned_until = now() + interval '7 days' WHERE id = public.emp_uid(1);
UPDATE public.employees SET first_name = 'Alicia' WHERE employee_id = 1;
SELECT auth_sync.set_employee_active(1, true) ->> 'changed' AS changed;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
-- leaving and coming back while the app's ban runs: the app's ban is back afterwards
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
SELECT banned FROM public.emp_state WHERE employee_id = 1;
-- the app changes auth_sync's ban while the employee is away: reactivation leaves it alone
UPDATE public.employees SET is_active = false WHERE employee_id = 1;
UPDATE auth.users SET banned_until = '2100-01-01' WHERE id = public.emp_uid(1);
UPDATE public.employees SET is_active = true WHERE employee_id = 1;
SELECT banned_until FROM auth.users WHERE id = public.emp_uid(1);
UPDATE auth.users SET banned_until = NULL WHERE id = public.emp_uid(1);
SELECT * FROM public.emp_log(:mark);
SELECT count(*) AS bans_recorded FROM auth_sync.employee_bans;
SELECT * FROM auth_sync.set_employee_active(12345, false);
\echo :LAST_ERROR_SQLSTATE
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- 3. An email change in HR updates the auth user, its identity (and the profile that follows it).
UPDATE public.employees SET email = 'Alice.Jones@Example.com' WHERE employee_id = 1;
SELECT u.email, i.identity_data ->> 'email' AS identity_email, p.email AS profile_email
  FROM auth.users u JOIN auth.identities i ON i.user_id = u.id
  LEFT JOIN public.user_profiles p ON p.user_id = u.id
 WHERE u.id = public.emp_uid(1);
-- another auth user has the new email: the employee update fails, naming the conflict
SELECT public.emp_signup('taken@example.com', 98) IS NOT NULL AS other_user;
UPDATE public.employees SET email = 'Taken@Example.com' WHERE employee_id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT email FROM public.employees WHERE employee_id = 1;
SELECT email FROM auth.users WHERE id = public.emp_uid(1);
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- 5. An email changed through the Auth API does not overwrite HR data; the monitor shows it.
UPDATE auth.users SET email = 'alice.private@example.com', updated_at = now() WHERE id = public.emp_uid(1);
SELECT email FROM public.employees WHERE employee_id = 1;
SELECT employee_id, email, auth_email, sync_status FROM auth_sync.auth_sync_monitor WHERE employee_id = 1;

-- link_employees: Carol signed up before HR added her (nothing to link at sign-up).
DELETE FROM public.employees WHERE employee_id = 3;
SELECT public.emp_signup('carol@example.com', 3) IS NOT NULL AS carol_signed_up;
INSERT INTO public.employees (email, first_name, last_name, employee_number) VALUES ('CAROL@example.com', 'Carol', 'White', 'E003');
-- failing links: two auth users whose emails differ only in case; an auth user already linked
-- to another employee (Alice changed her email through the Auth API)
SELECT public.emp_signup('Ivan@example.com', 5) IS NOT NULL, public.emp_signup('ivan@example.com', 6) IS NOT NULL;
INSERT INTO public.employees (email, employee_number) VALUES ('ivan@example.com', 'E006'), ('alice.private@example.com', 'E007');
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees(dry_run => true);
SELECT count(*) AS linked_by_dry_run FROM public.employees WHERE auth_user_id IS NOT NULL;
SELECT employee_id, email, auth_user_id, status, message FROM auth_sync.link_employees();
SELECT * FROM public.emp_state ORDER BY employee_id;
-- (nothing half-applied: the failed employees are still unlinked, the auth users unchanged)
SELECT employee_id, auth_user_id FROM public.employees WHERE employee_id IN (6, 7) ORDER BY 1;
-- updated_at follows HR changes (Alice's), not auth_sync's link (Carol's)
SELECT employee_id, updated_at = created_at AS updated_at_untouched FROM public.employees WHERE employee_id IN (1, 5) ORDER BY 1;
SELECT count(*) AS linked_again FROM auth_sync.link_employees();
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- 4. An auth user deleted: the employee's auth_user_id becomes NULL and the event is logged.
DELETE FROM auth.users WHERE id = public.emp_uid(3);
SELECT employee_id, auth_user_id FROM public.employees WHERE employee_id = 5;
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- create_employee_with_auth: the employee and its confirmed auth user (as bulk_create_users writes
-- it), linked, in one go; without a password a random one is returned once.
CREATE TEMP TABLE emp_created AS
SELECT * FROM auth_sync.create_employee_with_auth(
    '{"email": "Erin.Black@Example.com", "first_name": "Erin", "last_name": "Black", "employee_number": "E010", "user_type_id": 2}');
SELECT employee_id, auth_user_id IS NOT NULL AS has_auth_user, length(temp_password) AS password_length,
       temp_password ~ '[A-Za-z]' AND temp_password ~ '[0-9]' AS mixed
  FROM emp_created;
SELECT e.employee_id, e.email, e.first_name, e.user_type_id, e.is_active, e.auth_user_id = c.auth_user_id AS linked
  FROM public.employees e JOIN emp_created c USING (employee_id);
SELECT u.instance_id, u.aud, u.role, u.email, left(u.encrypted_password, 7) AS hash_prefix,
       u.email_confirmed_at IS NOT NULL AS confirmed, u.confirmation_token, u.recovery_token,
       u.email_change_token_new, u.email_change, u.raw_app_meta_data, u.raw_user_meta_data,
       u.created_at IS NOT NULL AS created, u.is_sso_user, u.is_anonymous, u.banned_until
  FROM auth.users u JOIN emp_created c ON u.id = c.auth_user_id;
SELECT i.provider, i.provider_id = c.auth_user_id::text AS provider_id_is_user, i.identity_data - 'sub' AS identity_data
  FROM auth.identities i JOIN emp_created c ON i.user_id = c.auth_user_id;
SELECT p.email, p.full_name FROM public.user_profiles p JOIN emp_created c ON p.user_id = c.auth_user_id;
-- with a password: none comes back; an inactive employee's account is banned at once
SELECT employee_id, auth_user_id IS NOT NULL AS has_auth_user, temp_password
  FROM auth_sync.create_employee_with_auth('{"email": "frank@example.com", "first_name": "Frank", "employee_number": "E011", "is_active": false}',
                                           'Sup3r-Secret-Passw0rd');
SELECT left(u.encrypted_password, 7) AS hash_prefix, u.banned_until
  FROM auth.users u WHERE u.email = 'frank@example.com';
-- failures: nothing half-applied (no employee row, no auth user)
SELECT * FROM auth_sync.create_employee_with_auth('{"email": "taken@example.com"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_employee_with_auth('{"email": "gina@example.com", "employee_number": "E012"}', 'short');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_employee_with_auth('{"email": "gina@example.com", "employee_number": "E002"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_employee_with_auth('{"email": "gina@example.com", "salary": 100}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_employee_with_auth('["gina@example.com"]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_employee_with_auth('{"first_name": "Gina"}');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM public.employees WHERE lower(email) = 'gina@example.com') AS gina_employees,
       (SELECT count(*) FROM auth.users WHERE lower(email) = 'gina@example.com') AS gina_users,
       (SELECT count(*) FROM public.employees WHERE employee_number = 'E012') AS e012;
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset

-- provision_employee_accounts: accounts for every active employee without one, through
-- bulk_create_users (non-atomic: a bad row fails alone, logged FAILED, nothing of it written).
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('grace@example.com', 'Grace', 'Hopper', 'E020', true),
       ('not-an-email', 'Bad', 'Address', 'E021', true),
       ('heidi@example.com', 'Heidi', 'Klum', 'E022', false);
SELECT employee_id, email, status, error_code, temp_password IS NOT NULL AS has_password
  FROM auth_sync.provision_employee_accounts(dry_run => true);
SELECT count(*) AS users_after_dry_run FROM auth.users WHERE email = 'grace@example.com';
CREATE TEMP TABLE emp_provisioned AS SELECT * FROM auth_sync.provision_employee_accounts(generate_passwords => true);
SELECT employee_id, email, user_id IS NOT NULL AS has_user, status, error_code, message, length(temp_password) AS password_length
  FROM emp_provisioned ORDER BY employee_id;
SELECT e.employee_number, e.auth_user_id IS NOT NULL AS linked, u.email_confirmed_at IS NOT NULL AS confirmed
  FROM public.employees e LEFT JOIN auth.users u ON u.id = e.auth_user_id
 WHERE e.employee_number IN ('E020', 'E021', 'E022') ORDER BY 1;
SELECT count(*) AS users_for_bad_address FROM auth.users WHERE email LIKE 'not-an-email%';
SELECT * FROM public.emp_log(:mark);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
-- Grace leaves the company the hard way: bulk_delete_users removes her account (logged as well)
SELECT email, status, removed FROM auth_sync.bulk_delete_users(ARRAY['grace@example.com']);
SELECT * FROM public.emp_log(:mark);

-- Never a password in a log, a journal or the audit: neither a given one nor a generated one.
SELECT count(*) AS tables_with_a_password
  FROM (VALUES ('integration_sync_log', (SELECT string_agg(l::text, ' ') FROM auth_sync.integration_sync_log l)),
               ('admin_audit_log', (SELECT string_agg(a::text, ' ') FROM auth_sync.admin_audit_log a)),
               ('import_batches', (SELECT string_agg(b::text, ' ') FROM auth_sync.import_batches b)),
               ('import_rows', (SELECT string_agg(r::text, ' ') FROM auth_sync.import_rows r)),
               ('sync_failures', (SELECT string_agg(f::text, ' ') FROM auth_sync.sync_failures f))) AS t(name, body)
 WHERE body LIKE '%Sup3r-Secret-Passw0rd%'
    OR EXISTS (SELECT FROM emp_created c WHERE t.body LIKE '%' || c.temp_password || '%')
    OR EXISTS (SELECT FROM emp_provisioned p WHERE p.temp_password IS NOT NULL AND t.body LIKE '%' || p.temp_password || '%');

-- The monitor: every sync_status from a real scenario.
--   Bob got his account from provisioning (OK), then the app bans him (ACTIVE_BUT_BANNED); Dave
--   is inactive and the app lifts auth_sync's ban (INACTIVE_WITH_AUTH); Alice changed her email
--   through the Auth API (EMAIL_MISMATCH); Grace's account was deleted, Heidi never had one
--   (MISSING_AUTH_UID); Frank is inactive and banned (OK).
SELECT employee_id, sync_status FROM auth_sync.auth_sync_monitor WHERE employee_id = 2;
UPDATE auth.users SET banned_until = now() + interval '1 day' WHERE email = 'bob@example.com';
UPDATE auth.users SET banned_until = NULL WHERE id = public.emp_uid(4);
SELECT employee_id, email, is_active, auth_user_id IS NOT NULL AS linked, auth_email,
       CASE WHEN banned_until = 'infinity' THEN 'infinity' WHEN banned_until > now() THEN 'until later' END AS banned,
       last_sign_in_at, sync_status
  FROM auth_sync.auth_sync_monitor ORDER BY employee_id;
SELECT * FROM auth_sync.find_employees_without_auth();
SELECT total_employees, employees_linked, employees_without_auth, inactive_with_auth
  FROM auth_sync.get_auth_sync_summary();
SELECT w AS employee_warning FROM jsonb_array_elements_text(auth_sync.health() -> 'warnings') AS w
 WHERE w LIKE '%employee%';
SELECT auth_sync.health() -> 'checks' -> 'inactive_with_auth' AS inactive_with_auth;
-- the last 7 days of the log, newest first
SELECT action, status FROM auth_sync.recent_auth_sync_log LIMIT 3;
SELECT count(*) = (SELECT count(*) FROM auth_sync.integration_sync_log) AS all_recent
  FROM auth_sync.recent_auth_sync_log;

-- A sign-up never fails on linking: a failure is logged FAILED and the user is created
-- (auth_sync.strict_triggers raises it instead).
CREATE FUNCTION public.emp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'HR table is read-only today';
END
$$;
CREATE TRIGGER emp_refuse BEFORE UPDATE ON public.employees FOR EACH ROW EXECUTE FUNCTION public.emp_refuse();
INSERT INTO public.employees (email, employee_number) VALUES ('judy@example.com', 'E030');
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
SELECT public.emp_signup('judy@example.com', 30) IS NOT NULL AS judy_signed_up;
SELECT * FROM public.emp_log(:mark);
SELECT auth_user_id FROM public.employees WHERE employee_number = 'E030';
DELETE FROM auth.users WHERE id = public.emp_uid(30);
SET auth_sync.strict_triggers = on;
SELECT public.emp_signup('judy@example.com', 31) IS NOT NULL AS judy_again;
\echo :LAST_ERROR_SQLSTATE
RESET auth_sync.strict_triggers;
DROP TRIGGER emp_refuse ON public.employees;

-- Grants: service_role may call the employee API and read the views; anon and authenticated not.
SET ROLE service_role;
SELECT count(*) > 0 AS monitor_rows FROM auth_sync.auth_sync_monitor;
SELECT count(*) > 0 AS log_rows FROM auth_sync.recent_auth_sync_log;
SELECT count(*) >= 0 AS without_auth FROM auth_sync.find_employees_without_auth();
RESET ROLE;
SET ROLE authenticated;
SELECT count(*) FROM auth_sync.auth_sync_monitor;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.set_employee_active(1, false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE anon;
SELECT * FROM auth_sync.link_employees();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT action, arguments, result ? 'employee_id' AS has_employee FROM auth_sync.admin_audit_log
 WHERE action = 'create_employee_with_auth' ORDER BY id;

-- Unregistering drops the triggers; registering again brings them back.
SELECT auth_sync.unregister_linked_table('public.employees');
SELECT count(*) AS employee_triggers FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND tgname LIKE 'auth\_sync\_%';
SELECT count(*) AS link_trigger FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND tgname = 'auth_sync_link_employees';
SELECT count(*) FROM auth_sync.auth_sync_monitor;
SELECT * FROM auth_sync.link_employees();
\echo :LAST_ERROR_SQLSTATE
SELECT target FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'auth_user_id');
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;

-- An employee inserted with its auth user already set is linked as given (an inactive one banned
-- at once); unlinking by hand is logged and leaves the auth user alone.
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
INSERT INTO public.employees (email, employee_number, is_active, auth_user_id)
VALUES ('nobody@example.com', 'E040', false, public.emp_uid(99));
SELECT * FROM public.emp_state WHERE email = 'nobody@example.com';
UPDATE public.employees SET auth_user_id = NULL WHERE employee_number = 'E040';
SELECT * FROM public.emp_log(:mark);

-- DROP EXTENSION removes the employee table's triggers and the generated code too; the table and
-- its rows stay.
DROP EXTENSION auth_sync;
SELECT count(*) AS employee_triggers FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND NOT tgisinternal AND tgname LIKE 'auth\_sync\_%';
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = to_regnamespace('auth_sync');
SELECT count(*) AS employees FROM public.employees;
CREATE EXTENSION auth_sync;
SELECT target FROM auth_sync.register_linked_table('public.employees', 'employee_id', 'email', 'is_active', 'auth_user_id');
SELECT count(*) AS linked_employees FROM auth_sync.auth_sync_monitor WHERE auth_user_id IS NOT NULL;
