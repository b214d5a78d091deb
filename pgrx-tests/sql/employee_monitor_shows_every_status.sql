-- The monitor view, find_employees_without_auth, the summary and health from a real scenario,
-- with every sync_status: Bob got his account from provisioning (OK), then the app bans him
-- (ACTIVE_BUT_BANNED); Dave is inactive and the app lifts auth_sync's ban (INACTIVE_WITH_AUTH);
-- Alice changed her email through the Auth API (EMAIL_MISMATCH); Grace's account was deleted,
-- Heidi never had one (MISSING_AUTH_UID); Frank is inactive and banned (OK). The recent log: the
-- last 7 days, newest first.
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
\i setup/employee_provisioned.sql
\set ECHO all
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
