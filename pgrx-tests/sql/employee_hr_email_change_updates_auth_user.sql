-- An email change in HR updates the auth user, its identity and the profile that follows it; when
-- another auth user has the new email, the employee update fails, naming the conflict, and
-- nothing changes.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/employees.sql
\i setup/employee_staff.sql
\i setup/employee_offboarding.sql
\set ECHO all
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
