#!/usr/bin/env python3
"""A cancel, a statement_timeout and pg_terminate_backend that arrive while bulk_create_users hashes
passwords at a high bcrypt cost must each end the statement within about a second (not when the
hashing would have finished), leave no hashing thread running in the backend, write nothing, and
leave the backend's memory where it was (the parsed file is freed, call after call).

Run by scripts/test.sh (layer 6) as root:
  python cancel_during_hashing.py --host SOCKETDIR --port PORT --template TEMPLATEDB --log SERVERLOG
"""
import os
import sys
import threading
import time

import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Checks, arguments, scratch_database  # noqa: E402

COST = 13            # several seconds of hashing for the files below (far more in a debug build)
ENDS_WITHIN = 2.0    # seconds from the interrupt to the end of the statement (generous)
THREADS_GONE = 1.0   # seconds after the end by which the backend has one thread again

check = Checks("cancel_during_hashing")


def threads(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return 0


def anon_kb(pid):
    """The backend's private memory (RssAnon: not the shared buffers it has touched)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def users_csv(prefix, n):
    return "email,password,first_name\n" + "".join(
        f"{prefix}{i}@example.com,Cancel-Me-{i:06d}-Secret,Name{i}\n" for i in range(n))


def wait_threads(pid, want, within):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if threads(pid) <= want:
            return True
        time.sleep(0.02)
    return threads(pid) <= want


def interrupted_import(dsn, how, prefix):
    """Starts a cost-COST import, interrupts it (how: cancel, timeout, terminate) once its
    hashing threads run, and checks the outcome."""
    victim = psycopg.connect(dsn, autocommit=True)
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    victim.execute(f"SET auth_sync.bcrypt_cost = {COST}")
    # warm up (loads the library) so that the thread count before is the steady one
    victim.execute("SELECT count(*) FROM auth_sync.bulk_create_users('email\nwarm.%s@example.com\n', dry_run => true)" % prefix)
    check(threads(pid) == 1, f"{how}: the idle backend has one thread ({threads(pid)})")
    if how == "timeout":
        victim.execute("SET statement_timeout = '1500ms'")
    outcome = {}

    def run():
        t0 = time.monotonic()
        try:
            victim.execute("SELECT count(*) FROM auth_sync.bulk_create_users(%s)", [users_csv(prefix, 60)])
            outcome["error"] = None
        except Exception as e:  # the interrupt
            outcome["error"] = e
        outcome["ended"] = time.monotonic()
        outcome["started"] = t0

    t = threading.Thread(target=run)
    t.start()
    # wait until the hashing threads are running
    deadline = time.monotonic() + 20
    while threads(pid) < 2 and time.monotonic() < deadline and t.is_alive():
        time.sleep(0.01)
    hashing = threads(pid) >= 2
    check(hashing, f"{how}: the import is hashing on worker threads ({threads(pid)} threads)")
    if how == "timeout":
        sent = outcome.get("started", time.monotonic()) + 1.5
    else:
        time.sleep(0.3)
        fn = "pg_cancel_backend" if how == "cancel" else "pg_terminate_backend"
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f"SELECT {fn}(%s)", [pid])
        sent = time.monotonic()
    t.join(60)
    check(not t.is_alive(), f"{how}: the statement ended")
    if t.is_alive():
        return
    took = outcome["ended"] - sent
    check(took <= ENDS_WITHIN, f"{how}: the statement ended {took:.2f} s after the interrupt (limit {ENDS_WITHIN} s)")
    err = outcome["error"]
    state = getattr(getattr(err, "diag", None), "sqlstate", None)
    if how == "terminate":
        check(err is not None, f"{how}: the connection was closed ({type(err).__name__})")
        gone = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < gone:
            time.sleep(0.05)
        check(not os.path.exists(f"/proc/{pid}"), f"{how}: the backend process exited")
    else:
        check(state == "57014", f"{how}: the statement was cancelled with 57014 ({state})")
        check(wait_threads(pid, 1, THREADS_GONE),
              f"{how}: the backend is back to one thread within {THREADS_GONE} s ({threads(pid)})")
        time.sleep(1.5)
        check(threads(pid) == 1, f"{how}: and still one thread later ({threads(pid)})")
        victim.execute("RESET statement_timeout")
        check(victim.execute("SELECT 1").fetchone() == (1,), f"{how}: the connection is usable")
    with psycopg.connect(dsn, autocommit=True) as c:
        n = c.execute("SELECT count(*) FROM auth.users WHERE email LIKE %s", [prefix + "%"]).fetchone()[0]
    check(n == 0, f"{how}: nothing was written ({n} users)")
    victim.close()


def memory_after_repeated_timeouts(dsn):
    """The parsed file (passwords included) must not stay in the backend after a cancelled call."""
    csv = users_csv("mem", 40_000)   # about 2 MB
    with psycopg.connect(dsn, autocommit=True) as c:
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        c.execute(f"SET auth_sync.bcrypt_cost = {COST}")
        # one small real import first: caches, the compiled plpgsql and the library are loaded
        c.execute("SELECT count(*) FROM auth_sync.bulk_create_users(%s)", ["email,password\nmem.warm@example.com,Warm-Up-Pass-1\n"])
        c.execute("SET statement_timeout = '1500ms'")
        before = anon_kb(pid)
        after = []
        for r in range(4):
            try:
                c.execute("SELECT count(*) FROM auth_sync.bulk_create_users(%s)", [csv])
                check(False, f"memory: round {r + 1} was not interrupted")
            except psycopg.errors.QueryCanceled:
                pass
            time.sleep(0.5)
            after.append(anon_kb(pid))
        print(f"     memory: RssAnon before {before} kB, after each cancelled call {after} kB, csv {len(csv)} bytes")
        # (the warm-up call loaded the caches and the temp table's buffers: what a cancelled call
        # leaves on top of that is what it failed to give back)
        check(max(after) - before < 4 * 1024,
              f"memory: the backend's private memory is back to its level before the calls, within 4 MB "
              f"(at most {max(after) - before} kB above it)")
        check(threads(pid) == 1, f"memory: one thread after the calls ({threads(pid)})")


def main():
    with scratch_database(arguments(), "sec_cancel_during_hashing") as dsn:
        for how in ("cancel", "timeout", "terminate"):
            interrupted_import(dsn, how, f"{how}.")
        memory_after_repeated_timeouts(dsn)
    check.done()


if __name__ == "__main__":
    main()
