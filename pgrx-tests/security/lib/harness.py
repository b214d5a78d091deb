"""What every script of the security layer shares: its command line (scripts/test.sh passes the
cluster's socket directory, port, a template database with the fixture and the migration pack,
and the server log), a scratch database made from the template and dropped afterwards, and the
ok/FAIL lines with the exit code."""
import argparse
import contextlib
import sys

import psycopg


class Checks:
    """Prints one `ok`/`FAIL` line per check; `done()` prints the total and exits non-zero on any
    failure."""

    def __init__(self, name):
        self.name = name
        self.failures = 0

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.failures += 1

    def done(self):
        print(f"{'FAIL' if self.failures else 'ok  '} {self.name}: {self.failures} failure(s)")
        sys.exit(1 if self.failures else 0)


def arguments():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--log")
    return ap.parse_args()


@contextlib.contextmanager
def scratch_database(args, name):
    """A database made from the template for one script; yields its DSN (as postgres)."""
    admin = f"host={args.host} port={args.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name} TEMPLATE {args.template}")
    try:
        yield admin.replace("dbname=postgres", f"dbname={name}")
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
