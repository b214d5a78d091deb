//! ISO 8601 timestamps for the `created_at` column.
//!
//! The text is read by hand (the grammar below, with a message per wrong part); the date and the
//! time are `chrono` values ([`NaiveDate`], [`NaiveTime`]), which decide which dates exist (leap
//! years) and which times (a leap second), and write the result.
//!
//! `chrono`'s own parsers cannot be the grammar: its `%Y`, `%m`, `%d`, `%H` and `%M` take one
//! digit or more (`2024-1-01` and `24-01-01` would be dates, and `24-01-01` the year 24), and
//! `DateTime::parse_from_rfc3339` requires the seconds and the time zone, which the import makes
//! optional. The tests compare the two where both apply (`core/tests/value_oracles.rs`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Checks an ISO 8601 date or date-time and rewrites it in a form PostgreSQL's `timestamptz`
/// input accepts unambiguously under any `DateStyle` and `TimeZone`:
/// `YYYY-MM-DD HH:MM:SS[.fraction]+HH[:MM]`.
///
/// Accepted input (already trimmed):
/// * `YYYY-MM-DD` (midnight);
/// * `YYYY-MM-DD` `T`/`t`/space `HH:MM[:SS[.fraction]]`, then optionally `Z`/`z`, `±HH`,
///   `±HHMM` or `±HH:MM`.
///
/// The year is 0001 to 9999, the date a real calendar date (leap years included), the hour 00
/// to 23, minutes 00 to 59, seconds 00 to 60 (a leap second, which PostgreSQL accepts), the
/// fraction 1 to 9 digits, the offset at most 15:59 (PostgreSQL's limit) with minutes 00 to 59.
///
/// **A value without a time-zone designator is taken as UTC** (`+00` is appended), not as the
/// session's time zone, so the result does not depend on the server's settings.
///
/// Examples: `2024-02-29` → `2024-02-29 00:00:00+00`; `2024-02-29T13:05` →
/// `2024-02-29 13:05:00+00`; `2024-02-29 13:05:07.25-03:30` → `2024-02-29 13:05:07.25-03:30`.
pub fn normalize_timestamp(s: &str) -> Result<String, &'static str> {
    const FORMAT: &str = "created_at must be an ISO 8601 date or date-time, e.g. 2024-02-29 or \
         2024-02-29T13:05:00Z or 2024-02-29 13:05:00+02:00";
    let b = s.as_bytes();
    let mut r = Reader { b, pos: 0 };
    let year = r.digits(4).ok_or(FORMAT)?;
    r.expect(b'-').ok_or(FORMAT)?;
    let month = r.digits(2).ok_or(FORMAT)?;
    r.expect(b'-').ok_or(FORMAT)?;
    let day = r.digits(2).ok_or(FORMAT)?;
    if year == 0 {
        return Err("created_at has the year 0000; years start at 0001");
    }
    if !(1..=12).contains(&month) {
        return Err("created_at has a month outside 01-12");
    }
    // (four digits: always a year chrono has)
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or("created_at has a day that does not exist in its month")?;
    if r.at_end() {
        return Ok(format!("{} 00:00:00+00", date.format("%Y-%m-%d")));
    }
    if !matches!(r.next(), Some(b'T' | b't' | b' ')) {
        return Err(FORMAT);
    }
    let hour = r.digits(2).ok_or(FORMAT)?;
    r.expect(b':').ok_or(FORMAT)?;
    let minute = r.digits(2).ok_or(FORMAT)?;
    let mut second = 0;
    let mut fraction = "";
    if r.peek() == Some(b':') {
        r.pos += 1;
        second = r.digits(2).ok_or(FORMAT)?;
        if r.peek() == Some(b'.') {
            r.pos += 1;
            let start = r.pos;
            while r.peek().is_some_and(|c| c.is_ascii_digit()) {
                r.pos += 1;
            }
            let n = r.pos - start;
            if n == 0 || n > 9 {
                return Err("created_at has a fraction of a second that is not 1 to 9 digits");
            }
            // ASCII digits only, so this slice is on character boundaries.
            fraction = s.get(start - 1..r.pos).ok_or(FORMAT)?;
        }
    }
    if hour > 23 {
        return Err("created_at has an hour outside 00-23");
    }
    if minute > 59 {
        return Err("created_at has minutes outside 00-59");
    }
    if second > 60 {
        return Err("created_at has seconds outside 00-60");
    }
    // A leap second is chrono's second 59 plus a whole second of nanoseconds (the fraction is
    // written as given, so only its validity matters here).
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000)
    } else {
        NaiveTime::from_hms_opt(hour, minute, second)
    }
    .ok_or(FORMAT)?;
    let zone = match r.next() {
        None | Some(b'Z' | b'z') => "+00".to_string(),
        Some(sign @ (b'+' | b'-')) => {
            let oh = r.digits(2).ok_or(FORMAT)?;
            let om = match r.peek() {
                Some(b':') => {
                    r.pos += 1;
                    r.digits(2).ok_or(FORMAT)?
                }
                Some(_) => r.digits(2).ok_or(FORMAT)?,
                None => 0,
            };
            if oh > 15 || om > 59 {
                return Err("created_at has a time-zone offset beyond ±15:59");
            }
            let sign = char::from(sign);
            if om == 0 {
                format!("{sign}{oh:02}")
            } else {
                format!("{sign}{oh:02}:{om:02}")
            }
        }
        Some(_) => return Err(FORMAT),
    };
    if !r.at_end() {
        return Err(FORMAT);
    }
    // (`%S` writes a leap second as 60)
    let at = NaiveDateTime::new(date, time).format("%Y-%m-%d %H:%M:%S");
    Ok(format!("{at}{fraction}{zone}"))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let mut v: u32 = 0;
        for _ in 0..n {
            let c = self.next()?;
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_timestamps() {
        for (input, want) in [
            ("2024-02-29", "2024-02-29 00:00:00+00"),
            ("2000-02-29", "2000-02-29 00:00:00+00"),
            ("2024-02-29T13:05", "2024-02-29 13:05:00+00"),
            ("2024-02-29 13:05:07", "2024-02-29 13:05:07+00"),
            ("2024-02-29t13:05:07z", "2024-02-29 13:05:07+00"),
            ("2024-02-29T13:05:07Z", "2024-02-29 13:05:07+00"),
            ("2024-02-29T13:05:07.5Z", "2024-02-29 13:05:07.5+00"),
            (
                "2024-02-29T13:05:07.123456789Z",
                "2024-02-29 13:05:07.123456789+00",
            ),
            ("2024-02-29T13:05:07+02", "2024-02-29 13:05:07+02"),
            ("2024-02-29T13:05:07+02:00", "2024-02-29 13:05:07+02"),
            ("2024-02-29T13:05:07-03:30", "2024-02-29 13:05:07-03:30"),
            ("2024-02-29T13:05:07+0545", "2024-02-29 13:05:07+05:45"),
            ("2024-02-29T13:05-00:00", "2024-02-29 13:05:00-00"),
            ("2024-12-31T23:59:60Z", "2024-12-31 23:59:60+00"),
            ("2024-01-01T00:00:00+14:00", "2024-01-01 00:00:00+14"),
            ("0001-01-01", "0001-01-01 00:00:00+00"),
            (
                "9999-12-31T23:59:59.999999+15:59",
                "9999-12-31 23:59:59.999999+15:59",
            ),
        ] {
            assert_eq!(normalize_timestamp(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn invalid_timestamps() {
        for input in [
            "",
            "2023-02-29",
            "1900-02-29",
            "2024-02-30",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "0000-01-01",
            "24-01-01",
            "2024-1-01",
            "2024/01/01",
            "01/02/2024",
            "2024-01-01T24:00",
            "2024-01-01T24:00:00Z",
            "2024-01-01T23:60",
            "2024-01-01T23:59:61",
            "2024-01-01T1:00",
            "2024-01-01T10",
            "2024-01-01T10:00:00.",
            "2024-01-01T10:00:00.1234567890",
            "2024-01-01T10:00:00+1",
            "2024-01-01T10:00:00+16",
            "2024-01-01T10:00:00+02:60",
            "2024-01-01T10:00:00+02:",
            "2024-01-01T10:00:00 +02",
            "2024-01-01T10:00:00ZZ",
            "2024-01-01T10:00:00 UTC",
            "2024-01-01Z",
            "2024-01-01 ",
            "2024-01-01x",
            "now",
            "2024-01-01T10:00:00+02:00'; DROP TABLE x; --",
            "２０２４-01-01",
            "2024-01-01T10:00:00+０２",
        ] {
            assert!(normalize_timestamp(input).is_err(), "{input:?}");
        }
    }
}
