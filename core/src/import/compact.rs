//! A compact form of the validated rows, for the time between validation and the rows' return to
//! SQL (while the passwords are hashed).
//!
//! An [`ImportRow`] costs a fixed few hundred bytes (its struct, an allocation per value, an
//! ordered map per metadata object) plus a name per extra column, which held a large file's rows
//! at several times the file's size. A [`CompactRow`] is one allocation holding the row's values one after the other
//! (lengths as varints), its metadata as JSON text, and its extra columns as (column number,
//! value) pairs whose names stay in the header: a row costs little more than its values.
//!
//! Plaintext passwords are never part of a compact row: [`prepare`] hands them out separately,
//! for hashing. A compact row's bytes are zeroed when it is dropped (they hold the email, which
//! in a misaligned file can be a password; see [`ImportRow::email`]).

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use super::csv::{FileError, ImportLimits, Reader};
use super::validate::{extra_columns, ImportRow, Validator};

/// The validated rows of a file, compact, and what else the SQL side needs of it.
pub struct PreparedFile {
    /// One per record, in file order.
    pub rows: Vec<CompactRow>,
    /// (row index, plaintext) of the valid rows that have a password, in file order.
    pub passwords: Vec<(usize, Zeroizing<String>)>,
    /// The names of the extra columns (those not in
    /// [`KNOWN_COLUMNS`](super::validate::KNOWN_COLUMNS)), in header order;
    /// [`RowView::extra`] numbers them from 0.
    pub extra_names: Vec<String>,
}

/// Parses and validates `input` one record at a time (as
/// [`parse_and_validate`](super::validate::parse_and_validate)), keeping each row compact.
pub fn prepare(input: &str, limits: &ImportLimits) -> Result<PreparedFile, FileError> {
    let mut reader = Reader::new(input, limits)?;
    let headers = reader.headers().to_vec();
    let extra = extra_columns(&headers);
    let mut v = Validator::new(&headers, limits);
    let mut rows = Vec::new();
    let mut passwords = Vec::new();
    for record in reader.by_ref() {
        let mut row = v.check(&record?);
        if let Some(pw) = row.password.take().map(Zeroizing::new) {
            if row.is_valid() {
                passwords.push((rows.len(), pw));
            }
        }
        rows.push(CompactRow::new(&row, &extra));
    }
    rows.shrink_to_fit();
    passwords.shrink_to_fit();
    let extra_names = extra
        .iter()
        .filter_map(|&i| headers.get(i).cloned())
        .collect();
    Ok(PreparedFile {
        rows,
        passwords,
        extra_names,
    })
}

/// An [`ImportRow`] without its password, in one allocation; read it with [`CompactRow::view`].
pub struct CompactRow(Box<[u8]>);

impl Drop for CompactRow {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for CompactRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // (the bytes hold the email, which can be a password in a misaligned file)
        write!(f, "CompactRow({} bytes)", self.0.len())
    }
}

/// A row read back from a [`CompactRow`]: the fields of [`ImportRow`] but the password, as
/// borrowed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView<'a> {
    pub line_number: u32,
    pub email: &'a str,
    pub id: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub company: Option<&'a str>,
    pub role: Option<&'a str>,
    pub email_confirmed: bool,
    pub created_at: Option<&'a str>,
    /// The object as JSON text; `None` when it is empty.
    pub user_metadata: Option<&'a str>,
    pub app_metadata: Option<&'a str>,
    /// (extra column number, from 0 in [`PreparedFile::extra_names`], value) of the non-empty
    /// extra values, in header order.
    pub extra: Vec<(usize, &'a str)>,
    /// (code, message) of the row's error.
    pub error: Option<(&'a str, &'a str)>,
}

impl RowView<'_> {
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }
}

// bits of the first byte
const CONFIRMED: u8 = 1;
const ERROR: u8 = 2;
// bits of the second byte: which optional values follow
const OPTIONAL: usize = 8;

impl CompactRow {
    /// `row` without its password. `extra_columns` are the header positions of the extra
    /// columns ([`extra_columns`]); an extra value of another position is left out (a row of
    /// [`Validator::check`] has none).
    pub fn new(row: &ImportRow, extra_columns: &[usize]) -> Self {
        let user_metadata = json_text(&row.user_metadata);
        let app_metadata = json_text(&row.app_metadata);
        let optional: [Option<&str>; OPTIONAL] = [
            row.id.as_deref(),
            row.password_hash.as_deref(),
            row.phone.as_deref(),
            row.company.as_deref(),
            row.role.as_deref(),
            row.created_at.as_deref(),
            user_metadata.as_deref(),
            app_metadata.as_deref(),
        ];
        let extra: Vec<(usize, &str)> = row
            .extra
            .iter()
            .filter_map(|(pos, v)| Some((extra_columns.binary_search(pos).ok()?, v.as_str())))
            .collect();
        // (an upper bound of the size: the buffer never grows, so no copy of it is left behind
        // unzeroed; a varint takes at most 10 bytes)
        let size = 6
            + 10
            + row.email.len()
            + optional
                .iter()
                .flatten()
                .map(|v| 10 + v.len())
                .sum::<usize>()
            + row
                .error
                .as_ref()
                .map_or(0, |e| 20 + e.code.len() + e.message.len())
            + 10
            + extra.iter().map(|(_, v)| 20 + v.len()).sum::<usize>();
        let mut b = Zeroizing::new(Vec::with_capacity(size));
        let mut flags = 0;
        if row.email_confirmed {
            flags |= CONFIRMED;
        }
        if row.error.is_some() {
            flags |= ERROR;
        }
        b.push(flags);
        let mut present = 0u8;
        for (k, v) in optional.iter().enumerate() {
            if v.is_some() {
                present |= 1 << k;
            }
        }
        b.push(present);
        b.extend_from_slice(&row.line_number.to_le_bytes());
        put_str(&mut b, &row.email);
        for v in optional.iter().flatten() {
            put_str(&mut b, v);
        }
        if let Some(e) = &row.error {
            put_str(&mut b, e.code);
            put_str(&mut b, &e.message);
        }
        put_len(&mut b, extra.len());
        for (n, v) in extra {
            put_len(&mut b, n);
            put_str(&mut b, v);
        }
        // (a copy of exactly the right size; `b` is zeroed when dropped)
        CompactRow(Box::from(b.as_slice()))
    }

    /// The row; `None` only if the bytes were not made by [`CompactRow::new`] (they always are).
    pub fn view(&self) -> Option<RowView<'_>> {
        let mut r = Cursor(&self.0);
        let flags = r.byte()?;
        let present = r.byte()?;
        let line_number = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let email = r.str()?;
        let mut optional: [Option<&str>; OPTIONAL] = [None; OPTIONAL];
        for (k, v) in optional.iter_mut().enumerate() {
            if present & (1 << k) != 0 {
                *v = Some(r.str()?);
            }
        }
        let error = if flags & ERROR != 0 {
            Some((r.str()?, r.str()?))
        } else {
            None
        };
        let n = r.len()?;
        let mut extra = Vec::with_capacity(n.min(r.0.len()));
        for _ in 0..n {
            extra.push((r.len()?, r.str()?));
        }
        if !r.0.is_empty() {
            return None;
        }
        let [id, password_hash, phone, company, role, created_at, user_metadata, app_metadata] =
            optional;
        Some(RowView {
            line_number,
            email,
            id,
            password_hash,
            phone,
            company,
            role,
            email_confirmed: flags & CONFIRMED != 0,
            created_at,
            user_metadata,
            app_metadata,
            extra,
            error,
        })
    }

    /// The size of the row's bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The object as JSON text, `None` when it is empty.
fn json_text(map: &Map<String, Value>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    // (serializing a Map of Values cannot fail: its keys are strings)
    serde_json::to_string(map).ok()
}

fn put_len(b: &mut Vec<u8>, mut n: usize) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            b.push(low);
            return;
        }
        b.push(low | 0x80);
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_len(b, s.len());
    b.extend_from_slice(s.as_bytes());
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        let mut n: usize = 0;
        for shift in (0..usize::BITS).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::validate::parse_and_validate;
    use crate::import::RowError;

    fn view_of(row: &ImportRow, extra: &[usize]) -> RowView<'static> {
        // (leaked: the view outlives the test's borrow of the row)
        let c: &'static CompactRow = Box::leak(Box::new(CompactRow::new(row, extra)));
        c.view().expect("a row made by new reads back")
    }

    #[test]
    fn round_trip_of_a_full_row() {
        let rows = parse_and_validate(
            "email,password,id,phone,first_name,role,company,email_confirmed,user_metadata,\
             app_metadata,created_at,team,zone\n\
             Ann@Example.com,secret-pw,123E4567-E89B-12D3-A456-426614174000,+44 20 7946 0958,\
             Ann,admin,Acme,no,\"{\"\"plan\"\":\"\"pro\"\"}\",\"{\"\"x\"\":1}\",2024-02-29T13:05:00Z,,north\n",
            &ImportLimits::default(),
        )
        .unwrap();
        let row = &rows[0];
        let v = view_of(row, &[11, 12]);
        assert_eq!(v.line_number, 2);
        assert_eq!(v.email, "ann@example.com");
        assert_eq!(v.id, Some("123e4567-e89b-12d3-a456-426614174000"));
        assert_eq!(v.password_hash, None);
        assert_eq!(v.phone, Some("442079460958"));
        assert_eq!(v.company, Some("Acme"));
        assert_eq!(v.role, Some("admin"));
        assert!(!v.email_confirmed);
        assert_eq!(v.created_at, row.created_at.as_deref());
        let um: Value = serde_json::from_str(v.user_metadata.unwrap()).unwrap();
        assert_eq!(um, serde_json::json!({"plan": "pro", "first_name": "Ann"}));
        assert_eq!(v.app_metadata, Some("{\"x\":1}"));
        assert_eq!(v.extra, [(1, "north")]);
        assert_eq!(v.error, None);
        assert!(v.is_valid());
    }

    #[test]
    fn the_password_is_not_kept() {
        let rows = parse_and_validate(
            "email,password\na@b.co,Very-Secret-Pw\n",
            &ImportLimits::default(),
        )
        .unwrap();
        assert_eq!(rows[0].password.as_deref(), Some("Very-Secret-Pw"));
        let c = CompactRow::new(&rows[0], &[]);
        assert!(!c.0.windows(6).any(|w| w == b"Secret"));
        assert!(!format!("{c:?}").contains("a@b.co"));
    }

    #[test]
    fn an_error_row_keeps_its_error_and_email() {
        let mut row = parse_and_validate("email\na@b.co\n", &ImportLimits::default()).unwrap();
        let mut row = row.remove(0);
        row.error = Some(RowError {
            code: "invalid_phone",
            message: "é".repeat(300),
        });
        row.email_confirmed = true;
        let v = view_of(&row, &[]);
        assert_eq!(v.error, Some(("invalid_phone", "é".repeat(300).as_str())));
        assert_eq!(v.email, "a@b.co");
        assert!(v.email_confirmed);
        assert!(!v.is_valid());
    }

    #[test]
    fn prepare_splits_off_the_passwords_of_valid_rows_only() {
        let input = "email,password,team,Role\n\
                     a@b.co,First-Secret,red,x\n\
                     bad,Second-Secret,,\n\
                     c@d.co,,blue,\n\
                     a@b.co,Third-Secret,,\n";
        let p = prepare(input, &ImportLimits::default()).unwrap();
        assert_eq!(p.extra_names, ["team"]);
        assert_eq!(p.rows.len(), 4);
        let pws: Vec<(usize, &str)> = p.passwords.iter().map(|(k, s)| (*k, s.as_str())).collect();
        assert_eq!(pws, [(0, "First-Secret")]);
        let views: Vec<RowView> = p.rows.iter().map(|r| r.view().unwrap()).collect();
        assert_eq!(views[0].extra, [(0, "red")]);
        assert_eq!(views[0].role, Some("x"));
        assert_eq!(views[1].error.map(|e| e.0), Some("invalid_email"));
        assert_eq!(views[2].extra, [(0, "blue")]);
        assert_eq!(views[3].error.map(|e| e.0), Some("duplicate_in_file"));
        for r in &p.rows {
            assert!(!r.0.windows(6).any(|w| w == b"Secret"));
        }
    }

    #[test]
    fn prepare_reports_file_errors() {
        assert!(prepare("email\n\"a@b.co\n", &ImportLimits::default()).is_err());
        let limits = ImportLimits {
            max_bytes: 3,
            ..ImportLimits::default()
        };
        assert!(matches!(
            prepare("email\na@b.co\n", &limits),
            Err(FileError::TooLarge { .. })
        ));
    }

    #[test]
    fn varints_round_trip() {
        for n in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as usize,
            usize::MAX,
        ] {
            let mut b = Vec::new();
            put_len(&mut b, n);
            let mut c = Cursor(&b);
            assert_eq!(c.len(), Some(n));
            assert!(c.0.is_empty());
        }
        // truncated or overlong input reads as None, never a panic
        assert_eq!(Cursor(&[0x80]).len(), None);
        assert_eq!(Cursor(&[0xff; 11]).len(), None);
        assert_eq!(Cursor(&[5, b'a']).str(), None);
        assert_eq!(Cursor(&[1, 0xff]).str(), None);
    }

    #[test]
    fn a_compact_row_is_small() {
        let input = String::from("email,password,first_name,last_name,company,role\n")
            + "person1@example.com,Pass-word-0000001,First1,Last1,Acme,member\n";
        let p = prepare(&input, &ImportLimits::default()).unwrap();
        // the values (about 80 bytes) and a few bytes of lengths, not a few hundred
        assert!(p.rows[0].len() < 100, "{}", p.rows[0].len());
    }
}
