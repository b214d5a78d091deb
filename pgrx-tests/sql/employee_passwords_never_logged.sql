-- Never a password in the integration log, the audit log, the import journal or the sync
-- failures: neither a given one nor a generated one.
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
SELECT count(*) AS tables_with_a_password
  FROM (VALUES ('integration_sync_log', (SELECT string_agg(l::text, ' ') FROM auth_sync.integration_sync_log l)),
               ('admin_audit_log', (SELECT string_agg(a::text, ' ') FROM auth_sync.admin_audit_log a)),
               ('import_batches', (SELECT string_agg(b::text, ' ') FROM auth_sync.import_batches b)),
               ('import_rows', (SELECT string_agg(r::text, ' ') FROM auth_sync.import_rows r)),
               ('sync_failures', (SELECT string_agg(f::text, ' ') FROM auth_sync.sync_failures f))) AS t(name, body)
 WHERE body LIKE '%Sup3r-Secret-Passw0rd%'
    OR EXISTS (SELECT FROM emp_created c WHERE t.body LIKE '%' || c.temp_password || '%')
    OR EXISTS (SELECT FROM emp_provisioned p WHERE p.temp_password IS NOT NULL AND t.body LIKE '%' || p.temp_password || '%');
