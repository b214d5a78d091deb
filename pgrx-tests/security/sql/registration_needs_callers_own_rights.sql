-- auth_sync acts on a table only for a caller who could do the same directly: registering a
-- table, turning on its owner policies and repairing it need the caller to own it or to hold the
-- privileges the operation uses; otherwise 42501 names the table, and nothing is read, deleted or
-- changed.
\set SHOW_CONTEXT never
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE SCHEMA sec_hr_private;
CREATE TABLE sec_hr_private.payroll (user_id uuid PRIMARY KEY, salary numeric, iban text);
INSERT INTO sec_hr_private.payroll VALUES ('e4000000-0000-4000-8000-000000000001', 185000, 'DE89370400440532013000');
CREATE TABLE public.sec_reg_owned (user_id uuid, note text);
REVOKE ALL ON public.sec_reg_owned FROM service_role;
GRANT SELECT ON public.sec_reg_owned TO service_role;
-- (service_role cannot name the payroll table: it knows its OID, as in a catalog query)
SELECT 'sec_hr_private.payroll'::regclass::oid AS payroll_oid \gset

-- service_role can reach neither table as it would need to
SET ROLE service_role;
SELECT count(*) FROM sec_hr_private.payroll;
-- 1. registering them is refused, naming the table
SELECT * FROM auth_sync.register_table(:payroll_oid::oid::regclass, 'user_id', 'profile', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.register_table('public.sec_reg_owned', 'user_id', 'owned');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS registrations FROM auth_sync.managed_tables
 WHERE target IN ('sec_hr_private.payroll'::regclass, 'public.sec_reg_owned'::regclass);

-- 2. the owner registers payroll (it may); service_role still cannot read, repair or re-secure it
SELECT kind FROM auth_sync.register_table('sec_hr_private.payroll', 'user_id', 'profile', '{}');
INSERT INTO sec_hr_private.payroll VALUES ('e4000000-0000-4000-8000-0000000000ff', 1, 'orphan');
SET ROLE service_role;
SELECT * FROM auth_sync.preservation_report();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.create_profile('e4000000-0000-4000-8000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.cleanup_orphans();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.fix_duplicates();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.full_sync();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.sync_profiles();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.enable_owner_policies(:payroll_oid::oid::regclass);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_sync.unregister_table(:payroll_oid::oid::regclass);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- 3. owner policies need the table's owner even where service_role has every privilege
CREATE TABLE public.sec_reg_prefs (user_id uuid PRIMARY KEY, theme text);
GRANT ALL ON public.sec_reg_prefs TO service_role;
SET ROLE service_role;
SELECT kind FROM auth_sync.register_table('public.sec_reg_prefs', 'user_id', 'profile', '{}');
SELECT * FROM auth_sync.enable_owner_policies('public.sec_reg_prefs');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- the outcome: every payroll row is still there, nothing was secured behind the owner's back
SELECT count(*) AS payroll_rows FROM sec_hr_private.payroll;
SELECT c.relname, c.relrowsecurity FROM pg_class c WHERE c.oid IN ('sec_hr_private.payroll'::regclass, 'public.sec_reg_prefs'::regclass) ORDER BY 1;
SELECT count(*) AS policies FROM pg_policy WHERE polrelid IN ('sec_hr_private.payroll'::regclass, 'public.sec_reg_prefs'::regclass);

-- and the owner may (the policies are the owner's statements)
SELECT policy_name, command FROM auth_sync.enable_owner_policies('public.sec_reg_prefs');

-- clean up
SELECT auth_sync.unregister_table('sec_hr_private.payroll'), auth_sync.unregister_table('public.sec_reg_prefs');
DROP SCHEMA sec_hr_private CASCADE;
DROP TABLE public.sec_reg_owned, public.sec_reg_prefs;
