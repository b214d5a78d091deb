#!/usr/bin/env python3
"""Signs the Clerk events of clerk_events.json for the webhook tests, at test time.

The signatures come from the `standardwebhooks` package (the Standard Webhooks reference library,
the scheme Svix and Clerk use), not from auth_sync's Rust code, and the timestamps are the time of
the run, so handle_clerk_webhook() (which allows 300 seconds) accepts them. The secrets are fresh
random test secrets. Prints a psql script of \\set commands; scripts/test.sh writes it next to the
pg_regress suite as webhook_signed.sql, which pgrx-tests/setup/webhook.sql includes for the
webhook_* tests.

Variables: secret, old_secret, wrong_secret; for each event NAME: NAME_headers (a JSON object of
request headers) and NAME_body (the raw body); plus headers for the failure cases of ada_created:
stale (301 s old), future (900 s ahead: a run takes a while), rotated (old and current secret), wrong_secret,
bad_base64 signature, webhook-* (unbranded) names, and v2-only signatures.
"""

import base64
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from standardwebhooks import Webhook

HERE = Path(__file__).resolve().parent


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def sign(secret: str, msg_id: str, ts: int, body: str) -> str:
    return Webhook(secret).sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(ts, tz=timezone.utc), data=body)


def psql_literal(value: str) -> str:
    # psql's \set reads backslash escapes inside single quotes: double them, and double quotes
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def headers(msg_id: str, ts: int, signature: str, prefix: str = "svix") -> str:
    return json.dumps({f"{prefix}-id": msg_id, f"{prefix}-timestamp": str(ts), f"{prefix}-signature": signature,
                       "content-type": "application/json"})


def main() -> None:
    secret, old_secret, wrong_secret = new_secret(), new_secret(), new_secret()
    now = int(time.time())
    out = [f"\\set secret {psql_literal(secret)}", f"\\set old_secret {psql_literal(old_secret)}",
           f"\\set wrong_secret {psql_literal(wrong_secret)}"]
    for ev in json.loads((HERE / "clerk_events.json").read_text()):
        body = ev["raw"] if "raw" in ev else json.dumps(ev["body"])
        out.append(f"\\set {ev['name']}_body {psql_literal(body)}")
        out.append(f"\\set {ev['name']}_headers {psql_literal(headers(ev['id'], now, sign(secret, ev['id'], now, body)))}")
        if ev["name"] == "ada_created":
            mid = ev["id"]
            cases = {
                "stale": headers(mid, now - 301, sign(secret, mid, now - 301, body)),
                "future": headers(mid, now + 900, sign(secret, mid, now + 900, body)),
                "rotated": headers(mid, now, sign(old_secret, mid, now, body) + " " + sign(secret, mid, now, body)),
                "wrong_secret": headers(mid, now, sign(wrong_secret, mid, now, body)),
                "bad_base64": headers(mid, now, "v1,not*base64!"),
                "unbranded": headers(mid, now, sign(secret, mid, now, body), prefix="webhook"),
                "v2_only": headers(mid, now, "v2," + sign(secret, mid, now, body).split(",", 1)[1]),
                "missing_signature": json.dumps({"svix-id": mid, "svix-timestamp": str(now)}),
            }
            for case, h in cases.items():
                out.append(f"\\set ada_{case}_headers {psql_literal(h)}")
            # the same message id with a body that is not what was signed
            out.append(f"\\set ada_tampered_body {psql_literal(body.replace('Lovelace', 'Mallory'))}")
    # an empty body, signed
    out.append(f"\\set empty_headers {psql_literal(headers('msg_empty', now, sign(secret, 'msg_empty', now, '')))}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
