-- Row level security for registered tables: enable_owner_policies().

-- ---------------------------------------------------------------------------------------------
-- Row level security for a registered table
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION auth_sync.enable_owner_policies(target regclass)
RETURNS TABLE (policy_name text, command text, using_expression text, check_expression text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    m      record;
    v_own  text;
    v_cmd  text;
BEGIN
    SELECT * INTO m FROM auth_sync.managed_tables mt WHERE mt.target = enable_owner_policies.target;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not registered with auth_sync', coalesce(enable_owner_policies.target::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Register it first: SELECT auth_sync.register_table(...).';
    END IF;
    -- changing a table's security is its owner's: so must the caller be
    PERFORM auth_sync._require_table_rights(m.target, NULL);
    -- a Supabase user's id is auth.uid(); an outside provider's is the JWT's sub (text)
    v_own := format('%I = (SELECT %s)', m.user_column,
                    CASE WHEN m.source = 'supabase' THEN 'auth.uid()' ELSE 'auth.jwt() ->> ''sub''' END);
    PERFORM auth_sync._as_owner(m.target, format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', m.target), 0);
    FOREACH v_cmd IN ARRAY ARRAY['select', 'insert', 'update', 'delete'] LOOP
        IF EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = m.target AND p.polname = 'auth_sync_' || v_cmd || '_own') THEN
            PERFORM auth_sync._as_owner(m.target, format('DROP POLICY %I ON %s', 'auth_sync_' || v_cmd || '_own', m.target), 0);
        END IF;
        PERFORM auth_sync._as_owner(m.target, format('CREATE POLICY %I ON %s FOR %s TO authenticated %s',
                       'auth_sync_' || v_cmd || '_own', m.target, upper(v_cmd),
                       CASE v_cmd WHEN 'insert' THEN format('WITH CHECK (%s)', v_own)
                                  WHEN 'update' THEN format('USING (%s) WITH CHECK (%s)', v_own, v_own)
                                  ELSE format('USING (%s)', v_own) END), 0);
    END LOOP;
    PERFORM auth_sync._audit('enable_owner_policies', jsonb_build_object('target', m.target::text), '{}');
    RETURN QUERY
        SELECT p.polname::text,
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                             WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
          FROM pg_policy p
         WHERE p.polrelid = m.target AND p.polname LIKE 'auth\_sync\_%\_own'
         ORDER BY strpos('rawd', p.polcmd::text);
END
$$;
COMMENT ON FUNCTION auth_sync.enable_owner_policies(regclass) IS
    'Turns on row level security for a registered table with auth_sync_{select,insert,update,delete}_own policies: a signed-in user reaches only the rows whose user column is theirs. Safe to run again.';
