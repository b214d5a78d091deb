-- The migration pack's step 4 creates public.employees and registers it as the linked employee
-- table (its triggers, the installation checks ok); applying it again changes nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\set ECHO all
SET auth_sync.bcrypt_cost = 4;
\i migrations/20261122000400_employees.sql
-- applying the step again changes nothing
\i migrations/20261122000400_employees.sql
SELECT target, key_column, email_column, active_column, auth_user_column FROM auth_sync.linked_tables;
SELECT check_name, ok, detail FROM auth_sync.verify_installation()
 WHERE check_name IN ('triggers_installed', 'linked_tables', 'service_role_execute', 'no_public_execute');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.employees'::regclass AND tgname LIKE 'auth\_sync\_%' ORDER BY 1;
