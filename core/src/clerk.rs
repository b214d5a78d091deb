//! Parsing of Clerk webhook events (after their signature was checked with
//! [`crate::webhook::verify`]).
//!
//! A Clerk delivery body is a JSON object `{"type": "user.created", "object": "event",
//! "data": {...}, ...}`. For `user.created` and `user.updated`, `data` is a full user object; for
//! `user.deleted` it is only `{"object": "user", "id": "user_...", "deleted": true}`.
//!
//! Nothing here panics on any input. Error messages say what is wrong with the body without
//! quoting it (a JSON syntax error gives only its kind and position).

use serde::Serialize;
use serde_json::{Map, Value};

/// A Clerk event: its `type` and its `data` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ClerkEvent {
    /// The event type, such as `user.created`, `user.updated` or `user.deleted`.
    pub event_type: String,
    /// The event's `data`, always a JSON object.
    pub data: Value,
}

/// The fields of a Clerk user that a profile table maps.
///
/// Optional strings are trimmed; a missing, `null`, non-string or blank value is `None`.
/// Serialized, it is the JSON object the SQL side reads the fields from: `id`, `email`,
/// `first_name`, `last_name`, `username`, `image_url` (`null` when `None`) and `deleted`
/// (`raw` is left out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClerkUser {
    /// Clerk's user id (`user_...`), exactly as sent.
    pub id: String,
    /// The primary email address, trimmed and lower-cased (see [`clerk_user`]).
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// `image_url`, or the older `profile_image_url` when that is absent.
    pub image_url: Option<String>,
    /// Whether `data.deleted` is `true` (the shape of `user.deleted` events).
    pub deleted: bool,
    /// The whole `data` object, for columns mapped from other keys.
    #[serde(skip)]
    pub raw: Value,
}

/// Parses a Clerk webhook body into its event type and data.
///
/// The body must be a JSON object with a non-blank string `type` and an object `data`; other
/// keys (`object`, `timestamp`, `instance_id`, ...) are ignored.
pub fn parse_clerk_event(body: &str) -> Result<ClerkEvent, String> {
    let root: Value = serde_json::from_str(body).map_err(|e| json_error(&e))?;
    let Value::Object(mut root) = root else {
        return Err("the webhook body is not a JSON object".to_owned());
    };
    let event_type = match root.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(Value::String(_)) => return Err("the webhook body's \"type\" is blank".to_owned()),
        Some(_) => return Err("the webhook body's \"type\" is not a string".to_owned()),
        None => return Err("the webhook body has no \"type\"".to_owned()),
    };
    let data = match root.remove("data") {
        // (jsonb refuses U+0000: the event could be neither stored nor applied)
        Some(data @ Value::Object(_)) if crate::import::json_has_nul(&data) => {
            return Err(
                "the webhook body's \"data\" holds the escape \\u0000 (a NUL character), \
                 which PostgreSQL's jsonb cannot store"
                    .to_owned(),
            )
        }
        Some(data @ Value::Object(_)) => data,
        Some(_) => return Err("the webhook body's \"data\" is not a JSON object".to_owned()),
        None => return Err("the webhook body has no \"data\"".to_owned()),
    };
    Ok(ClerkEvent { event_type, data })
}

/// Describes a JSON syntax error by kind and position only, never by content.
fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Eof => "it ends too early",
        Category::Syntax => "syntax error",
        Category::Data => "invalid data",
        Category::Io => "read error",
    };
    format!(
        "the webhook body is not valid JSON ({kind} at line {}, column {})",
        e.line(),
        e.column()
    )
}

/// Extracts a [`ClerkUser`] from an event's `data`.
///
/// `data` must be an object with a non-blank string `id`; when it has an `object` key, that must
/// be `"user"`. Everything else is optional, so the id-only data of `user.deleted` parses (with
/// every optional field `None` and `deleted` true).
///
/// The email is taken from `email_addresses`: the entry whose `id` equals
/// `primary_email_address_id`, or, when there is no such entry or it has no usable address, the
/// first entry that has one. It is trimmed and lower-cased (Unicode lower-casing, as
/// [`crate::import::normalize_email`] does) but not otherwise validated.
pub fn clerk_user(data: &Value) -> Result<ClerkUser, String> {
    let Value::Object(map) = data else {
        return Err("the event data is not a JSON object".to_owned());
    };
    match map.get("object") {
        None => {}
        Some(Value::String(o)) if o == "user" => {}
        Some(_) => {
            return Err("the event data is not a user (its \"object\" is not \"user\")".to_owned())
        }
    }
    let id = match map.get("id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        Some(Value::String(_)) => return Err("the user's \"id\" is blank".to_owned()),
        Some(_) => return Err("the user's \"id\" is not a string".to_owned()),
        None => return Err("the user has no \"id\"".to_owned()),
    };
    Ok(ClerkUser {
        id,
        email: primary_email(map),
        first_name: text(map, "first_name"),
        last_name: text(map, "last_name"),
        username: text(map, "username"),
        image_url: text(map, "image_url").or_else(|| text(map, "profile_image_url")),
        deleted: map.get("deleted").and_then(Value::as_bool).unwrap_or(false),
        raw: data.clone(),
    })
}

/// A string value, trimmed; `None` when missing, not a string, or blank.
fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    let t = map.get(key)?.as_str()?.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The primary email address (see [`clerk_user`]).
fn primary_email(map: &Map<String, Value>) -> Option<String> {
    let addresses = map.get("email_addresses")?.as_array()?;
    let primary = map
        .get("primary_email_address_id")
        .and_then(Value::as_str)
        .and_then(|pid| {
            addresses
                .iter()
                .find(|a| a.get("id").and_then(Value::as_str) == Some(pid))
        });
    primary.into_iter().chain(addresses.iter()).find_map(|a| {
        let email = a.get("email_address")?.as_str()?.trim();
        (!email.is_empty()).then(|| email.to_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `user.created` body shaped like Clerk's documented example.
    const USER_CREATED: &str = r#"{
      "data": {
        "birthday": "",
        "created_at": 1654012591514,
        "email_addresses": [
          {
            "email_address": "Other@Example.org",
            "id": "idn_29w83yL7CwVlJXylYLxcslromF0",
            "linked_to": [],
            "object": "email_address",
            "verification": {"status": "verified", "strategy": "ticket"}
          },
          {
            "email_address": "  Example@Example.ORG ",
            "id": "idn_29w83yL7CwVlJXylYLxcslromF1",
            "linked_to": [],
            "object": "email_address",
            "verification": {"status": "verified", "strategy": "ticket"}
          }
        ],
        "external_accounts": [],
        "external_id": "567772",
        "first_name": "Example",
        "gender": "",
        "id": "user_29w83sxmDNGwOuEthce5gg56FcC",
        "image_url": "https://img.clerk.com/xxxxxx",
        "last_name": "Example",
        "last_sign_in_at": 1654012591514,
        "object": "user",
        "password_enabled": true,
        "phone_numbers": [],
        "primary_email_address_id": "idn_29w83yL7CwVlJXylYLxcslromF1",
        "primary_phone_number_id": null,
        "primary_web3_wallet_id": null,
        "private_metadata": {},
        "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
        "public_metadata": {},
        "two_factor_enabled": false,
        "unsafe_metadata": {},
        "updated_at": 1654012591835,
        "username": null,
        "web3_wallets": []
      },
      "instance_id": "ins_123",
      "object": "event",
      "timestamp": 1654012591835,
      "type": "user.created"
    }"#;

    #[test]
    fn user_created() {
        let event = parse_clerk_event(USER_CREATED).expect("parses");
        assert_eq!(event.event_type, "user.created");
        let user = clerk_user(&event.data).expect("user");
        assert_eq!(user.id, "user_29w83sxmDNGwOuEthce5gg56FcC");
        assert_eq!(
            user.email.as_deref(),
            Some("example@example.org"),
            "primary, trimmed, lower"
        );
        assert_eq!(user.first_name.as_deref(), Some("Example"));
        assert_eq!(user.last_name.as_deref(), Some("Example"));
        assert_eq!(user.username, None);
        assert_eq!(
            user.image_url.as_deref(),
            Some("https://img.clerk.com/xxxxxx")
        );
        assert!(!user.deleted);
        assert_eq!(user.raw["external_id"], "567772");
    }

    #[test]
    fn nul_escape_in_data_is_refused_with_a_message() {
        for body in [
            r#"{"type":"user.created","data":{"id":"user_1","first_name":"Ada\u0000"}}"#,
            r#"{"type":"user.created","data":{"id":"user_1","public_metadata":{"k\u0000":[1]}}}"#,
        ] {
            let e = parse_clerk_event(body).expect_err(body);
            assert!(e.contains("\\u0000"), "{e}");
            assert!(!e.contains("Ada"));
        }
        // outside data it does no harm
        let ok = r#"{"type":"user.created","note":"\u0000","data":{"id":"user_1"}}"#;
        assert!(parse_clerk_event(ok).is_ok());
    }

    #[test]
    fn user_deleted_has_only_an_id() {
        let body = r#"{"data":{"deleted":true,"id":"user_29wBMCtzATuFJut8jO2VNTVekS4","object":"user"},"object":"event","type":"user.deleted"}"#;
        let event = parse_clerk_event(body).expect("parses");
        assert_eq!(event.event_type, "user.deleted");
        let user = clerk_user(&event.data).expect("user");
        assert_eq!(user.id, "user_29wBMCtzATuFJut8jO2VNTVekS4");
        assert_eq!(user.email, None);
        assert_eq!(
            (
                user.first_name,
                user.last_name,
                user.username,
                user.image_url
            ),
            (None, None, None, None)
        );
        assert!(user.deleted);
    }

    #[test]
    fn email_falls_back_to_the_first_usable_address() {
        let pick = |data: Value| clerk_user(&data).map(|u| u.email);
        // No primary id.
        let two = json!([{"id": "a", "email_address": "First@X.io"}, {"id": "b", "email_address": "second@x.io"}]);
        assert_eq!(
            pick(json!({"id": "u", "email_addresses": two})),
            Ok(Some("first@x.io".into()))
        );
        // Primary id that matches no entry.
        assert_eq!(
            pick(json!({"id": "u", "primary_email_address_id": "zzz", "email_addresses": two})),
            Ok(Some("first@x.io".into()))
        );
        // Primary id of the wrong type.
        assert_eq!(
            pick(json!({"id": "u", "primary_email_address_id": 5, "email_addresses": two})),
            Ok(Some("first@x.io".into()))
        );
        // Primary entry without a usable address.
        let holes = json!([{"id": "a", "email_address": "  "}, {"id": "b"}, {"id": "c", "email_address": "C@x.io"}]);
        assert_eq!(
            pick(json!({"id": "u", "primary_email_address_id": "a", "email_addresses": holes})),
            Ok(Some("c@x.io".into()))
        );
        // Nothing usable at all.
        assert_eq!(pick(json!({"id": "u", "email_addresses": []})), Ok(None));
        assert_eq!(
            pick(json!({"id": "u", "email_addresses": "a@b.co"})),
            Ok(None)
        );
        assert_eq!(
            pick(json!({"id": "u", "email_addresses": [1, null, []]})),
            Ok(None)
        );
    }

    #[test]
    fn optional_fields_of_the_wrong_type_are_none() {
        let user = clerk_user(&json!({
            "id": "user_1", "first_name": 3, "last_name": "  ", "username": [], "image_url": null,
            "profile_image_url": " https://p/x ", "deleted": "yes"
        }))
        .expect("user");
        assert_eq!(
            (user.first_name, user.last_name, user.username),
            (None, None, None)
        );
        assert_eq!(user.image_url.as_deref(), Some("https://p/x"));
        assert!(!user.deleted);
    }

    #[test]
    fn bad_users_are_refused_with_a_reason() {
        let cases = [
            (json!("user_1"), "not a JSON object"),
            (json!({}), "no \"id\""),
            (json!({"id": ""}), "blank"),
            (json!({"id": 42}), "not a string"),
            (json!({"id": "user_1", "object": "session"}), "not a user"),
            (json!({"id": "user_1", "object": null}), "not a user"),
        ];
        for (data, reason) in cases {
            let err = clerk_user(&data).expect_err("refused");
            assert!(err.contains(reason), "{err}");
        }
    }

    #[test]
    fn bad_bodies_are_refused_without_quoting_them() {
        let cases = [
            ("", "not valid JSON"),
            (
                "{\"type\": \"user.created\", \"data\": {\"id\": \"secret-looking-value",
                "not valid JSON",
            ),
            ("{\"a\": tru}", "not valid JSON"),
            ("[1, 2]", "not a JSON object"),
            ("\"user.created\"", "not a JSON object"),
            ("{\"data\": {}}", "no \"type\""),
            ("{\"type\": 1, \"data\": {}}", "not a string"),
            ("{\"type\": \"  \", \"data\": {}}", "blank"),
            ("{\"type\": \"user.created\"}", "no \"data\""),
            (
                "{\"type\": \"user.created\", \"data\": [\"secret-looking-value\"]}",
                "not a JSON object",
            ),
        ];
        for (body, reason) in cases {
            let err = parse_clerk_event(body).expect_err(body);
            assert!(err.contains(reason), "{body:?}: {err}");
            assert!(!err.contains("secret-looking-value"), "{err}");
        }
        let deep = "[".repeat(100_000);
        assert!(
            parse_clerk_event(&deep).is_err(),
            "nesting is bounded, no stack overflow"
        );
    }

    #[test]
    fn a_user_serializes_to_the_object_the_sql_side_reads() {
        let event = parse_clerk_event(USER_CREATED).expect("parses");
        let user = clerk_user(&event.data).expect("user");
        assert_eq!(
            serde_json::to_value(&user).expect("serializes"),
            json!({
                "id": "user_29w83sxmDNGwOuEthce5gg56FcC",
                "email": "example@example.org",
                "first_name": "Example",
                "last_name": "Example",
                "username": null,
                "image_url": "https://img.clerk.com/xxxxxx",
                "deleted": false,
            })
        );
    }
}
