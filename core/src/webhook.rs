//! Verification of webhook signatures in the Svix / [Standard Webhooks] scheme, used by Clerk,
//! Svix itself and many other senders.
//!
//! # The scheme
//!
//! A sender signs each delivery with three headers:
//!
//! * `svix-id`: the message id, the same on every retry of one message;
//! * `svix-timestamp`: when the delivery was signed, in whole seconds since the Unix epoch;
//! * `svix-signature`: a space-separated list of `<version>,<base64 signature>` entries. Only
//!   `v1` (HMAC-SHA256) is defined; while an endpoint's secret is being rotated the list holds
//!   one entry per valid secret.
//!
//! The unbranded names `webhook-id`, `webhook-timestamp` and `webhook-signature` of the Standard
//! Webhooks specification mean the same (see [`header`]).
//!
//! A `v1` signature is `base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))`, standard alphabet
//! with padding, where the body is the raw request body exactly as received (before any JSON
//! parsing or re-serialisation) and the key is the endpoint secret `whsec_<base64>`,
//! base64-decoded after stripping its `whsec_` prefix.
//!
//! # What [`verify`] checks
//!
//! 1. the secret is well formed ([`decode_secret`]);
//! 2. the three headers are present and not empty;
//! 3. the timestamp is a whole number within `tolerance_seconds` of `now_unix`, either way: this
//!    bounds how long a captured delivery can be replayed;
//! 4. at least one `v1` entry equals the expected signature, compared in constant time.
//!
//! Nothing here panics on any input, and no error message contains any input: error values are
//! plain enums whose messages are fixed strings (a malformed secret in particular is never echoed,
//! not even in part).
//!
//! [Standard Webhooks]: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The default timestamp tolerance, in seconds: five minutes, as in the Svix libraries.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// The prefix of secrets as the providers show them (`whsec_<base64>`). Optional in input.
pub const SECRET_PREFIX: &str = "whsec_";

/// Fewest bytes a decoded secret may have (Svix and Clerk issue 24-byte secrets).
pub const MIN_SECRET_BYTES: usize = 24;

/// Most bytes a decoded secret may have (the Standard Webhooks specification allows up to 64).
pub const MAX_SECRET_BYTES: usize = 64;

/// The only signature version this module computes and accepts.
pub const SIGNATURE_VERSION: &str = "v1";

/// Name of the message id header (alias: `webhook-id`).
pub const HEADER_ID: &str = "svix-id";
/// Name of the timestamp header (alias: `webhook-timestamp`).
pub const HEADER_TIMESTAMP: &str = "svix-timestamp";
/// Name of the signature list header (alias: `webhook-signature`).
pub const HEADER_SIGNATURE: &str = "svix-signature";

/// Encoding of a secret: standard alphabet, with or without its `=` padding (secrets are shown
/// padded by some tools and unpadded by others). Trailing bits must be zero, as in any canonical
/// encoding.
const SECRET_ENGINE: base64::engine::GeneralPurpose = STANDARD_PAD_INDIFFERENT;

/// Encoding of a signature: signing writes the canonical padded form; checking also accepts an
/// entry whose padding was dropped.
const SIGNATURE_ENGINE: base64::engine::GeneralPurpose = STANDARD_PAD_INDIFFERENT;

/// What is wrong with a secret. Deliberately coarse: it never says where the secret went wrong,
/// so that nothing about its content can leak into logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretProblem {
    /// Nothing (or only whitespace, or only the `whsec_` prefix) was given.
    Empty,
    /// The part after `whsec_` is not standard base64.
    NotBase64,
    /// The secret decodes to fewer than [`MIN_SECRET_BYTES`] or more than [`MAX_SECRET_BYTES`].
    WrongLength,
}

/// Why a delivery (or a secret) was rejected.
///
/// The [`Display`](fmt::Display) messages are fixed strings that say what to fix; they never
/// include any part of the secret, the headers or the body. [`VerifyError::code`] gives a short
/// stable identifier for each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyError {
    /// The endpoint secret is unusable. This is a configuration error, not a bad delivery.
    MalformedSecret(SecretProblem),
    /// A required header is absent or empty. Holds the header's Svix name ([`HEADER_ID`],
    /// [`HEADER_TIMESTAMP`] or [`HEADER_SIGNATURE`]).
    MissingHeader(&'static str),
    /// The timestamp header is not a whole number of seconds (only ASCII digits, fitting `i64`).
    InvalidTimestamp,
    /// The tolerance given to [`verify`] is negative. This is a caller error.
    InvalidTolerance,
    /// The timestamp is more than the tolerance before `now`.
    TimestampTooOld,
    /// The timestamp is more than the tolerance after `now`.
    TimestampTooNew,
    /// No `v1` entry of the signature list matches the expected signature.
    NoMatchingSignature,
}

impl VerifyError {
    /// A short, stable, machine-readable identifier of the error (for SQL callers and metrics).
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MalformedSecret(_) => "malformed_secret",
            VerifyError::MissingHeader(_) => "missing_header",
            VerifyError::InvalidTimestamp => "invalid_timestamp",
            VerifyError::InvalidTolerance => "invalid_tolerance",
            VerifyError::TimestampTooOld => "timestamp_too_old",
            VerifyError::TimestampTooNew => "timestamp_too_new",
            VerifyError::NoMatchingSignature => "no_matching_signature",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MalformedSecret(SecretProblem::Empty) => f.write_str(
                "the webhook signing secret is empty: set it to the endpoint's signing secret as \
                 the webhook provider shows it (\"whsec_\" followed by base64)",
            ),
            VerifyError::MalformedSecret(SecretProblem::NotBase64) => f.write_str(
                "the webhook signing secret is not valid base64 after its \"whsec_\" prefix: copy \
                 the endpoint's signing secret exactly as the webhook provider shows it",
            ),
            VerifyError::MalformedSecret(SecretProblem::WrongLength) => f.write_str(
                "the webhook signing secret does not decode to 24 to 64 bytes: copy the whole \
                 endpoint signing secret (\"whsec_\" followed by base64) exactly as the webhook \
                 provider shows it",
            ),
            VerifyError::MissingHeader(name) => {
                let alias = name.strip_prefix("svix-").unwrap_or(name);
                write!(
                    f,
                    "the {name} header (or webhook-{alias}) is missing or empty: pass the \
                     request's headers as received"
                )
            }
            VerifyError::InvalidTimestamp => f.write_str(
                "the svix-timestamp header is not a whole number of seconds since the Unix epoch",
            ),
            VerifyError::InvalidTolerance => f.write_str(
                "the timestamp tolerance is negative: pass zero or a positive number of seconds",
            ),
            VerifyError::TimestampTooOld => f.write_str(
                "the message timestamp is older than the tolerance allows: the delivery is stale \
                 or replayed, or this server's clock is ahead",
            ),
            VerifyError::TimestampTooNew => f.write_str(
                "the message timestamp is further in the future than the tolerance allows: check \
                 this server's clock",
            ),
            VerifyError::NoMatchingSignature => f.write_str(
                "no v1 signature matches: check that the secret is this endpoint's and that the \
                 body is passed byte for byte as received",
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Decodes an endpoint secret into the HMAC key.
///
/// Accepts `whsec_<base64>` or the bare base64, with or without `=` padding, standard alphabet;
/// surrounding whitespace (a trailing newline from a file or an environment variable) is
/// ignored. The key must be [`MIN_SECRET_BYTES`] to [`MAX_SECRET_BYTES`] bytes long.
///
/// The error never carries any part of the secret (the base64 decoder's own error, which names
/// the offending character and its offset, is discarded).
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, VerifyError> {
    let trimmed = secret.trim();
    let encoded = trimmed.strip_prefix(SECRET_PREFIX).unwrap_or(trimmed);
    if encoded.is_empty() {
        return Err(VerifyError::MalformedSecret(SecretProblem::Empty));
    }
    let key = SECRET_ENGINE
        .decode(encoded)
        .map_err(|_| VerifyError::MalformedSecret(SecretProblem::NotBase64))?;
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
        return Err(VerifyError::MalformedSecret(SecretProblem::WrongLength));
    }
    Ok(key)
}

/// The HMAC state after absorbing the signed content `<msg_id>.<timestamp>.<body>`.
///
/// `None` only if the HMAC implementation rejected the key, which it never does (HMAC takes
/// keys of any length); callers fail closed on it rather than panic.
fn signed_content_mac(
    key: &[u8],
    msg_id: &str,
    timestamp: &str,
    body: &[u8],
) -> Option<HmacSha256> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).ok()?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// Signs a message: returns the signature list entry `v1,<base64 HMAC-SHA256>` that a sender
/// puts in `svix-signature`.
///
/// `secret_bytes` is the decoded key (see [`decode_secret`]); any length is accepted here, the
/// 24 to 64 byte rule being enforced when a secret string is decoded. `timestamp` is signed
/// exactly as given, so pass the header's text.
///
/// Should the HMAC implementation ever refuse the key (it accepts every length, so this cannot
/// happen), the result is the entry `v1,`, which matches nothing.
pub fn sign(secret_bytes: &[u8], msg_id: &str, timestamp: &str, body: &[u8]) -> String {
    match signed_content_mac(secret_bytes, msg_id, timestamp, body) {
        Some(mac) => {
            let tag = mac.finalize().into_bytes();
            format!("{SIGNATURE_VERSION},{}", STANDARD.encode(tag))
        }
        None => format!("{SIGNATURE_VERSION},"),
    }
}

/// Parses a timestamp header: one or more ASCII digits fitting an `i64`. Signs, spaces, decimal
/// points and exponents are refused (senders write plain integers).
fn parse_timestamp(timestamp: &str) -> Result<i64, VerifyError> {
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::InvalidTimestamp);
    }
    timestamp
        .parse::<i64>()
        .map_err(|_| VerifyError::InvalidTimestamp)
}

/// Checks `timestamp` against `now_unix`: a difference of exactly `tolerance_seconds` is still
/// accepted. Computed in `i128`, so no pair of `i64` values overflows.
fn check_timestamp(
    timestamp: i64,
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), VerifyError> {
    let age = i128::from(now_unix) - i128::from(timestamp);
    let tolerance = i128::from(tolerance_seconds);
    if age > tolerance {
        Err(VerifyError::TimestampTooOld)
    } else if -age > tolerance {
        Err(VerifyError::TimestampTooNew)
    } else {
        Ok(())
    }
}

/// Verifies one delivery.
///
/// * `secret`: the endpoint secret, as accepted by [`decode_secret`];
/// * `msg_id`, `msg_timestamp`, `signatures`: the values of the `svix-id`, `svix-timestamp` and
///   `svix-signature` headers (or their `webhook-` aliases; see [`header`]);
/// * `body`: the raw request body, byte for byte as received;
/// * `now_unix`: the current time in Unix seconds (a parameter, so that callers and tests
///   control the clock);
/// * `tolerance_seconds`: how far the timestamp may be from `now_unix` either way, inclusive
///   ([`DEFAULT_TOLERANCE_SECONDS`] is the usual choice). A negative tolerance is refused with
///   [`VerifyError::InvalidTolerance`] rather than silently clamped.
///
/// Checks, in this order (the first failure is returned): the secret, the tolerance, presence
/// of the id, timestamp and signature headers (an empty value counts as missing), the
/// timestamp's syntax, its age, and finally the signatures.
///
/// The signature list is split on ASCII whitespace, so repeated or surrounding spaces are
/// harmless. Each entry is `<version>,<base64>`; entries of other versions (`v1a`, `v2`, ...),
/// entries without a comma, and `v1` entries that are not base64 or do not decode to 32 bytes are
/// skipped as non-matching. Any one matching `v1` entry (compared in constant time) makes the
/// delivery valid, which is how secret rotation works.
pub fn verify(
    secret: &str,
    msg_id: &str,
    msg_timestamp: &str,
    body: &[u8],
    signatures: &str,
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), VerifyError> {
    let key = decode_secret(secret)?;
    if tolerance_seconds < 0 {
        return Err(VerifyError::InvalidTolerance);
    }
    if msg_id.is_empty() {
        return Err(VerifyError::MissingHeader(HEADER_ID));
    }
    if msg_timestamp.is_empty() {
        return Err(VerifyError::MissingHeader(HEADER_TIMESTAMP));
    }
    if signatures.split_ascii_whitespace().next().is_none() {
        return Err(VerifyError::MissingHeader(HEADER_SIGNATURE));
    }
    let timestamp = parse_timestamp(msg_timestamp)?;
    check_timestamp(timestamp, now_unix, tolerance_seconds)?;

    // Unreachable failure (see `signed_content_mac`); reported as a key problem, never as success.
    let expected = signed_content_mac(&key, msg_id, msg_timestamp, body)
        .ok_or(VerifyError::MalformedSecret(SecretProblem::WrongLength))?;

    let matched = signatures
        .split_ascii_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == SIGNATURE_VERSION)
        .filter_map(|(_, encoded)| SIGNATURE_ENGINE.decode(encoded).ok())
        // `verify_slice` refuses a tag of the wrong length and compares the rest in constant time.
        .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
    if matched {
        Ok(())
    } else {
        Err(VerifyError::NoMatchingSignature)
    }
}

/// Finds a webhook header in a JSON object of request headers (`{"svix-id": "msg_...", ...}`).
///
/// `name` is the header's suffix: `"id"`, `"timestamp"` or `"signature"`. Keys are compared
/// ignoring ASCII case; `svix-<name>` is tried first, then `webhook-<name>`. Only JSON string
/// values count; the value is returned without the spaces and tabs HTTP allows around it, and a
/// value that is then empty counts as absent. Should several keys match one name (which a JSON
/// object built from real HTTP headers does not have), the first in the object's iteration order
/// is used.
///
/// Returns `None` when `headers` is not an object or no usable value is found.
pub fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    let map = headers.as_object()?;
    ["svix-", "webhook-"].iter().find_map(|prefix| {
        map.iter().find_map(|(key, value)| {
            if !key_matches(key, prefix, name) {
                return None;
            }
            let text = value.as_str()?.trim_matches([' ', '\t']);
            (!text.is_empty()).then_some(text)
        })
    })
}

/// Whether `key` is `<prefix><name>`, ignoring ASCII case. Compares bytes, so a key with
/// multi-byte characters cannot cause a slice on a non-character boundary.
fn key_matches(key: &str, prefix: &str, name: &str) -> bool {
    let (key, prefix, name) = (key.as_bytes(), prefix.as_bytes(), name.as_bytes());
    key.len() == prefix.len() + name.len() && {
        let (head, tail) = key.split_at(prefix.len());
        head.eq_ignore_ascii_case(prefix) && tail.eq_ignore_ascii_case(name)
    }
}

/// [`verify`] with the three headers taken from a JSON object of request headers by
/// [`header`]; a header that is not found is reported as [`VerifyError::MissingHeader`].
pub fn verify_headers(
    secret: &str,
    headers: &Value,
    body: &[u8],
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), VerifyError> {
    verify(
        secret,
        header(headers, "id").unwrap_or(""),
        header(headers, "timestamp").unwrap_or(""),
        body,
        header(headers, "signature").unwrap_or(""),
        now_unix,
        tolerance_seconds,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Test-only secret: base64 of the 24 bytes 0x00..=0x17.
    const TEST_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
    /// A second test-only secret (24 bytes 0x80..=0x97), for rotation and wrong-secret cases.
    const OTHER_TEST_SECRET: &str = "whsec_gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaX";
    const ID: &str = "msg_2Lh9KRb0pzN4LePd3XiA0dlsSda";
    const TS: &str = "1700000000";
    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"type":"user.created","data":{"id":"user_1"}}"#;

    fn key(secret: &str) -> Vec<u8> {
        decode_secret(secret).expect("test secret decodes")
    }

    fn sig(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
        sign(&key(secret), id, ts, body)
    }

    fn check(body: &[u8], signatures: &str) -> Result<(), VerifyError> {
        verify(
            TEST_SECRET,
            ID,
            TS,
            body,
            signatures,
            NOW,
            DEFAULT_TOLERANCE_SECONDS,
        )
    }

    /// The example of the Svix documentation and of the official libraries' test suites.
    #[test]
    fn svix_documentation_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = "1614265330";
        let body = br#"{"test": 2432232314}"#;
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(sign(&key(secret), id, ts, body), expected);
        assert_eq!(
            verify(secret, id, ts, body, expected, 1_614_265_330, 300),
            Ok(())
        );
    }

    #[test]
    fn valid_signature_verifies() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        assert!(s.starts_with("v1,"));
        assert_eq!(s.len(), 3 + 44, "32-byte tag, padded base64");
        assert_eq!(check(BODY, &s), Ok(()));
    }

    #[test]
    fn tampered_body_is_rejected() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 0x01;
        assert_eq!(check(&tampered, &s), Err(VerifyError::NoMatchingSignature));
        let mut longer = BODY.to_vec();
        longer.push(b' ');
        assert_eq!(check(&longer, &s), Err(VerifyError::NoMatchingSignature));
        assert_eq!(
            check(&BODY[..BODY.len() - 1], &s),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn tampered_id_or_timestamp_is_rejected() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        assert_eq!(
            verify(TEST_SECRET, "msg_other", TS, BODY, &s, NOW, 300),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verify(TEST_SECRET, ID, "1700000001", BODY, &s, NOW, 300),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn wrong_secret_is_rejected() {
        let s = sig(OTHER_TEST_SECRET, ID, TS, BODY);
        assert_eq!(check(BODY, &s), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn rotated_secrets_any_entry_may_match() {
        let ours = sig(TEST_SECRET, ID, TS, BODY);
        let theirs = sig(OTHER_TEST_SECRET, ID, TS, BODY);
        assert_eq!(
            check(BODY, &format!("{theirs} {ours}")),
            Ok(()),
            "second matches"
        );
        assert_eq!(
            check(BODY, &format!("{ours} {theirs}")),
            Ok(()),
            "first matches"
        );
        assert_eq!(
            check(BODY, &format!("{theirs} {theirs}")),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn timestamp_tolerance_boundaries() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        let run = |now: i64, tol: i64| verify(TEST_SECRET, ID, TS, BODY, &s, now, tol);
        // Exactly at the boundary is accepted, one second beyond is not.
        assert_eq!(run(NOW + 300, 300), Ok(()));
        assert_eq!(run(NOW + 301, 300), Err(VerifyError::TimestampTooOld));
        assert_eq!(run(NOW - 300, 300), Ok(()));
        assert_eq!(run(NOW - 301, 300), Err(VerifyError::TimestampTooNew));
        // Tolerance zero accepts only the exact second.
        assert_eq!(run(NOW, 0), Ok(()));
        assert_eq!(run(NOW + 1, 0), Err(VerifyError::TimestampTooOld));
        assert_eq!(run(NOW - 1, 0), Err(VerifyError::TimestampTooNew));
        // Far away, and extreme clock values, never overflow.
        assert_eq!(run(NOW + 86_400, 300), Err(VerifyError::TimestampTooOld));
        assert_eq!(run(i64::MAX, i64::MAX), Ok(()));
        assert_eq!(run(i64::MIN, 300), Err(VerifyError::TimestampTooNew));
        assert_eq!(run(i64::MIN, i64::MAX), Err(VerifyError::TimestampTooNew));
    }

    #[test]
    fn stale_timestamp_is_rejected_even_with_a_valid_signature() {
        let old = "1699990000";
        let s = sig(TEST_SECRET, ID, old, BODY);
        assert_eq!(
            verify(TEST_SECRET, ID, old, BODY, &s, NOW, 300),
            Err(VerifyError::TimestampTooOld)
        );
    }

    #[test]
    fn negative_tolerance_is_refused() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        assert_eq!(
            verify(TEST_SECRET, ID, TS, BODY, &s, NOW, -1),
            Err(VerifyError::InvalidTolerance)
        );
    }

    #[test]
    fn non_integer_timestamps_are_invalid() {
        for ts in [
            "abc",
            "1700000000.5",
            "1.7e9",
            "+1700000000",
            "-1",
            " 1700000000",
            "1700000000 ",
            "0x10",
            "99999999999999999999",
            "١٧٠٠",
        ] {
            let s = sig(TEST_SECRET, ID, ts, BODY);
            assert_eq!(
                verify(TEST_SECRET, ID, ts, BODY, &s, NOW, 300),
                Err(VerifyError::InvalidTimestamp),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn missing_headers() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        let run =
            |id: &str, ts: &str, sigs: &str| verify(TEST_SECRET, id, ts, BODY, sigs, NOW, 300);
        assert_eq!(run("", TS, &s), Err(VerifyError::MissingHeader(HEADER_ID)));
        assert_eq!(
            run(ID, "", &s),
            Err(VerifyError::MissingHeader(HEADER_TIMESTAMP))
        );
        assert_eq!(
            run(ID, TS, ""),
            Err(VerifyError::MissingHeader(HEADER_SIGNATURE))
        );
        assert_eq!(
            run(ID, TS, "   "),
            Err(VerifyError::MissingHeader(HEADER_SIGNATURE))
        );
        assert_eq!(run("", "", ""), Err(VerifyError::MissingHeader(HEADER_ID)));
        let msg = VerifyError::MissingHeader(HEADER_TIMESTAMP).to_string();
        assert!(
            msg.contains("svix-timestamp") && msg.contains("webhook-timestamp"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_secret_is_reported_before_request_problems() {
        assert_eq!(
            verify("whsec_", "", "", b"", "", NOW, -5),
            Err(VerifyError::MalformedSecret(SecretProblem::Empty))
        );
    }

    #[test]
    fn undecodable_signature_entries_do_not_match() {
        let good = sig(TEST_SECRET, ID, TS, BODY);
        let tag = good.strip_prefix("v1,").unwrap_or_default();
        for bad in [
            "v1,not base64!",
            "v1,@@@@",
            "v1,",
            "v1",
            ",",
            "v1,,",
            "v1,AAAA", // valid base64, 3 bytes
            "v1,QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", // 39 bytes
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", // right length, wrong tag
            "V1,x",
            "v1,ÿÿÿÿ",
        ] {
            assert_eq!(
                check(BODY, bad),
                Err(VerifyError::NoMatchingSignature),
                "{bad:?}"
            );
            // A bad entry next to a good one does not spoil it.
            assert_eq!(check(BODY, &format!("{bad} {good}")), Ok(()), "{bad:?}");
        }
        // The right tag in the URL-safe alphabet or with characters appended is not a match.
        let url_safe = tag.replace('+', "-").replace('/', "_");
        if url_safe != tag {
            assert_eq!(
                check(BODY, &format!("v1,{url_safe}")),
                Err(VerifyError::NoMatchingSignature)
            );
        }
        assert_eq!(
            check(BODY, &format!("{good}AAAA")),
            Err(VerifyError::NoMatchingSignature)
        );
        // Without its padding it still matches.
        assert_eq!(
            check(BODY, &format!("v1,{}", tag.trim_end_matches('='))),
            Ok(())
        );
    }

    #[test]
    fn other_versions_are_ignored() {
        let good = sig(TEST_SECRET, ID, TS, BODY);
        let tag = good.strip_prefix("v1,").unwrap_or_default();
        // The right bytes under another version do not count.
        assert_eq!(
            check(BODY, &format!("v2,{tag} v1a,{tag} v0,{tag} V1,{tag}")),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(check(BODY, &format!("v2,{tag} v1a,abc {good}")), Ok(()));
    }

    #[test]
    fn empty_body_is_valid_when_signed() {
        let s = sig(TEST_SECRET, ID, TS, b"");
        assert_eq!(check(b"", &s), Ok(()));
        assert_eq!(check(b" ", &s), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn signature_list_with_extra_whitespace() {
        let ours = sig(TEST_SECRET, ID, TS, BODY);
        let theirs = sig(OTHER_TEST_SECRET, ID, TS, BODY);
        for list in [
            format!("  {ours}  "),
            format!("{theirs}    {ours}"),
            format!("\t{theirs}\t{ours}\n"),
            format!(" v2,abc   {ours} "),
        ] {
            assert_eq!(check(BODY, &list), Ok(()), "{list:?}");
        }
    }

    #[test]
    fn secret_with_and_without_prefix() {
        let bare = TEST_SECRET.strip_prefix(SECRET_PREFIX).unwrap_or_default();
        assert_eq!(decode_secret(bare), decode_secret(TEST_SECRET));
        assert_eq!(key(TEST_SECRET), (0u8..24).collect::<Vec<u8>>());
        let s = sig(TEST_SECRET, ID, TS, BODY);
        assert_eq!(verify(bare, ID, TS, BODY, &s, NOW, 300), Ok(()));
        // Surrounding whitespace (a trailing newline from a file) is ignored.
        assert_eq!(
            verify(&format!(" {TEST_SECRET}\n"), ID, TS, BODY, &s, NOW, 300),
            Ok(())
        );
    }

    #[test]
    fn secret_lengths() {
        let encode = |n: usize| format!("whsec_{}", STANDARD.encode(vec![7u8; n]));
        assert_eq!(
            decode_secret(&encode(23)),
            Err(VerifyError::MalformedSecret(SecretProblem::WrongLength))
        );
        assert_eq!(decode_secret(&encode(24)).map(|k| k.len()), Ok(24));
        assert_eq!(decode_secret(&encode(32)).map(|k| k.len()), Ok(32));
        assert_eq!(decode_secret(&encode(64)).map(|k| k.len()), Ok(64));
        assert_eq!(
            decode_secret(&encode(65)),
            Err(VerifyError::MalformedSecret(SecretProblem::WrongLength))
        );
        // Padding is optional.
        let padded = encode(32);
        assert!(padded.ends_with('='));
        assert_eq!(
            decode_secret(padded.trim_end_matches('=')).map(|k| k.len()),
            Ok(32)
        );
    }

    /// The message for `problem`, computed from secrets unrelated to the cases below.
    fn reference_message(problem: SecretProblem) -> String {
        let secret = match problem {
            SecretProblem::Empty => "",
            SecretProblem::NotBase64 => "%",
            SecretProblem::WrongLength => "AA==",
        };
        let err = decode_secret(secret).expect_err("malformed");
        assert_eq!(err, VerifyError::MalformedSecret(problem));
        err.to_string()
    }

    #[test]
    fn malformed_secret_messages_never_contain_the_secret() {
        let cases = [
            ("", SecretProblem::Empty),
            ("   ", SecretProblem::Empty),
            ("whsec_", SecretProblem::Empty),
            ("whsec_Zm9v!Xq7pKz#Zm9v", SecretProblem::NotBase64),
            ("whsec_aHVudGVyMmh1bnRlcjI=", SecretProblem::WrongLength),
            ("whsec_hunter2hunter2", SecretProblem::NotBase64),
            ("whsec_c2hvcnQ=", SecretProblem::WrongLength),
            (
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw_",
                SecretProblem::NotBase64,
            ),
            // A 512-bit hex key, which is base64 too but decodes to 96 bytes.
            (
                concat!(
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                ),
                SecretProblem::WrongLength,
            ),
            (
                "whsec_MfKQ9r8GKYqrTwjUPD8I LPZIo2LaLaSw",
                SecretProblem::NotBase64,
            ),
            ("whsec_ünïcødé", SecretProblem::NotBase64),
        ];
        for (secret, problem) in cases {
            let err = decode_secret(secret).expect_err(secret);
            assert_eq!(err, VerifyError::MalformedSecret(problem), "{secret:?}");
            let msg = err.to_string();
            let debug = format!("{err:?}");
            let body = secret
                .trim()
                .strip_prefix(SECRET_PREFIX)
                .unwrap_or(secret.trim());
            if !body.is_empty() {
                assert!(!msg.contains(body) && !debug.contains(body), "{msg}");
            }
            // Nor any part of it: the message is the same for every secret with this problem.
            assert_eq!(msg, reference_message(problem), "{secret:?}");
            // Via verify, the same error comes back.
            assert_eq!(verify(secret, ID, TS, BODY, "v1,x", NOW, 300), Err(err));
        }
    }

    #[test]
    fn every_error_has_a_message_and_a_code() {
        let all = [
            VerifyError::MalformedSecret(SecretProblem::Empty),
            VerifyError::MalformedSecret(SecretProblem::NotBase64),
            VerifyError::MalformedSecret(SecretProblem::WrongLength),
            VerifyError::MissingHeader(HEADER_ID),
            VerifyError::MissingHeader(HEADER_TIMESTAMP),
            VerifyError::MissingHeader(HEADER_SIGNATURE),
            VerifyError::InvalidTimestamp,
            VerifyError::InvalidTolerance,
            VerifyError::TimestampTooOld,
            VerifyError::TimestampTooNew,
            VerifyError::NoMatchingSignature,
        ];
        for e in all {
            assert!(!e.to_string().is_empty());
            assert!(e.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn header_lookup() {
        let h = json!({
            "Svix-Id": "msg_1",
            "WEBHOOK-ID": "msg_2",
            "webhook-timestamp": " 1700000000\t",
            "svix-signature": "",
            "Webhook-Signature": "v1,abc",
            "content-type": "application/json",
            "svix-ïd": "no",
        });
        assert_eq!(header(&h, "id"), Some("msg_1"), "svix- wins, any case");
        assert_eq!(
            header(&h, "timestamp"),
            Some("1700000000"),
            "unbranded, trimmed"
        );
        assert_eq!(
            header(&h, "signature"),
            Some("v1,abc"),
            "empty svix- value falls through"
        );
        assert_eq!(header(&h, "type"), None);
        assert_eq!(header(&json!({"svix-id": 5}), "id"), None, "not a string");
        assert_eq!(header(&json!(["svix-id"]), "id"), None, "not an object");
        assert_eq!(header(&json!(null), "id"), None);
        assert_eq!(
            header(&json!({"ſvix-id": "x", "svix-ıd": "y"}), "id"),
            None,
            "no Unicode folding"
        );
    }

    #[test]
    fn verify_with_a_header_object() {
        let s = sig(TEST_SECRET, ID, TS, BODY);
        let h = json!({"svix-id": ID, "svix-timestamp": TS, "svix-signature": s});
        assert_eq!(verify_headers(TEST_SECRET, &h, BODY, NOW, 300), Ok(()));
        let unbranded = json!({"webhook-id": ID, "webhook-timestamp": TS, "webhook-signature": s});
        assert_eq!(
            verify_headers(TEST_SECRET, &unbranded, BODY, NOW, 300),
            Ok(())
        );
        let partial = json!({"svix-id": ID, "svix-signature": s});
        assert_eq!(
            verify_headers(TEST_SECRET, &partial, BODY, NOW, 300),
            Err(VerifyError::MissingHeader(HEADER_TIMESTAMP))
        );
    }
}
