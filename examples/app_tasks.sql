-- Example app (not part of the migration pack): two tables of rows a user owns, registered with
-- auth_sync as 'owned' so that deleting a user removes them, with own-row policies.
--   public.tasks           foreign key to auth.users ON DELETE CASCADE
--   public.daily_checkins  no foreign key (say, a table filled by an analytics job): the delete
--                          trigger and bulk_delete_users remove its rows all the same
-- Safe to apply again.

CREATE TABLE IF NOT EXISTS public.tasks (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    title      text        NOT NULL,
    done       boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tasks_user_id_idx ON public.tasks (user_id);

CREATE TABLE IF NOT EXISTS public.daily_checkins (
    user_id    uuid        NOT NULL,
    day        date        NOT NULL DEFAULT current_date,
    mood       smallint    CHECK (mood BETWEEN 1 AND 5),
    note       text,
    PRIMARY KEY (user_id, day)
);

SELECT table_name, kind FROM auth_sync.register_table('public.tasks', 'user_id', 'owned');
SELECT table_name, kind FROM auth_sync.register_table('public.daily_checkins', 'user_id', 'owned');

-- a signed-in user reaches only their own tasks and check-ins
SELECT count(*) AS task_policies FROM auth_sync.enable_owner_policies('public.tasks');
SELECT count(*) AS checkin_policies FROM auth_sync.enable_owner_policies('public.daily_checkins');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.tasks, public.daily_checkins TO authenticated;
GRANT ALL ON public.tasks, public.daily_checkins TO service_role;
