-- auth_sync migration pack, step 2: companies and user_profiles, managed by auth_sync.
-- Every signed-up user gets a user_profiles row (the auth_sync triggers on auth.users); the
-- mapped columns follow the auth user, the others (role, is_active, ...) belong to the app.
-- Safe to apply again.

CREATE TABLE IF NOT EXISTS public.companies (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT companies_name_key UNIQUE (name)
);
-- company names are matched case-insensitively (bulk_create_users resolves them by name)
CREATE UNIQUE INDEX IF NOT EXISTS companies_name_lower_key ON public.companies (lower(name));

CREATE TABLE IF NOT EXISTS public.user_profiles (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid        NOT NULL UNIQUE REFERENCES auth.users (id) ON DELETE CASCADE,
    role                varchar(50) NOT NULL DEFAULT 'user',
    is_active           boolean     NOT NULL DEFAULT true,
    last_login          timestamptz,
    deactivated_at      timestamptz,
    deactivated_by      uuid,
    deactivation_reason text,
    sso_provider        text,
    sso_user_id         text,
    email               text,
    full_name           text,
    avatar_url          text,
    company_id          uuid        REFERENCES public.companies (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS user_profiles_company_id_idx ON public.user_profiles (company_id);

CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS user_profiles_set_updated_at ON public.user_profiles;
CREATE TRIGGER user_profiles_set_updated_at BEFORE UPDATE ON public.user_profiles
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- Row level security: a signed-in user reads and updates only their own profile, and only the
-- columns that are theirs to change (never role or is_active).
ALTER TABLE public.user_profiles ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS user_profiles_select_own ON public.user_profiles;
CREATE POLICY user_profiles_select_own ON public.user_profiles
    FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
DROP POLICY IF EXISTS user_profiles_update_own ON public.user_profiles;
CREATE POLICY user_profiles_update_own ON public.user_profiles
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
-- (revoke, then grant in a fixed order: applying the pack again leaves the same ACL)
REVOKE ALL ON public.user_profiles FROM anon, authenticated, service_role;
REVOKE UPDATE (full_name, avatar_url) ON public.user_profiles FROM authenticated;
GRANT ALL ON public.user_profiles TO service_role;
GRANT SELECT ON public.user_profiles TO authenticated;
GRANT UPDATE (full_name, avatar_url) ON public.user_profiles TO authenticated;

ALTER TABLE public.companies ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS companies_select_own ON public.companies;
CREATE POLICY companies_select_own ON public.companies
    FOR SELECT TO authenticated
    USING (id IN (SELECT p.company_id FROM public.user_profiles p WHERE p.user_id = (SELECT auth.uid())));
REVOKE ALL ON public.companies FROM anon, authenticated, service_role;
GRANT ALL ON public.companies TO service_role;
GRANT SELECT ON public.companies TO authenticated;

SELECT table_name, kind, user_column
  FROM auth_sync.register_table(
         target      => 'public.user_profiles',
         user_column => 'user_id',
         kind        => 'profile',
         column_map  => '{"email": "email", "full_name": "display_name", "avatar_url": "avatar_url",
                          "sso_provider": "provider", "sso_user_id": "provider_user_id"}');
