//! Crates as oracles of the import's value checks, where the crate is not the whole check.
//!
//! * `created_at` ([`normalize_timestamp`]): the grammar is read by hand, since chrono's format
//!   parsers take one digit where the import wants two (see the module documentation of
//!   `import::timestamp`). On the RFC 3339 part of the grammar, `chrono`'s own parser agrees on
//!   what is valid and on the instant; everywhere, the result reads back with chrono as the same
//!   instant.
//! * `id` ([`normalize_uuid`]): exactly the 36-character hyphenated form, in any case, as a rule
//!   written out here, independent of the `uuid` crate that the check uses.

use auth_sync_core::import::{normalize_timestamp, normalize_uuid};
use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;

/// Our result read back by chrono (the leap second as chrono writes it).
fn instant(normalized: &str) -> DateTime<FixedOffset> {
    // (our zone is +HH or +HH:MM; chrono's %#z takes both)
    DateTime::parse_from_str(normalized, "%Y-%m-%d %H:%M:%S%.f%#z")
        .unwrap_or_else(|e| panic!("{normalized:?} does not read back: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn rfc_3339_timestamps_agree_with_chrono(
        y in 1u32..=9999, mo in 0u32..=13, d in 0u32..=32,
        h in 0u32..=24, mi in 0u32..=60, s in 0u32..=61,
        fraction in prop::sample::select(vec!["", ".5", ".25", ".123456", ".123456789"]),
        t in prop::sample::select(vec!["T", "t", " "]),
        zone in prop::sample::select(vec!["Z", "z", "+02:00", "-05:30", "+15:59", "-00:00", "+14:45"]),
    ) {
        let input = format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{zone}");
        let theirs = DateTime::parse_from_rfc3339(&input);
        match normalize_timestamp(&input) {
            Ok(ours) => {
                let theirs = theirs.unwrap_or_else(|e| panic!("chrono refuses {input:?}: {e}"));
                prop_assert_eq!(instant(&ours), theirs, "{} -> {}", input, ours);
            }
            // (chrono takes a second 60 at the end of any minute; the import and PostgreSQL
            // take it at any minute too, so a refusal is never about it)
            Err(_) => prop_assert!(theirs.is_err(), "we refuse {:?}, chrono reads {:?}", input, theirs),
        }
    }

    #[test]
    fn every_timestamp_reads_back_as_the_same_instant(
        y in 1u32..=9999, mo in 1u32..=12, d in 1u32..=31,
        h in 0u32..=23, mi in 0u32..=59, s in prop::option::of(0u32..=59),
        fraction in prop::sample::select(vec!["", ".5", ".000001"]),
        zone in prop::sample::select(vec!["", "Z", "+02", "-0530", "+14:00", "-00:00"]),
        date_only in any::<bool>(),
    ) {
        let input = if date_only {
            format!("{y:04}-{mo:02}-{d:02}")
        } else {
            let seconds = s.map_or(String::new(), |s| format!(":{s:02}{fraction}"));
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}{seconds}{zone}")
        };
        // The date part, by chrono.
        let date = chrono::NaiveDate::parse_from_str(&input[..10], "%Y-%m-%d");
        match normalize_timestamp(&input) {
            Ok(ours) => {
                prop_assert!(date.is_ok(), "{}", input);
                let zone = match zone {
                    "" | "Z" => "+00:00",
                    "+02" => "+02:00",
                    "-0530" => "-05:30",
                    z => z,
                };
                let (time, zone) = if date_only {
                    ("00:00:00".to_string(), "+00:00")
                } else {
                    let seconds = s.map_or(":00".to_string(), |s| format!(":{s:02}{fraction}"));
                    (format!("{h:02}:{mi:02}{seconds}"), zone)
                };
                let expected = format!("{}T{time}{zone}", &input[..10]);
                let expected = DateTime::parse_from_rfc3339(&expected)
                    .unwrap_or_else(|e| panic!("{expected}: {e}"));
                prop_assert_eq!(instant(&ours), expected, "{} -> {}", input, ours);
            }
            Err(_) => prop_assert!(date.is_err(), "{} refused, but chrono has the date", input),
        }
    }

    #[test]
    fn uuids_are_the_hyphenated_form_in_any_case(
        digits in prop::collection::vec(
            prop::sample::select("0123456789abcdefABCDEFgG-_ é{}".chars().collect::<Vec<_>>()),
            28..40,
        ),
        hyphens in any::<bool>(),
    ) {
        let mut text: String = digits.into_iter().collect();
        if hyphens {
            // hyphens at the right places, most of the time
            let mut b: Vec<char> = text.chars().collect();
            for i in [8, 13, 18, 23] {
                if i < b.len() {
                    b[i] = '-';
                }
            }
            text = b.into_iter().collect();
        }
        let bytes = text.as_bytes();
        let rule = bytes.len() == 36
            && bytes.iter().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => *c == b'-',
                _ => c.is_ascii_hexdigit(),
            });
        let ours = normalize_uuid(&text);
        prop_assert_eq!(ours.is_some(), rule, "{:?}", text);
        if let Some(id) = ours {
            prop_assert_eq!(id, text.to_ascii_lowercase());
        }
    }
}

#[test]
fn chrono_format_parsers_take_one_digit_where_the_import_wants_two() {
    // why the grammar is read by hand (see the module documentation of import::timestamp)
    for input in ["2024-1-01", "24-01-01", "2024-01-1"] {
        assert!(
            chrono::NaiveDate::parse_from_str(input, "%Y-%m-%d").is_ok(),
            "{input}"
        );
        assert!(normalize_timestamp(input).is_err(), "{input}");
    }
    // and RFC 3339 wants seconds and a zone, which the import makes optional
    for input in ["2024-02-29T13:05", "2024-02-29T13:05:07"] {
        assert!(DateTime::parse_from_rfc3339(input).is_err(), "{input}");
        assert!(normalize_timestamp(input).is_ok(), "{input}");
    }
}

#[test]
fn the_leap_second_is_kept() {
    assert_eq!(
        normalize_timestamp("2024-12-31T23:59:60.5Z").as_deref(),
        Ok("2024-12-31 23:59:60.5+00")
    );
    assert_eq!(
        instant("2024-12-31 23:59:60.5+00"),
        DateTime::parse_from_rfc3339("2024-12-31T23:59:60.5Z").unwrap()
    );
}
