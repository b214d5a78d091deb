//! Fields of an auth user that a profile table can map, extracted from the metadata that real
//! sign-ups send (email/password, Google, GitHub, Azure, ...).
//!
//! Metadata is free-form JSON written by identity providers and by users themselves, so nothing
//! here fails: a missing key, a key of the wrong JSON type, an empty or blank string all yield
//! `None`.

use serde_json::Value;

/// The derived fields, in the order [`UserFields::to_array`] returns them to SQL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar_url: Option<String>,
    pub provider: Option<String>,
    pub provider_user_id: Option<String>,
}

/// Names of the derived fields, in array order (1-based positions in SQL).
pub const DERIVED_FIELDS: [&str; 6] = [
    "display_name",
    "first_name",
    "last_name",
    "avatar_url",
    "provider",
    "provider_user_id",
];

impl UserFields {
    pub fn to_array(self) -> [Option<String>; 6] {
        [
            self.display_name,
            self.first_name,
            self.last_name,
            self.avatar_url,
            self.provider,
            self.provider_user_id,
        ]
    }
}

/// Read access to a metadata object: the string value of a top-level key. Implemented for
/// `serde_json::Value` here, and by the extension for Postgres' binary jsonb, so that the
/// triggers read metadata without turning it into text and back.
pub trait Meta {
    /// The value of `key` when it is a JSON string (any other type, or no such key: `None`).
    fn string(&self, key: &str) -> Option<&str>;
}

impl Meta for Value {
    fn string(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A metadata string: present, a JSON string, and not blank once trimmed.
pub fn meta_str<'a, M: Meta + ?Sized>(meta: Option<&'a M>, key: &str) -> Option<&'a str> {
    let t = meta?.string(key)?.trim();
    (!t.is_empty()).then_some(t)
}

fn first_of<M: Meta + ?Sized>(meta: Option<&M>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| meta_str(meta, k))
        .map(str::to_owned)
}

/// The local part of an email address (before the last `@`), if there is one.
pub fn email_local_part(email: &str) -> Option<&str> {
    let email = email.trim();
    let at = email.rfind('@')?;
    let local = email[..at].trim();
    (!local.is_empty()).then_some(local)
}

/// The display name: full_name, else name, else first_name + last_name, else user_name /
/// preferred_username, else the email's local part.
pub fn display_name<M: Meta + ?Sized>(
    user_meta: Option<&M>,
    email: Option<&str>,
) -> Option<String> {
    if let Some(n) = first_of(user_meta, &["full_name", "name"]) {
        return Some(n);
    }
    let first = meta_str(user_meta, "first_name");
    let last = meta_str(user_meta, "last_name");
    match (first, last) {
        (Some(f), Some(l)) => return Some(format!("{f} {l}")),
        (Some(x), None) | (None, Some(x)) => return Some(x.to_owned()),
        (None, None) => {}
    }
    if let Some(n) = first_of(user_meta, &["user_name", "preferred_username"]) {
        return Some(n);
    }
    email.and_then(email_local_part).map(str::to_owned)
}

/// Every derived field of a Supabase auth user from its raw_user_meta_data, raw_app_meta_data and
/// email.
pub fn supabase_user_fields<U: Meta + ?Sized, A: Meta + ?Sized>(
    user_meta: Option<&U>,
    app_meta: Option<&A>,
    email: Option<&str>,
) -> UserFields {
    UserFields {
        display_name: display_name(user_meta, email),
        first_name: first_of(user_meta, &["first_name", "given_name"]),
        last_name: first_of(user_meta, &["last_name", "family_name"]),
        avatar_url: first_of(user_meta, &["avatar_url", "picture"]),
        provider: meta_str(app_meta, "provider").map(str::to_owned),
        provider_user_id: first_of(user_meta, &["provider_id", "sub"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(user: Value, app: Value, email: &str) -> UserFields {
        supabase_user_fields(Some(&user), Some(&app), Some(email))
    }

    #[test]
    fn email_sign_up_without_metadata_uses_the_local_part() {
        let f = fields(
            json!({}),
            json!({"provider": "email", "providers": ["email"]}),
            "ada@example.com",
        );
        assert_eq!(f.display_name.as_deref(), Some("ada"));
        assert_eq!(f.provider.as_deref(), Some("email"));
        assert_eq!(f.first_name, None);
        assert_eq!(f.avatar_url, None);
        assert_eq!(f.provider_user_id, None);
    }

    #[test]
    fn google_like_metadata() {
        let f = fields(
            json!({"iss": "https://accounts.google.com", "sub": "1098", "name": "Ada Lovelace",
                   "email": "ada@gmail.com", "picture": "https://lh3/p.png", "full_name": "Ada Lovelace",
                   "avatar_url": "https://lh3/a.png", "provider_id": "1098", "email_verified": true}),
            json!({"provider": "google", "providers": ["google"]}),
            "ada@gmail.com",
        );
        assert_eq!(f.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(f.avatar_url.as_deref(), Some("https://lh3/a.png"));
        assert_eq!(f.provider.as_deref(), Some("google"));
        assert_eq!(f.provider_user_id.as_deref(), Some("1098"));
    }

    #[test]
    fn github_like_metadata_falls_back_to_user_name() {
        let f = fields(
            json!({"sub": "583231", "user_name": "octocat", "preferred_username": "octo",
                   "avatar_url": "https://avatars/u/583231", "provider_id": "583231"}),
            json!({"provider": "github"}),
            "octocat@github.com",
        );
        assert_eq!(f.display_name.as_deref(), Some("octocat"));
        assert_eq!(f.provider_user_id.as_deref(), Some("583231"));
    }

    #[test]
    fn first_and_last_names_are_joined() {
        let f = fields(
            json!({"first_name": " Grace ", "last_name": "Hopper"}),
            json!({}),
            "g@x.io",
        );
        assert_eq!(f.display_name.as_deref(), Some("Grace Hopper"));
        assert_eq!(f.first_name.as_deref(), Some("Grace"));
        let only_last = fields(json!({"last_name": "Hopper"}), json!({}), "g@x.io");
        assert_eq!(only_last.display_name.as_deref(), Some("Hopper"));
    }

    #[test]
    fn picture_is_the_avatar_when_avatar_url_is_missing() {
        let f = fields(json!({"picture": "https://p"}), json!({}), "a@b.c");
        assert_eq!(f.avatar_url.as_deref(), Some("https://p"));
    }

    #[test]
    fn wrong_types_and_blank_strings_yield_none() {
        let f = fields(
            json!({"full_name": 42, "name": ["x"], "first_name": {"a": 1}, "last_name": null,
                   "user_name": "   ", "avatar_url": true, "sub": 7}),
            json!({"provider": 1}),
            "bob@x.io",
        );
        assert_eq!(f.display_name.as_deref(), Some("bob"));
        assert_eq!(f.first_name, None);
        assert_eq!(f.avatar_url, None);
        assert_eq!(f.provider, None);
        assert_eq!(f.provider_user_id, None);
    }

    #[test]
    fn metadata_that_is_not_an_object_or_missing_never_fails() {
        for meta in [json!(null), json!("text"), json!(12), json!([1, 2])] {
            let f = fields(meta.clone(), meta, "x@y.z");
            assert_eq!(f.display_name.as_deref(), Some("x"));
        }
        let none = supabase_user_fields::<Value, Value>(None, None, None);
        assert_eq!(none, UserFields::default());
    }

    #[test]
    fn email_local_part_edge_cases() {
        assert_eq!(email_local_part("a@b"), Some("a"));
        assert_eq!(email_local_part("\"a@b\"@c.d"), Some("\"a@b\""));
        assert_eq!(email_local_part("@c.d"), None);
        assert_eq!(email_local_part("no-at-sign"), None);
        assert_eq!(email_local_part(""), None);
    }

    #[test]
    fn array_order_matches_the_field_names() {
        let f = UserFields {
            display_name: Some("display_name".into()),
            first_name: Some("first_name".into()),
            last_name: Some("last_name".into()),
            avatar_url: Some("avatar_url".into()),
            provider: Some("provider".into()),
            provider_user_id: Some("provider_user_id".into()),
        };
        let arr = f.to_array();
        for (i, name) in DERIVED_FIELDS.iter().enumerate() {
            assert_eq!(arr[i].as_deref(), Some(*name));
        }
    }
}
