//! Signature vectors from an independent implementation: `tests/vectors/webhook_vectors.json`
//! was written by `tests/vectors/make_vectors.py` (next to it) with the reference Python library of
//! Standard Webhooks (PyPI `standardwebhooks`). The secrets in it are test-only.
//!
//! For each vector: `verify` accepts it at its own timestamp and at both ends of the tolerance,
//! rejects it one second beyond, and rejects it after any one body byte is flipped (or, for the
//! empty body, a byte is appended); `sign` reproduces the reference signature.

use auth_sync_core::webhook::{
    decode_secret, sign, verify, VerifyError, DEFAULT_TOLERANCE_SECONDS,
};
use serde_json::Value;

struct Vector {
    name: String,
    secret: String,
    msg_id: String,
    timestamp: String,
    body: String,
    signature: String,
}

fn field(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key:?} is not a string"))
        .to_owned()
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/webhook_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("read the vectors file");
    let doc: Value = serde_json::from_str(&text).expect("the vectors file is JSON");
    let list = doc["vectors"].as_array().expect("a \"vectors\" array");
    list.iter()
        .map(|v| Vector {
            name: field(v, "name"),
            secret: field(v, "secret"),
            msg_id: field(v, "msg_id"),
            timestamp: field(v, "timestamp"),
            body: field(v, "body"),
            signature: field(v, "signature"),
        })
        .collect()
}

#[test]
fn the_vectors_cover_what_they_should() {
    let all = vectors();
    assert!(all.len() >= 8, "only {} vectors", all.len());
    let key_lengths: Vec<usize> = all
        .iter()
        .map(|v| decode_secret(&v.secret).expect("test secret decodes").len())
        .collect();
    assert!(
        key_lengths.contains(&24) && key_lengths.contains(&64),
        "{key_lengths:?}"
    );
    assert!(all.iter().any(|v| v.body.is_empty()));
    assert!(all.iter().any(|v| v.body.contains('\n')));
    assert!(all.iter().any(|v| !v.body.is_ascii()));
    assert!(all.iter().any(|v| v.body.contains("\"user.created\"")));
    assert!(all.iter().any(|v| !v.secret.starts_with("whsec_")));
    assert!(all.iter().any(|v| v.signature.contains(' ')));
}

#[test]
fn verify_accepts_every_vector() {
    for v in vectors() {
        let now: i64 = v.timestamp.parse().expect("integer timestamp");
        let tol = DEFAULT_TOLERANCE_SECONDS;
        let run = |body: &[u8], now: i64| {
            verify(
                &v.secret,
                &v.msg_id,
                &v.timestamp,
                body,
                &v.signature,
                now,
                tol,
            )
        };
        let body = v.body.as_bytes();
        assert_eq!(run(body, now), Ok(()), "{}", v.name);
        assert_eq!(run(body, now + tol), Ok(()), "{}", v.name);
        assert_eq!(run(body, now - tol), Ok(()), "{}", v.name);
        assert_eq!(
            run(body, now + tol + 1),
            Err(VerifyError::TimestampTooOld),
            "{}",
            v.name
        );
        assert_eq!(
            run(body, now - tol - 1),
            Err(VerifyError::TimestampTooNew),
            "{}",
            v.name
        );
    }
}

#[test]
fn verify_rejects_every_vector_with_a_flipped_body_byte() {
    for v in vectors() {
        let now: i64 = v.timestamp.parse().expect("integer timestamp");
        let body = v.body.as_bytes();
        let reject = |tampered: &[u8]| {
            verify(
                &v.secret,
                &v.msg_id,
                &v.timestamp,
                tampered,
                &v.signature,
                now,
                300,
            )
        };
        if body.is_empty() {
            assert_eq!(
                reject(b"\0"),
                Err(VerifyError::NoMatchingSignature),
                "{}",
                v.name
            );
            continue;
        }
        for i in 0..body.len() {
            let mut tampered = body.to_vec();
            tampered[i] ^= 0x01;
            assert_eq!(
                reject(&tampered),
                Err(VerifyError::NoMatchingSignature),
                "{}: byte {i}",
                v.name
            );
        }
    }
}

#[test]
fn sign_reproduces_the_reference_signatures() {
    for v in vectors() {
        let key = decode_secret(&v.secret).expect("test secret decodes");
        let ours = sign(&key, &v.msg_id, &v.timestamp, v.body.as_bytes());
        // The rotation vector lists an old secret's signature first; ours must be one entry.
        assert!(
            v.signature.split(' ').any(|entry| entry == ours),
            "{}: {ours} not in {}",
            v.name,
            v.signature
        );
    }
}
