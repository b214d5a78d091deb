-- provision_employee_accounts: accounts for every active employee without one, through
-- bulk_create_users (dry run first; non-atomic: a bad row fails alone, logged FAILED, nothing of
-- it written); an account deleted with bulk_delete_users is logged as well.
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
\i setup/employee_accounts.sql
\set ECHO all
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
