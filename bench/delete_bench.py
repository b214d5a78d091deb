"""bulk_delete_users benchmark driver (run by bench/delete.sh against a throwaway cluster)."""

import threading
import time

import psycopg

import benchargs

p = benchargs.parser()
p.add_argument("--users", type=int, default=100_000)
p.add_argument("--client-users", type=int, default=20_000)
p.add_argument("--rows-per-table", type=int, default=3)
args = p.parse_args()

SOCK = benchargs.socket_dsn(args)

# Users as the Auth server writes them (with their identity and a session), their profiles (the
# auth_sync trigger), and rows in the two owned tables of the example app.
SETUP = """
SET client_min_messages = warning;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
       'user' || g || '@bench.example', '', now(), '{"provider": "email", "providers": ["email"]}',
       jsonb_build_object('full_name', 'User ' || g), now(), now(), '', '', '', ''
  FROM generate_series(%(first)s, %(last)s) g;
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now()
  FROM auth.users u WHERE u.email LIKE 'user%%@bench.example'
   AND NOT EXISTS (SELECT FROM auth.identities i WHERE i.user_id = u.id);
INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
SELECT gen_random_uuid(), u.id, now(), now()
  FROM auth.users u WHERE NOT EXISTS (SELECT FROM auth.sessions s WHERE s.user_id = u.id);
INSERT INTO public.tasks (user_id, title)
SELECT u.id, 'task ' || t FROM auth.users u, generate_series(1, %(rows)s) t
 WHERE NOT EXISTS (SELECT FROM public.tasks x WHERE x.user_id = u.id);
INSERT INTO public.daily_checkins (user_id, day, mood)
SELECT u.id, current_date - t, 3 FROM auth.users u, generate_series(1, %(rows)s) t
 WHERE NOT EXISTS (SELECT FROM public.daily_checkins x WHERE x.user_id = u.id);
"""

COUNTS = """
SELECT (SELECT count(*) FROM auth.users), (SELECT count(*) FROM auth.identities),
       (SELECT count(*) FROM public.user_profiles), (SELECT count(*) FROM public.tasks),
       (SELECT count(*) FROM public.daily_checkins)
"""


def client_delete(emails, threads=8):
    """The earlier tool: per user, find the id, delete the app rows, then the auth user."""
    lock = threading.Lock()
    it = iter(emails)
    errors = []

    def worker():
        with psycopg.connect(SOCK) as c:
            cur = c.cursor()
            while True:
                with lock:
                    email = next(it, None)
                if email is None:
                    return
                try:
                    with c.transaction():
                        row = cur.execute(
                            "SELECT id FROM auth.users WHERE instance_id = '00000000-0000-0000-0000-000000000000'"
                            " AND lower(email) = %s", (email,)).fetchone()
                        if row is None:
                            continue
                        cur.execute("DELETE FROM public.tasks WHERE user_id = %s", row)
                        cur.execute("DELETE FROM public.daily_checkins WHERE user_id = %s", row)
                        cur.execute("DELETE FROM public.user_profiles WHERE user_id = %s", row)
                        cur.execute("DELETE FROM auth.users WHERE id = %s", row)
                except Exception as e:  # the earlier tool printed errors and went on
                    errors.append(e)
                c.commit()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, len(errors)


with psycopg.connect(SOCK, autocommit=True) as conn:
    cur = conn.cursor()
    total = args.users + args.client_users
    print(f"setting up {total} users with {args.rows_per_table} rows each in tasks and daily_checkins ...", flush=True)
    cur.execute(SETUP % {"first": 1, "last": total, "rows": args.rows_per_table})
    cur.execute("VACUUM ANALYZE")
    cur.execute("CHECKPOINT")
    before = cur.execute(COUNTS).fetchone()
    print(f"  users {before[0]}, identities {before[1]}, profiles {before[2]}, tasks {before[3]}, checkins {before[4]}")

    # the client deletes the last client_users users; bulk_delete_users the first `users`
    client_emails = [f"user{g}@bench.example" for g in range(args.users + 1, total + 1)]
    bulk_emails = [f"user{g}@bench.example" for g in range(1, args.users + 1)]

    print(f"client: {len(client_emails)} users, one transaction each, 8 threads, local socket ...", flush=True)
    client_t, client_err = client_delete(client_emails)
    client_rate = len(client_emails) / client_t
    print(f"  {client_t:.2f} s, {client_rate:.0f} users/s, {client_err} errors")
    cur.execute("VACUUM ANALYZE")
    cur.execute("CHECKPOINT")

    print(f"bulk_delete_users: {len(bulk_emails)} users in one call ...", flush=True)
    t0 = time.perf_counter()
    with conn.transaction():
        rows = cur.execute(
            "SELECT status, count(*) FROM auth_sync.bulk_delete_users(%s) GROUP BY 1", (bulk_emails,)).fetchall()
    bulk_t = time.perf_counter() - t0
    print(f"  {bulk_t:.2f} s ({len(bulk_emails) / bulk_t:.0f} users/s), statuses {dict(rows)}")
    after = cur.execute(COUNTS).fetchone()
    print(f"  left: users {after[0]}, identities {after[1]}, profiles {after[2]}, tasks {after[3]}, checkins {after[4]}")

    client_equiv = len(bulk_emails) / client_rate
    print()
    print(f"deleting {len(bulk_emails)} users (+ {2 * args.rows_per_table} owned rows and a profile each):")
    print(f"  bulk_delete_users         {bulk_t:8.2f} s   target <= 10 s: {'met' if bulk_t <= 10 else 'NOT met'}")
    print(f"  8-thread client (at {client_rate:.0f} users/s) {client_equiv:8.2f} s")
    print(f"  speed-up                  {client_equiv / bulk_t:8.1f}x  target >= 5x: "
          f"{'met' if client_equiv / bulk_t >= 5 else 'NOT met'}")
