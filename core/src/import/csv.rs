//! Reading a user-import CSV file into a header and raw records.
//!
//! The parser is a single forward pass over the bytes of the input (delimiters, quotes and line
//! breaks are all ASCII, so slicing at them never splits a UTF-8 character). It never panics and
//! runs in time linear in the input size.
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
//! * Completely empty lines between records are skipped.
//! * Field values are not trimmed here; the number of fields per record is kept as it is.

use std::collections::HashSet;
use std::fmt;

/// Limits on what one import may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// The most data records (lines after the header) a file may have.
    pub max_rows: usize,
    /// The most characters (Unicode scalar values) any one field may have.
    pub max_field_chars: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_rows: 1_000_000,
            max_field_chars: 10_000,
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
}

/// SQLSTATE `bad_copy_file_format`.
const BAD_COPY_FILE_FORMAT: &str = "22P04";
/// SQLSTATE `invalid_parameter_value`.
const INVALID_PARAMETER_VALUE: &str = "22023";

/// At most this many header names are listed in a message.
const MAX_NAMES_IN_MESSAGE: usize = 20;
/// Header names are cut to this many characters in a message.
const MAX_NAME_CHARS_IN_MESSAGE: usize = 64;

impl FileError {
    /// The SQLSTATE the SQL layer should raise this error with.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            FileError::TooManyRows { .. } => INVALID_PARAMETER_VALUE,
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
    /// The field values, untrimmed, as many as the line has.
    pub fields: Vec<String>,
}

/// Parses `input` (see the module documentation for the rules).
pub fn parse_csv(input: &str, limits: &ImportLimits) -> Result<ParsedFile, FileError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    if input.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut p = Parser {
        s: input,
        b: input.as_bytes(),
        pos: 0,
        line: 1,
        delim: b',',
    };
    p.skip_leading_blank_lines();
    p.delim = p.detect_delimiter();

    let raw_headers = p.read_record()?;
    let headers: Vec<String> = raw_headers
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    check_headers(&headers)?;

    let mut records = Vec::new();
    while p.pos < p.b.len() {
        if p.skip_empty_line() {
            continue;
        }
        if records.len() >= limits.max_rows {
            return Err(FileError::TooManyRows {
                max: limits.max_rows,
            });
        }
        let line_number = p.line;
        let fields = p.read_record()?;
        records.push(RawRecord {
            line_number,
            fields,
        });
    }
    Ok(ParsedFile {
        delimiter: char::from(p.delim),
        headers,
        records,
    })
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
    pos: usize,
    line: u32,
    delim: u8,
}

impl Parser<'_> {
    /// Skips lines that are empty or hold only whitespace, as long as a later line follows.
    fn skip_leading_blank_lines(&mut self) {
        loop {
            let end = self.b[self.pos..]
                .iter()
                .position(|&c| c == b'\r' || c == b'\n')
                .map_or(self.b.len(), |i| self.pos + i);
            if end >= self.b.len() || !self.s[self.pos..end].trim().is_empty() {
                return;
            }
            self.pos = end;
            self.consume_line_break();
        }
    }

    /// At the start of a record: if the line is empty, consumes its line break and returns true.
    fn skip_empty_line(&mut self) -> bool {
        match self.b.get(self.pos) {
            Some(b'\r') | Some(b'\n') => {
                self.consume_line_break();
                true
            }
            _ => false,
        }
    }

    /// Consumes one line break (CRLF, LF or CR) at `pos`, if there is one.
    fn consume_line_break(&mut self) {
        match self.b.get(self.pos) {
            Some(b'\r') => {
                self.pos += 1;
                if self.b.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
                self.line = self.line.saturating_add(1);
            }
            Some(b'\n') => {
                self.pos += 1;
                self.line = self.line.saturating_add(1);
            }
            _ => {}
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

    /// Reads the fields of one record starting at `pos`, through its line break (or the end of
    /// the input).
    fn read_record(&mut self) -> Result<Vec<String>, FileError> {
        let mut fields = Vec::new();
        loop {
            let field = self.read_field()?;
            fields.push(field);
            match self.b.get(self.pos) {
                None => return Ok(fields),
                Some(&c) if c == self.delim => self.pos += 1,
                Some(_) => {
                    self.consume_line_break();
                    return Ok(fields);
                }
            }
        }
    }

    /// Reads one field, leaving `pos` on the delimiter or line break that ends it (or at the end
    /// of the input).
    fn read_field(&mut self) -> Result<String, FileError> {
        let mut out = String::new();
        if self.b.get(self.pos) == Some(&b'"') {
            let start_line = self.line;
            self.pos += 1;
            loop {
                let Some(offset) = self.b[self.pos..].iter().position(|&c| c == b'"') else {
                    return Err(FileError::UnterminatedQuote { line: start_line });
                };
                let q = self.pos + offset;
                let chunk = &self.s[self.pos..q];
                self.line = self
                    .line
                    .saturating_add(count_line_breaks(chunk.as_bytes()));
                out.push_str(chunk);
                if self.b.get(q + 1) == Some(&b'"') {
                    out.push('"');
                    self.pos = q + 2;
                } else {
                    self.pos = q + 1;
                    break;
                }
            }
        }
        let end = self.field_end();
        out.push_str(&self.s[self.pos..end]);
        self.pos = end;
        Ok(out)
    }

    /// The index of the next delimiter or line break from `pos`, or the end of the input.
    fn field_end(&self) -> usize {
        let d = self.delim;
        self.b[self.pos..]
            .iter()
            .position(|&c| c == d || c == b'\r' || c == b'\n')
            .map_or(self.b.len(), |i| self.pos + i)
    }
}

/// From just after an opening quote, the index just after the closing quote; `None` when the
/// field is never closed.
fn skip_quoted(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let q = i + b.get(i..)?.iter().position(|&c| c == b'"')?;
        if b.get(q + 1) == Some(&b'"') {
            i = q + 2;
        } else {
            return Some(q + 1);
        }
    }
}

/// The number of line breaks (CRLF, LF, lone CR) in `b`.
fn count_line_breaks(b: &[u8]) -> u32 {
    let mut n: u32 = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n = n.saturating_add(1);
        }
    }
    n
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
            .map(|i| format!("c{i}{}", "x".repeat(200)))
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
        ];
        for e in all {
            assert!(!e.message().is_empty());
            assert_eq!(e.to_string(), e.message());
            let expected = if matches!(e, FileError::TooManyRows { .. }) {
                "22023"
            } else {
                "22P04"
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
