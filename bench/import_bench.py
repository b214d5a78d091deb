"""bulk_create_users benchmark driver (run by bench/import.sh against a throwaway cluster)."""

import multiprocessing
import os
import socket
import statistics
import threading
import time

import psycopg

import benchargs

p = benchargs.parser()
p.add_argument("--users", type=int, default=100_000)
p.add_argument("--client-users", type=int, default=20_000)
p.add_argument("--proxy-users", type=int, default=4_000)
p.add_argument("--only-a", action="store_true", help="only the floor vs bulk_create_users comparison")
p.add_argument("--only-b", action="store_true", help="only the plaintext hashing comparison")
args = p.parse_args()

SOCK = benchargs.socket_dsn(args)


def connect(dsn=SOCK):
    return psycopg.connect(dsn, autocommit=True)


def reset(cur):
    cur.execute("SET client_min_messages = warning")
    cur.execute("TRUNCATE auth.users CASCADE")
    cur.execute("TRUNCATE auth_sync.import_rows, auth_sync.import_batches")
    cur.execute("CHECKPOINT")


SETUP = """
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
-- the users to create, with pre-hashed (bcrypt cost 10) passwords: one hash computed once and
-- shared, since (a) measures the writing, not the hashing
CREATE TABLE bench.staging AS
WITH h AS MATERIALIZED (SELECT crypt('password-shared', gen_salt('bf', 10)) AS hash)
SELECT g AS n, gen_random_uuid() AS id, 'user' || g || '@bench.example' AS email, h.hash,
       'First' || g AS first_name, 'Last' || g AS last_name
  FROM generate_series(1, %(n)s) g, h;
-- what one call of the earlier tool's per-user create did (the Auth admin API's writes)
CREATE FUNCTION bench.create_user(p_email text, p_hash text, p_first text, p_last text)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE v_id uuid := gen_random_uuid();
BEGIN
    INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                            confirmation_token, recovery_token, email_change_token_new, email_change)
    VALUES ('00000000-0000-0000-0000-000000000000', v_id, 'authenticated', 'authenticated', p_email, p_hash, now(),
            '{"provider": "email", "providers": ["email"]}',
            jsonb_build_object('first_name', p_first, 'last_name', p_last), now(), now(), '', '', '', '');
    INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
    VALUES (v_id::text, v_id, jsonb_build_object('sub', v_id::text, 'email', p_email, 'email_verified', true,
                                                  'phone_verified', false), 'email', now(), now());
    RETURN v_id;
END $$;
"""

FLOOR = """
BEGIN;
ALTER TABLE auth.users DISABLE TRIGGER USER;
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change,
                        is_sso_user, is_anonymous)
SELECT '00000000-0000-0000-0000-000000000000', s.id, 'authenticated', 'authenticated', s.email, s.hash, now(),
       '{"provider": "email", "providers": ["email"]}',
       jsonb_build_object('first_name', s.first_name, 'last_name', s.last_name), now(), now(), '', '', '', '',
       false, false
  FROM bench.staging s;
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
SELECT s.id::text, s.id, jsonb_build_object('sub', s.id::text, 'email', s.email, 'email_verified', true,
                                            'phone_verified', false), 'email', now(), now()
  FROM bench.staging s;
INSERT INTO public.user_profiles (user_id, email, full_name, sso_provider)
SELECT s.id, s.email, s.first_name || ' ' || s.last_name, 'email' FROM bench.staging s;
ALTER TABLE auth.users ENABLE TRIGGER USER;
COMMIT;
"""

# the same, each table's rows inserted in id order (for reference: bulk_create_users writes in id
# order, which puts the rows into the tables' uuid indexes in key order)
FLOOR_SORTED = FLOOR.replace("FROM bench.staging s;", "FROM bench.staging s ORDER BY s.id;")
assert FLOOR_SORTED.count("ORDER BY s.id") == 3


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def rss_anon_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_anon_kb(self.pid))
            time.sleep(0.02)


def _delay_proxy_main(upstream_port, half, port_out):
    """The proxy process: an asyncio delay line on 127.0.0.1. Every chunk read from one side is
    written to the other half a round trip after it arrived; chunks are not held back by each
    other, so the link adds latency but does not limit throughput (the 10 MB CSV of the bulk
    call crosses it in its own time plus 5 ms, as on a real link with ample bandwidth)."""
    import asyncio

    async def pipe(reader, writer):
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()

        async def pump_in():
            while True:
                data = await reader.read(65536)
                await queue.put((loop.time() + half, data))
                if not data:
                    return

        async def pump_out():
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        try:
            await asyncio.gather(pump_in(), pump_out())
        except (ConnectionError, OSError):
            writer.close()

    async def serve(c_reader, c_writer):
        u_reader, u_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        for w in (c_writer, u_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(c_reader, u_writer), pipe(u_reader, c_writer), return_exceptions=True)

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port_out.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_delay_proxy(upstream_port, rtt_s):
    """Starts the delaying proxy in its own process (so that it never competes with the client's
    threads for Python's interpreter lock) and returns its port."""
    receive, send = multiprocessing.Pipe(duplex=False)
    proc = multiprocessing.Process(target=_delay_proxy_main, args=(upstream_port, rtt_s / 2, send), daemon=True)
    proc.start()
    return receive.recv()


def client_run(dsn, rows, threads=8):
    """The earlier tool: threads pull users off a shared list and create them one call each."""
    lock = threading.Lock()
    it = iter(rows)
    errors = []

    def worker():
        with psycopg.connect(dsn, autocommit=True) as c:
            cur = c.cursor()
            while True:
                with lock:
                    row = next(it, None)
                if row is None:
                    return
                try:
                    cur.execute("SELECT bench.create_user(%s, %s, %s, %s)", row)
                except Exception as e:  # the earlier tool printed errors and went on
                    errors.append(e)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, len(errors)


with connect() as conn:
    cur = conn.cursor()
    print(f"setting up {args.users} staging users ...", flush=True)
    cur.execute(SETUP % {"n": args.users})
    cur.execute("ANALYZE bench.staging")
    cur.execute(
        "SELECT 'email,password_hash,first_name,last_name' || E'\\n' || "
        "string_agg(format('%s,%s,%s,%s', email, hash, first_name, last_name), E'\\n' ORDER BY n) FROM bench.staging"
    )
    csv = cur.fetchone()[0]
    rows = cur.execute("SELECT email, hash, first_name, last_name FROM bench.staging ORDER BY n").fetchall()

    t_plain_bulk = t_crypt = float("nan")
    ok = 0
    if not args.only_a:
        # (b) 2,000 plaintext passwords at cost 10 (first: before (a) fills the WAL and the buffers)
        reset(cur)
        cur.execute("SET auth_sync.bcrypt_cost = 10")
        plain = cur.execute(
            "SELECT 'email,password' || E'\\n' || string_agg(format('pt%s@bench.example,plain-password-%s', g, g), E'\\n') "
            "FROM generate_series(1, 2000) g").fetchone()[0]
        t_plain_bulk, _ = timed(lambda: cur.execute("SELECT count(*) FROM auth_sync.bulk_create_users(%s)", (plain,)).fetchone())
        ok = cur.execute("SELECT count(*) FROM auth.users WHERE encrypted_password = crypt('plain-password-7', encrypted_password) "
                         "AND email = 'pt7@bench.example'").fetchone()[0]
        reset(cur)
        t_crypt, _ = timed(lambda: cur.execute("""
            INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                    confirmation_token, recovery_token, email_change_token_new, email_change)
            SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
                   format('pt%s@bench.example', g), crypt(format('plain-password-%s', g), gen_salt('bf', 10)), now(),
                   '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', ''
              FROM generate_series(1, 2000) g"""))

    floor_t, sorted_t, bulk_t = [], [], []
    rate_sock = rate_proxy = t_bulk_proxy = float("nan")
    if not args.only_b:
        # (a) the floor, the floor in id order (for reference) and bulk_create_users, three times
        # each, alternating
        for _ in range(3):
            reset(cur)
            t, _ = timed(lambda: cur.execute(FLOOR))
            floor_t.append(t)
            reset(cur)
            t, _ = timed(lambda: cur.execute(FLOOR_SORTED))
            sorted_t.append(t)
            reset(cur)
            pid = cur.execute("SELECT pg_backend_pid()").fetchone()[0]
            idle = rss_anon_kb(pid)
            sampler = Sampler(pid)
            sampler.start()
            t, _ = timed(lambda: cur.execute(
                "SELECT status, count(*) FROM auth_sync.bulk_create_users(%s) GROUP BY 1", (csv,)).fetchall())
            sampler.stop = True
            sampler.join()
            bulk_t.append(t)
            created = cur.execute("SELECT count(*) FROM auth.users").fetchone()[0]
            profiles = cur.execute("SELECT count(*) FROM public.user_profiles").fetchone()[0]
            peak_mb = (sampler.peak - idle) / 1024
        print(f"floor runs: {[round(x, 2) for x in floor_t]} s; in id order: {[round(x, 2) for x in sorted_t]} s; "
              f"bulk_create_users runs: {[round(x, 2) for x in bulk_t]} s "
              f"({created} users, {profiles} profiles, peak {peak_mb:.0f} MB)", flush=True)

    if not args.only_a and not args.only_b:
        # the earlier tool's way: 8 threads, one call per user (a sample of the users; the rate is
        # what counts)
        reset(cur)
        sample = rows[: args.client_users]
        t_sock, errs = client_run(SOCK, sample)
        rate_sock = len(sample) / t_sock
        print(f"8-thread client over the local socket: {len(sample)} users in {t_sock:.1f} s ({errs} errors)", flush=True)
        reset(cur)
        proxy_port = start_delay_proxy(args.port, 0.010)
        proxied = f"host=127.0.0.1 port={proxy_port} dbname={args.dbname} user=postgres"
        sample = rows[: args.proxy_users]
        t_proxy, errs = client_run(proxied, sample)
        rate_proxy = len(sample) / t_proxy
        print(f"8-thread client through a 10 ms round-trip proxy: {len(sample)} users in {t_proxy:.1f} s ({errs} errors)",
              flush=True)
        # bulk_create_users through the same proxy (one call; best of 3, as in (a))
        proxied_t = []
        for _ in range(3):
            reset(cur)
            with psycopg.connect(proxied, autocommit=True) as pc:
                t, _ = timed(lambda: pc.execute(
                    "SELECT count(*) FROM auth_sync.bulk_create_users(%s)", (csv,)).fetchone())
            proxied_t.append(t)
        t_bulk_proxy = min(proxied_t)
        print(f"bulk_create_users through the proxy: {[round(x, 2) for x in proxied_t]} s", flush=True)

print()
print(f"auth_sync bulk_create_users benchmark ({os.cpu_count()} cores, release build)")
if not args.only_b:
    floor_best, bulk_best = min(floor_t), min(bulk_t)
    bulk_rate = args.users / bulk_best
    print(f"(a) {args.users} users with pre-hashed passwords (best of 3, alternating):")
    print(f"    floor, set-based INSERT ... SELECT, triggers off: {floor_best:.2f} s")
    print(f"    bulk_create_users:                                {bulk_best:.2f} s  ratio {bulk_best / floor_best:.2f} (target <= 1.3)")
    print(f"    (median of the three floor / bulk pairs' ratios: "
          f"{statistics.median(b / f for f, b in zip(floor_t, bulk_t)):.2f})")
    print(f"    (for reference, the floor inserting in id order, as bulk_create_users does: {min(sorted_t):.2f} s, "
          f"ratio {bulk_best / min(sorted_t):.2f})")
if not args.only_a and not args.only_b:
    floor_rate = args.users / min(floor_t)
    print(f"    8-thread client, local socket:    {rate_sock:8.0f} users/s  -> bulk is {bulk_rate / rate_sock:.1f}x faster (target >= 5)")
    print(f"    8-thread client, 10 ms round trip: {rate_proxy:7.0f} users/s  -> bulk (one call through the same proxy, best of 3: "
          f"{t_bulk_proxy:.2f} s) is {(args.users / t_bulk_proxy) / rate_proxy:.1f}x faster (target >= 25)")
    print(f"    (the floor itself, best run, against the same clients: {floor_rate / rate_sock:.1f}x and "
          f"{floor_rate / rate_proxy:.1f}x; the client targets need bulk_create_users at "
          f"{args.users / (5 * rate_sock) / min(floor_t):.2f}x and {args.users / (25 * rate_proxy) / min(floor_t):.2f}x the floor)")
if not args.only_a:
    print("(b) 2000 plaintext passwords, bcrypt cost 10:")
    print(f"    bulk_create_users (hashing on {os.cpu_count()} threads): {t_plain_bulk:.2f} s (a sample verifies with crypt(): {ok == 1})")
    print(f"    one INSERT ... crypt(pw, gen_salt('bf', 10)):      {t_crypt:.2f} s  -> bulk is {t_crypt / t_plain_bulk:.2f}x faster (target >= 1.8)")
if not args.only_b:
    print(f"(c) peak backend memory during the {args.users}-row import: {peak_mb:.0f} MB above idle (RssAnon; target < 300 MB)")
