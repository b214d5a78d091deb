-- auth_sync migration pack, step 1: install the extension.
-- Needs schema auth (present on every Supabase database). Safe to apply again.
CREATE EXTENSION IF NOT EXISTS auth_sync;
