-- generate_passwords: a random password per user (long, mixed), returned once and verifying; a
-- password given in the file is never echoed, even when refused; no password or hash in the
-- import journal, the batches or the audit log.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/import.sql
\set ECHO all
CREATE TEMP TABLE generated AS
SELECT * FROM auth_sync.bulk_create_users(E'email,full_name\ngen1@example.com,Gen One\ngen2@example.com,Gen Two\ngen3@example.com,Gen Three',
                                          generate_passwords => true, company => 'ACME CORP');
SELECT line_number, email, status, length(temp_password) >= 16 AS long_enough,
       temp_password ~ '[a-z]' AND temp_password ~ '[A-Z]' AND temp_password ~ '[0-9]' AS mixed
  FROM generated ORDER BY 1;
SELECT count(DISTINCT temp_password) AS distinct_passwords FROM generated;
SELECT count(*) AS verified FROM generated g JOIN auth.users u ON u.id = g.user_id
 WHERE u.encrypted_password = crypt(g.temp_password, u.encrypted_password);
SELECT count(*) AS company_set FROM generated g JOIN public.user_profiles p ON p.user_id = g.user_id
 WHERE p.company_id = (SELECT id FROM public.companies WHERE name = 'ACME Corp');
-- a password given in the file is never echoed, even when it is refused
SELECT line_number, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,password\nsecret1@example.com,Xy9#Secret!Pw\nsecret2@example.com,Sh0rt', atomic => false);
SELECT 'import_rows' AS where_, count(*) AS leaks FROM auth_sync.import_rows r
 WHERE to_jsonb(r)::text ~ 'Xy9#Secret!Pw|Sh0rt' OR EXISTS (SELECT FROM generated g WHERE strpos(to_jsonb(r)::text, g.temp_password) > 0)
UNION ALL
SELECT 'import_batches', count(*) FROM auth_sync.import_batches b
 WHERE to_jsonb(b)::text ~ 'Xy9#Secret!Pw|Sh0rt|\$2[aby]\$[0-9]{2}\$' OR EXISTS (SELECT FROM generated g WHERE strpos(to_jsonb(b)::text, g.temp_password) > 0)
UNION ALL
SELECT 'admin_audit_log', count(*) FROM auth_sync.admin_audit_log a
 WHERE to_jsonb(a)::text ~ 'Xy9#Secret!Pw|Sh0rt|\$2[aby]\$[0-9]{2}\$' OR EXISTS (SELECT FROM generated g WHERE strpos(to_jsonb(a)::text, g.temp_password) > 0);
-- and no hash: a bcrypt hash looks like $2a$10$...
SELECT count(*) AS hashes_in_import_rows FROM auth_sync.import_rows r WHERE to_jsonb(r)::text ~ '\$2[aby]\$[0-9]{2}\$';
