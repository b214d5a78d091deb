//! Bulk import of Supabase Auth users from a CSV file: parsing ([`csv`]) and row validation
//! ([`validate`](mod@validate)). Password hashing is [`crate::password`], which this module uses
//! and which does not use it.
//!
//! The SQL layer parses and validates the whole file first, hashes the passwords on worker
//! threads with [`crate::password::hash_all`], then writes set-based. Everything here is pure and
//! never panics on input data.

pub mod compact;
pub mod csv;
pub mod email;
pub mod ids;
pub mod timestamp;
pub mod validate;

pub use self::compact::{prepare, CompactRow, PreparedFile, RowView};
pub use self::csv::{parse_csv, FileError, ImportLimits, ParsedFile, RawRecord, Reader};
pub use self::email::normalize_email;
pub use self::ids::random_uuids;
pub use self::timestamp::normalize_timestamp;
pub use self::validate::{
    extra_columns, json_has_nul, normalize_phone, normalize_uuid, parse_and_validate, parse_bool,
    validate, ImportRow, RowError, Validator, KNOWN_COLUMNS,
};
