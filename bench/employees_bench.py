"""Employee link benchmark driver (run by bench/employees.sh against a throwaway cluster)."""

import statistics
import time

import psycopg

import benchargs
from psycopg.types.string import TextLoader

p = benchargs.parser()
p.add_argument("--employees", type=int, default=100_000)
p.add_argument("--runs", type=int, default=3)
args = p.parse_args()

SOCK = benchargs.socket_dsn(args)
N = args.employees
DELETED = N // 10
UNLINKED = N // 10

# Auth users as the Auth server writes them (with their identity and a session; their profiles come
# from the auth_sync trigger), 20,000 more users that are nobody's employee, and the employees
# HR adds afterwards (unlinked; emails in HR's own case; every 20th inactive).
SETUP = """
SET client_min_messages = warning;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
       'emp' || g || '@bench.example', '', now(), '{"provider": "email", "providers": ["email"]}',
       jsonb_build_object('full_name', 'Employee ' || g), now(), now(), '', '', '', ''
  FROM generate_series(1, %(users)s) g;
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', now(), now()
  FROM auth.users u;
INSERT INTO auth.sessions (id, user_id, created_at, updated_at)
SELECT gen_random_uuid(), u.id, now(), now() FROM auth.users u;
INSERT INTO public.employees (email, first_name, last_name, employee_number, is_active)
SELECT 'Emp' || g || '@Bench.example', 'First' || g, 'Last' || g, 'E' || lpad(g::text, 7, '0'), g %% 20 <> 0
  FROM generate_series(1, %(n)s) g;
"""


def timed(cur, sql, params=None, runs=1):
    times = []
    rows = None
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = cur.execute(sql, params).fetchall()
        times.append(time.perf_counter() - t0)
    return times, rows


def verdict(t, target):
    return "met" if t <= target else "NOT met"


with psycopg.connect(SOCK, autocommit=True) as conn:
    # (banned_until 'infinity' is beyond Python's datetime: timestamps come back as text)
    conn.adapters.register_loader("timestamptz", TextLoader)
    cur = conn.cursor()
    print(f"setting up {N + 20_000} auth users and {N} unlinked employees ({N // 20} inactive) ...", flush=True)
    cur.execute(SETUP % {"users": N + 20_000, "n": N})
    cur.execute("VACUUM ANALYZE")
    cur.execute("CHECKPOINT")

    # (this VM's disk makes single runs vary by 30%: the link runs --runs times from the same state)
    link_times = []
    floor_times = []
    for run in range(args.runs):
        if run > 0:
            cur.execute("SET client_min_messages = warning")
            cur.execute("SET auth_sync.linking = on")
            cur.execute("UPDATE public.employees SET auth_user_id = NULL")
            cur.execute("RESET auth_sync.linking")
            cur.execute("UPDATE auth.users SET banned_until = NULL WHERE banned_until IS NOT NULL")
            cur.execute("DELETE FROM auth_sync.employee_bans")
            cur.execute("DELETE FROM auth_sync.integration_sync_log")
            cur.execute("VACUUM FULL public.employees")
            cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
        # the floor: the same links as one plain UPDATE (no checks, bans, log), rolled back
        t0 = time.perf_counter()
        with conn.transaction(force_rollback=True):
            cur.execute("SET LOCAL auth_sync.linking = on")
            cur.execute("""UPDATE public.employees t SET auth_user_id = u.id FROM auth.users u
                            WHERE u.instance_id = '00000000-0000-0000-0000-000000000000'
                              AND lower(u.email::text) = lower(t.email) AND t.auth_user_id IS NULL""")
        floor_times.append(time.perf_counter() - t0)
        cur.execute("VACUUM FULL public.employees")
        cur.execute("VACUUM ANALYZE")
        cur.execute("CHECKPOINT")
        print(f"  floor (one plain UPDATE, rolled back): {floor_times[-1]:.2f} s")
        print(f"link_employees(): linking {N} employees in one call (run {run + 1}) ...", flush=True)
        t0 = time.perf_counter()
        with conn.transaction():
            rows = cur.execute("SELECT status, count(*) FROM auth_sync.link_employees() GROUP BY 1 ORDER BY 1").fetchall()
        link_times.append(time.perf_counter() - t0)
        banned = cur.execute("SELECT count(*) FROM auth.users WHERE banned_until = 'infinity'").fetchone()[0]
        logged = cur.execute("SELECT action, count(*) FROM auth_sync.integration_sync_log GROUP BY 1 ORDER BY 1").fetchall()
        print(f"  {link_times[-1]:.2f} s, statuses {dict(rows)}, banned {banned}, log {dict(logged)}")

    print(f"deleting {DELETED} linked auth users (logged through the trigger) and adding {UNLINKED} employees without accounts ...",
          flush=True)
    t0 = time.perf_counter()
    cur.execute("DELETE FROM auth.users WHERE email IN (SELECT 'emp' || g || '@bench.example' FROM generate_series(1, %s) g)",
                (DELETED,))
    del_t = time.perf_counter() - t0
    cur.execute("""INSERT INTO public.employees (email, employee_number)
                   SELECT 'new' || g || '@bench.example', 'N' || lpad(g::text, 7, '0') FROM generate_series(1, %s) g""",
                (UNLINKED,))
    cur.execute("VACUUM ANALYZE")
    print(f"  the delete took {del_t:.2f} s")
    total = cur.execute("SELECT count(*) FROM public.employees").fetchone()[0]

    print(f"auth_sync_monitor over {total} employees, all rows to the client, {args.runs} runs ...", flush=True)
    mon_times, mon_rows = timed(cur, "SELECT * FROM auth_sync.auth_sync_monitor", runs=args.runs)
    statuses = cur.execute("SELECT sync_status, count(*) FROM auth_sync.auth_sync_monitor GROUP BY 1 ORDER BY 1").fetchall()
    print(f"  {', '.join(f'{t:.3f}' for t in mon_times)} s; {len(mon_rows)} rows, {dict(statuses)}")
    prob_times, prob_rows = timed(cur, "SELECT * FROM auth_sync.auth_sync_monitor WHERE sync_status <> 'OK'", runs=args.runs)
    print(f"  the problems only (sync_status <> 'OK'): {', '.join(f'{t:.3f}' for t in prob_times)} s; {len(prob_rows)} rows")

    print(f"find_employees_without_auth() over {total} employees, {args.runs} runs ...", flush=True)
    find_times, find_rows = timed(cur, "SELECT * FROM auth_sync.find_employees_without_auth()", runs=args.runs)
    reasons = {}
    for r in find_rows:
        reasons[r[3]] = reasons.get(r[3], 0) + 1
    print(f"  {', '.join(f'{t:.3f}' for t in find_times)} s; {len(find_rows)} rows, {reasons}")

    sum_times, sum_rows = timed(cur, "SELECT total_employees, employees_linked, employees_without_auth, inactive_with_auth "
                                     "FROM auth_sync.get_auth_sync_summary()", runs=args.runs)
    print(f"get_auth_sync_summary(): {', '.join(f'{t:.3f}' for t in sum_times)} s; {sum_rows[0]}")

    print()
    print(f"employees: {N} linked, then {total} in the views:")
    lm = statistics.median(link_times)
    print(f"  link_employees() (median)        {lm:8.2f} s   target <= 5 s: {verdict(lm, 5)}  (best {min(link_times):.2f} s)")
    fm = statistics.median(floor_times)
    print(f"  the floor, one plain UPDATE      {fm:8.2f} s   link_employees / floor: {lm / fm:.2f}")
    m = statistics.median(mon_times)
    print(f"  auth_sync_monitor (median)       {m:8.3f} s   target <= 1 s: {verdict(m, 1)}  (best {min(mon_times):.3f} s)")
    f = statistics.median(find_times)
    print(f"  find_employees_without_auth()    {f:8.3f} s   target <= 1 s: {verdict(f, 1)}  (best {min(find_times):.3f} s)")
