-- auth_sync migration pack, step 3: bulk_create_users as an RPC.
-- The Supabase API exposes functions of schema public; this thin wrapper lets a server call
--   POST /rest/v1/rpc/bulk_create_users  {"csv": "...", "on_conflict": "skip"}
-- with the service_role key. anon and authenticated cannot call it. Safe to apply again.

CREATE OR REPLACE FUNCTION public.bulk_create_users(
    csv                text,
    company            text    DEFAULT NULL,
    on_conflict        text    DEFAULT 'error',
    atomic             boolean DEFAULT true,
    dry_run            boolean DEFAULT false,
    generate_passwords boolean DEFAULT false,
    source_name        text    DEFAULT NULL)
RETURNS TABLE (line_number int, email text, user_id uuid, status text, error_code text,
               message text, temp_password text, batch_id uuid)
LANGUAGE sql VOLATILE SECURITY INVOKER
SET search_path = ''
AS $$
    SELECT * FROM auth_sync.bulk_create_users(csv, company, on_conflict, atomic, dry_run,
                                              generate_passwords, source_name)
$$;
COMMENT ON FUNCTION public.bulk_create_users(text, text, text, boolean, boolean, boolean, text) IS
    'RPC wrapper of auth_sync.bulk_create_users (service_role only).';

REVOKE ALL ON FUNCTION public.bulk_create_users(text, text, text, boolean, boolean, boolean, text)
    FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.bulk_create_users(text, text, text, boolean, boolean, boolean, text)
    TO service_role;
