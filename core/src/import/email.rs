//! Email address syntax check and normalisation for imports.

/// Characters besides letters and digits allowed in the local part (RFC 5322 `atext`, plus `.`).
const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

/// The trimmed, lower-cased address when it is valid, or what is wrong with it.
///
/// Rules: exactly one `@`; no whitespace or control characters; local part of 1 to 64
/// characters, each an ASCII letter or digit, one of ``!#$%&'*+-/=?^_`{|}~.``, or a Unicode
/// alphanumeric (RFC 6531 allows non-ASCII), not starting or ending with `.` and without `..`;
/// a domain of 1 to 253 characters made of at least two dot-separated labels, each 1 to 63
/// Unicode alphanumerics or `-`, not starting or ending with `-`, the last one at least 2
/// characters long. Lengths count characters (Unicode scalar values), after lower-casing.
///
/// Lower-casing is Unicode lower-casing, so a character whose lower-case form holds a combining
/// mark (such as `İ`) makes the address invalid; emoji and other symbols are not alphanumeric and
/// are rejected too.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("email is empty");
    }
    let email = trimmed.to_lowercase();
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the email address contains whitespace or a control character");
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(if email.contains('@') {
            "the email address has more than one \"@\""
        } else {
            "the email address has no \"@\""
        });
    };
    check_local(local)?;
    check_domain(domain)?;
    Ok(email)
}

fn check_local(local: &str) -> Result<(), &'static str> {
    let len = local.chars().count();
    if len == 0 {
        return Err("the email address has nothing before the \"@\"");
    }
    if len > 64 {
        return Err("the part of the email address before the \"@\" is longer than 64 characters");
    }
    if !local
        .chars()
        .all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c))
    {
        return Err(
            "the part of the email address before the \"@\" has a character that is not allowed",
        );
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(
            "the part of the email address before the \"@\" starts or ends with a dot or has two \
             dots in a row",
        );
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), &'static str> {
    let len = domain.chars().count();
    if len == 0 {
        return Err("the email address has nothing after the \"@\"");
    }
    if len > 253 {
        return Err("the domain of the email address is longer than 253 characters");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain of the email address has no dot");
    }
    for label in &labels {
        let n = label.chars().count();
        if n == 0 {
            return Err("the domain of the email address has an empty part (two dots in a row, or a dot at its start or end)");
        }
        if n > 63 {
            return Err("a part of the email address's domain is longer than 63 characters");
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("the domain of the email address has a character that is not allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part of the email address's domain starts or ends with \"-\"");
        }
    }
    if labels.last().map_or(0, |l| l.chars().count()) < 2 {
        return Err("the last part of the email address's domain is shorter than 2 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses() {
        for (raw, want) in [
            ("a@b.co", "a@b.co"),
            ("  Alice.Smith@Example.COM ", "alice.smith@example.com"),
            ("x+tag@sub.example.co.uk", "x+tag@sub.example.co.uk"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            (
                "!#$%&'*+-/=?^_`{|}~@example.com",
                "!#$%&'*+-/=?^_`{|}~@example.com",
            ),
            ("ZOË@Exämple.DE", "zoë@exämple.de"),
            ("用户@例子.广告", "用户@例子.广告"),
            ("пользователь@пример.рф", "пользователь@пример.рф"),
            ("a@xn--bcher-kva.example", "a@xn--bcher-kva.example"),
            ("1@2.34", "1@2.34"),
            ("a@my-host.example", "a@my-host.example"),
        ] {
            assert_eq!(normalize_email(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn invalid_addresses() {
        for raw in [
            "plain",
            "a@@b.co",
            "a@b@c.co",
            "@b.co",
            "a@",
            "a@localhost",
            "a@b.c",
            "a@.b.co",
            "a@b..co",
            "a@b.co.",
            "a@-b.co",
            "a@b-.co",
            "a@b_c.co",
            ".a@b.co",
            "a.@b.co",
            "a..b@b.co",
            "a b@b.co",
            "a\u{a0}b@b.co",
            "a\tb@b.co",
            "a\u{0}b@b.co",
            "a\"b@b.co",
            "a(b)@b.co",
            "a,b@b.co",
            "a;b@b.co",
            "a\\b@b.co",
            "[a]@b.co",
            "a@[127.0.0.1]",
            "smile😀@example.com",
            "a@😀.com",
            "a@b.😀😀",
            "'); DROP TABLE x; --@b.co",
        ] {
            assert!(normalize_email(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn empty_email_message() {
        assert_eq!(normalize_email(""), Err("email is empty"));
        assert_eq!(normalize_email("  \t "), Err("email is empty"));
    }

    #[test]
    fn length_limits() {
        let local64 = "a".repeat(64);
        assert!(normalize_email(&format!("{local64}@b.co")).is_ok());
        assert!(normalize_email(&format!("{local64}a@b.co")).is_err());
        let label63 = "b".repeat(63);
        assert!(normalize_email(&format!("a@{label63}.co")).is_ok());
        assert!(normalize_email(&format!("a@{label63}b.co")).is_err());
        // 4 labels of 63 + 3 dots = 255 > 253; 3 labels of 63 + "co" = 194.
        let long_domain = format!("{label63}.{label63}.{label63}.{label63}");
        assert!(normalize_email(&format!("a@{long_domain}")).is_err());
        let ok_domain = format!("{label63}.{label63}.{label63}.{}", "c".repeat(61));
        assert_eq!(ok_domain.len(), 253);
        assert!(normalize_email(&format!("a@{ok_domain}")).is_ok());
        // Lengths count characters, not bytes.
        let local_ue = "ü".repeat(64);
        assert!(normalize_email(&format!("{local_ue}@b.co")).is_ok());
    }

    #[test]
    fn combining_marks_after_lower_casing_are_rejected() {
        // 'İ' lower-cases to "i\u{307}".
        assert!(normalize_email("İ@b.co").is_err());
    }
}
