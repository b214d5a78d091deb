//! SQL entry points of bulk_create_users. Parsing, validation and hashing are pure Rust
//! (`auth_sync_core::import` and `auth_sync_core::password`); this module wraps them for SQL,
//! hashes on worker threads while the backend thread keeps servicing interrupts, and reports
//! progress.
//!
//! Plaintext passwords never leave this module: rows come back with bcrypt hashes, and a
//! generated password only for the caller's report.
//!
//! Cancel, statement_timeout and pg_terminate_backend: Postgres raises them as an ERROR, a
//! longjmp that must never cross Rust frames while hashing threads borrow them. So inside the
//! thread scope the backend thread only polls Postgres' interrupt flags (it raises nothing, and
//! emits no NOTICE, whose errfinish() would service a pending cancel); on a cancel it tells the
//! workers to stop (they look between rounds of the key schedule), joins them, and only then lets
//! Postgres raise, through pgrx's guarded ProcessInterrupts, which unwinds Rust: every buffer of
//! the call is dropped, and those that held passwords are zeroed. The hashing threads block all
//! signals, so Postgres' handlers run on the backend thread only.

use auth_sync_core::import::{self, FileError, ImportLimits};
use auth_sync_core::password::{self, HashControl};
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgSqlErrorCode};
use std::ffi::CString;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The highest `auth_sync.bcrypt_cost`: one hash at it takes about a second on a current core,
/// sixteen times the Auth server's 10. Higher costs only make an import a denial of service.
pub const MAX_BCRYPT_COST: i32 = 14;

/// `auth_sync.bcrypt_cost`: the bcrypt cost of hashed plaintext passwords (the Auth server uses 10).
pub static BCRYPT_COST: GucSetting<i32> = GucSetting::<i32>::new(10);
/// `auth_sync.max_import_rows`: the most records one bulk_create_users() call accepts.
pub static MAX_IMPORT_ROWS: GucSetting<i32> = GucSetting::<i32>::new(1_000_000);
/// `auth_sync.max_import_bytes`: the largest CSV one call accepts, refused before parsing.
pub static MAX_IMPORT_BYTES: GucSetting<i32> =
    GucSetting::<i32>::new(import::csv::DEFAULT_MAX_BYTES as i32);
/// `auth_sync.hash_threads`: at most this many hashing threads per backend. Defined by hand
/// (not with GucSetting): its default, the number of cores, is only known at run time.
static mut HASH_THREADS: std::ffi::c_int = 1;

/// How often the backend thread looks at the interrupt flags while the workers hash.
const POLL: Duration = Duration::from_millis(20);
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The cores this process may use (at least 1).
fn cores() -> i32 {
    std::thread::available_parallelism()
        .map(|n| i32::try_from(n.get()).unwrap_or(i32::MAX))
        .unwrap_or(1)
        .max(1)
}

/// Registers the settings of bulk_create_users (from _PG_init). All are PGC_SUSET: they decide
/// how much CPU and memory one call may take, and how strong the stored hashes are, which is the
/// DBA's choice, not the caller's.
pub fn define_settings() {
    GucRegistry::define_int_guc(
        c"auth_sync.bcrypt_cost",
        c"bcrypt cost of the passwords bulk_create_users hashes.",
        c"10, like the Supabase Auth server; at most 14. Each step doubles the hashing time. Only superusers can change it.",
        &BCRYPT_COST,
        4,
        MAX_BCRYPT_COST,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"auth_sync.max_import_rows",
        c"The most records one bulk_create_users call accepts.",
        c"A larger file is refused whole (SQLSTATE 22023) before anything is written. Only superusers can change it.",
        &MAX_IMPORT_ROWS,
        1,
        100_000_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"auth_sync.max_import_bytes",
        c"The largest CSV one bulk_create_users call accepts.",
        c"A larger one is refused (SQLSTATE 54000) before it is parsed. Only superusers can change it.",
        &MAX_IMPORT_BYTES,
        1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_BYTE,
    );
    let cores = cores();
    // SAFETY: written once here, before Postgres knows the variable; afterwards only Postgres'
    // GUC code writes it, on the backend thread, which is also the only reader.
    unsafe {
        HASH_THREADS = cores;
        pg_sys::DefineCustomIntVariable(
            c"auth_sync.hash_threads".as_ptr(),
            c"The most threads one bulk_create_users call hashes passwords on.".as_ptr(),
            c"Defaults to the number of cores, and can be no more. Only superusers can change it."
                .as_ptr(),
            &raw mut HASH_THREADS,
            cores,
            1,
            cores,
            GucContext::Suset as isize as _,
            0,
            None,
            None,
            None,
        );
    }
}

fn hash_threads() -> usize {
    // SAFETY: see define_settings; read on the backend thread.
    let n = unsafe { std::ptr::read(&raw const HASH_THREADS) };
    usize::try_from(n.clamp(1, cores())).unwrap_or(1)
}

fn file_error(e: FileError) -> ! {
    let code = match e.sqlstate() {
        "22P04" => PgSqlErrorCode::ERRCODE_BAD_COPY_FILE_FORMAT,
        "54000" => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        _ => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
    };
    ereport!(ERROR, code, e.message());
}

fn random_error(e: password::PasswordError) -> ! {
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_SYSTEM_ERROR,
        format!("auth_sync: the operating system's random number generator failed: {e}")
    );
}

/// Gives the allocator's free memory back to the OS when the call ends (also when it ends in an
/// error): the parsed file is freed, but glibc keeps freed heap in the process otherwise, and a
/// pooled connection would carry the peak of its largest import.
struct TrimOnDrop;

impl Drop for TrimOnDrop {
    fn drop(&mut self) {
        trim_heap();
    }
}

/// Gives the C heap's free pages back to the operating system. glibc keeps what is freed for
/// reuse, so without this a backend that ran one large import (or had one cancelled) stays that
/// large for the rest of its connection.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

unsafe extern "C-unwind" fn trim_heap_callback(_arg: *mut std::ffi::c_void) {
    trim_heap();
}

/// Trims the C heap again when this transaction's memory is released, committed or rolled back
/// (a cancel included): by then the executor's and the portal's memory, which hold the CSV and
/// the rows on the SQL side, are gone too. TopTransactionContext calls its reset callbacks after
/// deleting its children, and the callback's own record lives in that context.
fn trim_heap_at_transaction_end() {
    unsafe {
        let context = pg_sys::TopTransactionContext;
        if context.is_null() {
            return;
        }
        let callback = pg_sys::MemoryContextAlloc(
            context,
            std::mem::size_of::<pg_sys::MemoryContextCallback>(),
        )
        .cast::<pg_sys::MemoryContextCallback>();
        callback.write(pg_sys::MemoryContextCallback {
            func: Some(trim_heap_callback),
            arg: std::ptr::null_mut(),
            next: std::ptr::null_mut(),
        });
        pg_sys::MemoryContextRegisterResetCallback(context, callback);
    }
}

// (pgrx needs the row type spelled out in the signature)
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
    Option<String>,
    Option<String>,
    Option<Vec<Option<String>>>,
    Option<String>,
    Option<String>,
    pgrx::Uuid,
);

fn import_limits() -> ImportLimits {
    ImportLimits {
        max_rows: usize::try_from(MAX_IMPORT_ROWS.get()).unwrap_or(0),
        max_bytes: usize::try_from(MAX_IMPORT_BYTES.get()).unwrap_or(0),
        ..ImportLimits::default()
    }
}

/// The names of the CSV's extra columns (those that are not known columns), in header order:
/// the `extra` arrays of _import_prepare's rows hold their values in this order. Raises what
/// _import_prepare raises for the file's size and header.
#[pg_extern(volatile, parallel_unsafe)]
fn _import_extra_columns(csv: &str) -> Vec<String> {
    let reader = import::Reader::new(csv, &import_limits()).unwrap_or_else(|e| file_error(e));
    let headers = reader.headers();
    import::extra_columns(headers)
        .into_iter()
        .filter_map(|i| headers.get(i).cloned())
        .collect()
}

/// A row read back from its compact form (always possible: see CompactRow::view).
fn view(row: &import::CompactRow) -> import::RowView<'_> {
    row.view().unwrap_or_else(|| unreadable_row())
}

fn unreadable_row() -> ! {
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        "auth_sync: an import row could not be read back"
    );
}

/// Parses and validates a CSV of users and hashes their passwords (when `hash_passwords`);
/// `generate_passwords` gives a random password to each valid row that has none. Whole-file
/// problems raise 22P04 / 22023 / 54000; row problems come back as error_code / message.
/// user_metadata and app_metadata are JSON text (NULL: empty); extra holds the values of the
/// extra columns (_import_extra_columns) in header order, NULL for an empty value (NULL: none).
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
        name!(user_metadata, Option<String>),
        name!(app_metadata, Option<String>),
        name!(extra, Option<Vec<Option<String>>>),
        name!(error_code, Option<String>),
        name!(message, Option<String>),
        name!(new_id, pgrx::Uuid),
    ),
> {
    trim_heap_at_transaction_end();
    let _trim = TrimOnDrop;
    // (one record at a time, each kept compact: neither the parsed form of the whole file nor a
    // full-size struct per row ever exists)
    let import::PreparedFile {
        rows,
        passwords,
        extra_names,
    } = import::prepare(csv, &import_limits()).unwrap_or_else(|e| file_error(e));
    let n = rows.len();
    let n_extra = extra_names.len();
    drop(extra_names);

    // which rows get a hash: their own plaintext password, or a generated one
    let mut own = vec![false; n];
    for (k, _) in &passwords {
        if let Some(o) = own.get_mut(*k) {
            *o = true;
        }
    }
    let mut plain: Vec<(usize, Zeroizing<String>)> = if hash_passwords {
        passwords
    } else {
        Vec::new() // (the passwords are zeroed as they are dropped)
    };
    let mut temp: Vec<Option<Zeroizing<String>>> = Vec::new();
    if generate_passwords {
        temp.resize_with(n, || None);
        for (k, row) in rows.iter().enumerate() {
            if own[k] {
                continue;
            }
            let v = view(row);
            if v.is_valid() && v.password_hash.is_none() {
                let pw = Zeroizing::new(
                    password::try_generate_password().unwrap_or_else(|e| random_error(e)),
                );
                temp[k] = Some(pw.clone());
                plain.push((k, pw));
            }
        }
        // (in file order, like the rows)
        plain.sort_by_key(|(k, _)| *k);
    }
    drop(own);
    let cost = u32::try_from(BCRYPT_COST.get().min(MAX_BCRYPT_COST)).unwrap_or(10);
    let hashes = hash_with_interrupts(&plain, cost);
    let mut has_plain = vec![false; if plain.is_empty() { 0 } else { n }];
    let mut hash_of: Vec<Option<String>> = Vec::new();
    if !plain.is_empty() {
        hash_of.resize(n, None);
    }
    for ((k, _), hash) in plain.iter().zip(hashes) {
        has_plain[*k] = true;
        hash_of[*k] = hash;
    }
    drop(plain);

    // an id for each row, used when the user is new and the file gives none (one request to the
    // OS CSPRNG for all of them: gen_random_uuid() per row costs a request each)
    let ids = import::random_uuids(n)
        .unwrap_or_else(|e| random_error(password::PasswordError::Random(e.to_string())));
    // (converted row by row as Postgres reads them, each compact row freed, zeroed, once read)
    let mut temp = temp.into_iter();
    let out = rows
        .into_iter()
        .zip(ids)
        .enumerate()
        .map(move |(k, (row, new_id))| -> PreparedRow {
            let v = view(&row);
            let new_hash = hash_of.get_mut(k).and_then(Option::take);
            let has_password = has_plain.get(k).copied().unwrap_or(false)
                || new_hash.is_some()
                || v.password_hash.is_some();
            let password_hash = new_hash.or_else(|| v.password_hash.map(str::to_string));
            let temp_password = temp.next().flatten().map(|mut pw| std::mem::take(&mut *pw));
            let extra = (!v.extra.is_empty()).then(|| {
                let mut values: Vec<Option<String>> = vec![None; n_extra];
                for (c, value) in &v.extra {
                    if let Some(slot) = values.get_mut(*c) {
                        *slot = Some((*value).to_string());
                    }
                }
                values
            });
            let own = |s: Option<&str>| s.map(str::to_string);
            (
                i32::try_from(k + 1).unwrap_or(i32::MAX),
                i32::try_from(v.line_number).unwrap_or(i32::MAX),
                v.email.to_string(),
                own(v.id),
                password_hash,
                has_password,
                temp_password,
                own(v.phone),
                own(v.company),
                own(v.role),
                v.email_confirmed,
                own(v.created_at),
                own(v.user_metadata),
                own(v.app_metadata),
                extra,
                v.error.map(|(code, _)| code.to_string()),
                v.error.map(|(_, message)| message.to_string()),
                pgrx::Uuid::from_bytes(new_id),
            )
        });
    TableIterator::new(out)
}

/// What the backend thread found in Postgres' interrupt flags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Nothing Postgres would act on now.
    Nothing,
    /// A cancel, statement_timeout or terminate that ProcessInterrupts will raise.
    CancelOrDie,
    /// Another interrupt (a barrier, a catch-up, ...) that ProcessInterrupts will service.
    Other,
}

/// Reads the flags Postgres' signal handlers set, raising nothing.
fn pending_interrupt() -> Pending {
    // SAFETY: plain reads of sig_atomic_t / counters that only this (the backend) thread and its
    // signal handlers write; read volatile as the handlers write them.
    unsafe {
        if std::ptr::read_volatile(&raw const pg_sys::InterruptPending) == 0
            || std::ptr::read_volatile(&raw const pg_sys::InterruptHoldoffCount) != 0
            || std::ptr::read_volatile(&raw const pg_sys::CritSectionCount) != 0
        {
            return Pending::Nothing;
        }
        let die = std::ptr::read_volatile(&raw const pg_sys::ProcDiePending) != 0;
        let cancel = std::ptr::read_volatile(&raw const pg_sys::QueryCancelPending) != 0
            && std::ptr::read_volatile(&raw const pg_sys::QueryCancelHoldoffCount) == 0;
        if die || cancel {
            Pending::CancelOrDie
        } else {
            Pending::Other
        }
    }
}

/// Starts a scoped thread with every signal blocked (it inherits the mask, and so do the
/// threads it starts): Postgres' signal handlers must run on the backend thread only.
fn spawn_without_signals<'scope, 'env, F, T>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    // SAFETY: sigfillset/pthread_sigmask on local sigset_t values; the backend thread's own
    // mask is restored right after the spawn (signals that arrive meanwhile stay pending and
    // are delivered then).
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let spawned = std::thread::Builder::new()
            .name("auth_sync-hash".to_string())
            .spawn_scoped(scope, f);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        spawned
    }
}

/// Stops the workers if the scope is left by a panic, so that the scope's join is quick.
struct StopOnPanic<'a>(&'a HashControl);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop.store(true, Ordering::SeqCst);
        }
    }
}

/// Hashes on up to `auth_sync.hash_threads` threads. The work runs in slices: a slice ends when
/// everything is hashed, when an interrupt is pending (a cancel stops the hashes in progress;
/// anything else lets them finish) or when a progress report is due (the same). Between slices,
/// with no thread running, the backend thread services interrupts and reports progress.
fn hash_with_interrupts(
    passwords: &[(usize, Zeroizing<String>)],
    cost: u32,
) -> Vec<Option<String>> {
    let mut result: Vec<Option<String>> = vec![None; passwords.len()];
    if passwords.is_empty() {
        return result;
    }
    let threads = hash_threads();
    let started = Instant::now();
    let mut last_note = started;
    // (an interrupt that servicing left pending, e.g. held off, must not end every slice at once)
    let mut skip_other = false;
    loop {
        let todo: Vec<usize> = (0..passwords.len())
            .filter(|&k| result[k].is_none())
            .collect();
        let inputs: Vec<&str> = todo.iter().map(|&k| passwords[k].1.as_str()).collect();
        let ctl = HashControl::default();
        let joined = std::thread::scope(|scope| {
            let _stop = StopOnPanic(&ctl);
            let worker =
                spawn_without_signals(scope, || password::hash_all(&inputs, cost, threads, &ctl))
                    .ok()?;
            // (no NOTICE, no ereport, no CHECK_FOR_INTERRUPTS in here: see the module comment)
            while !worker.is_finished() {
                std::thread::sleep(POLL);
                match pending_interrupt() {
                    Pending::CancelOrDie => ctl.stop.store(true, Ordering::SeqCst),
                    Pending::Other if !skip_other => ctl.pause.store(true, Ordering::SeqCst),
                    _ => {}
                }
                if last_note.elapsed() >= PROGRESS_EVERY {
                    ctl.pause.store(true, Ordering::SeqCst);
                }
            }
            worker.join().ok()
        });
        drop(inputs);
        // every worker has been joined: Postgres may raise now (a Rust panic through pgrx's
        // guard, which drops and zeroes this call's buffers)
        pg_sys::check_for_interrupts!();
        skip_other = pending_interrupt() == Pending::Other;
        let Some(hashed) = joined else {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_RESOURCES,
                "auth_sync: a password hashing thread could not be started or failed"
            );
        };
        for (k, hash) in todo.into_iter().zip(hashed) {
            if hash.is_some() {
                result[k] = hash;
            }
        }
        let interrupted = ctl.stop.load(Ordering::SeqCst) || ctl.pause.load(Ordering::SeqCst);
        if !interrupted {
            // a complete slice: what is still None was refused by the hashing
            break;
        }
        if last_note.elapsed() >= PROGRESS_EVERY {
            last_note = Instant::now();
            report_progress(
                result.iter().filter(|h| h.is_some()).count(),
                passwords.len(),
                started,
            );
        }
    }
    result
}

/// The progress NOTICE and pg_stat_activity text, from the backend thread with no hashing
/// thread running, and with interrupts held off so that the NOTICE itself never raises a
/// pending cancel (it is raised at the next check instead).
fn report_progress(hashed: usize, total: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let rate = hashed as f64 / secs;
    let eta = if rate > 0.0 {
        (total - hashed) as f64 / rate
    } else {
        0.0
    };
    let text = format!(
        "auth_sync.bulk_create_users: {hashed} of {total} passwords hashed ({rate:.0}/s, about {eta:.0} s left)"
    );
    // SAFETY: HOLD_INTERRUPTS / RESUME_INTERRUPTS; an ERROR resets the count in errfinish().
    unsafe {
        pg_sys::InterruptHoldoffCount += 1;
    }
    notice!("{text}");
    report_activity(Some(&text));
    unsafe {
        pg_sys::InterruptHoldoffCount -= 1;
    }
    pg_sys::check_for_interrupts!();
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
