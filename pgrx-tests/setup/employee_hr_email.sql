-- Given (after employee_offboarding.sql): Alice's email changed in HR to Alice.Jones@Example.com
-- (and so her auth user's), and another auth user taken@example.com (98), as
-- employee_hr_email_change_updates_auth_user makes them; :mark moved on.
\o /dev/null
UPDATE public.employees SET email = 'Alice.Jones@Example.com' WHERE employee_id = 1;
SELECT public.emp_signup('taken@example.com', 98) IS NOT NULL AS other_user;
SELECT max(id) AS mark FROM auth_sync.integration_sync_log \gset
\o
