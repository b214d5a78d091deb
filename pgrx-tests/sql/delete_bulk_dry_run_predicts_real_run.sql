-- bulk_delete_users with a mixed list: existing (any case, padded), missing, invalid, NULL,
-- repeated. The dry run writes nothing and predicts the real run exactly; nothing of a deleted
-- user is left anywhere, the others are untouched; audited. An empty or NULL list deletes
-- nothing.
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/delete.sql
\set ECHO all
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
