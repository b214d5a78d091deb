//! SQL entry points of bulk_create_users. Parsing, validation and hashing are pure Rust
//! (`auth_sync_core::import`); this module wraps them for SQL, hashes on worker threads while the
//! backend thread keeps servicing interrupts, and reports progress.
//!
//! Plaintext passwords never leave this module: rows come back with bcrypt hashes, and a
//! generated password only for the caller's report.

use auth_sync_core::import::{self, FileError, ImportLimits};
use pgrx::prelude::*;
use pgrx::{GucSetting, JsonB, PgSqlErrorCode};
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `auth_sync.bcrypt_cost`: the bcrypt cost of hashed plaintext passwords (the Auth server uses 10).
pub static BCRYPT_COST: GucSetting<i32> = GucSetting::<i32>::new(10);
/// `auth_sync.max_import_rows`: the most records one bulk_create_users() call accepts.
pub static MAX_IMPORT_ROWS: GucSetting<i32> = GucSetting::<i32>::new(1_000_000);

const PROGRESS_EVERY: Duration = Duration::from_secs(5);

fn file_error(e: FileError) -> ! {
    let code = match e.sqlstate() {
        "22P04" => PgSqlErrorCode::ERRCODE_BAD_COPY_FILE_FORMAT,
        _ => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
    };
    ereport!(ERROR, code, e.message());
}

fn random_error(e: import::PasswordError) -> ! {
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_SYSTEM_ERROR,
        format!("auth_sync: the operating system's random number generator failed: {e}")
    );
}

type PreparedRow = (
    i32,
    i32,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
    Option<JsonB>,
    Option<JsonB>,
    Option<JsonB>,
    Option<String>,
    Option<String>,
    pgrx::Uuid,
);

/// Parses and validates a CSV of users and hashes their passwords (when `hash_passwords`);
/// `generate_passwords` gives a random password to each valid row that has none. Whole-file
/// problems raise 22P04 / 22023; row problems come back as error_code / message.
// (pgrx needs the row type spelled out in the signature)
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn _import_prepare(
    csv: &str,
    hash_passwords: bool,
    generate_passwords: bool,
) -> TableIterator<
    'static,
    (
        name!(i, i32),
        name!(line_number, i32),
        name!(email, String),
        name!(user_id, Option<String>),
        name!(password_hash, Option<String>),
        name!(has_password, bool),
        name!(temp_password, Option<String>),
        name!(phone, Option<String>),
        name!(company, Option<String>),
        name!(role, Option<String>),
        name!(email_confirmed, bool),
        name!(created_at, Option<String>),
        name!(user_metadata, Option<JsonB>),
        name!(app_metadata, Option<JsonB>),
        name!(extra, Option<JsonB>),
        name!(error_code, Option<String>),
        name!(message, Option<String>),
        name!(new_id, pgrx::Uuid),
    ),
> {
    let limits = ImportLimits {
        max_rows: usize::try_from(MAX_IMPORT_ROWS.get()).unwrap_or(0),
        ..ImportLimits::default()
    };
    let parsed = import::parse_csv(csv, &limits).unwrap_or_else(|e| file_error(e));
    let mut rows = import::validate(&parsed, &limits);
    drop(parsed);

    // which rows get a hash: their own plaintext password, or a generated one
    let mut temp: Vec<Option<String>> = vec![None; rows.len()];
    let mut plain: Vec<(usize, String)> = Vec::new();
    for (k, row) in rows.iter_mut().enumerate() {
        let password = row.password.take();
        if row.error.is_some() {
            continue;
        }
        match password {
            Some(pw) if hash_passwords => plain.push((k, pw)),
            Some(_) => {}
            None if row.password_hash.is_none() && generate_passwords => {
                let pw = import::try_generate_password().unwrap_or_else(|e| random_error(e));
                temp[k] = Some(pw.clone());
                plain.push((k, pw));
            }
            None => {}
        }
    }
    let cost = u32::try_from(BCRYPT_COST.get()).unwrap_or(10);
    let hashes = hash_with_interrupts(&plain, cost);
    let mut has_plain = vec![false; rows.len()];
    for ((k, _), hash) in plain.iter().zip(hashes) {
        has_plain[*k] = true;
        rows[*k].password_hash = hash;
    }
    drop(plain);

    // an id for each row, used when the user is new and the file gives none (one request to the
    // OS CSPRNG for all of them: gen_random_uuid() per row costs a request each)
    let ids = import::random_uuids(rows.len())
        .unwrap_or_else(|e| random_error(import::PasswordError::Random(e.to_string())));
    let out: Vec<PreparedRow> = rows
        .into_iter()
        .zip(temp)
        .zip(ids)
        .enumerate()
        .map(|(k, ((row, temp_password), new_id))| {
            let has_password = has_plain[k] || row.password_hash.is_some();
            let (error_code, message) = match row.error {
                Some(e) => (Some(e.code.to_string()), Some(e.message)),
                None => (None, None),
            };
            let extra: serde_json::Map<String, serde_json::Value> = row
                .extra
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            (
                i32::try_from(k + 1).unwrap_or(i32::MAX),
                i32::try_from(row.line_number).unwrap_or(i32::MAX),
                row.email,
                row.id,
                row.password_hash,
                has_password,
                temp_password,
                row.phone,
                row.company,
                row.role,
                row.email_confirmed,
                row.created_at,
                json_object(row.user_metadata),
                json_object(row.app_metadata),
                json_object(extra),
                error_code,
                message,
                pgrx::Uuid::from_bytes(new_id),
            )
        })
        .collect();
    TableIterator::new(out)
}

/// A JSON object for SQL, or NULL when it is empty (most rows: it spares the conversion; the
/// SQL side reads NULL as '{}').
fn json_object(map: serde_json::Map<String, serde_json::Value>) -> Option<JsonB> {
    (!map.is_empty()).then_some(JsonB(serde_json::Value::Object(map)))
}

fn interrupt_pending() -> bool {
    // SAFETY: a sig_atomic_t that Postgres' signal handlers set; read it as they write it.
    unsafe { std::ptr::read_volatile(&raw const pg_sys::InterruptPending) != 0 }
}

/// Hashes on all cores. Worker threads only hash; this (the backend) thread polls for
/// interrupts and reports progress. A cancel or statement_timeout stops the workers within one
/// hash per thread, then raises here, before anything is written.
fn hash_with_interrupts(passwords: &[(usize, String)], cost: u32) -> Vec<Option<String>> {
    let mut result: Vec<Option<String>> = vec![None; passwords.len()];
    if passwords.is_empty() {
        return result;
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let started = Instant::now();
    let mut last_note = started;
    loop {
        let todo: Vec<usize> = (0..passwords.len())
            .filter(|&k| result[k].is_none())
            .collect();
        if todo.is_empty() {
            break;
        }
        let inputs: Vec<&str> = todo.iter().map(|&k| passwords[k].1.as_str()).collect();
        let cancel = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let joined = std::thread::scope(|scope| {
            let worker = scope.spawn(|| import::hash_all(&inputs, cost, threads, &cancel, &done));
            while !worker.is_finished() {
                std::thread::sleep(Duration::from_millis(20));
                if interrupt_pending() {
                    cancel.store(true, Ordering::SeqCst);
                }
                if last_note.elapsed() >= PROGRESS_EVERY {
                    last_note = Instant::now();
                    let hashed = passwords.len() - todo.len() + done.load(Ordering::Relaxed);
                    let secs = started.elapsed().as_secs_f64().max(0.001);
                    let rate = hashed as f64 / secs;
                    let eta = if rate > 0.0 {
                        (passwords.len() - hashed) as f64 / rate
                    } else {
                        0.0
                    };
                    let text = format!(
                        "auth_sync.bulk_create_users: {hashed} of {} passwords hashed ({rate:.0}/s, about {eta:.0} s left)",
                        passwords.len()
                    );
                    notice!("{text}");
                    report_activity(Some(&text));
                }
            }
            worker.join()
        });
        // raises the cancel / timeout error, if that is what interrupted us
        pg_sys::check_for_interrupts!();
        let hashed = match joined {
            Ok(h) => h,
            Err(_) => error!("auth_sync: a password hashing thread failed"),
        };
        for (k, hash) in todo.into_iter().zip(hashed) {
            if let Some(h) = hash {
                result[k] = Some(h);
            }
        }
    }
    result
}

fn report_activity(message: Option<&str>) {
    // SAFETY: pgstat_report_activity copies the string into this backend's shared status entry.
    unsafe {
        match message.and_then(|m| CString::new(m.replace('\0', "")).ok()) {
            Some(c) => {
                pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_RUNNING, c.as_ptr())
            }
            None => pg_sys::pgstat_report_activity(
                pg_sys::BackendState::STATE_RUNNING,
                pg_sys::debug_query_string,
            ),
        }
    }
}

/// Shows `message` as this backend's query in pg_stat_activity (NULL: the real query again).
#[pg_extern(volatile, parallel_unsafe)]
fn _report_progress(message: Option<&str>) {
    report_activity(message);
}
