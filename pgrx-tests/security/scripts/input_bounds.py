#!/usr/bin/env python3
"""bulk_create_users must bound what a CSV can cost: a header name of a megabyte (which used to be
copied into every row) is refused, a file above auth_sync.max_import_bytes is refused before it is
parsed, and for files that are accepted the backend's peak memory stays within 4x the file's size
plus 64 MB (VmHWM of a fresh backend, minus its size before the call).

Run by scripts/test.sh (layer 6) as root:
  python input_bounds.py --host SOCKETDIR --port PORT --template TEMPLATEDB --log SERVERLOG
"""
import os
import sys

import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Checks, arguments, scratch_database  # noqa: E402

MB = 1024 * 1024
check = Checks("input_bounds")


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
    return out


def call(dsn, csv, dry_run=True, setup=()):
    """One call in a fresh backend, as service_role: (sqlstate or None, message, rows, peak growth
    in bytes)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        for s in setup:
            c.execute(s)
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        c.execute("SET ROLE service_role")
        # loads the library and plans the function once, so that only the file is measured
        c.execute("SELECT count(*) FROM auth_sync.bulk_create_users('email\nwarm@example.com\n', dry_run => true)")
        base = status(pid)["VmRSS"]
        try:
            rows = c.execute("SELECT status, count(*) FROM auth_sync.bulk_create_users(%s, dry_run => %s) GROUP BY 1 ORDER BY 1",
                             [csv, dry_run]).fetchall()
            state, msg = None, ""
        except psycopg.Error as e:
            rows, state, msg = None, e.diag.sqlstate, e.diag.message_primary or ""
        peak = status(pid)["VmHWM"] - base
        return state, msg, rows, peak


def within_budget(name, csv, peak):
    limit = 4 * len(csv.encode()) + 64 * MB
    check(peak <= limit, f"{name}: peak growth {peak // 1024} kB for {len(csv):,} bytes (limit 4x + 64 MB = {limit // 1024} kB)")


def main():
    with scratch_database(arguments(), "sec_input_bounds") as dsn:
        # 1. a megabyte-long column name over a few hundred rows (the name was copied per row)
        name = "x" * 1_000_000
        csv = "email," + name + "\n" + "".join(f"user{i}@example.com,v\n" for i in range(600))
        state, msg, rows, peak = call(dsn, csv)
        check(state == "54000", f"huge header name: refused with 54000 ({state}: {msg[:80]})")
        check("x" * 100 not in msg, "huge header name: the message does not repeat the name")
        within_budget("huge header name", csv, peak)

        # 2. above auth_sync.max_import_bytes: refused before parsing (the file also has an
        #    unterminated quote, which parsing would have reported as 22P04)
        big = "email,password\n" + "".join(f"big{i}@example.com,Big-Secret-{i:07d}\n" for i in range(100_000)) + '"never closed'
        state, msg, rows, peak = call(dsn, big, setup=["SET auth_sync.max_import_bytes = '1MB'"])
        check(state == "54000" and "max_import_bytes" in msg,
              f"{len(big):,} bytes over a 1 MB limit: refused with 54000 before parsing ({state}: {msg[:90]})")
        within_budget("oversized file", big, peak)
        state, msg, rows, peak = call(dsn, big)
        check(state == "22P04", f"the same file under the default limit is parsed (22P04: {state})")

        # 3. accepted files stay within budget
        wide = ",".join(f"c{i:03d}_" + "n" * 57 for i in range(499))
        csv = "email," + wide + "\n" + "".join(
            f"w{r}@example.com," + ",".join("v" for _ in range(499)) + "\n" for r in range(1000))
        state, msg, rows, peak = call(dsn, csv)
        check(state is None, f"499 extra columns with 63-character names: accepted ({state}: {msg[:80]})")
        within_budget("499 extra columns with long names", csv, peak)

        csv = "email,password,first_name,last_name,company,role\n" + "".join(
            f"person{i}@example.com,Pass-word-{i:07d},First{i},Last{i},Acme,member\n" for i in range(60_000))
        state, msg, rows, peak = call(dsn, csv)
        check(state is None, f"a typical file of 60,000 users: accepted ({state}: {msg[:80]})")
        within_budget("typical file, dry run", csv, peak)

        csv = "email,note\n" + "".join(f"r{i}@example.com,{'z' * 9000}\n" for i in range(300))
        state, msg, rows, peak = call(dsn, csv)
        check(state is None, f"long values: accepted ({state}: {msg[:80]})")
        within_budget("long values", csv, peak)

        csv = "email,x\n" + "".join(f"a{i}@example.com" + ",v" * 2000 + "\n" for i in range(300))
        state, msg, rows, peak = call(dsn, csv)
        check(state is None and rows == [("failed", 300)],
              f"rows with thousands of fields: each a row error ({state}: {rows})")
        within_budget("rows with thousands of fields", csv, peak)
    check.done()


if __name__ == "__main__":
    main()
