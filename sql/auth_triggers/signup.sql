-- The sign-up trigger: auth_sync.create_user_profile() (native, src/signup.rs) and the program it
-- runs, generated from the registrations.

-- The statements that create a user's row in one registered profile table, each taking the user
-- as $1 (an auth_sync.user_source value: the columns a map can read, never the password hash or a
-- token). They are auth_sync's own static SQL, run through the owner-switching path of
-- src/privilege.rs with the privileges of the table's owner; format() quotes every name in them.
-- With a unique index on the user column, one INSERT ... ON CONFLICT DO NOTHING; without one, the
-- insert serialises with sync_profiles and create_profile (the table lock first, as they take it).
CREATE FUNCTION auth_sync._insert_statements(p_target regclass, p_user_column name, p_column_map jsonb,
                                             p_user_unique boolean)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c      record;
    v_uc   text := quote_ident(p_user_column);
    v_cols text := quote_ident(p_user_column);
    v_vals text := '($1).id';
BEGIN
    FOR c IN SELECT * FROM auth_sync._map_columns(p_target, p_user_column, p_column_map, '($1)', '($1).f') LOOP
        v_cols := v_cols || ', ' || quote_ident(c.column_name);
        v_vals := v_vals || ', ' || c.expr_sql;
    END LOOP;
    IF p_user_unique THEN
        RETURN ARRAY[format('INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING',
                            p_target, v_cols, v_vals, v_uc)];
    END IF;
    RETURN ARRAY[format('LOCK TABLE %s IN ROW EXCLUSIVE MODE', p_target),
                 format('SELECT pg_catalog.pg_advisory_xact_lock(%s, pg_catalog.hashtext(($1).id::text))',
                        p_target::oid::int),
                 format('INSERT INTO %1$s (%2$s) SELECT %3$s WHERE NOT EXISTS (SELECT FROM %1$s AS t WHERE t.%4$s = ($1).id) ON CONFLICT DO NOTHING',
                        p_target, v_cols, v_vals, v_uc)];
END
$$;

-- What the sign-up trigger (auth_sync.create_user_profile(), src/signup.rs) runs for a new user:
-- for each registered supabase profile table, in OID order, the table and its statements. The
-- trigger loads this once per backend and again after any function is created or replaced
-- (_regenerate replaces the generated functions whenever a registration changes).
CREATE FUNCTION auth_sync._signup_program()
RETURNS TABLE (target oid, statements text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.target::oid, auth_sync._insert_statements(m.target, m.user_column, m.column_map, m.user_unique)
      FROM auth_sync.managed_tables m
      JOIN pg_class pc ON pc.oid = m.target::oid
     WHERE m.kind = 'profile' AND m.source = 'supabase' AND pc.relkind IN ('r', 'p')
     ORDER BY m.target::oid
$$;

-- ---------------------------------------------------------------------------------------------
-- Trigger functions on auth.users. The Auth server inserts as supabase_auth_admin, which has no
-- rights on application tables: each profile row is written with the privileges of its table's
-- owner.
-- ---------------------------------------------------------------------------------------------
-- The sign-up trigger is native (src/signup.rs): it runs _signup_program()'s statements as each
-- table's owner, each table in a subtransaction of its own, journals a failure in sync_failures
-- as auth_sync_definer, and pins its own search_path. Not SECURITY DEFINER: nothing in it runs
-- as auth_sync's role except the journal and the loading of the program.
CREATE FUNCTION auth_sync.create_user_profile() RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'auth_sync_create_user_profile';
COMMENT ON FUNCTION auth_sync.create_user_profile() IS
    'AFTER INSERT on auth.users: creates the row of every registered profile table (never blocks the sign-up unless auth_sync.strict_triggers is on).';
