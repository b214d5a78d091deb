-- auth_sync.extract_user_fields(): the derived fields of an auth user as text[] (display_name,
-- first_name, last_name, avatar_url, provider, provider_user_id). Never fails: metadata that is
-- missing, NULL or of the wrong JSON type yields NULL for that field. Implemented in Rust
-- (src/fields.rs) on the binary jsonb.
CREATE FUNCTION auth_sync.extract_user_fields(user_meta jsonb, app_meta jsonb, email text)
RETURNS text[]
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'auth_sync_extract_user_fields';
COMMENT ON FUNCTION auth_sync.extract_user_fields(jsonb, jsonb, text) IS
    'The derived fields of an auth user: display_name, first_name, last_name, avatar_url, provider, provider_user_id.';
