-- Given (after employee_hr_email.sql): Alice changed her email through the Auth API to
-- alice.private@example.com, as employee_auth_email_change_not_copied_to_hr does (:mark not
-- moved).
\o /dev/null
UPDATE auth.users SET email = 'alice.private@example.com', updated_at = now() WHERE id = public.emp_uid(1);
\o
