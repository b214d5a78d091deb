//! Bounded fuzzing of the import pipeline with proptest (run by `cargo test`).
//!
//! Properties:
//! * `parse_csv` and `validate` never panic, on arbitrary strings and on CSV-like strings built
//!   from risky fragments; when parsing succeeds there are at most `max_rows` records, their line
//!   numbers are at least 2 and strictly increasing, and `validate` returns one row per record.
//! * A table of random strings written with proper CSV quoting (any delimiter, any line ending,
//!   optional BOM and blank lines) parses back to the same headers, fields, delimiter and line
//!   numbers.
//! * No row error message contains the row's password.
//! * The single-value normalisers never panic and are idempotent.

use auth_sync_core::import::validate::ROW_ERROR_CODES;
use auth_sync_core::import::{
    normalize_email, normalize_phone, normalize_timestamp, normalize_uuid, parse_bool, parse_csv,
    validate, ImportLimits, KNOWN_COLUMNS,
};
use auth_sync_core::password::hash_shape_ok;
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "\"",
    "\"\"",
    ",",
    ";",
    "\t",
    "\r\n",
    "\n",
    "\r",
    "email",
    "Email ",
    "password",
    "password_hash",
    "id",
    "phone",
    "user_metadata",
    "created_at",
    "email_confirmed",
    "@",
    "a",
    "b.co",
    " ",
    "\u{feff}",
    "é",
    "日本",
    "😀",
    "\u{0}",
    "{",
    "}",
    "\"\"k\"\":1",
    "$2a$10$",
    "$argon2id$v=19$m=16,t=2,p=1$",
    "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=",
    "YQ==",
    "-",
    "+",
    "1",
    "0",
    ".",
    ":",
    "T",
    "Z",
    "2024-02-29",
    "123e4567-e89b-12d3-a456-426614174000",
    "true",
    "'); DROP TABLE x; --",
];

fn csvish() -> impl Strategy<Value = String> {
    let body =
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80).prop_map(|v| v.concat());
    let header = prop::sample::select(vec![
        "",
        "email\n",
        "email,password\n",
        "email;password;user_metadata\r\n",
        "email\tid\tphone\tcreated_at\n",
        "\u{feff}email,password_hash,email_confirmed,x\n",
    ]);
    (header, body).prop_map(|(h, b)| format!("{h}{b}"))
}

fn limits() -> impl Strategy<Value = ImportLimits> {
    (0usize..20, 0usize..60).prop_map(|(max_rows, max_field_chars)| ImportLimits {
        max_rows,
        max_field_chars,
        ..ImportLimits::default()
    })
}

fn check_parse_and_validate(input: &str, limits: &ImportLimits) {
    let Ok(file) = parse_csv(input, limits) else {
        return;
    };
    assert!(file.records.len() <= limits.max_rows);
    assert!(file.headers.iter().any(|h| h == "email"));
    let mut previous = 1;
    for r in &file.records {
        assert!(r.line_number >= 2);
        assert!(r.line_number > previous, "line numbers must increase");
        previous = r.line_number;
    }
    let rows = validate(&file, limits);
    assert_eq!(rows.len(), file.records.len());
    for (row, record) in rows.iter().zip(&file.records) {
        assert_eq!(row.line_number, record.line_number);
        if let Some(e) = &row.error {
            assert!(!e.message.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>(), limits in limits()) {
        check_parse_and_validate(&input, &limits);
        check_parse_and_validate(&input, &ImportLimits::default());
    }

    #[test]
    fn csv_like_strings_never_panic(input in csvish(), limits in limits()) {
        check_parse_and_validate(&input, &limits);
        check_parse_and_validate(&input, &ImportLimits::default());
    }

    #[test]
    fn normalisers_never_panic_and_are_idempotent(
        input in prop_oneof![any::<String>(), csvish()],
    ) {
        if let Ok(e) = normalize_email(&input) {
            prop_assert_eq!(normalize_email(&e), Ok(e.clone()));
        }
        if let Ok(t) = normalize_timestamp(&input) {
            prop_assert_eq!(normalize_timestamp(&t), Ok(t.clone()));
        }
        if let Ok(p) = normalize_phone(&input) {
            prop_assert_eq!(normalize_phone(&p), Ok(p.clone()));
        }
        if let Some(u) = normalize_uuid(&input) {
            prop_assert_eq!(normalize_uuid(&u), Some(u.clone()));
        }
        let _ = parse_bool(&input);
        if let Err(reason) = hash_shape_ok(&input) {
            if input.len() >= 24 {
                prop_assert!(!reason.contains(input.as_str()));
            }
        }
    }

    #[test]
    fn timestamps_from_parts(
        y in 1u32..=9999, mo in 1u32..=12, d in 1u32..=31,
        h in 0u32..=23, mi in 0u32..=59, s in 0u32..=60,
        sep in prop::sample::select(vec!["T", " ", "t"]),
        zone in prop::sample::select(vec!["", "Z", "+02", "-0530", "+14:00", "-00:00"]),
    ) {
        let input = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{zone}");
        let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
        let days = match mo {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        prop_assert_eq!(normalize_timestamp(&input).is_ok(), d <= days, "{}", input);
    }
}

/// A header name: lower-case, no delimiter, quote or whitespace, so it survives trimming and
/// lower-casing and does not disturb delimiter detection.
fn header_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,7}"
}

/// A field value: anything, with extra weight on the characters that need quoting.
fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(vec![
                "\"", ",", ";", "\t", "\r\n", "\n", "\r", " ", "a", "é", "😀", "\u{feff}"
            ]),
            0..8,
        )
        .prop_map(|v| v.concat()),
    ]
}

#[derive(Debug, Clone)]
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn table() -> impl Strategy<Value = Table> {
    (2usize..6)
        .prop_flat_map(|ncols| {
            (
                prop::collection::hash_set(header_name(), ncols - 1),
                prop::collection::vec(prop::collection::vec(field_value(), ncols), 0..8),
            )
        })
        .prop_filter_map("names must be unique", |(names, rows)| {
            let mut headers: Vec<String> = names.into_iter().collect();
            headers.sort();
            if headers.iter().any(|h| h == "email") {
                return None;
            }
            headers.insert(0, "email".to_string());
            Some(Table { headers, rows })
        })
}

fn line_breaks(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

fn write_field(out: &mut String, value: &str, delimiter: char, force_quotes: bool) {
    let needs_quotes = force_quotes || value.contains(['"', '\r', '\n', delimiter]);
    if needs_quotes {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn quoted_tables_round_trip(
        table in table(),
        delimiter in prop::sample::select(vec![',', ';', '\t']),
        line_end in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        bom in any::<bool>(),
        leading_blank_lines in 0usize..3,
        blank_lines in prop::collection::vec(0usize..3, 8),
        quote_all in any::<bool>(),
        final_line_end in any::<bool>(),
    ) {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        let mut line = 1u32;
        for _ in 0..leading_blank_lines {
            text.push_str(line_end);
            line += 1;
        }
        for (i, h) in table.headers.iter().enumerate() {
            if i > 0 {
                text.push(delimiter);
            }
            write_field(&mut text, h, delimiter, quote_all);
        }
        let mut expected_lines = Vec::new();
        for (r, row) in table.rows.iter().enumerate() {
            text.push_str(line_end);
            line += 1;
            for _ in 0..blank_lines[r] {
                text.push_str(line_end);
                line += 1;
            }
            expected_lines.push(line);
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    text.push(delimiter);
                }
                write_field(&mut text, value, delimiter, quote_all);
                line += line_breaks(value);
            }
        }
        if final_line_end {
            text.push_str(line_end);
        }

        let file = parse_csv(&text, &ImportLimits::default());
        let file = match file {
            Ok(f) => f,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?} for {text:?}"))),
        };
        prop_assert_eq!(file.delimiter, delimiter);
        prop_assert_eq!(&file.headers, &table.headers);
        let fields: Vec<Vec<String>> = file.records.iter().map(|r| r.fields.clone()).collect();
        prop_assert_eq!(&fields, &table.rows);
        let lines: Vec<u32> = file.records.iter().map(|r| r.line_number).collect();
        prop_assert_eq!(lines, expected_lines);
    }

    #[test]
    fn messages_never_contain_the_password(
        password in "[A-Za-z0-9]{12,90}",
        email in prop_oneof![Just("a@b.co".to_string()), Just("bad".to_string()), field_value()],
        hash in prop_oneof![Just(String::new()), Just("$2a$10$x".to_string()), field_value()],
        metadata in prop_oneof![Just(String::new()), Just("{".to_string()), field_value()],
        phone in prop_oneof![Just(String::new()), field_value()],
        ragged in any::<bool>(),
        max_field_chars in 0usize..100,
    ) {
        let mut text = String::from("email,password,password_hash,user_metadata,phone\n");
        let values = [&email, &password, &hash, &metadata, &phone];
        // A ragged row drops the email, so that the password lands in the email position.
        let values = if ragged { &values[1..] } else { &values[..] };
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            write_field(&mut text, value, ',', false);
        }
        text.push('\n');
        // The same password again on a duplicate row.
        text.push_str(&format!("a@b.co,{password},,,\n"));
        let limits = ImportLimits { max_field_chars, ..ImportLimits::default() };
        let file = parse_csv(&text, &limits).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for row in validate(&file, &limits) {
            if let Some(e) = &row.error {
                prop_assert!(!e.message.contains(&password), "{}", e.message);
            }
            if row.error.as_ref().is_some_and(|e| e.code == "wrong_column_count") {
                prop_assert!(!row.email.contains(&password));
            }
        }
    }
}

/// Plausible values per known column, good (mostly) and bad, so that valid rows are common and
/// every check is reached.
fn column_value(column: &'static str) -> BoxedStrategy<String> {
    let (good, bad): (Vec<&'static str>, Vec<&'static str>) = match column {
        "email" => (
            vec![
                "a@b.co",
                " Ann@Example.COM ",
                "zoë@exämple.de",
                "x+y@sub.b.co",
            ],
            vec!["bad", "a@@b.co", "", "😀@b.co"],
        ),
        "password" => (
            vec!["", "", "", "secret1", "  spaced  ", "ünïcödé-pässwörd"],
            vec!["short", "x"],
        ),
        "password_hash" => (
            vec![
                "",
                "",
                "",
                "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
                "$argon2id$v=19$m=16,t=2,p=1$YQ$YQ",
                "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=YQ==$YQ==$YQ==",
            ],
            vec![
                "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW",
                "$argon2id$v=19$m=16,t=0,p=1$YQ$YQ",
                "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=YQ==$YQ==$YWI=",
            ],
        ),
        "id" => (
            vec![
                "",
                "123e4567-e89b-12d3-a456-426614174000",
                "123E4567-E89B-12D3-A456-426614174001",
            ],
            vec!["nope"],
        ),
        "phone" => (
            vec!["", "+44 20 7946 0958", "(415) 555-0100"],
            vec!["0123", "+1-800-FLOWERS"],
        ),
        "email_confirmed" => (vec!["", "yes", "N", "0"], vec!["maybe"]),
        "user_metadata" | "app_metadata" => (
            vec!["", "{\"plan\":\"pro\"}", "{}"],
            vec!["[1]", "{bad", "null"],
        ),
        "created_at" => (
            vec!["", "2024-02-29", "2024-01-01T10:00:00+05:30"],
            vec!["2023-02-29", "2024-01-01T24:00"],
        ),
        _ => (vec!["", "x", " Acme ", "'); DROP TABLE x; --"], vec![]),
    };
    let bad = if bad.is_empty() { good.clone() } else { bad };
    prop_oneof![
        30 => prop::sample::select(good).prop_map(str::to_string),
        1 => prop::sample::select(bad).prop_map(str::to_string),
        1 => field_value(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn structured_rows_keep_the_invariants(
        rows in prop::collection::vec(
            KNOWN_COLUMNS
                .iter()
                .chain(["team"].iter())
                .map(|c| column_value(c))
                .collect::<Vec<_>>(),
            1..6,
        ),
    ) {
        let headers: Vec<&str> = KNOWN_COLUMNS.iter().copied().chain(["team"]).collect();
        let mut text = headers.join(",");
        for row in &rows {
            text.push('\n');
            for (i, value) in row.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                write_field(&mut text, value, ',', false);
            }
        }
        let limits = ImportLimits::default();
        let file = parse_csv(&text, &limits).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(file.records.len(), rows.len());
        let validated = validate(&file, &limits);
        let mut seen_emails = std::collections::HashSet::new();
        for (row, input) in validated.iter().zip(&rows) {
            if let Some(e) = &row.error {
                prop_assert!(ROW_ERROR_CODES.contains(&e.code));
                let password = &input[1];
                if password.len() >= 6 {
                    prop_assert!(!e.message.contains(password.as_str()), "{}", e.message);
                }
                continue;
            }
            prop_assert_eq!(normalize_email(&row.email), Ok(row.email.clone()));
            prop_assert!(seen_emails.insert(row.email.clone()), "duplicate passed");
            if let Some(id) = &row.id {
                prop_assert_eq!(normalize_uuid(id), Some(id.clone()));
                prop_assert_eq!(id, &id.to_ascii_lowercase());
            }
            prop_assert!(row.password.is_none() || row.password_hash.is_none());
            if let Some(p) = &row.password {
                prop_assert!((6..=72).contains(&p.len()));
                prop_assert_eq!(p, &input[1]);
            }
            if let Some(h) = &row.password_hash {
                prop_assert_eq!(hash_shape_ok(h), Ok(()));
            }
            if let Some(p) = &row.phone {
                prop_assert!((8..=15).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit()));
            }
            if let Some(t) = &row.created_at {
                prop_assert_eq!(normalize_timestamp(t), Ok(t.clone()));
            }
            for (h, v) in &row.extra {
                prop_assert_eq!(*h, KNOWN_COLUMNS.len()); // the "team" column
                prop_assert!(!v.is_empty() && v.trim() == v);
            }
        }
    }
}
