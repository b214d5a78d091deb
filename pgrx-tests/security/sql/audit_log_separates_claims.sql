-- Who did it: any SQL session can set request.jwt.claims, so a script or a CI job with the
-- service_role connection could put an end user's id on its own actions. The audit log and the
-- journals keep what the database knows (the login role and the role SET ROLE chose) apart from
-- what the claims say, and name the latter as claimed.
\set SHOW_CONTEXT never
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_audit_ci_job') THEN
        CREATE ROLE sec_audit_ci_job NOLOGIN;
    END IF;
END
$$;
GRANT service_role TO sec_audit_ci_job;
SELECT coalesce(max(id), 0) AS audit_mark FROM auth_sync.admin_audit_log \gset
SELECT coalesce(max(id), 0) AS runs_mark FROM auth_sync.sync_runs \gset

-- The CI job logs in as itself, switches to service_role and claims to be an intern's request.
SET SESSION AUTHORIZATION sec_audit_ci_job;
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims',
                  '{"sub": "11111111-2222-4333-8444-555555555555", "role": "authenticated", "email": "intern@sec-audit.example"}',
                  true) IS NOT NULL AS claims_forged;
SELECT count(*) AS deleted FROM auth_sync.bulk_delete_users(ARRAY['nobody@sec-audit.example']);
SELECT count(*) >= 0 AS synced FROM auth_sync.sync_profiles(dry_run => true);
SELECT count(*) AS imported FROM auth_sync.bulk_create_users(E'email\nnobody@sec-audit.example', dry_run => true);
COMMIT;
RESET SESSION AUTHORIZATION;

-- The log: the roles as the database knows them, the claims as claims.
SELECT db_user, session_role, claimed_sub, claimed_role, action FROM auth_sync.admin_audit_log
 WHERE id > :audit_mark ORDER BY id;
SELECT run_by, session_role, claimed_sub, operation FROM auth_sync.sync_runs WHERE id > :runs_mark ORDER BY id;
SELECT run_by, session_role, claimed_sub, status FROM auth_sync.import_batches
 WHERE started_at > now() - interval '1 hour' AND session_role = 'sec_audit_ci_job';
-- no column of the three presents a claim as an identity
SELECT table_name, column_name FROM information_schema.columns
 WHERE table_schema = 'auth_sync' AND table_name IN ('admin_audit_log', 'sync_runs', 'import_batches')
   AND (column_name LIKE '%jwt%' OR column_name LIKE '%sub' OR column_name LIKE '%role')
 ORDER BY 1, 2;
SELECT col_description('auth_sync.admin_audit_log'::regclass, a.attnum) AS claimed_sub_comment
  FROM pg_attribute a WHERE a.attrelid = 'auth_sync.admin_audit_log'::regclass AND a.attname = 'claimed_sub';

-- Without SET ROLE the login role is the caller (it inherits service_role's rights); a claimed
-- role is still only a claim.
SET SESSION AUTHORIZATION sec_audit_ci_job;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role": "service_role"}', true) IS NOT NULL AS claims_set;
SELECT count(*) AS deleted FROM auth_sync.bulk_delete_users(ARRAY['nobody@sec-audit.example']);
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT db_user, session_role, claimed_sub, claimed_role FROM auth_sync.admin_audit_log ORDER BY id DESC LIMIT 1;

-- Clean up.
DELETE FROM auth_sync.admin_audit_log WHERE session_role = 'sec_audit_ci_job';
DELETE FROM auth_sync.sync_runs WHERE session_role = 'sec_audit_ci_job';
DELETE FROM auth_sync.import_rows WHERE batch_id IN (SELECT id FROM auth_sync.import_batches WHERE session_role = 'sec_audit_ci_job');
DELETE FROM auth_sync.import_batches WHERE session_role = 'sec_audit_ci_job';
REVOKE service_role FROM sec_audit_ci_job;
DROP ROLE sec_audit_ci_job;
