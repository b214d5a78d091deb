-- Given (after employee_accounts.sql): what employee_provisioning_creates_missing_accounts does:
-- employees Grace (E020), one with a bad address (E021) and Heidi (E022, inactive) added,
-- accounts provisioned for every active employee without one (Bob, Grace; generated passwords in
-- temp table emp_provisioned), :mark moved on, and Grace's account deleted with
-- bulk_delete_users.
\o /dev/null
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
VALUES ('grace@example.com', 'Grace', 'Hopper', 'E020', true),
       ('not-an-email', 'Bad', 'Address', 'E021', true),
       ('heidi@example.com', 'Heidi', 'Klum', 'E022', false);
SELECT employee_id, email, status, error_code, temp_password IS NOT NULL AS has_password
  FROM auth_sync.provision_employee_accounts(dry_run => true);
CREATE TEMP TABLE emp_provisioned AS SELECT * FROM auth_sync.provision_employee_accounts(generate_passwords => true);
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
SELECT email, status, removed FROM auth_sync.bulk_delete_users(ARRAY['grace@example.com']);
\o
