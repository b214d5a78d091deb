#!/usr/bin/env python3
"""Generate webhook signature test vectors with an independent implementation.

The signatures come from the reference Python library of the Standard Webhooks specification
(PyPI package `standardwebhooks`, the scheme Svix and Clerk use), not from our Rust code, so the
Rust integration test core/tests/webhook_vectors.rs checks `auth_sync_core::webhook::verify`
against a second implementation.

Usage, from the repository root (the version pinned in pgrx-tests/webhook/requirements.txt, which
the webhook tests of scripts/test.sh install too):

    python3 -m venv /tmp/whvenv
    /tmp/whvenv/bin/pip install -r pgrx-tests/webhook/requirements.txt
    /tmp/whvenv/bin/python core/tests/vectors/make_vectors.py

It writes webhook_vectors.json, next to this file. The output is deterministic: the secrets come
from a seeded PRNG and the timestamps are fixed, so rerunning it reproduces the committed file.
The secrets are TEST-ONLY values, generated here and used nowhere else.
"""

import base64
import json
import random
import sys
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from standardwebhooks import Webhook

SEED = 20240501
OUT = Path(__file__).resolve().parent / "webhook_vectors.json"

rng = random.Random(SEED)


def test_secret(n_bytes: int, prefixed: bool = True) -> str:
    """A test-only secret of n_bytes random bytes, as `whsec_<base64>` (or bare base64)."""
    encoded = base64.b64encode(bytes(rng.randrange(256) for _ in range(n_bytes))).decode()
    return ("whsec_" + encoded) if prefixed else encoded


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `v1,<base64>` signature the reference library computes."""
    when = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)


CLERK_USER_CREATED = json.dumps(
    {
        "data": {
            "birthday": "",
            "created_at": 1654012591514,
            "email_addresses": [
                {
                    "email_address": "Example@Example.org",
                    "id": "idn_29w83yL7CwVlJXylYLxcslromF1",
                    "linked_to": [],
                    "object": "email_address",
                    "verification": {"status": "verified", "strategy": "ticket"},
                }
            ],
            "external_accounts": [],
            "external_id": "567772",
            "first_name": "Zoë",
            "gender": "",
            "id": "user_29w83sxmDNGwOuEthce5gg56FcC",
            "image_url": "https://img.clerk.com/xxxxxx",
            "last_name": "Ñúñez",
            "last_sign_in_at": 1654012591514,
            "object": "user",
            "password_enabled": True,
            "phone_numbers": [],
            "primary_email_address_id": "idn_29w83yL7CwVlJXylYLxcslromF1",
            "primary_phone_number_id": None,
            "primary_web3_wallet_id": None,
            "private_metadata": {},
            "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
            "public_metadata": {},
            "two_factor_enabled": False,
            "unsafe_metadata": {},
            "updated_at": 1654012591835,
            "username": None,
            "web3_wallets": [],
        },
        "instance_id": "ins_2abcDEFghiJKLmnoPQRstuVWXyz",
        "object": "event",
        "timestamp": 1654012591835,
        "type": "user.created",
    },
    indent=2,
    ensure_ascii=False,
)


def main() -> None:
    secret_24 = test_secret(24)
    secret_32 = test_secret(32)
    secret_64 = test_secret(64)
    secret_24_bare = test_secret(24, prefixed=False)
    old_secret = test_secret(24)

    # (name, secret, msg_id, timestamp, body)
    cases = [
        ("simple json, 24-byte secret", secret_24, "msg_2Lh9KRb0pzN4LePd3XiA0dlsSda", 1700000000,
         '{"type":"user.updated","data":{"id":"user_1"}}'),
        ("unicode body, 32-byte secret", secret_32, "msg_unicode_01", 1700000123,
         '{"name":"Zoë Ñúñez","city":"東京","emoji":"🎉🔐","rtl":"שלום"}'),
        ("empty body, 64-byte secret", secret_64, "msg_empty_body", 1700000456, ""),
        ("body with newlines and CRLF", secret_24, "msg_newlines", 1712345678,
         '{\n  "a": 1,\r\n  "b": "x\\ny"\n}\n'),
        ("clerk user.created, 64-byte secret", secret_64, "msg_2ZfQeXqGZo0Oq3QGJ0b1bHkT1rX", 1654012592,
         CLERK_USER_CREATED),
        ("secret without whsec_ prefix", secret_24_bare, "msg_bare_secret", 1800000000,
         '{"type":"user.deleted","data":{"object":"user","id":"user_x","deleted":true}}'),
        ("msg id with unicode and dots", secret_32, "msg.ü.2", 1600000000, "plain text . with . dots"),
    ]

    vectors = []
    for name, secret, msg_id, ts, body in cases:
        vectors.append({
            "name": name,
            "secret": secret,
            "msg_id": msg_id,
            "timestamp": str(ts),
            "body": body,
            "signature": sign(secret, msg_id, ts, body),
        })

    # Secret rotation: the header lists a signature under an old secret first, then the current one.
    rotation_body = '{"type":"user.created","data":{"id":"user_rotated"}}'
    rotation_ts = 1700000789
    vectors.append({
        "name": "rotation: old secret's signature first, current second",
        "secret": secret_32,
        "msg_id": "msg_rotation",
        "timestamp": str(rotation_ts),
        "body": rotation_body,
        "signature": sign(old_secret, "msg_rotation", rotation_ts, rotation_body) + " "
        + sign(secret_32, "msg_rotation", rotation_ts, rotation_body),
    })

    doc = {
        "comment": (
            "Webhook signature test vectors. The secrets are random TEST-ONLY secrets, used "
            "nowhere else. Generated by core/tests/vectors/make_vectors.py; do not edit by hand."
        ),
        "generator": f"standardwebhooks {version('standardwebhooks')} (PyPI) on Python "
                     f"{sys.version_info.major}.{sys.version_info.minor}",
        "seed": SEED,
        "vectors": vectors,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
