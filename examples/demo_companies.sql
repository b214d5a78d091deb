-- Demo: the company the example users belong to (bulk_create_users resolves names case-insensitively).
INSERT INTO public.companies (name) VALUES ('ACME Corp') ON CONFLICT DO NOTHING;
ALTER TABLE public.user_profiles ADD COLUMN IF NOT EXISTS department text;
