-- create_employee_with_auth: the employee and its confirmed auth user (as bulk_create_users
-- writes it), identity and profile, linked, in one go; without a password a random one is
-- returned once, with one none; an inactive employee's account is banned at once; failures (email
-- taken, short password, duplicate number, unknown field, not an object, no email) half-apply
-- nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\i setup/employee_hr_email.sql
\i setup/employee_auth_email.sql
\i setup/employee_linking.sql
\i setup/employee_carol_deleted.sql
\set ECHO all
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
