-- Bulk create users from CSV: bulk_create_users().
\set SHOW_CONTEXT never
-- cost 4 keeps the tests fast; section 1 also checks the default, 10
SET auth_sync.bcrypt_cost = 4;
\set ECHO none
SET client_min_messages = warning;
\i migrations/20261122000300_bulk_create_users_rpc.sql
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
\set ECHO all
ALTER TABLE public.user_profiles ADD COLUMN department text;
INSERT INTO public.companies (name) VALUES ('ACME Corp');
CREATE VIEW public.import_counts AS
SELECT (SELECT count(*) FROM auth.users) AS users,
       (SELECT count(*) FROM auth.identities) AS identities,
       (SELECT count(*) FROM public.user_profiles) AS profiles;
-- the report of the newest batch
CREATE VIEW public.last_batch AS
SELECT source_name, options, counts, status FROM auth_sync.import_batches ORDER BY started_at DESC, finished_at DESC LIMIT 1;

-- 1. A plain file: users written exactly as the Auth server writes them.
\set csv `cat csv/01_basic.csv`
SELECT line_number, email, user_id IS NOT NULL AS has_user_id, status, error_code, message, temp_password
  FROM auth_sync.bulk_create_users(:'csv', source_name => 'basic');
SELECT email, instance_id, aud, role, email_confirmed_at IS NOT NULL AS confirmed,
       confirmation_token, recovery_token, email_change_token_new, email_change, phone_change,
       phone_change_token, email_change_token_current, reauthentication_token,
       created_at IS NOT NULL AND updated_at IS NOT NULL AS has_timestamps,
       is_sso_user, is_anonymous, deleted_at, raw_app_meta_data, raw_user_meta_data
  FROM auth.users ORDER BY email;
-- the Auth server's sign-in lookup: all-zero instance, lower(email), not SSO
SELECT count(*) AS found_by_sign_in_lookup FROM auth.users
 WHERE instance_id = '00000000-0000-0000-0000-000000000000' AND lower(email) = lower('Ada@Example.COM')
   AND aud = 'authenticated' AND NOT is_sso_user AND email_confirmed_at IS NOT NULL;
-- bcrypt $2a$ at auth_sync.bcrypt_cost, and pgcrypto's crypt() verifies it; no password: ''
SELECT email, left(encrypted_password, 7) AS prefix, length(encrypted_password) AS length,
       CASE WHEN encrypted_password <> '' THEN
           encrypted_password = crypt(CASE email WHEN 'ada@example.com' THEN 'correct horse' ELSE 'battery staple' END,
                                      encrypted_password) END AS verifies,
       CASE WHEN encrypted_password <> '' THEN encrypted_password = crypt('wrong password', encrypted_password) END AS wrong_verifies
  FROM auth.users ORDER BY email;
SELECT u.email, i.provider, i.provider_id = u.id::text AS provider_id_is_user_id,
       i.identity_data ->> 'sub' = u.id::text AS sub_is_user_id, i.identity_data - 'sub' AS identity_data,
       i.email AS identity_email, i.created_at IS NOT NULL AND i.updated_at IS NOT NULL AS has_timestamps
  FROM auth.identities i JOIN auth.users u ON u.id = i.user_id ORDER BY 1;
SELECT p.email, p.full_name, p.sso_provider, p.role FROM public.user_profiles p ORDER BY 1;
SELECT * FROM public.last_batch;
SELECT r.line_number, r.email, r.status, r.error_code
  FROM auth_sync.import_rows r JOIN auth_sync.import_batches b ON b.id = r.batch_id
 WHERE b.source_name = 'basic' ORDER BY 1;
-- the default cost is the Auth server's: 10
RESET auth_sync.bcrypt_cost;
SHOW auth_sync.bcrypt_cost;
SELECT status FROM auth_sync.bulk_create_users(E'email,password\ncost10@example.com,cost ten pw');
SELECT left(encrypted_password, 7) AS prefix, encrypted_password = crypt('cost ten pw', encrypted_password) AS verifies
  FROM auth.users WHERE email = 'cost10@example.com';
SET auth_sync.bcrypt_cost = 4;

-- 2. The corpus: awkward and malformed files, each with its documented result
--    (pgrx-tests/csv/README.md). atomic => false reports every row and writes the valid ones.
\set csv `cat csv/02_bom_crlf.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email LIKE 'bom%' ORDER BY 1;
\set csv `cat csv/03_semicolon.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name, department FROM public.user_profiles WHERE email LIKE 'semi%' ORDER BY 1;
\set csv `cat csv/04_tab.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/05_quoted_newline.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email LIKE 'ml%' ORDER BY 1;
\set csv `cat csv/06_quotes_escaped.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name FROM public.user_profiles WHERE email LIKE 'quote%' ORDER BY 1;
\set csv `cat csv/07_unbalanced_quote.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
\set csv `cat csv/08_ragged.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/09_header_only.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT counts, status FROM public.last_batch;
\set csv `cat csv/10_empty.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
\set csv `cat csv/11_no_email_column.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
\set csv `cat csv/12_duplicate_header.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\echo :LAST_ERROR_SQLSTATE
\set csv `cat csv/13_password_72_73_bytes.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT encrypted_password = crypt(repeat('a', 72), encrypted_password) AS pw72_verifies FROM auth.users WHERE email = 'pw72@example.com';
\set csv `cat csv/14_password_short.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/15_non_ascii_email.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/16_mixed_case_duplicates.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/17_sql_looking.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data FROM auth.users WHERE email = 'sql@example.com';
SELECT to_regclass('auth.users') IS NOT NULL AS auth_users_still_there;
\set csv `cat csv/18_bad_json.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, raw_user_meta_data, raw_app_meta_data FROM auth.users WHERE email LIKE 'json%' ORDER BY 1;
\set csv `cat csv/19_bad_uuid.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, id FROM auth.users WHERE email LIKE 'id_@example.com' ORDER BY 1;
\set csv `cat csv/20_bad_hash.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/21_good_hashes.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, u.encrypted_password = h.hash AS stored_as_given
  FROM auth.users u
  JOIN (SELECT split_part(l, ',', 1) AS email, btrim(substr(l, length(split_part(l, ',', 1)) + 2), '"') AS hash
          FROM regexp_split_to_table(:'csv', E'\n') AS l) AS h ON h.email = u.email
 ORDER BY 1;
\set csv `cat csv/22_password_and_hash.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/23_overlong.csv`
SELECT line_number, left(email, 20) AS email_start, status, error_code, left(message, 80) AS message
  FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/24_booleans.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, u.email_confirmed_at IS NOT NULL AS confirmed, i.identity_data ->> 'email_verified' AS email_verified
  FROM auth.users u JOIN auth.identities i ON i.user_id = u.id
 WHERE u.email IN ('yes@example.com', 'no@example.com', 'one@example.com', 'zero@example.com', 'true@example.com', 'blank@example.com')
 ORDER BY 1;
\set csv `cat csv/25_timestamps.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, created_at AT TIME ZONE 'UTC' AS created_at_utc FROM auth.users WHERE email LIKE 'ts_@example.com' ORDER BY 1;
\set csv `cat csv/26_extra_columns.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT u.email, p.role, p.department, u.raw_user_meta_data
  FROM auth.users u JOIN public.user_profiles p ON p.user_id = u.id WHERE u.email LIKE 'extra%' ORDER BY 1;
\set csv `cat csv/27_company.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT p.email, c.name AS company FROM public.user_profiles p LEFT JOIN public.companies c ON c.id = p.company_id
 WHERE p.email LIKE 'co_@example.com' ORDER BY 1;
\set csv `cat csv/28_ids_phones.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, id, phone FROM auth.users WHERE email LIKE 'keep%' ORDER BY 1;
\set csv `cat csv/29_blank_lines.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/30_whitespace.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT email, full_name FROM public.user_profiles WHERE email = 'spaced@example.com';
\set csv `cat csv/31_existing.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/32_invalid_emails.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
\set csv `cat csv/33_empty_extra.csv`
SELECT line_number, email, status, error_code, message FROM auth_sync.bulk_create_users(:'csv', atomic => false);
SELECT raw_user_meta_data FROM auth.users WHERE email = 'lone@example.com';

-- 3. atomic (the default): one bad row, nothing written, every row reported.
SELECT * FROM public.import_counts;
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,first_name,last_name\natomic1@example.com,Ok,Row\natomic2@example.com,Ragged\natomic3@example.com,Ok,Too');
SELECT * FROM public.import_counts;
SELECT counts, status FROM public.last_batch;
-- a profile table that refuses a row: profile_rejected; atomic writes nothing
ALTER TABLE public.user_profiles ADD CONSTRAINT no_forbidden_department CHECK (department IS DISTINCT FROM 'Forbidden');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,department\nrej1@example.com,Sales\nrej2@example.com,Forbidden\nrej3@example.com,Support');
SELECT * FROM public.import_counts;
-- not atomic: the others are written, the refused row is not (not even its auth user)
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,department\nrej1@example.com,Sales\nrej2@example.com,Forbidden\nrej3@example.com,Support', atomic => false);
SELECT u.email, p.department FROM auth.users u LEFT JOIN public.user_profiles p ON p.user_id = u.id
 WHERE u.email LIKE 'rej%' ORDER BY 1;
SELECT counts, status FROM public.last_batch;
ALTER TABLE public.user_profiles DROP CONSTRAINT no_forbidden_department;
-- two rows that clash in a profile table: the later line fails, whatever the order of their ids
-- (rows are written in id order; the row-by-row retry of a failed chunk goes in file order)
CREATE UNIQUE INDEX user_profiles_department_key ON public.user_profiles (department) WHERE department LIKE 'Desk %';
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,id,department\nclash1@example.com,ffffffff-ffff-4fff-bfff-ffffffffffff,Desk 7\nclash2@example.com,00000000-0000-4000-8000-000000000001,Desk 7\nclash3@example.com,80000000-0000-4000-8000-000000000000,Desk 8', atomic => false);
SELECT u.email, u.id, p.department FROM auth.users u LEFT JOIN public.user_profiles p ON p.user_id = u.id
 WHERE u.email LIKE 'clash%' ORDER BY 1;
DELETE FROM auth.users WHERE email LIKE 'clash%';
DROP INDEX public.user_profiles_department_key;
-- a value of the wrong type for a profile column is refused the same way
SELECT line_number, email, status, error_code
  FROM auth_sync.bulk_create_users(E'email,is_active\nbool1@example.com,true\nbool2@example.com,sometimes', atomic => false);

-- 4. on_conflict: error (default), skip, update; emails match case-insensitively.
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,password,department\nADA@example.com,new secret 1,Research\nfresh@example.com,,Ops', on_conflict => 'skip');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,password,department,first_name\nADA@example.com,new secret 1,Research,Augusta', on_conflict => 'update');
SELECT u.email, u.encrypted_password = crypt('new secret 1', u.encrypted_password) AS new_password,
       u.raw_user_meta_data, p.department, p.full_name
  FROM auth.users u JOIN public.user_profiles p ON p.user_id = u.id WHERE u.email = 'ada@example.com';
SELECT count(*) AS ada_users FROM auth.users WHERE lower(email) = 'ada@example.com';
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,id\nada@example.com,00000000-0000-4000-8000-0000000000a1', on_conflict => 'update');
SELECT line_number, email, status, error_code, message
  FROM auth_sync.bulk_create_users(E'email,id\nother@example.com,00000000-0000-4000-8000-0000000000a1');
SELECT * FROM auth_sync.bulk_create_users(E'email\nx@example.com', on_conflict => 'merge');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.bulk_create_users(NULL);
\echo :LAST_ERROR_SQLSTATE

-- 5. dry_run validates and checks conflicts, writes nothing.
SELECT * FROM public.import_counts;
SELECT line_number, email, status, error_code, temp_password
  FROM auth_sync.bulk_create_users(E'email,password\nada@example.com,whatever1\ndry@example.com,whatever2\nbad-email,whatever3',
                                   dry_run => true, on_conflict => 'update', generate_passwords => true);
SELECT line_number, email, status FROM auth_sync.bulk_create_users(E'email\nada@example.com', dry_run => true, on_conflict => 'skip');
SELECT * FROM public.import_counts;
SELECT counts, status FROM public.last_batch;

-- 6. generate_passwords: a random password per user, returned once, stored nowhere else.
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

-- 7. Whole-file problems raise and write nothing.
SET auth_sync.max_import_rows = 2;
SELECT * FROM auth_sync.bulk_create_users(E'email\nm1@example.com\nm2@example.com\nm3@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET auth_sync.max_import_rows;
SELECT count(*) AS m_users FROM auth.users WHERE email LIKE 'm_@example.com';

-- 8. A cancel (here statement_timeout) during hashing stops it and leaves nothing written.
SELECT 'email,password' || string_agg(format(E'\ncancel%s@example.com,password-%s', g, g), '') AS cancel_csv
  FROM generate_series(1, 40) g \gset
SET auth_sync.bcrypt_cost = 12;
SET statement_timeout = '300ms';
SELECT count(*) FROM auth_sync.bulk_create_users(:'cancel_csv');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SET auth_sync.bcrypt_cost = 4;
SELECT count(*) AS cancel_users FROM auth.users WHERE email LIKE 'cancel%';

-- 9. Grants: service_role through the RPC wrapper; anon and authenticated refused.
BEGIN;
SET LOCAL ROLE service_role;
SELECT set_config('request.jwt.claims', '{"sub": "server-1", "role": "service_role"}', true) IS NOT NULL AS claims;
SELECT line_number, email, status FROM public.bulk_create_users(E'email\nrpc@example.com', source_name => 'rpc');
COMMIT;
SELECT db_user, session_role, claimed_sub, claimed_role, action, arguments ->> 'source_name' AS source_name, result ->> 'status' AS status
  FROM auth_sync.admin_audit_log WHERE action = 'bulk_create_users' ORDER BY id DESC LIMIT 1;
SET ROLE authenticated;
SELECT * FROM public.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM auth_sync.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE anon;
SELECT * FROM public.bulk_create_users(E'email\nnope@example.com');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;

-- Clean up for the suites that follow.
DROP VIEW public.import_counts, public.last_batch;
DELETE FROM auth.users;
ALTER TABLE public.user_profiles DROP COLUMN department;
DELETE FROM public.companies;
