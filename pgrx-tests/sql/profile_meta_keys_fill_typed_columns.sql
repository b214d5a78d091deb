-- meta:<key> fills typed columns; a value of the wrong JSON type yields NULL (and no failure).
\set SHOW_CONTEXT never
\set ECHO none
\i setup/profiles.sql
\i setup/profile_users.sql
\set ECHO all
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
SELECT user_id, theme, age, newsletter, extra, confirmed, joined IS NOT NULL AS joined_set, nick
  FROM public.prefs WHERE user_id IN ('a0000000-0000-4000-8000-000000000011',
                                      'a0000000-0000-4000-8000-000000000012',
                                      'a0000000-0000-4000-8000-000000000013')
 ORDER BY user_id;
SELECT count(*) AS failures_after_typed_signups FROM auth_sync.sync_failures;
