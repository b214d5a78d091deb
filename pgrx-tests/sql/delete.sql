-- Removing users: bulk_delete_users, bulk_delete_import, the delete trigger, orphans, duplicates,
-- full_sync, delete_my_account, enable_owner_policies.
\set SHOW_CONTEXT never
SET auth_sync.bcrypt_cost = 4;

-- An app beside user_profiles (registered by the migration pack, FK ON DELETE CASCADE):
--   del_tasks     owned, FK to auth.users ON DELETE RESTRICT
--   del_comments  owned, FK to auth.users ON DELETE CASCADE, and to del_tasks ON DELETE RESTRICT
--   del_notes     owned, no foreign key at all
--   del_profiles  profile, no foreign key, no unique user column (duplicates are possible)
CREATE TABLE public.del_tasks (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE RESTRICT,
    title   text NOT NULL
);
CREATE INDEX ON public.del_tasks (user_id);
CREATE TABLE public.del_comments (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES public.del_tasks (id) ON DELETE RESTRICT,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    body    text NOT NULL
);
CREATE INDEX ON public.del_comments (user_id);
CREATE TABLE public.del_notes (
    user_id uuid,
    body    text NOT NULL
);
CREATE INDEX ON public.del_notes (user_id);
CREATE TABLE public.del_profiles (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid,
    nickname   text,
    created_at timestamptz NOT NULL DEFAULT now()
);
SELECT table_name, kind FROM auth_sync.register_table('public.del_tasks', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_comments', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_notes', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.del_profiles', 'user_id', 'profile',
                                                      '{"nickname": "display_name"}');
-- the order rows are removed in: comments before the tasks they reference, owned before profile;
-- cascades says the auth schema's delete takes the rows anyway
SELECT target, kind, cascades, pos FROM auth_sync._removal_order() ORDER BY pos;

-- Sign-up as the Auth server writes it, with an identity and a session (test helper).
CREATE FUNCTION public.del_signup(p_n int) RETURNS uuid LANGUAGE sql AS $$
    WITH u AS (
        INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                confirmation_token, recovery_token, email_change_token_new, email_change,
                                phone)
        VALUES ('00000000-0000-0000-0000-000000000000',
                ('d0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid,
                'authenticated', 'authenticated', 'del' || p_n || '@example.com',
                '$2a$04$abcdefghijklmnopqrstuuR6bJx6QYpQq8Sx7bxqj1Cpq3V7kJxxK', now(),
                '{"provider": "email", "providers": ["email"]}', jsonb_build_object('name', 'Del ' || p_n),
                now(), now(), '', '', '', '', '+1555000' || lpad(p_n::text, 4, '0'))
        RETURNING id, email),
    i AS (
        INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
        SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now() FROM u)
    INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
    SELECT gen_random_uuid(), u.id, now(), now() FROM u
    RETURNING user_id
$$;
-- Every row one test user has anywhere, per table.
CREATE FUNCTION public.del_rows(p_n int) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'auth.users', (SELECT count(*) FROM auth.users WHERE id = x.id),
        'auth.identities', (SELECT count(*) FROM auth.identities WHERE user_id = x.id),
        'auth.sessions', (SELECT count(*) FROM auth.sessions WHERE user_id = x.id),
        'public.user_profiles', (SELECT count(*) FROM public.user_profiles WHERE user_id = x.id),
        'public.del_profiles', (SELECT count(*) FROM public.del_profiles WHERE user_id = x.id),
        'public.del_tasks', (SELECT count(*) FROM public.del_tasks WHERE user_id = x.id),
        'public.del_comments', (SELECT count(*) FROM public.del_comments WHERE user_id = x.id),
        'public.del_notes', (SELECT count(*) FROM public.del_notes WHERE user_id = x.id))
      FROM (SELECT ('d0000000-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid AS id) AS x
$$;
-- Users 1..9, each with 2 tasks, a comment on each of their tasks and 3 notes.
SELECT count(public.del_signup(n)) AS signed_up FROM generate_series(1, 9) AS n;
INSERT INTO public.del_tasks (user_id, title)
SELECT u.id, 'task ' || t FROM auth.users u, generate_series(1, 2) AS t WHERE u.email LIKE 'del_@example.com';
INSERT INTO public.del_comments (task_id, user_id, body)
SELECT t.id, t.user_id, 'comment on ' || t.title FROM public.del_tasks t;
INSERT INTO public.del_notes (user_id, body)
SELECT u.id, 'note ' || t FROM auth.users u, generate_series(1, 3) AS t WHERE u.email LIKE 'del_@example.com';
SELECT public.del_rows(1) AS user_1_rows;

-- 1. A mixed list: existing (any case, padded), missing, invalid, NULL, repeated.
\set list '''{" DEL1@Example.com ", "missing@example.com", "not-an-email", NULL, "del1@example.com", "del2@example.com", "", "DEL2@EXAMPLE.COM"}'''
-- the dry run writes nothing and predicts the real run exactly
CREATE TEMP TABLE del_dry AS SELECT * FROM auth_sync.bulk_delete_users(:list, dry_run => true);
SELECT * FROM del_dry;
SELECT public.del_rows(1) AS user_1_after_dry_run;
CREATE TEMP TABLE del_real AS SELECT * FROM auth_sync.bulk_delete_users(:list);
SELECT * FROM del_real;
SELECT (SELECT array_agg(row(email, user_id, replace(status, 'would_delete', 'deleted'), removed)::text ORDER BY email, user_id) FROM del_dry)
     = (SELECT array_agg(row(email, user_id, status, removed)::text ORDER BY email, user_id) FROM del_real)
       AS dry_run_predicted_real_run;
-- nothing of users 1 and 2 is left anywhere (identities and sessions went by the auth cascades);
-- user 3 is untouched
SELECT public.del_rows(1) AS user_1, public.del_rows(2) AS user_2;
SELECT public.del_rows(3) AS user_3;
SELECT action, arguments, result FROM auth_sync.admin_audit_log WHERE action = 'bulk_delete_users' ORDER BY id;
-- an empty list and a NULL list
SELECT count(*) AS rows_for_empty_list FROM auth_sync.bulk_delete_users('{}');
SELECT * FROM auth_sync.bulk_delete_users(NULL);

-- 2. Soft delete: the row stays as the Auth server's soft delete leaves it.
SELECT * FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], soft => true);
SELECT email = auth_sync._obfuscated(id, 'del3@example.com') AS email_is_hash,
       length(email) AS email_length, phone = left(auth_sync._obfuscated(id, '+15550000003'), 15) AS phone_is_hash,
       encrypted_password, raw_user_meta_data, raw_app_meta_data, deleted_at IS NOT NULL AS deleted,
       confirmation_token, recovery_token
  FROM auth.users WHERE id = 'd0000000-0000-4000-8000-000000000003';
SELECT identity_data, provider_id = auth_sync._obfuscated(user_id, 'email:' || user_id::text) AS provider_id_is_hash,
       email AS identity_email
  FROM auth.identities WHERE user_id = 'd0000000-0000-4000-8000-000000000003';
SELECT public.del_rows(3) AS user_3_soft_deleted;
-- the Auth server's sign-in lookup no longer finds the address, and it can sign up again
SELECT count(*) AS sign_in_lookup
  FROM auth.users
 WHERE instance_id = '00000000-0000-0000-0000-000000000000' AND lower(email) = 'del3@example.com'
   AND aud = 'authenticated' AND is_sso_user = false;
SELECT status FROM auth_sync.bulk_create_users(E'email\ndel3@example.com', source_name => 'del3 again');
SELECT email, user_id <> 'd0000000-0000-4000-8000-000000000003' AS new_user, status, removed
  FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com'], dry_run => true, soft => true);
SELECT status, removed FROM auth_sync.bulk_delete_users(ARRAY['del3@example.com']);

-- 3. bulk_delete_import removes what its batch created, not what it updated.
CREATE TEMP TABLE del_batch AS
SELECT * FROM auth_sync.bulk_create_users(E'email,first_name\nnew1@del.example,New\nnew2@del.example,Newer\ndel4@example.com,Updated',
                                          on_conflict => 'update', source_name => 'delete test');
SELECT email, status FROM del_batch ORDER BY line_number;
INSERT INTO public.del_notes (user_id, body) SELECT user_id, 'imported note' FROM del_batch WHERE status = 'created';
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch), dry_run => true);
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch));
SELECT email FROM auth.users WHERE email IN ('new1@del.example', 'new2@del.example', 'del4@example.com');
-- again: the users are gone
SELECT email, status, removed FROM auth_sync.bulk_delete_import((SELECT DISTINCT batch_id FROM del_batch));
SELECT * FROM auth_sync.bulk_delete_import('00000000-0000-4000-8000-00000000dead');

-- 4. A delete that does not go through auth_sync (the Auth API, SQL).
-- (as the Auth server's role)
SET ROLE supabase_auth_admin;
-- del_tasks' ON DELETE RESTRICT refuses it while the user has tasks...
DELETE FROM auth.users WHERE id = 'd0000000-0000-4000-8000-000000000004';
RESET ROLE;
-- ...without them (the app removed them), the trigger removes the rows of the tables whose key
-- does not cascade: one statement, two users
DELETE FROM public.del_comments WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
DELETE FROM public.del_tasks WHERE user_id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
SET ROLE supabase_auth_admin;
DELETE FROM auth.users WHERE id IN ('d0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000005');
RESET ROLE;
SELECT public.del_rows(4) AS user_4, public.del_rows(5) AS user_5;
SELECT action, arguments, result FROM auth_sync.admin_audit_log WHERE action = 'auth_users_deleted' ORDER BY id;

-- 5. Orphans: rows whose user is gone or soft-deleted; a profile row without a user.
INSERT INTO public.del_notes (user_id, body) VALUES
    ('d0000000-0000-4000-8000-00000000ffff', 'gone user'), ('d0000000-0000-4000-8000-00000000ffff', 'gone user'),
    ('d0000000-0000-4000-8000-000000000003', 'soft-deleted user'), (NULL, 'nobody''s note');
INSERT INTO public.del_profiles (user_id, nickname) VALUES (NULL, 'nobody'), ('d0000000-0000-4000-8000-00000000eeee', 'ghost');
SELECT * FROM auth_sync.find_orphans();
SELECT * FROM auth_sync.cleanup_orphans(dry_run => true);
SELECT * FROM auth_sync.cleanup_orphans();
SELECT count(*) AS orphans_left FROM auth_sync.find_orphans();
SELECT count(*) AS unassigned_notes_kept FROM public.del_notes WHERE user_id IS NULL;

-- 6. Duplicates: keep the oldest row of a user, remove the others.
INSERT INTO public.del_profiles (user_id, nickname, created_at) VALUES
    ('d0000000-0000-4000-8000-000000000006', 'older copy', now() - interval '1 day'),
    ('d0000000-0000-4000-8000-000000000006', 'newer copy', now() + interval '1 day'),
    ('d0000000-0000-4000-8000-000000000007', 'second', now() + interval '1 hour');
SELECT * FROM auth_sync.find_duplicate_profiles();
SELECT table_name, user_id, status, removed_row ->> 'nickname' AS nickname FROM auth_sync.fix_duplicates(dry_run => true);
SELECT table_name, user_id, status, removed_row ->> 'nickname' AS nickname FROM auth_sync.fix_duplicates();
SELECT user_id, nickname FROM public.del_profiles
 WHERE user_id IN ('d0000000-0000-4000-8000-000000000006', 'd0000000-0000-4000-8000-000000000007') ORDER BY 1;
SELECT count(*) AS duplicates_left FROM auth_sync.find_duplicate_profiles();

-- 7. full_sync: analyse, create missing profiles, clean orphans, fix duplicates in one call.
DELETE FROM public.user_profiles WHERE user_id = 'd0000000-0000-4000-8000-000000000008';
INSERT INTO public.del_notes (user_id, body) VALUES ('d0000000-0000-4000-8000-00000000ffff', 'orphan again');
INSERT INTO public.del_profiles (user_id, nickname) VALUES ('d0000000-0000-4000-8000-000000000008', 'dup');
SELECT * FROM auth_sync.full_sync(dry_run => true);
SELECT * FROM auth_sync.full_sync();
SELECT step, sum(affected) AS affected FROM auth_sync.full_sync(dry_run => true) GROUP BY 1 ORDER BY 1;
SELECT operation, dry_run, counts FROM auth_sync.sync_runs WHERE operation = 'full_sync' ORDER BY id;

-- 8. delete_my_account(): the caller only, through the API's roles.
SET ROLE anon;
SELECT auth_sync.delete_my_account();
RESET ROLE;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT auth_sync.delete_my_account();
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-00000000ffff", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account();
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000009", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
-- (no argument could name anyone else)
SELECT auth_sync.delete_my_account('d0000000-0000-4000-8000-000000000008');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000009", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT auth_sync.delete_my_account() AS removed;
COMMIT;
SELECT public.del_rows(9) AS user_9, public.del_rows(8) AS user_8;
SELECT db_user, session_role, claimed_sub, claimed_role, result FROM auth_sync.admin_audit_log WHERE action = 'delete_my_account';

-- 9. Owner policies: a signed-in user reaches only their rows. Running it again changes nothing.
SELECT * FROM auth_sync.enable_owner_policies('public.del_notes');
SELECT * FROM auth_sync.enable_owner_policies('public.del_notes');
SELECT relrowsecurity FROM pg_class WHERE oid = 'public.del_notes'::regclass;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.del_notes TO authenticated;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub": "d0000000-0000-4000-8000-000000000008", "role": "authenticated"}', true) IS NOT NULL AS claims_set;
SELECT DISTINCT user_id FROM public.del_notes;
UPDATE public.del_notes SET body = 'mine now' WHERE user_id = 'd0000000-0000-4000-8000-000000000007';
INSERT INTO public.del_notes (user_id, body) VALUES ('d0000000-0000-4000-8000-000000000007', 'forged');
ROLLBACK;
SELECT * FROM auth_sync.enable_owner_policies('public.companies');

-- 10. Grants: admin functions for service_role only; delete_my_account for authenticated only.
SELECT p.oid::regprocedure AS function,
       has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
       has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
       has_function_privilege('service_role', p.oid, 'EXECUTE') AS service_role
  FROM pg_proc p
 WHERE p.pronamespace = 'auth_sync'::regnamespace
   AND p.proname IN ('bulk_delete_users', 'bulk_delete_import', 'find_orphans', 'cleanup_orphans',
                     'find_duplicate_profiles', 'fix_duplicates', 'full_sync', 'delete_my_account',
                     'enable_owner_policies', 'cleanup_deleted_users')
 ORDER BY 1::text;
SELECT check_name, ok FROM auth_sync.verify_installation() WHERE NOT ok;

-- tidy up for the tests that follow
SELECT auth_sync.unregister_table(t) FROM unnest(ARRAY['public.del_comments', 'public.del_tasks', 'public.del_notes',
                                                      'public.del_profiles']::regclass[]) AS t;
DROP TABLE public.del_comments, public.del_tasks, public.del_notes, public.del_profiles;
DROP FUNCTION public.del_signup(int), public.del_rows(int);
