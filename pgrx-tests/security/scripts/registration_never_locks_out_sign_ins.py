#!/usr/bin/env python3
"""An admin's registration must not lock auth.users: while a transaction that registered a table
(mapping a column no map read before) stays open, a sign-in still reads auth.users and updates
its user. Each sign-in statement runs under lock_timeout 2 s, so a lock held by the registration
shows as SQLSTATE 55P03, not as a slow test. The same for install_triggers() when the triggers
are there already, and for a registration that first maps last_sign_in_at, whose trigger waits
at most a short lock_timeout per try instead of queueing sign-ins behind it.

Run by scripts/test.sh (layer 6) as root:
  python registration_never_locks_out_sign_ins.py --host SOCKETDIR --port PORT --template TEMPLATEDB
"""
import os
import sys
import threading
import time

import psycopg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Checks, arguments, scratch_database  # noqa: E402

check = Checks("registration_never_locks_out_sign_ins")
USER = "e5000000-0000-4000-8000-000000000001"
OTHER = "e5000000-0000-4000-8000-000000000002"


def sign_in(dsn):
    """What the Auth server does at a password sign-in: read the user, set last_sign_in_at.
    Returns None, or the SQLSTATE that stopped it."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET lock_timeout = '2s'")
        c.execute("SET ROLE supabase_auth_admin")
        try:
            c.execute("SELECT id FROM auth.users WHERE lower(email) = 'sec.lock@example.com'").fetchone()
            c.execute("UPDATE auth.users SET last_sign_in_at = now() WHERE id = %s", [USER])
            return None
        except psycopg.Error as e:
            return e.diag.sqlstate


def main():
    with scratch_database(arguments(), "sec_lock_sign_ins") as dsn:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("""INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                    confirmation_token, recovery_token, email_change_token_new, email_change)
                         VALUES ('00000000-0000-0000-0000-000000000000', %s, 'authenticated', 'authenticated',
                                 'sec.lock@example.com', '', now(), '{"provider": "email", "providers": ["email"]}',
                                 '{}', now(), now(), '', '', '', ''),
                                ('00000000-0000-0000-0000-000000000000', %s, 'authenticated', 'authenticated',
                                 'sec.lock.other@example.com', '', now(), '{"provider": "email", "providers": ["email"]}',
                                 '{}', now(), now(), '', '', '', '')""", [USER, OTHER])
            c.execute("CREATE TABLE public.sec_lock_phones (user_id uuid PRIMARY KEY, phone text, seen timestamptz)")

        check(sign_in(dsn) is None, "a sign-in with nobody else at work")

        # 1. an admin transaction registers a table mapping phone (not read by any map so far) and
        #    stays open
        with psycopg.connect(dsn) as admin_tx:
            admin_tx.execute("SET ROLE service_role")
            admin_tx.execute("SELECT * FROM auth_sync.register_table('public.sec_lock_phones', 'user_id', 'profile', '{\"phone\": \"phone\"}')")
            state = sign_in(dsn)
            check(state is None, f"a sign-in while a registration is open (no lock on auth.users): {state or 'ok'}")
            admin_tx.execute("SELECT count(*) FROM auth_sync.install_triggers()")
            state = sign_in(dsn)
            check(state is None, f"a sign-in while install_triggers() of installed triggers is open: {state or 'ok'}")
            admin_tx.commit()

        # 2. another user's sign-in holds its transaction open (ROW EXCLUSIVE on auth.users until it
        #    commits); a registration that maps last_sign_in_at needs a new trigger, whose lock
        #    conflicts: it waits at most its short lock_timeout per try, so the sign-ins that come
        #    meanwhile are never queued behind it for long
        with psycopg.connect(dsn) as long_tx:
            long_tx.execute("UPDATE auth.users SET last_sign_in_at = now() WHERE id = %s", [OTHER])
            outcome = {}

            def register():
                with psycopg.connect(dsn, autocommit=True) as c:
                    c.execute("SET ROLE service_role")
                    try:
                        c.execute("SELECT * FROM auth_sync.register_table('public.sec_lock_phones', 'user_id', 'profile', '{\"phone\": \"phone\", \"seen\": \"last_sign_in_at\"}')")
                        outcome["state"] = None
                    except psycopg.Error as e:
                        outcome["state"] = e.diag.sqlstate

            t = threading.Thread(target=register)
            t.start()
            states = []
            for _ in range(8):  # (over about 2.5 s, while the registration tries)
                time.sleep(0.3)
                states.append(sign_in(dsn))
            check(all(s is None for s in states),
                  f"sign-ins while a registration waits for auth.users' lock: {[s or 'ok' for s in states]}")
            long_tx.commit()
            t.join(60)
            check(not t.is_alive(), "the registration ended")
            check(outcome.get("state") in (None, "55P03"),
                  f"the registration went through or gave up with 55P03: {outcome.get('state') or 'ok'}")
    check.done()


if __name__ == "__main__":
    main()
