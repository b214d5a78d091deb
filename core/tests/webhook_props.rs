//! Property tests and bounded fuzzing (proptest, run by `cargo test`) of the webhook signature
//! check and of the Clerk event parser.
//!
//! Properties:
//! * A message signed by `sign` verifies, for random keys of every allowed length, ids,
//!   timestamps, bodies and tolerances, whether the secret is given with or without `whsec_`.
//! * Changing any one byte of the body (or appending one) makes it fail.
//! * `verify`, `decode_secret` and `header` never panic, on arbitrary strings for every
//!   parameter and on inputs built from risky fragments; a malformed-secret error message is the
//!   same fixed text whatever the secret.
//! * `parse_clerk_event` and `clerk_user` never panic, on arbitrary strings and on arbitrary
//!   JSON documents, and accept every well-formed event.

use auth_sync_core::clerk::{clerk_user, parse_clerk_event};
use auth_sync_core::webhook::{
    decode_secret, header, sign, verify, verify_headers, SecretProblem, VerifyError,
    MAX_SECRET_BYTES, MIN_SECRET_BYTES,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A secret string for `key`, with or without the `whsec_` prefix.
fn secret_for(key: &[u8], prefixed: bool) -> String {
    let encoded = STANDARD.encode(key);
    if prefixed {
        format!("whsec_{encoded}")
    } else {
        encoded
    }
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), MIN_SECRET_BYTES..=MAX_SECRET_BYTES)
}

/// Non-empty message ids: printable ASCII like real ones, or anything.
fn msg_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "msg_[A-Za-z0-9]{1,30}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty())
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        any::<String>().prop_map(String::into_bytes),
    ]
}

/// The fixed message of each malformed-secret problem.
fn secret_message(problem: SecretProblem) -> String {
    VerifyError::MalformedSecret(problem).to_string()
}

const SIG_FRAGMENTS: &[&str] = &[
    "v1",
    "v1a",
    "v2",
    "V1",
    ",",
    " ",
    "  ",
    "\t",
    "\n",
    "=",
    "==",
    "+",
    "/",
    "-",
    "_",
    "A",
    "AAAA",
    "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    "ü",
    "\u{0}",
    "v1,",
    "whsec_",
];

fn fragments(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(list), 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn signed_messages_verify(
        key in key(),
        prefixed in any::<bool>(),
        id in msg_id(),
        ts in 0i64..=4_102_444_800,
        body in body(),
        tol in 0i64..=86_400,
        skew in -1.0f64..=1.0,
    ) {
        let secret = secret_for(&key, prefixed);
        let ts_text = ts.to_string();
        let signature = sign(&key, &id, &ts_text, &body);
        // Anywhere within the tolerance window, either side.
        let now = ts + (skew * tol as f64) as i64;
        prop_assert_eq!(verify(&secret, &id, &ts_text, &body, &signature, now, tol), Ok(()));
        // One second beyond it, the timestamp check fails first.
        prop_assert_eq!(
            verify(&secret, &id, &ts_text, &body, &signature, ts + tol + 1, tol),
            Err(VerifyError::TimestampTooOld)
        );
        prop_assert_eq!(
            verify(&secret, &id, &ts_text, &body, &signature, ts - tol - 1, tol),
            Err(VerifyError::TimestampTooNew)
        );
    }

    #[test]
    fn any_single_byte_change_of_the_body_fails(
        key in key(),
        id in msg_id(),
        ts in 0i64..=4_102_444_800,
        body in prop::collection::vec(any::<u8>(), 1..512),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        extra in any::<u8>(),
    ) {
        let secret = secret_for(&key, true);
        let ts_text = ts.to_string();
        let signature = sign(&key, &id, &ts_text, &body);
        let mut changed = body.clone();
        changed[index.index(body.len())] ^= flip;
        prop_assert_eq!(
            verify(&secret, &id, &ts_text, &changed, &signature, ts, 300),
            Err(VerifyError::NoMatchingSignature)
        );
        let mut longer = body.clone();
        longer.push(extra);
        prop_assert_eq!(
            verify(&secret, &id, &ts_text, &longer, &signature, ts, 300),
            Err(VerifyError::NoMatchingSignature)
        );
        prop_assert_eq!(
            verify(&secret, &id, &ts_text, &body[1..], &signature, ts, 300),
            Err(VerifyError::NoMatchingSignature)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn verify_never_panics_on_arbitrary_strings(
        secret in any::<String>(),
        id in any::<String>(),
        ts in any::<String>(),
        body in any::<Vec<u8>>(),
        signatures in any::<String>(),
        now in any::<i64>(),
        tol in any::<i64>(),
    ) {
        let result = verify(&secret, &id, &ts, &body, &signatures, now, tol);
        // Random bytes are never a valid HMAC tag.
        prop_assert!(result.is_err());
        if let Err(VerifyError::MalformedSecret(problem)) = result {
            prop_assert_eq!(result.map_err(|e| e.to_string()), Err(secret_message(problem)));
        }
    }

    #[test]
    fn verify_never_panics_on_structured_inputs(
        key in key(),
        prefixed in any::<bool>(),
        id in msg_id(),
        ts in prop_oneof![
            (0i64..=4_102_444_800).prop_map(|t| t.to_string()),
            "[0-9]{1,25}",
            "[-+ .0-9eE]{0,12}",
        ],
        body in body(),
        signatures in fragments(SIG_FRAGMENTS),
        now in prop_oneof![any::<i64>(), 0i64..=4_102_444_800],
        tol in prop_oneof![any::<i64>(), -10i64..=1000],
    ) {
        let secret = secret_for(&key, prefixed);
        let _ = verify(&secret, &id, &ts, &body, &signatures, now, tol);
        // The correct signature hidden among junk entries is still found.
        if let Ok(t) = ts.parse::<i64>() {
            if ts.bytes().all(|b| b.is_ascii_digit()) {
                let good = sign(&key, &id, &ts, &body);
                let list = format!("{signatures} {good} {signatures}");
                prop_assert_eq!(verify(&secret, &id, &ts, &body, &list, t, 0), Ok(()));
            }
        }
    }

    #[test]
    fn decode_secret_never_panics_and_never_echoes(
        secret in prop_oneof![
            any::<String>(),
            "(whsec_)?[A-Za-z0-9+/=]{0,100}",
            "(whsec_)?[A-Za-z0-9+/]{30,90}={0,2}",
        ],
    ) {
        match decode_secret(&secret) {
            Ok(key) => prop_assert!((MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len())),
            Err(VerifyError::MalformedSecret(problem)) => {
                let err = VerifyError::MalformedSecret(problem);
                prop_assert_eq!(err.to_string(), secret_message(problem));
            }
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn header_lookup_never_panics(
        keys in prop::collection::vec(
            prop_oneof![
                any::<String>(),
                "(svix|webhook|SVIX|Webhook|ſvix|wébhook)-(id|timestamp|signature|ıd|ID)",
            ],
            0..8,
        ),
        values in prop::collection::vec(any::<String>(), 8),
        name in prop_oneof![any::<String>(), "(id|timestamp|signature|ID)"],
    ) {
        let map: Map<String, Value> =
            keys.into_iter().zip(values).map(|(k, v)| (k, Value::String(v))).collect();
        let headers = Value::Object(map);
        if let Some(found) = header(&headers, &name) {
            prop_assert!(!found.is_empty());
        }
        prop_assert!(verify_headers("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX", &headers, b"", 0, 300).is_err());
    }
}

/// Arbitrary JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "(user|user_[a-z0-9]{1,8}|idn_[0-9]|[A-Za-z]{1,6}@[a-z]{1,4}\\.io| )"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        "(id|object|deleted|email_addresses|email_address|primary_email_address_id)",
                        "(first_name|last_name|username|image_url|profile_image_url|type|data)",
                        any::<String>(),
                    ],
                    inner,
                ),
                0..8,
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

const JSON_FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\\u",
    "d83d",
    "\"type\"",
    "\"data\"",
    "\"id\"",
    "\"user.created\"",
    "\"email_addresses\"",
    "null",
    "true",
    "1e999",
    "-0",
    " ",
    "\n",
    "ü",
    "\u{0}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_clerk_event_never_panics_on_arbitrary_strings(
        body in prop_oneof![any::<String>(), fragments(JSON_FRAGMENTS)],
    ) {
        if let Ok(event) = parse_clerk_event(&body) {
            prop_assert!(event.data.is_object());
            let _ = clerk_user(&event.data);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn clerk_parsing_never_panics_on_arbitrary_json(
        event_type in prop_oneof![any::<String>(), "user\\.(created|updated|deleted)"],
        data in json_value(),
        id in prop_oneof![any::<String>(), "user_[A-Za-z0-9]{1,27}"],
        extra in json_value(),
    ) {
        // Arbitrary documents, as the top level and as `data`.
        let _ = parse_clerk_event(&extra.to_string());
        let _ = clerk_user(&data);
        // A well-formed event always parses; its data gives a user exactly when the id is usable.
        let mut data = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        data.insert("id".into(), Value::String(id.clone()));
        data.insert("object".into(), json!("user"));
        let body = json!({"type": event_type, "object": "event", "data": data}).to_string();
        match parse_clerk_event(&body) {
            Ok(event) => {
                prop_assert_eq!(&event.event_type, &event_type);
                let user = clerk_user(&event.data);
                prop_assert_eq!(user.is_ok(), !id.trim().is_empty());
                if let Ok(user) = user {
                    prop_assert_eq!(&user.id, &id);
                    if let Some(email) = user.email {
                        prop_assert_eq!(email.trim().to_lowercase(), email.clone());
                        prop_assert!(!email.is_empty());
                    }
                }
            }
            Err(e) => prop_assert!(event_type.trim().is_empty(), "{}", e),
        }
    }
}
