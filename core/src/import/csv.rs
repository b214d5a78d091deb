//! Reading a user-import CSV file into a header and raw records.
//!
//! The fields are tokenized by `csv_core`, the parser of the `csv` crate (quotes, `""`,
//! delimiters, line breaks, empty lines), reading the input in place; this module adds what the
//! import documents on top of it: the byte order mark and the blank lines before the header, the
//! delimiter, line numbers, unclosed quotes, bounds and zeroing. It is one forward pass over the
//! bytes of the input (delimiters, quotes and line breaks are all ASCII, so cutting at them never
//! splits a UTF-8 character), never panics and runs in time linear in the input size.
//!
//! Rules:
//! * A leading UTF-8 byte order mark is ignored.
//! * Line breaks are CRLF, LF or a lone CR.
//! * Blank (or whitespace-only) lines before the header are skipped; the header is the first line
//!   with any non-whitespace character.
//! * The delimiter is the most frequent of `,`, `;` and tab in the header line (outside quotes);
//!   ties, or none of them, mean `,`.
//! * RFC 4180 quoting: a field whose first character is `"` is quoted; inside it `""` is a literal
//!   quote, and delimiters and line breaks are data. Characters after the closing quote, up to the
//!   next delimiter or line break, are kept as data (`"a"b` reads as `ab`), as most CSV readers do.
//!   A `"` anywhere else in a field is an ordinary character.
//! * A quoted field that is never closed is an error naming the line on which it opens.
//! * Completely empty lines between records are skipped.
//! * A record's line number is the physical line on which it starts, counting every line break
//!   before it: those inside quoted fields, and those of blank lines.
//! * Field values are not trimmed here; the number of fields per record is kept as it is.
//!
//! Bounds: the input, the header's columns and name lengths are limited ([`ImportLimits`]) and
//! checked before anything else is built; a record keeps at most one field more than the header
//! (the rest are only counted), and [`Reader`] yields one record at a time so that a caller
//! never needs the whole file in parsed form. Field text is zeroed when a record is dropped, and
//! so is every buffer the reader copies it through: a misaligned row can put a password in any
//! field.
//!
//! # Why not the `csv` crate
//!
//! The `csv` crate's reader (`csv::Reader`, over `csv_core`) is the oracle of this module's tests
//! (`core/tests/csv_oracle.rs`: it reads the same records, fields and lines on generated input
//! and on the corpus), but it cannot be the reader, for a documented bound it cannot keep:
//!
//! * **A line with millions of fields.** A `csv::ByteRecord` holds an end offset (8 bytes) for
//!   every field of a record, in a vector grown by doubling, and nothing limits the fields of a
//!   record: a 4 MB line of commas (4 million empty fields) peaks at about 50 MB in the crate
//!   (`core/tests/csv_oracle_memory.rs`), and a line of 256 MB (`auth_sync.max_import_bytes`)
//!   would take about 3 GB, where the import's budget is 4x the file + 64 MB and this reader
//!   keeps one field more than the header and only counts the rest.
//! * Its buffers (an 8 KB read buffer and the record's) are freed without being zeroed.
//!
//! Two more of its results differ from what the import documents, and would need a check on
//! top: a quote that is never closed is read as closed by the end of the file (no error), and
//! its line numbers count LF only (not a lone CR) and place a record before the empty lines that
//! precede it. Here the line numbers are counted from the bytes, and the last record (the only
//! one an unclosed quote can be in) is checked.

use std::collections::HashSet;
use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// Limits on what one import may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// The most data records (lines after the header) a file may have.
    pub max_rows: usize,
    /// The most characters (Unicode scalar values) any one field may have.
    pub max_field_chars: usize,
    /// The most bytes the whole input may have; checked before parsing.
    pub max_bytes: usize,
    /// The most columns the header may have.
    pub max_columns: usize,
    /// The most characters a header name may have (trimmed). Each row's report repeats the names
    /// of its extra columns, so a long name would be paid for once per row.
    pub max_header_name_chars: usize,
}

/// Default of [`ImportLimits::max_bytes`] (and of the `auth_sync.max_import_bytes` setting).
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;
/// Default of [`ImportLimits::max_columns`].
pub const DEFAULT_MAX_COLUMNS: usize = 500;
/// Default of [`ImportLimits::max_header_name_chars`]: the length of a PostgreSQL identifier
/// (NAMEDATALEN - 1), so every profile column name fits.
pub const DEFAULT_MAX_HEADER_NAME_CHARS: usize = 63;

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_rows: 1_000_000,
            max_field_chars: 10_000,
            max_bytes: DEFAULT_MAX_BYTES,
            max_columns: DEFAULT_MAX_COLUMNS,
            max_header_name_chars: DEFAULT_MAX_HEADER_NAME_CHARS,
        }
    }
}

/// An error that makes the whole file unusable (as opposed to a row error, see
/// [`super::validate::RowError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// The input is empty, or holds only whitespace and blank lines.
    Empty,
    /// The first line is data rather than a header: it has no `email` column but one of its
    /// cells contains an `@`.
    NoHeader,
    /// The header has no `email` column. `headers` are the (trimmed, lower-cased) names it has.
    NoEmailColumn { headers: Vec<String> },
    /// Two header cells have the same name after trimming and lower-casing.
    DuplicateHeader(String),
    /// A header cell is empty after trimming; `column` is 1-based.
    EmptyHeaderName { column: usize },
    /// The file has more than `max` data records.
    TooManyRows { max: usize },
    /// A quoted field is never closed; `line` is the physical line on which it starts.
    UnterminatedQuote { line: u32 },
    /// The input has `bytes` bytes, more than `max`.
    TooLarge { bytes: usize, max: usize },
    /// The header has more than `max` columns.
    TooManyColumns { max: usize },
    /// The name of header column `column` (1-based) has more than `max` characters.
    HeaderNameTooLong { column: usize, max: usize },
}

/// SQLSTATE `bad_copy_file_format`.
const BAD_COPY_FILE_FORMAT: &str = "22P04";
/// SQLSTATE `invalid_parameter_value`.
const INVALID_PARAMETER_VALUE: &str = "22023";
/// SQLSTATE `program_limit_exceeded`.
const PROGRAM_LIMIT_EXCEEDED: &str = "54000";

/// At most this many header names are listed in a message.
const MAX_NAMES_IN_MESSAGE: usize = 20;
/// Header names are cut to this many characters in a message.
const MAX_NAME_CHARS_IN_MESSAGE: usize = 64;

impl FileError {
    /// The SQLSTATE the SQL layer should raise this error with.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            FileError::TooManyRows { .. } => INVALID_PARAMETER_VALUE,
            FileError::TooLarge { .. }
            | FileError::TooManyColumns { .. }
            | FileError::HeaderNameTooLong { .. } => PROGRAM_LIMIT_EXCEEDED,
            FileError::Empty
            | FileError::NoHeader
            | FileError::NoEmailColumn { .. }
            | FileError::DuplicateHeader(_)
            | FileError::EmptyHeaderName { .. }
            | FileError::UnterminatedQuote { .. } => BAD_COPY_FILE_FORMAT,
        }
    }

    /// A message that says what is wrong and what to fix. It never contains field data other
    /// than header names.
    pub fn message(&self) -> String {
        match self {
            FileError::Empty => {
                "the CSV is empty: it needs a header line with an \"email\" column \
                 and one line per user"
                    .to_string()
            }
            FileError::NoHeader => "the CSV has no header line: its first line looks like data \
                 (a cell contains \"@\"); add a first line that names the columns, \
                 e.g. \"email,password\""
                .to_string(),
            FileError::NoEmailColumn { headers } => format!(
                "the CSV has no \"email\" column (header: {}); name the column that holds the \
                 email addresses \"email\"",
                header_list(headers)
            ),
            FileError::DuplicateHeader(name) => format!(
                "the CSV header has the column \"{}\" more than once (names are compared \
                 trimmed and lower-cased); rename or remove one of them",
                shorten(name)
            ),
            FileError::EmptyHeaderName { column } => format!(
                "column {column} of the CSV header has no name; name it or delete the column"
            ),
            FileError::TooManyRows { max } => format!(
                "the CSV has more than {max} rows; auth_sync.max_import_rows allows {max}; \
                 split the file or raise the setting"
            ),
            FileError::UnterminatedQuote { line } => format!(
                "unterminated quoted field starting on line {line}: a field that starts with \" \
                 must end with \", and a \" inside it must be written as \"\""
            ),
            FileError::TooLarge { bytes, max } => format!(
                "the CSV has {bytes} bytes; auth_sync.max_import_bytes allows {max}; split the \
                 file or raise the setting"
            ),
            FileError::TooManyColumns { max } => format!(
                "the CSV header has more than {max} columns; remove the columns that are not \
                 needed"
            ),
            FileError::HeaderNameTooLong { column, max } => format!(
                "the name of column {column} of the CSV header has more than {max} characters; \
                 shorten it"
            ),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for FileError {}

/// `name` cut to [`MAX_NAME_CHARS_IN_MESSAGE`] characters (with `...` when cut).
pub(crate) fn shorten(name: &str) -> String {
    let mut chars = name.chars();
    let head: String = chars.by_ref().take(MAX_NAME_CHARS_IN_MESSAGE).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

fn header_list(headers: &[String]) -> String {
    let mut out = headers
        .iter()
        .take(MAX_NAMES_IN_MESSAGE)
        .map(|h| shorten(h))
        .collect::<Vec<_>>()
        .join(", ");
    if headers.len() > MAX_NAMES_IN_MESSAGE {
        out.push_str(&format!(
            ", ... ({} more)",
            headers.len() - MAX_NAMES_IN_MESSAGE
        ));
    }
    out
}

/// A parsed file: the delimiter found, the header names and the data records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    pub delimiter: char,
    /// Header names, trimmed and lower-cased, unique and non-empty; one of them is `email`.
    pub headers: Vec<String>,
    pub records: Vec<RawRecord>,
}

/// One data record as read, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The physical line (1-based, counting every line break, including those inside quoted
    /// fields and blank lines) on which the record starts.
    pub line_number: u32,
    /// The field values, untrimmed: as many as the line has, but at most one more than the
    /// header has (see `field_count`).
    pub fields: Vec<String>,
    /// How many fields the line has (`fields` holds the first of them).
    pub field_count: usize,
}

impl Drop for RawRecord {
    fn drop(&mut self) {
        self.fields.zeroize();
    }
}

/// Parses `input` (see the module documentation for the rules) into all of its records at once.
/// [`Reader`] does the same one record at a time.
pub fn parse_csv(input: &str, limits: &ImportLimits) -> Result<ParsedFile, FileError> {
    let mut reader = Reader::new(input, limits)?;
    let mut records = Vec::new();
    for record in reader.by_ref() {
        records.push(record?);
    }
    Ok(ParsedFile {
        delimiter: reader.delimiter(),
        headers: reader.headers,
        records,
    })
}

/// The records of a file, one at a time, after its header (see [`Reader::new`]). Yields an
/// error at most once, then ends.
pub struct Reader<'a> {
    p: Parser<'a>,
    headers: Vec<String>,
    rows: usize,
    max_rows: usize,
    failed: bool,
}

impl<'a> Reader<'a> {
    /// Checks the size of `input`, then reads and checks its header.
    pub fn new(input: &'a str, limits: &ImportLimits) -> Result<Self, FileError> {
        if input.len() > limits.max_bytes {
            return Err(FileError::TooLarge {
                bytes: input.len(),
                max: limits.max_bytes,
            });
        }
        let input = input.strip_prefix('\u{feff}').unwrap_or(input);
        if input.trim().is_empty() {
            return Err(FileError::Empty);
        }
        let mut p = Parser::new(input);
        p.skip_leading_blank_lines();
        let delim = p.detect_delimiter();
        p.set_delimiter(delim);

        // (one field more than allowed is kept, to tell "too many" from "just enough")
        let (raw_headers, count) = p.read_record(limits.max_columns.saturating_add(1))?;
        if count > limits.max_columns {
            return Err(FileError::TooManyColumns {
                max: limits.max_columns,
            });
        }
        for (i, h) in raw_headers.iter().enumerate() {
            if h.trim().chars().nth(limits.max_header_name_chars).is_some() {
                return Err(FileError::HeaderNameTooLong {
                    column: i + 1,
                    max: limits.max_header_name_chars,
                });
            }
        }
        let headers: Vec<String> = raw_headers
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        check_headers(&headers)?;
        Ok(Reader {
            p,
            headers,
            rows: 0,
            max_rows: limits.max_rows,
            failed: false,
        })
    }

    /// The header names, trimmed and lower-cased, unique and non-empty; one of them is `email`.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The delimiter found in the header line.
    pub fn delimiter(&self) -> char {
        char::from(self.p.delim)
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<RawRecord, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let p = &mut self.p;
        p.skip_line_breaks();
        if p.pos < p.b.len() {
            if self.rows >= self.max_rows {
                self.failed = true;
                return Some(Err(FileError::TooManyRows { max: self.max_rows }));
            }
            let line_number = p.line_at(p.pos);
            return match p.read_record(self.headers.len().saturating_add(1)) {
                Ok((fields, field_count)) => {
                    self.rows += 1;
                    Some(Ok(RawRecord {
                        line_number,
                        fields,
                        field_count,
                    }))
                }
                Err(e) => {
                    self.failed = true;
                    Some(Err(e))
                }
            };
        }
        None
    }
}

fn check_headers(headers: &[String]) -> Result<(), FileError> {
    let has_email = headers.iter().any(|h| h == "email");
    if !has_email && headers.iter().any(|h| h.contains('@')) {
        return Err(FileError::NoHeader);
    }
    let mut seen = HashSet::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(FileError::EmptyHeaderName { column: i + 1 });
        }
        if !seen.insert(h.as_str()) {
            return Err(FileError::DuplicateHeader(h.clone()));
        }
    }
    if !has_email {
        return Err(FileError::NoEmailColumn {
            headers: headers.to_vec(),
        });
    }
    Ok(())
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    /// The bytes before `pos` are read.
    pos: usize,
    /// The line number of byte `counted` (see [`Parser::line_at`]).
    line: u32,
    counted: usize,
    delim: u8,
    /// The tokenizer (quotes, `""`, delimiters, line breaks, empty lines).
    core: csv_core::Reader,
    /// The text of the field being read, before it is copied into a string of its exact size.
    /// Grown and shrunk by copying into a new buffer; every buffer is zeroed when dropped.
    scratch: Zeroizing<Vec<u8>>,
}

/// The usual size of [`Parser::scratch`]; a larger one (for a long field) is given back after
/// the field.
const SCRATCH_BYTES: usize = 4096;

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            pos: 0,
            line: 1,
            counted: 0,
            delim: b',',
            core: csv_core::Reader::new(),
            scratch: Zeroizing::new(vec![0; SCRATCH_BYTES]),
        }
    }

    /// Sets the delimiter of the records read from now on.
    fn set_delimiter(&mut self, delim: u8) {
        self.delim = delim;
        self.core = csv_core::ReaderBuilder::new()
            .delimiter(delim)
            .terminator(csv_core::Terminator::CRLF)
            .quote(b'"')
            .quoting(true)
            .double_quote(true)
            .escape(None)
            .comment(None)
            .build();
        // csv_core strips a byte order mark at the start of its first read; ours is stripped
        // already, and a second one is data. A read into no room consumes nothing but marks
        // the reader as started.
        let _ = self.core.read_record(b" ", &mut [], &mut [0]);
    }

    /// The line number of byte `to` (not between the two bytes of a CRLF), counting every line
    /// break before it: CRLF, LF and lone CR, inside quoted fields or not. Counts from where the
    /// last call stopped, so every byte is looked at once.
    fn line_at(&mut self, to: usize) -> u32 {
        let to = to.min(self.b.len()).max(self.counted);
        let from = self.counted;
        for i in memchr::memchr2_iter(b'\r', b'\n', &self.b[from..to]) {
            let at = from + i;
            if self.b[at] == b'\n' || self.b.get(at + 1) != Some(&b'\n') {
                self.line = self.line.saturating_add(1);
            }
        }
        self.counted = to;
        self.line
    }

    /// Skips lines that are empty or hold only whitespace, as long as a later line follows.
    fn skip_leading_blank_lines(&mut self) {
        loop {
            let end = memchr::memchr2(b'\r', b'\n', &self.b[self.pos..])
                .map_or(self.b.len(), |i| self.pos + i);
            if end >= self.b.len() || !self.s[self.pos..end].trim().is_empty() {
                return;
            }
            self.pos = end;
            self.skip_line_breaks();
        }
    }

    /// Skips line breaks (empty lines, at the start of a record).
    fn skip_line_breaks(&mut self) {
        while matches!(self.b.get(self.pos), Some(b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Counts `,`, `;` and tabs outside quoted fields on the line starting at `pos` (without
    /// moving) and returns the delimiter to use.
    fn detect_delimiter(&self) -> u8 {
        let b = self.b;
        let (mut commas, mut semicolons, mut tabs) = (0usize, 0usize, 0usize);
        let mut i = self.pos;
        let mut field_start = true;
        while i < b.len() {
            let c = b[i];
            if field_start && c == b'"' {
                // Skip the quoted field; an unterminated one is reported by the real parse.
                match skip_quoted(b, i + 1) {
                    Some(next) => i = next,
                    None => break,
                }
                field_start = false;
                continue;
            }
            match c {
                b',' => commas += 1,
                b';' => semicolons += 1,
                b'\t' => tabs += 1,
                b'\r' | b'\n' => break,
                _ => {}
            }
            field_start = matches!(c, b',' | b';' | b'\t');
            i += 1;
        }
        if semicolons > commas && semicolons > tabs {
            b';'
        } else if tabs > commas && tabs > semicolons {
            b'\t'
        } else {
            b','
        }
    }

    /// Reads the record that starts at `pos` (not on a line break), through its line break (or
    /// the end of the input): its first `keep` fields, and how many fields it has. The fields
    /// after the first `keep` are only counted.
    fn read_record(&mut self, keep: usize) -> Result<(Vec<String>, usize), FileError> {
        let start = self.pos;
        let mut fields = Vec::new();
        let mut count = 0usize;
        // bytes of the current field in `scratch` (while it is kept)
        let mut len = 0usize;
        let mut end = [0usize; 1];
        loop {
            let wanted = count < keep;
            let input = &self.b[self.pos..];
            let at_eof = input.is_empty();
            // (a field that is not kept is written over the scratch, again and again)
            let out = if wanted {
                &mut self.scratch[len..]
            } else {
                &mut self.scratch[..]
            };
            let (result, nin, nout, nend) = self.core.read_record(input, out, &mut end);
            self.pos += nin;
            if wanted {
                len += nout;
            }
            // (one slot for an end: a call stops after each field)
            if nend == 1 {
                if wanted {
                    fields.push(self.take_field(len));
                }
                len = 0;
                count += 1;
            }
            match result {
                csv_core::ReadRecordResult::Record => {
                    if at_eof {
                        // The record ends at the end of the input, which is also where a quote
                        // that is never closed would have taken it.
                        self.check_quotes_closed(start)?;
                    }
                    return Ok((fields, count));
                }
                // (the input ends before the record does: the next call says so)
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull if wanted => self.grow(len),
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {}
                // (only at the end of the input when no record was started: the callers never
                // start one on an empty rest)
                csv_core::ReadRecordResult::End => return Ok((fields, count)),
            }
        }
    }

    /// The first `len` bytes of the scratch as a string of exactly that size; a scratch grown
    /// for a long field is given back.
    fn take_field(&mut self, len: usize) -> String {
        let text = self.scratch.get(..len).unwrap_or_default();
        // (field bytes are the input's bytes less some ASCII quotes, cut at ASCII delimiters and
        // line breaks: always UTF-8)
        let field = String::from_utf8_lossy(text).into_owned();
        if self.scratch.len() > 16 * SCRATCH_BYTES {
            self.scratch = Zeroizing::new(vec![0; SCRATCH_BYTES]);
        }
        field
    }

    /// A larger scratch holding the `len` bytes read so far: twice the size, but no larger than
    /// the rest of the input allows the field to be.
    fn grow(&mut self, len: usize) {
        let rest = self.b.len() - self.pos;
        let size = self
            .scratch
            .len()
            .saturating_mul(2)
            .min(len.saturating_add(rest).saturating_add(1))
            .max(self.scratch.len().saturating_add(1));
        let mut bigger = Zeroizing::new(vec![0; size]);
        bigger[..len].copy_from_slice(&self.scratch[..len]);
        // (the old buffer is zeroed as it is dropped)
        self.scratch = bigger;
    }

    /// For a record that ends at the end of the input, starting at `start`: an error naming
    /// the line of a quoted field in it that is never closed (which `csv_core` reads as if the
    /// input closed it).
    fn check_quotes_closed(&mut self, start: usize) -> Result<(), FileError> {
        let b = self.b;
        let mut i = start;
        loop {
            if b.get(i) == Some(&b'"') {
                match skip_quoted(b, i + 1) {
                    Some(after) => i = after,
                    None => {
                        return Err(FileError::UnterminatedQuote {
                            line: self.line_at(i),
                        })
                    }
                }
            }
            // (no line break outside quotes: it would have ended the record before the end)
            match memchr::memchr(self.delim, b.get(i..).unwrap_or_default()) {
                Some(d) => i += d + 1,
                None => return Ok(()),
            }
        }
    }
}

/// From just after an opening quote, the index just after the closing quote; `None` when the
/// field is never closed.
fn skip_quoted(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let q = i + memchr::memchr(b'"', b.get(i..)?)?;
        if b.get(q + 1) == Some(&b'"') {
            i = q + 2;
        } else {
            return Some(q + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<ParsedFile, FileError> {
        parse_csv(input, &ImportLimits::default())
    }

    fn fields(file: &ParsedFile) -> Vec<Vec<&str>> {
        file.records
            .iter()
            .map(|r| r.fields.iter().map(String::as_str).collect())
            .collect()
    }

    fn lines(file: &ParsedFile) -> Vec<u32> {
        file.records.iter().map(|r| r.line_number).collect()
    }

    #[test]
    fn simple_file() {
        let f = parse("email,password\na@example.com,secret1\nb@example.com,secret2\n").unwrap();
        assert_eq!(f.delimiter, ',');
        assert_eq!(f.headers, ["email", "password"]);
        assert_eq!(
            fields(&f),
            [["a@example.com", "secret1"], ["b@example.com", "secret2"]]
        );
        assert_eq!(lines(&f), [2, 3]);
    }

    #[test]
    fn last_line_without_line_break() {
        let f = parse("email\na@example.com").unwrap();
        assert_eq!(fields(&f), [["a@example.com"]]);
    }

    #[test]
    fn header_only_file_has_no_records() {
        for input in ["email,password", "email,password\n", "email\r\n\r\n\n"] {
            let f = parse(input).unwrap();
            assert!(f.records.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn bom_is_stripped() {
        let f = parse("\u{feff}Email,Password\r\na@example.com,x\r\n").unwrap();
        assert_eq!(f.headers, ["email", "password"]);
        assert_eq!(fields(&f), [["a@example.com", "x"]]);
    }

    #[test]
    fn only_the_first_byte_order_mark_is_stripped() {
        // (csv_core would strip one at the start of its first read, which is the header's)
        for input in ["\u{feff}\u{feff}email\nx\n", "\n\u{feff}email\nx\n"] {
            assert_eq!(
                parse(input),
                Err(FileError::NoEmailColumn {
                    headers: vec!["\u{feff}email".into()]
                }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn long_fields_between_short_ones() {
        let long = "é".repeat(50_000);
        let input =
            format!("email,x\na@b.co,\"{long}\"\nc@d.co,{long}\ne@f.co,\"1\n2\"\ng@h.co,{long}");
        let f = parse(&input).unwrap();
        assert_eq!(fields(&f)[0], ["a@b.co", long.as_str()]);
        assert_eq!(fields(&f)[1], ["c@d.co", long.as_str()]);
        assert_eq!(fields(&f)[2], ["e@f.co", "1\n2"]);
        assert_eq!(fields(&f)[3], ["g@h.co", long.as_str()]);
        assert_eq!(lines(&f), [2, 3, 4, 6]);
        for r in &f.records {
            assert!(r.fields.iter().all(|v| v.capacity() == v.len()));
        }
    }

    #[test]
    fn crlf_lf_and_lone_cr_line_ends() {
        for input in [
            "email,x\r\na@b.co,1\r\nc@d.co,2\r\n",
            "email,x\na@b.co,1\nc@d.co,2\n",
            "email,x\ra@b.co,1\rc@d.co,2\r",
            "email,x\r\na@b.co,1\rc@d.co,2\n",
        ] {
            let f = parse(input).unwrap();
            assert_eq!(fields(&f), [["a@b.co", "1"], ["c@d.co", "2"]], "{input:?}");
            assert_eq!(lines(&f), [2, 3], "{input:?}");
        }
    }

    #[test]
    fn semicolon_and_tab_detection() {
        let f = parse("email;first_name;last_name\na@b.co;Ann;Lee\n").unwrap();
        assert_eq!(f.delimiter, ';');
        assert_eq!(fields(&f), [["a@b.co", "Ann", "Lee"]]);

        let f = parse("email\tfirst_name\na@b.co\tAnn, Jr\n").unwrap();
        assert_eq!(f.delimiter, '\t');
        assert_eq!(fields(&f), [["a@b.co", "Ann, Jr"]]);

        // A comma inside a quoted header name does not count.
        let f = parse("email;\"a,b,c\";x\na@b.co;1;2\n").unwrap();
        assert_eq!(f.delimiter, ';');
        assert_eq!(f.headers, ["email", "a,b,c", "x"]);
    }

    #[test]
    fn delimiter_ties_and_none_mean_comma() {
        assert_eq!(parse("email\na@b.co\n").unwrap().delimiter, ',');
        assert_eq!(parse("email,x;y\n").unwrap().delimiter, ',');
        assert_eq!(parse("email,x;y\tz\n").unwrap().delimiter, ',');
        let f = parse("email;x\ty,z\n").unwrap_err();
        assert_eq!(
            f,
            FileError::NoEmailColumn {
                headers: vec!["email;x\ty".into(), "z".into()]
            }
        );
        // Two semicolons beat one comma.
        let f = parse("email;a,b;c\n").unwrap();
        assert_eq!(f.delimiter, ';');
        assert_eq!(f.headers, ["email", "a,b", "c"]);
    }

    #[test]
    fn quoted_fields() {
        let input = "email,note,password\n\
                     a@b.co,\"hello, world\",\"say \"\"hi\"\"\"\n\
                     c@d.co,\"\",\"\"\"\"\n";
        let f = parse(input).unwrap();
        assert_eq!(
            fields(&f),
            [
                ["a@b.co", "hello, world", "say \"hi\""],
                ["c@d.co", "", "\""]
            ]
        );
    }

    #[test]
    fn quoted_newlines_count_for_line_numbers() {
        let input = "email,note\n\
                     a@b.co,\"line one\nline two\r\nline three\rline four\"\n\
                     c@d.co,x\n\
                     \n\
                     e@f.co,\"\n\"\n\
                     g@h.co,y";
        let f = parse(input).unwrap();
        assert_eq!(
            fields(&f)[0],
            ["a@b.co", "line one\nline two\r\nline three\rline four"]
        );
        assert_eq!(lines(&f), [2, 6, 8, 10]);
    }

    #[test]
    fn blank_lines_before_header_and_between_records_are_counted() {
        let input = "\n  \r\n\t\nemail\n\na@b.co\r\n\r\n\r\nc@d.co\n\n";
        let f = parse(input).unwrap();
        assert_eq!(f.headers, ["email"]);
        assert_eq!(fields(&f), [["a@b.co"], ["c@d.co"]]);
        assert_eq!(lines(&f), [6, 9]);
    }

    #[test]
    fn whitespace_only_line_between_records_is_a_record() {
        let f = parse("email,x\na@b.co,1\n   \nc@d.co,2\n").unwrap();
        assert_eq!(fields(&f)[1], ["   "]);
    }

    #[test]
    fn characters_after_closing_quote_are_kept() {
        let f = parse("email,x\n\"a\"b@c.co,\"q\" r\n").unwrap();
        assert_eq!(fields(&f), [["ab@c.co", "q r"]]);
    }

    #[test]
    fn quote_inside_unquoted_field_is_data() {
        let f = parse("email,x\na@b.co,5\" tall\n").unwrap();
        assert_eq!(fields(&f), [["a@b.co", "5\" tall"]]);
    }

    #[test]
    fn values_are_not_trimmed_and_ragged_rows_are_kept() {
        let f = parse("email,x,y\n  a@b.co  ,  1 \nc@d.co,1,2,3\n,,\n").unwrap();
        assert_eq!(
            fields(&f),
            vec![
                vec!["  a@b.co  ", "  1 "],
                vec!["c@d.co", "1", "2", "3"],
                vec!["", "", ""]
            ]
        );
    }

    #[test]
    fn sql_looking_values_are_data() {
        let f = parse("email,company\na@b.co,'); DROP TABLE x; --\n").unwrap();
        assert_eq!(fields(&f), [["a@b.co", "'); DROP TABLE x; --"]]);
    }

    #[test]
    fn headers_are_trimmed_and_lower_cased() {
        let f = parse(" EMAIL , First_Name\t,\"  Company \"\nx,y,z\n").unwrap();
        assert_eq!(f.headers, ["email", "first_name", "company"]);
    }

    #[test]
    fn multibyte_text() {
        let f = parse("email,name\nzoë@exämple.de,\"Zoë, 日本\"\n").unwrap();
        assert_eq!(fields(&f), [["zoë@exämple.de", "Zoë, 日本"]]);
    }

    #[test]
    fn empty_input() {
        for input in ["", "\u{feff}", "   ", "\n\n", "\r\n \t\r\n", "\u{feff}\n"] {
            assert_eq!(parse(input), Err(FileError::Empty), "{input:?}");
        }
    }

    #[test]
    fn no_email_column() {
        let e = parse("id,mail\n1,a@b.co\n").unwrap_err();
        assert_eq!(
            e,
            FileError::NoEmailColumn {
                headers: vec!["id".into(), "mail".into()]
            }
        );
        assert_eq!(e.sqlstate(), "22P04");
        assert!(
            e.message()
                .starts_with("the CSV has no \"email\" column (header: id, mail)"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn no_email_column_message_is_bounded() {
        let header: Vec<String> = (0..100)
            .map(|i| format!("c{i}{}", "x".repeat(55)))
            .collect();
        let e = parse(&header.join(",")).unwrap_err();
        let m = e.message();
        assert!(m.contains("(80 more)"), "{m}");
        assert!(m.len() < 2000);
    }

    #[test]
    fn no_header() {
        let e = parse("a@b.co,secret\nc@d.co,secret\n").unwrap_err();
        assert_eq!(e, FileError::NoHeader);
        assert_eq!(e.sqlstate(), "22P04");
        assert!(!e.message().contains("secret"));
    }

    #[test]
    fn duplicate_header() {
        let e = parse("email,Name,NAME \n").unwrap_err();
        assert_eq!(e, FileError::DuplicateHeader("name".into()));
        assert_eq!(e.sqlstate(), "22P04");
        assert!(e.message().contains("\"name\""), "{}", e.message());
        assert_eq!(
            parse("email,Email\n").unwrap_err(),
            FileError::DuplicateHeader("email".into())
        );
    }

    #[test]
    fn empty_header_name() {
        let e = parse("email,  ,x\n").unwrap_err();
        assert_eq!(e, FileError::EmptyHeaderName { column: 2 });
        assert_eq!(e.sqlstate(), "22P04");
        assert!(e.message().contains("column 2"));
        assert_eq!(
            parse("email,x,\n").unwrap_err(),
            FileError::EmptyHeaderName { column: 3 }
        );
    }

    #[test]
    fn too_many_rows() {
        let limits = ImportLimits {
            max_rows: 2,
            ..ImportLimits::default()
        };
        assert_eq!(
            parse_csv("email\na@b.co\nc@d.co\n\n", &limits)
                .unwrap()
                .records
                .len(),
            2
        );
        let e = parse_csv("email\na@b.co\nc@d.co\ne@f.co\n", &limits).unwrap_err();
        assert_eq!(e, FileError::TooManyRows { max: 2 });
        assert_eq!(e.sqlstate(), "22023");
        assert!(e.message().contains("auth_sync.max_import_rows allows 2"));
        let zero = ImportLimits {
            max_rows: 0,
            ..ImportLimits::default()
        };
        assert!(parse_csv("email\n", &zero).is_ok());
        assert_eq!(
            parse_csv("email\nx\n", &zero),
            Err(FileError::TooManyRows { max: 0 })
        );
    }

    #[test]
    fn too_many_rows_stops_before_a_later_syntax_error() {
        let limits = ImportLimits {
            max_rows: 1,
            ..ImportLimits::default()
        };
        assert_eq!(
            parse_csv("email\na\nb\n\"never closed", &limits),
            Err(FileError::TooManyRows { max: 1 })
        );
    }

    #[test]
    fn unterminated_quote() {
        let input = "email,note\n\na@b.co,x\nc@d.co,y\n\n\ne@f.co,\"open\nmore\nmore";
        let e = parse(input).unwrap_err();
        assert_eq!(e, FileError::UnterminatedQuote { line: 7 });
        assert_eq!(e.sqlstate(), "22P04");
        assert!(e
            .message()
            .starts_with("unterminated quoted field starting on line 7"));
        assert_eq!(
            parse("\"email\n").unwrap_err(),
            FileError::UnterminatedQuote { line: 1 }
        );
        assert_eq!(
            parse("\n\nemail,\"x\n").unwrap_err(),
            FileError::UnterminatedQuote { line: 3 }
        );
        // `""` at the end does not close it.
        assert_eq!(
            parse("email\n\"abc\"\"").unwrap_err(),
            FileError::UnterminatedQuote { line: 2 }
        );
    }

    #[test]
    fn default_limits() {
        let l = ImportLimits::default();
        assert_eq!((l.max_rows, l.max_field_chars), (1_000_000, 10_000));
        assert_eq!(l.max_bytes, 256 * 1024 * 1024);
        assert_eq!((l.max_columns, l.max_header_name_chars), (500, 63));
    }

    #[test]
    fn oversized_input_is_refused_before_it_is_read() {
        let limits = ImportLimits {
            max_bytes: 24,
            ..ImportLimits::default()
        };
        // exactly at the limit is fine
        assert!(parse_csv("email\na@example.com\n1234", &limits).is_ok());
        // one byte more is refused, even when the rest would be a syntax error
        let e = parse_csv("\"email\na@example.com\n1234", &limits).unwrap_err();
        assert_eq!(e, FileError::TooLarge { bytes: 25, max: 24 });
        assert_eq!(e.sqlstate(), "54000");
        assert!(e.message().contains("auth_sync.max_import_bytes allows 24"));
    }

    #[test]
    fn header_names_and_columns_are_bounded() {
        let limits = ImportLimits {
            max_columns: 3,
            max_header_name_chars: 5,
            ..ImportLimits::default()
        };
        assert!(parse_csv(
            "email,abcde,\"  \u{e9}\u{e9}\u{e9}\u{e9}\u{e9} \"\na@b.co,1,2\n",
            &limits
        )
        .is_ok());
        let e = parse_csv("email,abcdef\na@b.co,1\n", &limits).unwrap_err();
        assert_eq!(e, FileError::HeaderNameTooLong { column: 2, max: 5 });
        assert_eq!(e.sqlstate(), "54000");
        // a huge name is refused without its text in the message
        let huge = format!("email,{}\na@b.co,v\n", "x".repeat(1_000_000));
        let e = parse_csv(&huge, &ImportLimits::default()).unwrap_err();
        assert_eq!(e, FileError::HeaderNameTooLong { column: 2, max: 63 });
        assert!(e.message().len() < 200);
        let e = parse_csv("email,a,b,c\na@b.co,1,2,3\n", &limits).unwrap_err();
        assert_eq!(e, FileError::TooManyColumns { max: 3 });
        let many = format!("email{}\n", ",x".repeat(5_000));
        assert_eq!(
            parse_csv(&many, &ImportLimits::default()).unwrap_err(),
            FileError::TooManyColumns { max: 500 }
        );
    }

    #[test]
    fn a_record_keeps_one_field_more_than_the_header() {
        let line = format!("a@b.co{}\n", ",v".repeat(100_000));
        let f = parse(&format!("email,x\n{line}a@b.co\n")).unwrap();
        assert_eq!(f.records[0].field_count, 100_001);
        assert_eq!(f.records[0].fields, ["a@b.co", "v", "v"]);
        assert_eq!(f.records[1].field_count, 1);
        assert_eq!(f.records[1].fields, ["a@b.co"]);
    }

    #[test]
    fn reader_yields_records_one_at_a_time_and_stops_after_an_error() {
        let limits = ImportLimits {
            max_rows: 2,
            ..ImportLimits::default()
        };
        let mut r = Reader::new("email;x\na@b.co;1\nc@d.co;2\ne@f.co;3\n", &limits).unwrap();
        assert_eq!(r.headers(), ["email", "x"]);
        assert_eq!(r.delimiter(), ';');
        assert_eq!(r.next().unwrap().unwrap().fields, ["a@b.co", "1"]);
        assert_eq!(r.next().unwrap().unwrap().line_number, 3);
        assert_eq!(r.next(), Some(Err(FileError::TooManyRows { max: 2 })));
        assert_eq!(r.next(), None);
    }

    #[test]
    fn quoted_field_text_is_exact_and_sized_once() {
        let f = parse("email,p\na@b.co,\"se\"\"cr,et\"tail\n").unwrap();
        let v = &f.records[0].fields[1];
        assert_eq!(v, "se\"cr,ettail");
        // the capacity was reserved from the raw span (quotes included), never grown
        assert!(v.capacity() >= v.len() && v.capacity() <= "\"se\"\"cr,et\"tail".len());
    }

    #[test]
    fn every_file_error_has_a_message_and_sqlstate() {
        let all = [
            FileError::Empty,
            FileError::NoHeader,
            FileError::NoEmailColumn { headers: vec![] },
            FileError::DuplicateHeader("x".into()),
            FileError::EmptyHeaderName { column: 1 },
            FileError::TooManyRows { max: 1_000_000 },
            FileError::UnterminatedQuote { line: 7 },
            FileError::TooLarge { bytes: 10, max: 5 },
            FileError::TooManyColumns { max: 5 },
            FileError::HeaderNameTooLong { column: 2, max: 63 },
        ];
        for e in all {
            assert!(!e.message().is_empty());
            assert_eq!(e.to_string(), e.message());
            let expected = match e {
                FileError::TooManyRows { .. } => "22023",
                FileError::TooLarge { .. }
                | FileError::TooManyColumns { .. }
                | FileError::HeaderNameTooLong { .. } => "54000",
                _ => "22P04",
            };
            assert_eq!(e.sqlstate(), expected);
        }
        assert_eq!(
            FileError::TooManyRows { max: 1_000_000 }.message(),
            "the CSV has more than 1000000 rows; auth_sync.max_import_rows allows 1000000; \
             split the file or raise the setting"
        );
    }

    #[test]
    fn long_input_is_linear() {
        // A million quotes in one field, and many short lines: both must be quick.
        let mut s = String::from("email,x\na@b.co,\"");
        s.push_str(&"\"\"".repeat(500_000));
        s.push_str("\"\n");
        s.push_str(&"a@b.co,1\n".repeat(200_000));
        let f = parse(&s).unwrap();
        assert_eq!(f.records.len(), 200_001);
        assert_eq!(f.records[0].fields[1].len(), 500_000);
    }
}
