-- Given (after profiles.sql): public.prefs, a profile table filled from meta:<key> fields, as
-- profile_meta_keys_fill_typed_columns registers it, and its three users ...11 to ...13.
\o /dev/null
CREATE TABLE public.prefs (
    user_id    uuid UNIQUE,
    theme      text,
    age        int,
    newsletter boolean,
    extra      jsonb,
    confirmed  boolean,
    joined     timestamptz,
    nick       varchar(4)
);
SELECT table_name, column_map FROM auth_sync.register_table('public.prefs', 'user_id', column_map =>
    '{"theme": "meta:theme", "age": "meta:age", "newsletter": "meta:newsletter", "extra": "meta:extra",
      "confirmed": "email_confirmed", "joined": "created_at", "nick": "display_name"}');
SELECT public.signup('a0000000-0000-4000-8000-000000000011', 'typed@example.com',
    '{"theme": "dark", "age": 41, "newsletter": true, "extra": {"a": [1, 2]}, "full_name": "Typed Person"}', '{}');
SELECT public.signup('a0000000-0000-4000-8000-000000000012', 'wrong@example.com',
    '{"theme": 1, "age": "41", "newsletter": "yes", "extra": "text is json too"}', '{}');
SELECT public.signup('a0000000-0000-4000-8000-000000000013', 'huge@example.com',
    '{"age": 99999999999, "theme": null}', '{}');
\o
