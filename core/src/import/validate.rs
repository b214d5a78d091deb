//! Row-by-row validation of a parsed import file.
//!
//! Every field value is trimmed before it is checked or stored, except `password` (spaces are
//! characters of a password). Each row gets the first error found, checking in this order:
//! `wrong_column_count`, `value_too_long`, `invalid_email`, `invalid_id`, `password_and_hash`,
//! `password_too_short` / `password_too_long`, `invalid_password_hash`, `invalid_boolean`,
//! `invalid_json`, `invalid_timestamp`, `invalid_phone`, `duplicate_in_file`.
//!
//! Error messages never contain a password or a password hash, and quote no field value (the
//! row's `email` is reported separately).

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroize;

use super::csv::{shorten, FileError, ImportLimits, ParsedFile, RawRecord, Reader};
use super::email::normalize_email;
use super::timestamp::normalize_timestamp;
use crate::password::{hash_shape_ok, MAX_PASSWORD_BYTES};

/// The columns with a meaning; any other column goes to [`ImportRow::extra`].
pub const KNOWN_COLUMNS: [&str; 14] = [
    "email",
    "password",
    "password_hash",
    "id",
    "phone",
    "first_name",
    "last_name",
    "full_name",
    "role",
    "company",
    "email_confirmed",
    "user_metadata",
    "app_metadata",
    "created_at",
];

/// Row error codes (a stable API).
pub const WRONG_COLUMN_COUNT: &str = "wrong_column_count";
pub const VALUE_TOO_LONG: &str = "value_too_long";
pub const INVALID_EMAIL: &str = "invalid_email";
pub const INVALID_ID: &str = "invalid_id";
pub const PASSWORD_AND_HASH: &str = "password_and_hash";
pub const PASSWORD_TOO_SHORT: &str = "password_too_short";
pub const PASSWORD_TOO_LONG: &str = "password_too_long";
pub const INVALID_PASSWORD_HASH: &str = "invalid_password_hash";
pub const INVALID_BOOLEAN: &str = "invalid_boolean";
pub const INVALID_JSON: &str = "invalid_json";
pub const INVALID_TIMESTAMP: &str = "invalid_timestamp";
pub const INVALID_PHONE: &str = "invalid_phone";
pub const DUPLICATE_IN_FILE: &str = "duplicate_in_file";

/// Every row error code, in check order.
pub const ROW_ERROR_CODES: [&str; 13] = [
    WRONG_COLUMN_COUNT,
    VALUE_TOO_LONG,
    INVALID_EMAIL,
    INVALID_ID,
    PASSWORD_AND_HASH,
    PASSWORD_TOO_SHORT,
    PASSWORD_TOO_LONG,
    INVALID_PASSWORD_HASH,
    INVALID_BOOLEAN,
    INVALID_JSON,
    INVALID_TIMESTAMP,
    INVALID_PHONE,
    DUPLICATE_IN_FILE,
];

/// Fewest bytes a password may have (the Supabase Auth server's default minimum).
pub const MIN_PASSWORD_BYTES: usize = 6;
/// Most characters of `email`, `password_hash` and `phone` (their `auth.users` columns are
/// `varchar(255)`).
pub const MAX_SHORT_VALUE_CHARS: usize = 255;
/// How many leading characters of an invalid email the report keeps (see [`ImportRow::email`]).
pub const REPORTED_INVALID_EMAIL_CHARS: usize = 3;

/// Why a row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// One of the `*` code constants above, e.g. `invalid_email`.
    pub code: &'static str,
    /// What is wrong and how to fix it; never holds a password.
    pub message: String,
}

impl RowError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        RowError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// One validated record.
///
/// When `error` is `Some`, only `line_number`, `email` and `error` are meaningful (the other
/// fields hold what was read before the error was found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line_number: u32,
    /// Trimmed and lower-cased when valid. An invalid value is reported trimmed when it is
    /// shorter than the shortest password accepted ([`MIN_PASSWORD_BYTES`]), else only as its
    /// first [`REPORTED_INVALID_EMAIL_CHARS`] characters and `...`: in a file whose columns are
    /// misaligned the email position can hold a password, and the report is kept in
    /// `auth_sync.import_rows`. Empty when the row has the wrong number of fields and the value
    /// in the email position is not a valid address.
    pub email: String,
    /// Canonical lower-case hyphenated UUID.
    pub id: Option<String>,
    /// Plaintext to hash (6 to 72 bytes, untrimmed).
    pub password: Option<String>,
    /// An existing hash, shape-checked, stored as given (trimmed).
    pub password_hash: Option<String>,
    /// Digits only, without `+` (as the Supabase Auth server stores phones).
    pub phone: Option<String>,
    pub company: Option<String>,
    pub role: Option<String>,
    /// Defaults to true.
    pub email_confirmed: bool,
    /// See [`normalize_timestamp`]: `YYYY-MM-DD HH:MM:SS[.f]+HH[:MM]`; no zone means UTC.
    pub created_at: Option<String>,
    /// The `user_metadata` column's object, with `first_name`, `last_name` and `full_name`
    /// (when given) set from their columns, overriding the same keys of the JSON.
    pub user_metadata: Map<String, Value>,
    pub app_metadata: Map<String, Value>,
    /// (position in the header, trimmed value) of the columns not in [`KNOWN_COLUMNS`] whose
    /// value is not empty, in header order. The names stay in the header, not copied per row
    /// (see [`extra_columns`]).
    pub extra: Vec<(usize, String)>,
    /// The first error found; `None` when the row is valid.
    pub error: Option<RowError>,
}

/// The plaintext password, and the email position (which can hold one in a misaligned file),
/// are zeroed when the row is dropped.
impl Drop for ImportRow {
    fn drop(&mut self) {
        self.password.zeroize();
        self.email.zeroize();
    }
}

impl ImportRow {
    fn new(line_number: u32) -> Self {
        ImportRow {
            line_number,
            email: String::new(),
            id: None,
            password: None,
            password_hash: None,
            phone: None,
            company: None,
            role: None,
            email_confirmed: true,
            created_at: None,
            user_metadata: Map::new(),
            app_metadata: Map::new(),
            extra: Vec::new(),
            error: None,
        }
    }

    /// True when the row has no error.
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }
}

/// Validates every record of `file`: one [`ImportRow`] per record, in the same order.
///
/// `duplicate_in_file` compares a row with the earlier rows whose email (or id) was itself
/// valid, whatever other error those rows have (fixing the other error would not remove the
/// duplicate); the message names the first such line. It is only reported on rows without any
/// other error. Rows with the wrong number of fields take no part in it.
pub fn validate(file: &ParsedFile, limits: &ImportLimits) -> Vec<ImportRow> {
    let mut v = Validator::new(&file.headers, limits);
    file.records.iter().map(|r| v.check(r)).collect()
}

/// [`super::csv::parse_csv`] and [`validate`] in one pass: each record is validated as it is
/// read and dropped (zeroed) before the next, so the parsed form of the whole file never exists.
pub fn parse_and_validate(input: &str, limits: &ImportLimits) -> Result<Vec<ImportRow>, FileError> {
    let mut reader = Reader::new(input, limits)?;
    let mut v = Validator::new(reader.headers(), limits);
    let mut rows = Vec::new();
    for record in reader.by_ref() {
        rows.push(v.check(&record?));
    }
    Ok(rows)
}

/// Validates records one at a time; it remembers the emails and ids seen for
/// `duplicate_in_file`.
pub struct Validator {
    headers: Vec<String>,
    cols: Columns,
    limits: ImportLimits,
    emails: HashMap<String, u32>,
    ids: HashMap<String, u32>,
}

impl Validator {
    pub fn new(headers: &[String], limits: &ImportLimits) -> Self {
        Validator {
            headers: headers.to_vec(),
            cols: Columns::new(headers),
            limits: *limits,
            emails: HashMap::new(),
            ids: HashMap::new(),
        }
    }

    /// The row of the next record (records must come in file order).
    pub fn check(&mut self, record: &RawRecord) -> ImportRow {
        let checked = check_record(record, &self.headers, &self.cols, &self.limits);
        let mut row = checked.row;
        let line = row.line_number;
        let mut duplicate = None;
        if checked.email_ok {
            if let Some(&first) = self.emails.get(&row.email) {
                duplicate = Some(format!(
                    "the email is also on line {first} (emails are compared lower-cased); keep \
                     one of the two rows"
                ));
            } else {
                self.emails.insert(row.email.clone(), line);
            }
        }
        if let Some(id) = checked.id {
            if let Some(&first) = self.ids.get(&id) {
                duplicate.get_or_insert_with(|| {
                    format!("the id is also on line {first}; ids must be unique")
                });
            } else {
                self.ids.insert(id, line);
            }
        }
        if row.error.is_none() {
            row.error = duplicate.map(|m| RowError::new(DUPLICATE_IN_FILE, m));
        }
        row
    }
}

/// The positions in `headers` of the columns not in [`KNOWN_COLUMNS`] (the extra columns), in
/// header order.
pub fn extra_columns(headers: &[String]) -> Vec<usize> {
    (0..headers.len())
        .filter(|&i| !KNOWN_COLUMNS.contains(&headers[i].as_str()))
        .collect()
}

/// Column positions of the known columns, and the positions of the extra ones.
struct Columns {
    email: Option<usize>,
    password: Option<usize>,
    password_hash: Option<usize>,
    id: Option<usize>,
    phone: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    full_name: Option<usize>,
    role: Option<usize>,
    company: Option<usize>,
    email_confirmed: Option<usize>,
    user_metadata: Option<usize>,
    app_metadata: Option<usize>,
    created_at: Option<usize>,
    extra: Vec<usize>,
}

impl Columns {
    fn new(headers: &[String]) -> Self {
        let find = |name: &str| headers.iter().position(|h| h == name);
        Columns {
            email: find("email"),
            password: find("password"),
            password_hash: find("password_hash"),
            id: find("id"),
            phone: find("phone"),
            first_name: find("first_name"),
            last_name: find("last_name"),
            full_name: find("full_name"),
            role: find("role"),
            company: find("company"),
            email_confirmed: find("email_confirmed"),
            user_metadata: find("user_metadata"),
            app_metadata: find("app_metadata"),
            created_at: find("created_at"),
            extra: extra_columns(headers),
        }
    }
}

struct Checked {
    row: ImportRow,
    /// `row.email` is a valid normalised address.
    email_ok: bool,
    /// The normalised id, when the id column holds a valid one.
    id: Option<String>,
}

fn check_record(
    record: &RawRecord,
    headers: &[String],
    cols: &Columns,
    limits: &ImportLimits,
) -> Checked {
    let mut row = ImportRow::new(record.line_number);
    let fields = &record.fields;
    if fields.len() != headers.len() || record.field_count != fields.len() {
        if let Some(Ok(email)) = cols
            .email
            .and_then(|i| fields.get(i))
            .map(|e| normalize_email(e))
        {
            row.email = email;
        }
        row.error = Some(RowError::new(
            WRONG_COLUMN_COUNT,
            format!(
                "line {} has {} fields; the header has {}",
                record.line_number,
                record.field_count.max(fields.len()),
                headers.len()
            ),
        ));
        return Checked {
            row,
            email_ok: false,
            id: None,
        };
    }
    let raw_email = field(fields, cols.email);
    let email = normalize_email(raw_email);
    let email_ok = email.is_ok();
    row.email = match &email {
        Ok(e) => e.clone(),
        Err(_) => for_report(raw_email),
    };
    let raw_id = field(fields, cols.id);
    let id = if raw_id.is_empty() {
        Ok(None)
    } else {
        normalize_uuid(raw_id).map(Some).ok_or(())
    };
    let valid_id = id.clone().ok().flatten();

    let result = check_fields(&mut row, fields, headers, cols, limits, email, id);
    if let Err(e) = result {
        row.error = Some(e);
    }
    Checked {
        row,
        email_ok,
        id: valid_id,
    }
}

/// Runs the checks after the column count, filling `row`; the first error stops them.
#[allow(clippy::too_many_arguments)]
fn check_fields(
    row: &mut ImportRow,
    fields: &[String],
    headers: &[String],
    cols: &Columns,
    limits: &ImportLimits,
    email: Result<String, &'static str>,
    id: Result<Option<String>, ()>,
) -> Result<(), RowError> {
    let get = |col: Option<usize>| field(fields, col);
    // value_too_long
    for (i, value) in fields.iter().enumerate() {
        let value = if Some(i) == cols.password {
            value.as_str()
        } else {
            value.trim()
        };
        if let Some(n) = longer_than(value, limits.max_field_chars) {
            return Err(RowError::new(
                VALUE_TOO_LONG,
                format!(
                    "the \"{}\" value has {n} characters; the limit is {}",
                    headers.get(i).map_or_else(String::new, |h| shorten(h)),
                    limits.max_field_chars
                ),
            ));
        }
    }
    for (col, name) in [
        (cols.email, "email"),
        (cols.password_hash, "password_hash"),
        (cols.phone, "phone"),
    ] {
        if let Some(n) = longer_than(get(col), MAX_SHORT_VALUE_CHARS) {
            return Err(RowError::new(
                VALUE_TOO_LONG,
                format!(
                    "the \"{name}\" value has {n} characters; the limit is \
                     {MAX_SHORT_VALUE_CHARS}"
                ),
            ));
        }
    }

    // invalid_email
    email.map_err(|reason| RowError::new(INVALID_EMAIL, reason))?;

    // invalid_id
    row.id = id.map_err(|()| {
        RowError::new(
            INVALID_ID,
            "id must be a UUID in the form 123e4567-e89b-12d3-a456-426614174000 (36 characters, \
             hex digits and hyphens)",
        )
    })?;

    // password_and_hash
    let password = cols
        .password
        .and_then(|i| fields.get(i))
        .map_or("", String::as_str);
    let hash = get(cols.password_hash);
    if !password.is_empty() && !hash.is_empty() {
        return Err(RowError::new(
            PASSWORD_AND_HASH,
            "the row has both a password and a password_hash; give only one of them",
        ));
    }

    // password_too_short / password_too_long
    if !password.is_empty() {
        let bytes = password.len();
        if bytes < MIN_PASSWORD_BYTES {
            return Err(RowError::new(
                PASSWORD_TOO_SHORT,
                format!(
                    "the password has {bytes} bytes; it needs at least {MIN_PASSWORD_BYTES} \
                     (spaces count, and are not trimmed)"
                ),
            ));
        }
        if bytes > MAX_PASSWORD_BYTES {
            return Err(RowError::new(
                PASSWORD_TOO_LONG,
                format!(
                    "the password has {bytes} bytes (UTF-8); bcrypt uses at most \
                     {MAX_PASSWORD_BYTES}, so it must be shortened"
                ),
            ));
        }
        row.password = Some(password.to_string());
    }

    // invalid_password_hash
    if !hash.is_empty() {
        hash_shape_ok(hash).map_err(|reason| {
            RowError::new(
                INVALID_PASSWORD_HASH,
                format!("password_hash is not a hash Supabase Auth can verify: {reason}"),
            )
        })?;
        row.password_hash = Some(hash.to_string());
    }

    // invalid_boolean
    let confirmed = get(cols.email_confirmed);
    if !confirmed.is_empty() {
        row.email_confirmed = parse_bool(confirmed).ok_or_else(|| {
            RowError::new(
                INVALID_BOOLEAN,
                "email_confirmed must be true or false (or yes/no, y/n, t/f, 1/0), or empty for \
                 true",
            )
        })?;
    }

    // invalid_json
    row.user_metadata = parse_object("user_metadata", get(cols.user_metadata))?;
    row.app_metadata = parse_object("app_metadata", get(cols.app_metadata))?;

    // invalid_timestamp
    let created_at = get(cols.created_at);
    if !created_at.is_empty() {
        row.created_at = Some(
            normalize_timestamp(created_at)
                .map_err(|reason| RowError::new(INVALID_TIMESTAMP, reason))?,
        );
    }

    // invalid_phone
    let phone = get(cols.phone);
    if !phone.is_empty() {
        row.phone =
            Some(normalize_phone(phone).map_err(|reason| RowError::new(INVALID_PHONE, reason))?);
    }

    // Plain values.
    let non_empty = |col: Option<usize>| Some(get(col)).filter(|v| !v.is_empty());
    row.role = non_empty(cols.role).map(str::to_string);
    row.company = non_empty(cols.company).map(str::to_string);
    for (col, key) in [
        (cols.first_name, "first_name"),
        (cols.last_name, "last_name"),
        (cols.full_name, "full_name"),
    ] {
        if let Some(v) = non_empty(col) {
            row.user_metadata
                .insert(key.to_string(), Value::String(v.to_string()));
        }
    }
    row.extra = cols
        .extra
        .iter()
        .filter_map(|&i| {
            let v = get(Some(i));
            (!v.is_empty()).then(|| (i, v.to_string()))
        })
        .collect();
    Ok(())
}

/// The trimmed value of column `col` (empty when there is no such column).
fn field(fields: &[String], col: Option<usize>) -> &str {
    col.and_then(|i| fields.get(i)).map_or("", |v| v.trim())
}

/// `Some(character count)` when `value` has more than `limit` characters.
fn longer_than(value: &str, limit: usize) -> Option<usize> {
    if value.len() <= limit {
        return None; // never more characters than bytes
    }
    let n = value.chars().count();
    (n > limit).then_some(n)
}

/// An invalid email as shown in the report (see [`ImportRow::email`]).
fn for_report(email: &str) -> String {
    if email.len() < MIN_PASSWORD_BYTES {
        return email.to_string();
    }
    let head: String = email.chars().take(REPORTED_INVALID_EMAIL_CHARS).collect();
    format!("{head}...")
}

/// The canonical (lower-case) form of a 36-character hyphenated UUID, any case; `None` for
/// anything else. (The `uuid` crate parses it; it also takes the 32-digit, braced and `urn:uuid:`
/// forms, which are refused here by their length: the documented form is the hyphenated one.)
pub fn normalize_uuid(s: &str) -> Option<String> {
    if s.len() != 36 {
        return None;
    }
    let id = uuid::Uuid::try_parse(s).ok()?;
    Some(id.hyphenated().to_string())
}

/// `true`/`false`, `yes`/`no`, `y`/`n`, `t`/`f`, `1`/`0`, any case, surrounding whitespace
/// ignored; `None` for anything else (including the empty string).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// A phone number as the Supabase Auth server stores it: digits only, no `+`.
///
/// Whitespace, `-`, `.`, `(` and `)` are removed; what is left must be an optional `+` and 8 to
/// 15 digits, the first not `0` (E.164: country codes never start with 0, and the server's own
/// check, `^[1-9][0-9]{1,14}$`, refuses a leading 0).
pub fn normalize_phone(s: &str) -> Result<String, &'static str> {
    const MESSAGE: &str = "phone must be an international number: an optional +, the country \
         code and 8 to 15 digits in all (spaces, dashes, dots and parentheses are ignored), \
         e.g. +44 20 7946 0958";
    let compact: String = s
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(MESSAGE);
    }
    if digits.starts_with('0') {
        return Err(
            "phone must start with a country code (a number starting with 0 is a national \
             number), e.g. +44 20 7946 0958",
        );
    }
    Ok(digits.to_string())
}

/// Whether any key or string in `value` holds U+0000 (a `\\u0000` escape in JSON text), which
/// PostgreSQL's jsonb refuses with SQLSTATE 22P05.
pub fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Parses a metadata column: empty means an empty object.
fn parse_object(column: &str, value: &str) -> Result<Map<String, Value>, RowError> {
    if value.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(map)) if map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)) => {
            Err(RowError::new(
                INVALID_JSON,
                format!(
                "{column} holds the escape \\u0000 (a NUL character), which PostgreSQL's jsonb \
                 cannot store; remove it"
            ),
            ))
        }
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => {
            let kind = match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            };
            Err(RowError::new(
                INVALID_JSON,
                format!("{column} must be a JSON object such as {{\"plan\": \"pro\"}}, not {kind}"),
            ))
        }
        Err(e) => {
            // Built from the category and position only: serde's own text could quote data.
            let what = match e.classify() {
                serde_json::error::Category::Eof => "it ends before the JSON is complete",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data | serde_json::error::Category::Io => {
                    "invalid data"
                }
            };
            Err(RowError::new(
                INVALID_JSON,
                format!(
                    "{column} is not valid JSON: {what} at line {}, column {} of the value \
                     (inside a CSV field, write each \" as \"\")",
                    e.line(),
                    e.column()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::csv::parse_csv;
    use super::*;
    use serde_json::json;

    fn run_with(input: &str, limits: &ImportLimits) -> Vec<ImportRow> {
        let file = parse_csv(input, limits).unwrap();
        validate(&file, limits)
    }

    fn run(input: &str) -> Vec<ImportRow> {
        run_with(input, &ImportLimits::default())
    }

    fn one(input: &str) -> ImportRow {
        let mut rows = run(input);
        assert_eq!(rows.len(), 1, "{input}");
        rows.remove(0)
    }

    fn code(row: &ImportRow) -> Option<&'static str> {
        row.error.as_ref().map(|e| e.code)
    }

    fn message(row: &ImportRow) -> &str {
        row.error.as_ref().map_or("", |e| e.message.as_str())
    }

    #[test]
    fn a_full_valid_row() {
        let input = "Email,Password,ID,Phone,First_Name,Last_Name,Full_Name,Role,Company,\
                     Email_Confirmed,User_Metadata,App_Metadata,Created_At,Team,Empty\n\
                     \" Ann@Example.COM \",\" pass word \",123E4567-E89B-12D3-A456-426614174000,\
                     +44 (20) 7946-0958,\" Ann \",Lee,Ann Lee,admin, Acme Inc ,no,\
                     \"{\"\"plan\"\":\"\"pro\"\",\"\"first_name\"\":\"\"X\"\"}\",\
                     \"{\"\"provider\"\":\"\"email\"\"}\",2024-02-29T13:05:00Z, red ,  \n";
        let row = one(input);
        assert_eq!(row.error, None);
        assert!(row.is_valid());
        assert_eq!(row.line_number, 2);
        assert_eq!(row.email, "ann@example.com");
        assert_eq!(row.password.as_deref(), Some(" pass word "));
        assert_eq!(row.password_hash, None);
        assert_eq!(
            row.id.as_deref(),
            Some("123e4567-e89b-12d3-a456-426614174000")
        );
        assert_eq!(row.phone.as_deref(), Some("442079460958"));
        assert_eq!(row.role.as_deref(), Some("admin"));
        assert_eq!(row.company.as_deref(), Some("Acme Inc"));
        assert!(!row.email_confirmed);
        assert_eq!(row.created_at.as_deref(), Some("2024-02-29 13:05:00+00"));
        assert_eq!(
            Value::Object(row.user_metadata.clone()),
            json!({"plan": "pro", "first_name": "Ann", "last_name": "Lee", "full_name": "Ann Lee"})
        );
        assert_eq!(
            Value::Object(row.app_metadata.clone()),
            json!({"provider": "email"})
        );
        assert_eq!(row.extra, [(13, "red".to_string())]);
    }

    #[test]
    fn minimal_row_defaults() {
        let row = one("email\na@b.co\n");
        assert_eq!(row.error, None);
        assert!(row.email_confirmed);
        assert_eq!(row.password, None);
        assert!(row.user_metadata.is_empty() && row.app_metadata.is_empty());
        assert!(row.extra.is_empty());
        // Empty optional values are None.
        let row = one("email,password,password_hash,id,phone,role,company,created_at,email_confirmed\na@b.co,,,,,,,,\n");
        assert_eq!(row.error, None);
        assert_eq!(
            (
                row.password.clone(),
                row.password_hash.clone(),
                row.id.clone(),
                row.phone.clone(),
                row.role.clone(),
                row.company.clone(),
                row.created_at.clone()
            ),
            (None, None, None, None, None, None, None)
        );
        assert!(row.email_confirmed);
    }

    #[test]
    fn one_row_per_record_in_order() {
        let rows = run("email\na@b.co\nbad\n\nc@d.co\n");
        let lines: Vec<u32> = rows.iter().map(|r| r.line_number).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert_eq!(code(&rows[1]), Some(INVALID_EMAIL));
        assert!(rows[0].is_valid() && rows[2].is_valid());
    }

    #[test]
    fn wrong_column_count() {
        let rows = run("email,password,a,b,c,d\n\na@b.co,secret1,1,2,3\nx@y.co,s,1,2,3,4,5\n");
        assert_eq!(code(&rows[0]), Some(WRONG_COLUMN_COUNT));
        assert_eq!(message(&rows[0]), "line 3 has 5 fields; the header has 6");
        assert_eq!(rows[0].email, "a@b.co");
        assert_eq!(message(&rows[1]), "line 4 has 7 fields; the header has 6");
    }

    #[test]
    fn wrong_column_count_never_reports_a_shifted_password_as_email() {
        let row = one("email,password\nhunter2secret\n");
        assert_eq!(code(&row), Some(WRONG_COLUMN_COUNT));
        assert_eq!(row.email, "");
        assert!(!message(&row).contains("hunter2"));
    }

    #[test]
    fn wrong_column_count_rows_take_no_part_in_duplicates() {
        let rows = run("email,x\na@b.co\na@b.co,1\n");
        assert_eq!(code(&rows[0]), Some(WRONG_COLUMN_COUNT));
        assert_eq!(rows[1].error, None);
    }

    #[test]
    fn value_too_long() {
        let limits = ImportLimits {
            max_field_chars: 10,
            ..ImportLimits::default()
        };
        let rows = run_with(
            "email,company,password\na@b.co,12345678901,\nc@d.co,  1234567890  ,\ne@f.co,,\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\n",
            &limits,
        );
        assert_eq!(code(&rows[0]), Some(VALUE_TOO_LONG));
        assert_eq!(
            message(&rows[0]),
            "the \"company\" value has 11 characters; the limit is 10"
        );
        // Trimmed before measuring, and characters (not bytes) are counted.
        assert_eq!(rows[1].error, None);
        assert_eq!(rows[1].company.as_deref(), Some("1234567890"));
        assert_eq!(code(&rows[2]), Some(VALUE_TOO_LONG));
        assert!(!message(&rows[2]).contains('\u{e9}'));
        // 10 two-byte characters are within the limit.
        let row = &run_with(
            "email,x\na@b.co,\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\n",
            &limits,
        )[0];
        assert_eq!(row.error, None);
    }

    #[test]
    fn value_too_long_comes_before_other_checks() {
        let limits = ImportLimits {
            max_field_chars: 10,
            ..ImportLimits::default()
        };
        let row = &run_with("email,x\nnot-an-email,12345678901\n", &limits)[0];
        assert_eq!(code(row), Some(VALUE_TOO_LONG));
    }

    #[test]
    fn email_hash_and_phone_are_limited_to_255() {
        let long_email = format!(
            "{}@{}.co",
            "a".repeat(64),
            vec!["b".repeat(63); 3].join(".")
        );
        assert_eq!(long_email.chars().count(), 259);
        let row = one(&format!("email\n{long_email}\n"));
        assert_eq!(code(&row), Some(VALUE_TOO_LONG));
        assert_eq!(
            message(&row),
            "the \"email\" value has 259 characters; the limit is 255"
        );
        // A syntactically valid email is reported whole.
        assert_eq!(row.email, long_email);
        // The report keeps only the first characters of an invalid email.
        let row = one(&format!("email\n{}\n", "x".repeat(300)));
        assert_eq!(code(&row), Some(VALUE_TOO_LONG));
        assert_eq!(row.email, "xxx...");

        let hash = format!("$2a$10${}", "a".repeat(300));
        let row = one(&format!("email,password_hash\na@b.co,{hash}\n"));
        assert_eq!(code(&row), Some(VALUE_TOO_LONG));
        assert!(message(&row).contains("password_hash"));
        assert!(!message(&row).contains("aaaa"));

        let row = one(&format!("email,phone\na@b.co,{}\n", "1".repeat(256)));
        assert_eq!(code(&row), Some(VALUE_TOO_LONG));
        assert!(message(&row).contains("\"phone\""));
    }

    #[test]
    fn invalid_email() {
        for (email, shown) in [
            ("plain", "plain"),
            ("  Two@@Example.com ", "Two..."),
            ("smile😀@example.com", "smi..."),
            ("😀😀😀😀", "😀😀😀..."),
            ("a@b", "a@b"),
        ] {
            let row = one(&format!("email\n{email}\n"));
            assert_eq!(code(&row), Some(INVALID_EMAIL), "{email}");
            assert_eq!(row.email, shown);
        }
        let row = one("email,x\n  ,1\n");
        assert_eq!(code(&row), Some(INVALID_EMAIL));
        assert_eq!(message(&row), "email is empty");
    }

    #[test]
    fn an_invalid_email_position_never_carries_a_password() {
        // the columns are swapped: the email position holds the password
        for password in [
            "Secret-Pass-1",
            "hunter2",
            "P@ssw0rd!",
            "123456",
            "\u{e9}\u{e9}\u{e9}",
        ] {
            let row = one(&format!("email,password\n{password},a@b.co\n"));
            assert_eq!(code(&row), Some(INVALID_EMAIL), "{password}");
            assert!(
                row.email.trim_end_matches("...").chars().count() <= REPORTED_INVALID_EMAIL_CHARS,
                "{password} reported as {}",
                row.email
            );
            assert!(!message(&row).contains(password));
        }
    }

    #[test]
    fn nul_escape_in_json_is_invalid_json() {
        for (column, value) in [
            ("user_metadata", r#"{"nick":"a\u0000b"}"#),
            ("app_metadata", r#"{"a":{"b":["x","\u0000"]}}"#),
            ("user_metadata", r#"{"k\u0000":1}"#),
        ] {
            let quoted = value.replace('"', "\"\"");
            let row = one(&format!("email,{column}\na@b.co,\"{quoted}\"\n"));
            assert_eq!(code(&row), Some(INVALID_JSON), "{value}");
            assert!(message(&row).contains("\\u0000"), "{}", message(&row));
        }
        // other escapes are fine
        let row = one("email,user_metadata\na@b.co,\"{\"\"a\"\":\"\"\\u0001\\u00e9\"\"}\"\n");
        assert_eq!(row.error, None);
        assert!(!json_has_nul(&json!({"a": ["b", {"c": 1}]})));
        assert!(json_has_nul(&json!([{"c": "\u{0}"}])));
    }

    #[test]
    fn extra_columns_are_header_positions() {
        let rows = run("email,team,role,zone\na@b.co,red,,\nc@d.co,, x ,north\n");
        assert_eq!(
            extra_columns(&["email".into(), "team".into(), "role".into(), "zone".into()]),
            [1, 3]
        );
        assert_eq!(rows[0].extra, [(1, "red".to_string())]);
        assert_eq!(rows[1].extra, [(3, "north".to_string())]);
    }

    #[test]
    fn streaming_validation_matches_whole_file_validation() {
        let input = "email,id,x\na@b.co,,1\nA@B.CO,,2\nbad,1,2,3\nc@d.co,,\"q\"\n";
        let streamed = parse_and_validate(input, &ImportLimits::default()).unwrap();
        assert_eq!(streamed, run(input));
        assert_eq!(code(&streamed[1]), Some(DUPLICATE_IN_FILE));
        assert_eq!(
            parse_and_validate("email\n\"a", &ImportLimits::default()),
            Err(FileError::UnterminatedQuote { line: 2 })
        );
    }

    #[test]
    fn wrong_column_count_reports_the_real_count_of_a_long_line() {
        let rows = run(&format!("email,x\na@b.co{}\n", ",v".repeat(1000)));
        assert_eq!(
            message(&rows[0]),
            "line 2 has 1001 fields; the header has 2"
        );
    }

    #[test]
    fn non_ascii_emails() {
        let rows = run("email\nZOË@Exämple.DE\n用户@例子.广告\n");
        assert_eq!(rows[0].error, None);
        assert_eq!(rows[0].email, "zoë@exämple.de");
        assert_eq!(rows[1].error, None);
    }

    #[test]
    fn invalid_id() {
        for id in [
            "123",
            "123e4567e89b12d3a456426614174000",
            "{123e4567-e89b-12d3-a456-426614174000}",
            "123e4567-e89b-12d3-a456-42661417400g",
            "123e4567-e89b-12d3-a456_426614174000",
            "123e4567-e89b-12d3-a4566-42661417400",
            "'); DROP TABLE x; --",
        ] {
            let row = one(&format!("email,id\na@b.co,\"{id}\"\n"));
            assert_eq!(code(&row), Some(INVALID_ID), "{id}");
            if id.len() > 5 {
                assert!(!message(&row).contains(id));
            }
        }
    }

    #[test]
    fn uuid_normalisation() {
        assert_eq!(
            normalize_uuid("123E4567-E89B-12D3-A456-426614174000").as_deref(),
            Some("123e4567-e89b-12d3-a456-426614174000")
        );
        assert_eq!(normalize_uuid("é23e4567-e89b-12d3-a456-42661417400"), None);
    }

    #[test]
    fn password_and_hash() {
        let row = one("email,password,password_hash\na@b.co,secret123,$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n");
        assert_eq!(code(&row), Some(PASSWORD_AND_HASH));
        assert!(!message(&row).contains("secret123"));
        assert!(!message(&row).contains("N9qo8"));
    }

    #[test]
    fn password_lengths_in_bytes_untrimmed() {
        let p72 = "a".repeat(72);
        let p73 = "a".repeat(73);
        let rows = run(&format!(
            "email,password\na@b.co,{p72}\nc@d.co,{p73}\ne@f.co,12345\ng@h.co,123456\n\
             i@j.co,\"   12\"\nk@l.co,\"  12  \"\nm@n.co,{}\no@p.co,{}\n",
            "é".repeat(36),
            "é".repeat(36) + "x"
        ));
        assert_eq!(rows[0].error, None);
        assert_eq!(rows[0].password.as_deref(), Some(p72.as_str()));
        assert_eq!(code(&rows[1]), Some(PASSWORD_TOO_LONG));
        assert_eq!(
            message(&rows[1]),
            "the password has 73 bytes (UTF-8); bcrypt uses at most 72, so it must be shortened"
        );
        assert_eq!(code(&rows[2]), Some(PASSWORD_TOO_SHORT));
        assert!(!message(&rows[2]).contains("12345"));
        assert_eq!(rows[3].error, None);
        // Spaces are characters of the password: "   12" is 5 bytes, "  12  " is 6.
        assert_eq!(code(&rows[4]), Some(PASSWORD_TOO_SHORT));
        assert_eq!(rows[5].error, None);
        assert_eq!(rows[5].password.as_deref(), Some("  12  "));
        // 36 two-byte characters are 72 bytes; one more byte is too long.
        assert_eq!(rows[6].error, None);
        assert_eq!(code(&rows[7]), Some(PASSWORD_TOO_LONG));
        assert!(message(&rows[7]).contains("73 bytes"));
    }

    #[test]
    fn password_hashes() {
        let good = [
            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$2y$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$argon2i$v=19$m=16,t=2,p=1$MTIzNDU2Nzg$4PYP4kvtmX6N5wA0Qzc3BQ",
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=ou9tdYTGyYm8kuR6Dt0Bp0kDuAYoXrK16mbZO4yGwAn3oLspjnN0/c41v8xZnO1n14J3MjKj1b2g6AUCAlFwMw==$C0sHCg9ek77hsg==$zKVTMvnWVw5BBOZNUdnsalx4c4c7y/w7IS5p6Ut2+CfEFFlz37J9huyQfov4iizN8dbjvEJlM5tQaJP84+hfTw==",
        ];
        for h in good {
            let row = one(&format!("email,password_hash\na@b.co,\"  {h}  \"\n"));
            assert_eq!(row.error, None, "{h}");
            assert_eq!(row.password_hash.as_deref(), Some(h));
        }
        let bad = [
            "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW",
            "$2a$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
            "$argon2d$v=19$m=16,t=2,p=1$MTIzNDU2Nzg$4PYP4kvtmX6N5wA0Qzc3BQ",
            "$argon2id$v=19$m=16,t=2,p=1$MTIzNDU2Nzg$",
            "$fbscrypt$v=1,n=14,r=8,p=1,ss=Bw==,sk=ou9t$C0sHCg9ek77hsg==$zKVTMQ==",
            "md5:5f4dcc3b5aa765d61d8327deb882cf99",
            "secret-password",
        ];
        for h in bad {
            let row = one(&format!("email,password_hash\na@b.co,\"{h}\"\n"));
            assert_eq!(code(&row), Some(INVALID_PASSWORD_HASH), "{h}");
            assert!(
                message(&row).starts_with("password_hash is not a hash Supabase Auth can verify: "),
                "{}",
                message(&row)
            );
            assert!(!message(&row).contains(h));
        }
    }

    #[test]
    fn booleans() {
        for (value, want) in [
            ("", true),
            ("true", true),
            (" TRUE ", true),
            ("Yes", true),
            ("y", true),
            ("T", true),
            ("1", true),
            ("false", false),
            ("No", false),
            ("N", false),
            ("f", false),
            ("0", false),
        ] {
            let row = one(&format!("email,email_confirmed\na@b.co,{value}\n"));
            assert_eq!(row.error, None, "{value}");
            assert_eq!(row.email_confirmed, want, "{value}");
        }
        for value in ["2", "on", "off", "yess", "-1", "truee", "ja"] {
            let row = one(&format!("email,email_confirmed\na@b.co,{value}\n"));
            assert_eq!(code(&row), Some(INVALID_BOOLEAN), "{value}");
        }
    }

    #[test]
    fn bad_json() {
        for (column, value, want) in [
            (
                "user_metadata",
                "{\"a\":",
                "user_metadata is not valid JSON: it ends before",
            ),
            (
                "user_metadata",
                "{'a': 1}",
                "user_metadata is not valid JSON: syntax error at line 1, column 2",
            ),
            (
                "app_metadata",
                "{\"a\":1}}",
                "app_metadata is not valid JSON: syntax error",
            ),
            (
                "app_metadata",
                "[1,2]",
                "app_metadata must be a JSON object such as {\"plan\": \"pro\"}, not an array",
            ),
            ("user_metadata", "\"secret\"", "not a string"),
            ("user_metadata", "42", "not a number"),
            ("user_metadata", "null", "not null"),
            ("user_metadata", "true", "not a boolean"),
        ] {
            let quoted = value.replace('"', "\"\"");
            let row = one(&format!("email,{column}\na@b.co,\"{quoted}\"\n"));
            assert_eq!(code(&row), Some(INVALID_JSON), "{value}");
            assert!(message(&row).contains(want), "{}", message(&row));
            assert!(!message(&row).contains("secret"));
        }
        // Deep nesting is an error, not a stack overflow.
        let deep = "[".repeat(10_000);
        let row = one(&format!("email,user_metadata\na@b.co,{deep}\n"));
        assert_eq!(code(&row), Some(INVALID_JSON));
    }

    #[test]
    fn name_columns_override_metadata_keys() {
        let row = one("email,user_metadata,first_name,full_name\n\
             a@b.co,\"{\"\"first_name\"\":\"\"Old\"\",\"\"last_name\"\":\"\"Kept\"\"}\",New, \n");
        assert_eq!(row.error, None);
        assert_eq!(
            Value::Object(row.user_metadata.clone()),
            json!({"first_name": "New", "last_name": "Kept"})
        );
    }

    #[test]
    fn timestamps() {
        for (value, want) in [
            ("2024-02-29", Some("2024-02-29 00:00:00+00")),
            (
                "2024-02-29T23:59:59+05:30",
                Some("2024-02-29 23:59:59+05:30"),
            ),
            ("2024-02-29 10:00:00-08", Some("2024-02-29 10:00:00-08")),
            ("2023-02-29", None),
            ("2024-01-01T24:00:00Z", None),
            ("yesterday", None),
        ] {
            let row = one(&format!("email,created_at\na@b.co,{value}\n"));
            match want {
                Some(w) => {
                    assert_eq!(row.error, None, "{value}");
                    assert_eq!(row.created_at.as_deref(), Some(w));
                }
                None => assert_eq!(code(&row), Some(INVALID_TIMESTAMP), "{value}"),
            }
        }
    }

    #[test]
    fn phones() {
        for (value, want) in [
            ("+44 20 7946 0958", Some("442079460958")),
            ("+1 (415) 555-0100", Some("14155550100")),
            ("1.415.555.0100", Some("14155550100")),
            ("49301234567", Some("49301234567")),
            ("+12345678", Some("12345678")),
            ("+123456789012345", Some("123456789012345")),
            ("+1234567", None),
            ("+1234567890123456", None),
            ("020 7946 0958", None),
            ("+44 20 7946 0958 ext 2", None),
            ("++442079460958", None),
            ("44+2079460958", None),
            ("+٤٤٢٠٧٩٤٦٠٩٥٨", None),
        ] {
            let row = one(&format!("email,phone\na@b.co,{value}\n"));
            match want {
                Some(w) => {
                    assert_eq!(row.error, None, "{value}");
                    assert_eq!(row.phone.as_deref(), Some(w));
                }
                None => assert_eq!(code(&row), Some(INVALID_PHONE), "{value}"),
            }
        }
    }

    #[test]
    fn duplicates_in_file() {
        let rows = run("email,id\n\
                        Ann@Example.com,\n\
                        bob@example.com,123e4567-e89b-12d3-a456-426614174000\n\
                        ANN@EXAMPLE.COM ,\n\
                        carl@example.com,123E4567-E89B-12D3-A456-426614174000\n\
                        ann@example.com,\n");
        assert_eq!(rows[0].error, None);
        assert_eq!(rows[1].error, None);
        assert_eq!(code(&rows[2]), Some(DUPLICATE_IN_FILE));
        assert!(
            message(&rows[2]).contains("line 2"),
            "{}",
            message(&rows[2])
        );
        assert_eq!(code(&rows[3]), Some(DUPLICATE_IN_FILE));
        assert!(
            message(&rows[3]).contains("id is also on line 3"),
            "{}",
            message(&rows[3])
        );
        assert!(message(&rows[4]).contains("line 2"));
    }

    #[test]
    fn duplicates_count_earlier_rows_with_other_errors() {
        let rows = run("email,phone\na@b.co,12\nA@B.CO,\n");
        assert_eq!(code(&rows[0]), Some(INVALID_PHONE));
        assert_eq!(code(&rows[1]), Some(DUPLICATE_IN_FILE));
        // A row's own earlier error wins over the duplicate.
        let rows = run("email,phone\na@b.co,\nA@B.CO,12\n");
        assert_eq!(code(&rows[1]), Some(INVALID_PHONE));
    }

    #[test]
    fn check_order() {
        // Each row breaks every rule from some point on; the first one is reported.
        let header =
            "email,id,password,password_hash,email_confirmed,user_metadata,created_at,phone";
        let rows = run(&format!(
            "{header}\n\
             bad,bad,1,bad,bad,bad,bad,bad\n\
             a@b.co,bad,1,bad,bad,bad,bad,bad\n\
             b@b.co,,1,bad,bad,bad,bad,bad\n\
             c@b.co,,1,,bad,bad,bad,bad\n\
             d@b.co,,,bad,bad,bad,bad,bad\n\
             e@b.co,,,,bad,bad,bad,bad\n\
             f@b.co,,,,,bad,bad,bad\n\
             g@b.co,,,,,,bad,bad\n\
             h@b.co,,,,,,,bad\n\
             a@b.co,,,,,,,\n"
        ));
        let codes: Vec<_> = rows.iter().map(code).collect();
        assert_eq!(
            codes,
            [
                Some(INVALID_EMAIL),
                Some(INVALID_ID),
                Some(PASSWORD_AND_HASH),
                Some(PASSWORD_TOO_SHORT),
                Some(INVALID_PASSWORD_HASH),
                Some(INVALID_BOOLEAN),
                Some(INVALID_JSON),
                Some(INVALID_TIMESTAMP),
                Some(INVALID_PHONE),
                Some(DUPLICATE_IN_FILE),
            ]
        );
    }

    #[test]
    fn sql_looking_values_stay_data() {
        let row = one("email,company,team\na@b.co,'); DROP TABLE x; --,\"Robert'); DROP TABLE students;--\"\n");
        assert_eq!(row.error, None);
        assert_eq!(row.company.as_deref(), Some("'); DROP TABLE x; --"));
        assert_eq!(
            row.extra,
            [(2, "Robert'); DROP TABLE students;--".to_string())]
        );
    }

    #[test]
    fn messages_never_contain_the_password() {
        let secret = "Tr0ub4dor&3-very-secret-passphrase-that-goes-on-and-on-and-on-xyzzy-plugh";
        assert!(secret.len() > 72);
        let input = format!(
            "email,password,password_hash,user_metadata\n\
             a@b.co,{secret},,\n\
             b@b.co,{secret},$2a$10$x,\n\
             c@b.co,{secret},,{{\n\
             d@b.co,{secret}\n\
             e@b.co,abc,,\n"
        );
        for row in run(&input) {
            let m = message(&row);
            assert!(row.error.is_some());
            assert!(!m.contains("Tr0ub"), "{m}");
            assert!(!m.contains("abc"), "{m}");
        }
    }

    #[test]
    fn every_code_is_listed_once() {
        let mut codes = ROW_ERROR_CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ROW_ERROR_CODES.len());
    }

    #[test]
    fn handmade_parsed_file_without_email_column_does_not_panic() {
        let file = ParsedFile {
            delimiter: ',',
            headers: vec!["x".into()],
            records: vec![RawRecord {
                line_number: 2,
                fields: vec!["1".into()],
                field_count: 1,
            }],
        };
        let rows = validate(&file, &ImportLimits::default());
        assert_eq!(code(&rows[0]), Some(INVALID_EMAIL));
        assert_eq!(rows[0].extra, []);
    }
}
