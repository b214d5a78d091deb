//! The `csv` crate as an oracle for the import's CSV reader (`auth_sync_core::import::csv`, which
//! tokenizes with `csv_core`, the `csv` crate's own parser, and does the rest itself).
//!
//! * On any input whose header we accept and that we read to the end, the `csv` crate (same
//!   delimiter, flexible field counts) reads the same records: the same fields (the first
//!   header + 1 of them, which is all we keep), the same number of fields, and records that
//!   start on the lines we report.
//! * Every file of the corpus (`pgrx-tests/csv`) reads as its README documents, and as the
//!   `csv` crate reads it.
//! * The cases where the `csv` crate itself does not do what the import documents, which are
//!   why the reader is not built on it (see the module documentation of `import::csv`):
//!   a quote that is never closed, the line numbers, and a line with millions of fields (its
//!   memory: `csv_oracle_memory.rs`).

use auth_sync_core::import::{parse_csv, FileError, ImportLimits, Reader};
use proptest::prelude::*;

/// The records of `text` as the `csv` crate reads them (after a byte order mark), header
/// included: (line of the record's first character, fields).
fn oracle(text: &str, delimiter: u8) -> Vec<(u32, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).expect("UTF-8 input") {
        // (the crate's position is where it started reading: before the empty lines it skipped)
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        out.push((
            line_of(text, start),
            record.iter().map(str::to_string).collect(),
        ));
    }
    out
}

/// The 1-based line of byte `at`: one more than the line breaks (CRLF, LF or CR) before it.
fn line_of(text: &str, at: usize) -> u32 {
    let before = text[..at].replace("\r\n", "\n").replace('\r', "\n");
    1 + before.matches('\n').count() as u32
}

/// Our records of `text`, or the error that stopped the reading.
#[allow(clippy::type_complexity)]
fn ours(text: &str) -> Result<(char, Vec<(u32, Vec<String>, usize)>), FileError> {
    let mut reader = Reader::new(text, &ImportLimits::default())?;
    let mut out = Vec::new();
    for record in reader.by_ref() {
        let r = record?;
        out.push((r.line_number, r.fields.clone(), r.field_count));
    }
    Ok((reader.delimiter(), out))
}

/// Compares our reading of `text` with the `csv` crate's, when we read it to the end.
fn agree(text: &str) -> Result<(), TestCaseError> {
    let Ok((delimiter, records)) = ours(text) else {
        return Ok(());
    };
    let theirs = oracle(text, delimiter as u8);
    prop_assert!(!theirs.is_empty(), "the header is a record: {:?}", text);
    let keep = theirs[0].1.len() + 1;
    prop_assert_eq!(records.len(), theirs.len() - 1, "records of {:?}", text);
    for ((line, fields, count), (their_line, their_fields)) in records.iter().zip(&theirs[1..]) {
        prop_assert_eq!(line, their_line, "line of {:?} in {:?}", their_fields, text);
        prop_assert_eq!(*count, their_fields.len(), "field count in {:?}", text);
        let kept = &their_fields[..their_fields.len().min(keep)];
        prop_assert_eq!(fields.as_slice(), kept, "fields in {:?}", text);
    }
    Ok(())
}

const FRAGMENTS: &[&str] = &[
    "\"", "\"\"", ",", ";", "\t", "\r\n", "\n", "\r", " ", "a", "b@c.co", "é", "日本", "\u{feff}",
    "x\"y", "\"q\"", "\n\n", "\r\n\r\n", "  \n",
];

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_csv_crate_reads_what_we_read(
        delimiter in prop::sample::select(vec![",", ";", "\t"]),
        quoted_header in any::<bool>(),
        line_end in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        blank_lines in 0usize..3,
        body in body(),
    ) {
        let q = if quoted_header { "\"" } else { "" };
        let text = format!(
            "{}{q}Email{q}{delimiter}note{delimiter}{q}x{q}{line_end}{body}",
            line_end.repeat(blank_lines)
        );
        agree(&text)?;
    }

    #[test]
    fn the_csv_crate_reads_what_we_read_in_any_text(text in any::<String>()) {
        agree(&format!("email,x\n{text}"))?;
    }
}

fn corpus(name: &str) -> String {
    let path = format!("{}/../pgrx-tests/csv/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_corpus_file_reads_as_documented_and_as_the_csv_crate_reads_it() {
    let dir = format!("{}/../pgrx-tests/csv", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the corpus")
        .map(|e| {
            e.expect("a corpus entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    assert!(names.len() >= 33, "{names:?}");
    for name in &names {
        let text = corpus(name);
        let result = ours(&text);
        match name.as_str() {
            "07_unbalanced_quote.csv" => {
                assert_eq!(
                    result,
                    Err(FileError::UnterminatedQuote { line: 3 }),
                    "{name}"
                );
                continue;
            }
            "10_empty.csv" => assert_eq!(result, Err(FileError::Empty), "{name}"),
            "11_no_email_column.csv" => {
                assert!(
                    matches!(result, Err(FileError::NoEmailColumn { .. })),
                    "{name}"
                )
            }
            "12_duplicate_header.csv" => {
                assert!(
                    matches!(result, Err(FileError::DuplicateHeader(_))),
                    "{name}"
                )
            }
            _ => assert!(result.is_ok(), "{name}: {result:?}"),
        }
        agree(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let lines =
        |name: &str| -> Vec<u32> { ours(&corpus(name)).unwrap().1.iter().map(|r| r.0).collect() };
    assert_eq!(lines("05_quoted_newline.csv"), [2, 4, 7]);
    assert_eq!(lines("29_blank_lines.csv"), [4, 7]);
    assert_eq!(ours(&corpus("03_semicolon.csv")).unwrap().0, ';');
    assert_eq!(ours(&corpus("04_tab.csv")).unwrap().0, '\t');
    assert!(ours(&corpus("09_header_only.csv")).unwrap().1.is_empty());
    let ragged: Vec<usize> = ours(&corpus("08_ragged.csv"))
        .unwrap()
        .1
        .iter()
        .map(|r| r.2)
        .collect();
    assert_eq!(ragged.iter().filter(|&&n| n != 3).count(), 2, "{ragged:?}");
}

// ---- where the csv crate does not do what the import documents ----

#[test]
fn the_csv_crate_reads_an_unclosed_quote_as_closed_by_the_end_of_the_file() {
    let text = "email,note\na@b.co,x\nc@d.co,\"never closed\nmore\n";
    assert_eq!(
        parse_csv(text, &ImportLimits::default()),
        Err(FileError::UnterminatedQuote { line: 3 })
    );
    let theirs = oracle(text, b',');
    assert_eq!(theirs.last().unwrap().1, ["c@d.co", "never closed\nmore\n"]);
}

#[test]
fn the_csv_crate_counts_only_lf_for_its_line_numbers() {
    let lines_of = |text: &str| -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            lines.push(record.position().unwrap().line());
        }
        lines
    };
    let ours_of = |text: &str| -> Vec<u32> {
        parse_csv(text, &ImportLimits::default())
            .unwrap()
            .records
            .iter()
            .map(|r| r.line_number)
            .collect()
    };
    // lone CR line breaks (old Mac files) are not counted
    let text = "email\ra@b.co\rc@d.co\r";
    assert_eq!(lines_of(text), [1, 1, 1]);
    assert_eq!(ours_of(text), [2, 3]);
    // a record's position is where the empty lines before it start
    let text = "email\n\n\na@b.co\n";
    assert_eq!(lines_of(text), [1, 2]);
    assert_eq!(ours_of(text), [4]);
}
