-- auth_sync.verify_installation(): one row per check. Later capabilities add their checks here.

CREATE FUNCTION auth_sync.verify_installation()
RETURNS TABLE (check_name text, ok boolean, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_installed text;
    v_library   text;
    v_missing   text[];
    v_bad       text[];
    v_vault     text;
    -- Functions that signed-in users may call through the API.
    c_client_functions constant text[] := ARRAY['delete_my_account'];
    -- Functions that are not part of the admin API: internal helpers (named _*) and the code
    -- generated from the registrations; nobody but the owner executes them.
    c_internal_prefixes constant text[] := ARRAY['\_%', 'generated\_%'];
BEGIN
    -- 1. the SQL objects and the loaded library are the same version
    SELECT e.extversion INTO v_installed FROM pg_extension e WHERE e.extname = 'auth_sync';
    v_library := auth_sync.version();
    check_name := 'extension_version';
    ok := v_installed IS NOT DISTINCT FROM v_library;
    detail := format('extension %s, library %s', v_installed, v_library);
    RETURN NEXT;

    -- 2. the Supabase Auth tables the extension works on
    SELECT array_agg(t ORDER BY t) INTO v_missing
      FROM unnest(ARRAY['auth.users', 'auth.identities']) AS t
     WHERE to_regclass(t) IS NULL;
    check_name := 'auth_tables';
    ok := v_missing IS NULL;
    detail := CASE WHEN ok THEN 'auth.users and auth.identities present'
                   ELSE 'missing: ' || array_to_string(v_missing, ', ') END;
    RETURN NEXT;

    -- 3. the auth.users columns the extension reads and writes
    SELECT array_agg(c ORDER BY c) INTO v_missing
      FROM unnest(ARRAY[
              'id', 'instance_id', 'aud', 'role', 'email', 'phone', 'encrypted_password',
              'email_confirmed_at', 'confirmation_token', 'recovery_token',
              'email_change_token_new', 'email_change', 'raw_app_meta_data',
              'raw_user_meta_data', 'created_at', 'updated_at', 'last_sign_in_at',
              'banned_until', 'deleted_at', 'is_sso_user', 'is_anonymous']) AS c
     WHERE to_regclass('auth.users') IS NULL
        OR NOT EXISTS (SELECT FROM pg_attribute a
                        WHERE a.attrelid = 'auth.users'::regclass
                          AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
    check_name := 'auth_users_columns';
    ok := v_missing IS NULL;
    detail := CASE WHEN ok THEN 'all required columns present'
                   ELSE 'missing columns: ' || array_to_string(v_missing, ', ') END;
    RETURN NEXT;

    -- 4. the Supabase roles the grants are made to
    SELECT array_agg(r ORDER BY r) INTO v_missing
      FROM unnest(ARRAY['anon', 'authenticated', 'service_role']) AS r
     WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r);
    check_name := 'supabase_roles';
    ok := v_missing IS NULL;
    detail := CASE WHEN ok THEN 'anon, authenticated, service_role present'
                   ELSE 'missing roles: ' || array_to_string(v_missing, ', ') END;
    RETURN NEXT;

    -- 5. no function of the extension is executable by PUBLIC (but _flag(), which the triggers'
    --    WHEN clauses call as whoever writes the table: see sql/install/finalize.sql)
    SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) INTO v_bad
      FROM pg_proc p
     WHERE p.pronamespace = 'auth_sync'::regnamespace
       AND p.oid <> 'auth_sync._flag(text)'::regprocedure
       AND has_function_privilege('public', p.oid, 'EXECUTE');
    check_name := 'no_public_execute';
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN 'no auth_sync function is executable by PUBLIC'
                   ELSE 'executable by PUBLIC: ' || array_to_string(v_bad, ', ') END;
    RETURN NEXT;

    -- 6. anon and authenticated reach only the functions meant for clients
    SELECT array_agg(format('%s by %s', p.oid::regprocedure, r.rolname)
                     ORDER BY p.oid::regprocedure::text, r.rolname) INTO v_bad
      FROM pg_proc p
      CROSS JOIN pg_roles r
     WHERE p.pronamespace = 'auth_sync'::regnamespace
       AND r.rolname IN ('anon', 'authenticated')
       AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
       AND NOT (r.rolname = 'authenticated' AND p.proname = ANY (c_client_functions))
       AND p.oid <> 'auth_sync._flag(text)'::regprocedure;
    check_name := 'client_roles_execute';
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN 'anon and authenticated can execute only client functions'
                   ELSE 'unexpected grants: ' || array_to_string(v_bad, ', ') END;
    RETURN NEXT;

    -- 7. service_role can run every admin function
    SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) INTO v_bad
      FROM pg_proc p
     WHERE p.pronamespace = 'auth_sync'::regnamespace
       AND p.prorettype <> 'trigger'::regtype
       AND NOT (p.proname LIKE ANY (c_internal_prefixes))
       AND NOT (p.proname = ANY (c_client_functions))
       AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role')
       AND NOT has_function_privilege('service_role', p.oid, 'EXECUTE');
    check_name := 'service_role_execute';
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN 'service_role can execute every admin function'
                   ELSE 'not executable by service_role: ' || array_to_string(v_bad, ', ') END;
    RETURN NEXT;

    -- 8. every SECURITY DEFINER function pins its search_path
    SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) INTO v_bad
      FROM pg_proc p
     WHERE p.pronamespace = 'auth_sync'::regnamespace
       AND p.prosecdef
       AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS cfg WHERE cfg LIKE 'search_path=%');
    check_name := 'security_definer_search_path';
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN 'every SECURITY DEFINER function pins search_path'
                   ELSE 'no pinned search_path: ' || array_to_string(v_bad, ', ') END;
    RETURN NEXT;

    -- 8b. no SECURITY DEFINER function runs as a superuser: each belongs to auth_sync_definer,
    --     which is not one, cannot log in and has no members (a member could act as it)
    SELECT array_agg(format('%s (owner %s)', p.oid::regprocedure, r.rolname) ORDER BY p.oid::regprocedure::text)
      INTO v_bad
      FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
     WHERE p.pronamespace = 'auth_sync'::regnamespace
       AND p.prosecdef
       AND (r.rolname <> 'auth_sync_definer' OR r.rolsuper OR r.rolcanlogin
            OR EXISTS (SELECT FROM pg_auth_members am WHERE am.roleid = r.oid));
    check_name := 'definer_not_superuser';
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN 'SECURITY DEFINER functions run as auth_sync_definer (not a superuser, NOLOGIN, no members)'
                   ELSE 'unsafe owner: ' || array_to_string(v_bad, ', ') END;
    RETURN NEXT;

    -- 9. the triggers on auth.users are installed
    check_name := 'triggers_installed';
    SELECT array_agg(t ORDER BY t) INTO v_missing
      FROM unnest(ARRAY['auth_sync_create_profile', 'auth_sync_refresh_profile',
                          'auth_sync_cleanup_deleted']
                   -- linking new auth users to employees, when an employee table is registered
                   -- (sign-ins refresh profiles only while a map names last_sign_in_at)
                   || CASE WHEN 'last_sign_in_at' = ANY (auth_sync._update_dependencies())
                           THEN ARRAY['auth_sync_refresh_sign_in'] ELSE '{}'::text[] END
                   || CASE WHEN EXISTS (SELECT FROM auth_sync.linked_tables)
                           THEN ARRAY['auth_sync_link_confirmed', 'auth_sync_link_employees'] ELSE '{}'::text[] END) AS t
     WHERE to_regclass('auth.users') IS NULL
        OR NOT EXISTS (SELECT FROM pg_trigger tg
                        WHERE tg.tgrelid = 'auth.users'::regclass AND tg.tgname = t AND tg.tgenabled <> 'D');
    ok := v_missing IS NULL;
    detail := CASE WHEN ok THEN 'profile and delete triggers on auth.users installed and enabled'
                   ELSE 'missing or disabled: ' || array_to_string(v_missing, ', ')
                        || ' (run SELECT * FROM auth_sync.install_triggers())' END;
    RETURN NEXT;

    -- 10. every registered table still exists and its column map still fits it
    check_name := 'registered_tables';
    SELECT array_agg(m.target::text || ': ' || coalesce(auth_sync._registration_problem(m.target), 'ok')
                     ORDER BY m.target::text) FILTER (WHERE auth_sync._registration_problem(m.target) IS NOT NULL)
      INTO v_bad
      FROM auth_sync.managed_tables m;
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN format('%s registered table(s) valid', (SELECT count(*) FROM auth_sync.managed_tables))
                   ELSE array_to_string(v_bad, '; ') END;
    RETURN NEXT;

    -- 11. the registered employee table still exists, with its columns and triggers
    check_name := 'linked_tables';
    SELECT array_agg(l.target::text || ': ' || auth_sync._linked_table_problem(l) ORDER BY l.target::text)
           FILTER (WHERE auth_sync._linked_table_problem(l) IS NOT NULL)
      INTO v_bad
      FROM auth_sync.linked_tables l;
    ok := v_bad IS NULL;
    detail := CASE WHEN ok THEN format('%s employee table(s) linked', (SELECT count(*) FROM auth_sync.linked_tables))
                   ELSE array_to_string(v_bad, '; ') END;
    RETURN NEXT;

    -- 12. where webhook secrets are kept: Supabase Vault, when schema vault is the extension
    --     supabase_vault's; else auth_sync.webhook_secrets. A schema vault that is not Vault is
    --     never used, and is reported (not ok): someone made it, and a secret stored there before
    --     is no longer read.
    check_name := 'webhook_secret_store';
    v_vault := auth_sync._vault_problem();
    ok := v_vault IS NULL OR to_regnamespace('vault') IS NULL;
    detail := CASE WHEN v_vault IS NULL THEN 'Supabase Vault (extension supabase_vault)'
                   WHEN ok THEN 'table auth_sync.webhook_secrets (no Supabase Vault)'
                   ELSE 'table auth_sync.webhook_secrets; ' || v_vault || ': it is not used' END;
    RETURN NEXT;
END
$function$;

-- What is wrong with a registration now (the table was dropped, a mapped column dropped or
-- retyped...), or NULL.
CREATE FUNCTION auth_sync._registration_problem(p_target regclass) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    m record;
BEGIN
    SELECT * INTO m FROM auth_sync.managed_tables mt WHERE mt.target = p_target;
    IF NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = p_target::oid) THEN
        RETURN 'table no longer exists (auth_sync.unregister_table it)';
    END IF;
    PERFORM auth_sync._map_columns(m.target, m.user_column, m.column_map, 'r', 'f');
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = p_target AND a.attname = m.user_column
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RETURN format('user column "%s" no longer exists', m.user_column);
    END IF;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END
$function$;

COMMENT ON FUNCTION auth_sync.verify_installation() IS
    'One row per installation check (check_name, ok, detail); every ok should be true.';
