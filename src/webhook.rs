//! SQL entry points for webhooks from outside identity providers: the Standard Webhooks (Svix)
//! signature check and the Clerk user payload, both thin wrappers of `auth_sync_core`.
//! The secrets that pass through here never reach an error message (see `malformed_secret`).

use auth_sync_core::{clerk, webhook};
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch by the wall clock (not the transaction's start: a retried
/// delivery is judged by when it arrives).
fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Raises 22023 for a secret that is not `whsec_` + base64 of 24 to 64 bytes, or a negative
/// tolerance; the message names the problem (webhook::VerifyError's fixed text), never the secret.
fn raise_verify_error(e: &webhook::VerifyError) -> ! {
    if matches!(e, webhook::VerifyError::MalformedSecret(_)) {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{e}"),
            "A webhook secret is \"whsec_\" followed by the base64 of 24 to 64 bytes, as the provider's dashboard shows it."
        );
    }
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("{e}")
    );
}

/// `auth_sync.verify_webhook_signature(...)`: true when one `v1` signature matches and the
/// timestamp is within `tolerance_seconds` of now. A malformed secret or a negative tolerance
/// raises 22023; everything else about the request (missing values, stale or future timestamps,
/// tampered body, no matching signature) gives false.
#[pg_extern(volatile, parallel_safe)]
fn verify_webhook_signature(
    secret: &str,
    msg_id: Option<&str>,
    msg_timestamp: Option<&str>,
    body: Option<&str>,
    signatures: Option<&str>,
    tolerance_seconds: default!(i32, 300),
) -> bool {
    match webhook::verify(
        secret,
        msg_id.unwrap_or(""),
        msg_timestamp.unwrap_or(""),
        body.unwrap_or("").as_bytes(),
        signatures.unwrap_or(""),
        now_unix(),
        i64::from(tolerance_seconds),
    ) {
        Ok(()) => true,
        Err(
            e @ (webhook::VerifyError::MalformedSecret(_) | webhook::VerifyError::InvalidTolerance),
        ) => raise_verify_error(&e),
        Err(_) => false,
    }
}

/// Checks a secret's shape (raises 22023 like verify_webhook_signature) before it is stored.
#[pg_extern(immutable, parallel_safe)]
fn _webhook_check_secret(secret: &str) {
    if let Err(e) = webhook::decode_secret(secret) {
        raise_verify_error(&e)
    }
}

/// Verifies a request given its headers as a JSON object (`svix-*` or `webhook-*`, any case):
/// NULL when valid, else the reason's stable code (`missing_header`, `timestamp_too_old`,
/// `no_matching_signature`, ...), for the caller to raise or record.
#[pg_extern(volatile, parallel_safe)]
fn _webhook_verify(
    secret: &str,
    headers: Option<JsonB>,
    body: Option<&str>,
    tolerance_seconds: i32,
) -> Option<&'static str> {
    let headers = headers.map(|h| h.0).unwrap_or(serde_json::Value::Null);
    match webhook::verify_headers(
        secret,
        &headers,
        body.unwrap_or("").as_bytes(),
        now_unix(),
        i64::from(tolerance_seconds),
    ) {
        Ok(()) => None,
        Err(e) => Some(e.code()),
    }
}

/// One request header by name (`id`, `timestamp`, `signature`), from `svix-<name>` or
/// `webhook-<name>`, any case.
#[pg_extern(immutable, parallel_safe)]
fn _webhook_header(headers: JsonB, name: &str) -> Option<String> {
    webhook::header(&headers.0, name).map(str::to_owned)
}

fn bad_payload(msg: String) -> ! {
    ereport!(ERROR, PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, msg);
}

/// A Clerk event body: its type and data object. A body that is not a Clerk event raises 22023
/// (the message says what is wrong, never the body).
#[pg_extern(immutable, parallel_safe)]
fn _clerk_event(
    body: &str,
) -> TableIterator<'static, (name!(event_type, String), name!(data, JsonB))> {
    match clerk::parse_clerk_event(body) {
        Ok(ev) => TableIterator::once((ev.event_type, JsonB(ev.data))),
        Err(msg) => bad_payload(msg),
    }
}

/// The fields of a Clerk user (`data` of a user event) as one JSON object: id, email (the
/// primary address, lower-cased), first_name, last_name, username, image_url, deleted. A `data`
/// without a user id raises 22023.
#[pg_extern(immutable, parallel_safe)]
fn _clerk_user(data: JsonB) -> JsonB {
    // (ClerkUser's Serialize: every field but the raw data)
    match clerk::clerk_user(&data.0).map(|u| serde_json::to_value(&u)) {
        Ok(Ok(u)) => JsonB(u),
        Ok(Err(e)) => bad_payload(format!("the Clerk user could not be written as JSON: {e}")),
        Err(msg) => bad_payload(msg),
    }
}
