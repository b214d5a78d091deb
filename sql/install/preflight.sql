-- auth_sync works on the auth schema that Supabase Auth (GoTrue) creates; it never creates or
-- alters auth.users itself. Refuse to install, with a message that says what to do, when it is
-- missing.
DO $preflight$
BEGIN
    IF pg_catalog.to_regnamespace('auth') IS NULL THEN
        RAISE EXCEPTION 'auth_sync requires schema "auth" (the Supabase Auth schema), and this database has none'
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Install auth_sync on a Supabase database, or create the auth schema first by running the Supabase Auth server''s migrations.';
    END IF;
    IF pg_catalog.to_regclass('auth.users') IS NULL THEN
        RAISE EXCEPTION 'auth_sync requires table auth.users, and schema "auth" has none'
            USING ERRCODE = 'undefined_table',
                  HINT = 'Run the Supabase Auth server''s migrations (they create auth.users) before CREATE EXTENSION auth_sync.';
    END IF;
END
$preflight$;
