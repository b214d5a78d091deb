//! Acting as a table's owner, and auth_sync's internal switches.
//!
//! auth_sync's SECURITY DEFINER functions belong to `auth_sync_definer`, a NOLOGIN role that is not
//! a superuser. That role never writes a table another role owns: each such write (and each DDL
//! statement on such a table) runs through [`auth_sync_as_owner`] with the privileges of the
//! table's owner, as PostgreSQL's own foreign-key triggers do (ri_triggers.c switches to the
//! referencing table's owner the same way). Whatever code the owner attached to its table —
//! triggers, defaults, CHECK and domain constraints, index expressions — therefore runs with the
//! privileges that owner already has, never with auth_sync's. The statement is auth_sync's own SQL;
//! it receives one argument and never sees the caller's variables.
//!
//! The switches that make the auth.users triggers stand aside during a bulk operation, and the
//! provenance of the employee log, are custom settings of context `superuser`: a session cannot
//! `SET` them, only `_set_internal` (auth_sync's own code) can, transaction-locally. `_flag` reads
//! them; calling it loads this library, whose `_PG_init` throws away any value a session set
//! before the settings were defined.

use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};

/// The settings only auth_sync's code sets (`_set_internal`), with their meaning.
pub const INTERNAL_SETTINGS: &[(&CStr, &CStr)] = &[
    (
        c"auth_sync.bulk_import",
        c"Set by bulk_create_users while it writes users and their profiles itself.",
    ),
    (
        c"auth_sync.bulk_delete",
        c"Set by the bulk deletes while they remove the users' rows themselves.",
    ),
    (
        c"auth_sync.linking",
        c"Set while auth_sync links employees to their auth users itself.",
    ),
    (
        c"auth_sync.source",
        c"The auth_sync function an employee change comes from, for the integration log.",
    ),
    (
        c"auth_sync.reason",
        c"The reason given to set_employee_active, for the integration log.",
    ),
];

/// The storage behind [`INTERNAL_SETTINGS`], one per setting, in the same order.
pub static INTERNAL_VALUES: [pgrx::GucSetting<Option<CString>>; 5] =
    [const { pgrx::GucSetting::<Option<CString>>::new(None) }; 5];

/// Defines the internal settings (from `_PG_init`), of context `superuser` and hidden from
/// `SHOW ALL`, then reserves the `auth_sync.` prefix so that no placeholder a session set before
/// this library was loaded survives.
pub fn define_internal_settings() {
    for ((name, description), value) in INTERNAL_SETTINGS.iter().zip(INTERNAL_VALUES.iter()) {
        pgrx::GucRegistry::define_string_guc(
            name,
            description,
            c"Only auth_sync's own functions set it, transaction-locally; a session cannot.",
            value,
            pgrx::GucContext::Suset,
            pgrx::GucFlags::NO_SHOW_ALL,
        );
    }
    unsafe { pg_sys::MarkGUCPrefixReserved(c"auth_sync".as_ptr()) };
}

thread_local! {
    /// Prepared plans of the statements run as an owner, by statement text and argument type.
    /// Kept plans are revalidated by the plan cache when the tables they use change.
    static PLANS: RefCell<HashMap<u32, HashMap<String, pg_sys::SPIPlanPtr>>> = RefCell::new(HashMap::new());
}

/// Past this many statements the cache is emptied (generated statements name table OIDs, so a
/// long-lived backend that sees many registrations would otherwise keep every old plan).
const MAX_PLANS: usize = 512;

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_auth_sync_as_owner() -> &'static pg_sys::Pg_finfo_record {
    const V1_API: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1_API
}

// Postgres' own SPI entry points and pg_re_throw, without pgrx's boundary guard: the guard would
// turn an ERROR into a Rust panic and raise it again with only some of its fields (its constraint
// name, for one, which the import reads, would be lost). Called only inside `run_as`, which catches
// the longjmp itself.
unsafe extern "C-unwind" {
    #[link_name = "SPI_prepare"]
    fn raw_spi_prepare(
        src: *const std::ffi::c_char,
        nargs: i32,
        argtypes: *mut pg_sys::Oid,
    ) -> pg_sys::SPIPlanPtr;
    #[link_name = "SPI_keepplan"]
    fn raw_spi_keepplan(plan: pg_sys::SPIPlanPtr) -> i32;
    #[link_name = "SPI_execute_plan"]
    fn raw_spi_execute_plan(
        plan: pg_sys::SPIPlanPtr,
        values: *mut pg_sys::Datum,
        nulls: *const std::ffi::c_char,
        read_only: bool,
        tcount: i64,
    ) -> i32;
    #[link_name = "pg_re_throw"]
    fn raw_pg_re_throw() -> !;
}

/// Prepares (when `*plan` is null) and runs `plan` with the user id switched to `owner`, as
/// ri_triggers.c does: the owner's privileges, SET ROLE and friends refused while they are in
/// effect, the owner's own FORCE ROW LEVEL SECURITY not applied to it. The previous user id comes
/// back however the statement ends. Returns SPI's result code, or `Err(())` when the statement
/// raised an ERROR: the caller then frees what it holds and calls `raw_pg_re_throw()`, which
/// raises that ERROR as Postgres made it (PG_TRY / PG_FINALLY, in Rust).
///
/// # Safety
/// Inside an SPI connection; `values`/`nulls` hold one argument.
pub(crate) unsafe fn run_as(
    owner: pg_sys::Oid,
    query: Option<&CStr>,
    arg_type: pg_sys::Oid,
    plan: &mut pg_sys::SPIPlanPtr,
    values: *mut pg_sys::Datum,
    nulls: *const std::ffi::c_char,
) -> Result<i32, ()> {
    unsafe {
        let mut saved_user = pg_sys::Oid::INVALID;
        let mut saved_context = 0i32;
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        let prev_exception_stack = pg_sys::PG_exception_stack;
        let prev_context_stack = pg_sys::error_context_stack;
        let mut rc = 0;
        let jumped = cee_scape::call_with_sigsetjmp(false, |jump_buffer| {
            pg_sys::PG_exception_stack = std::ptr::from_ref(jump_buffer).cast_mut().cast();
            pg_sys::SetUserIdAndSecContext(
                owner,
                saved_context
                    | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32
                    | pg_sys::SECURITY_NOFORCE_RLS as i32,
            );
            if let (true, Some(query)) = (plan.is_null(), query) {
                // (prepared as the owner: its names are looked up with the owner's rights)
                let mut types = [arg_type];
                let prepared = raw_spi_prepare(query.as_ptr(), 1, types.as_mut_ptr());
                if !prepared.is_null() {
                    raw_spi_keepplan(prepared);
                }
                *plan = prepared;
            }
            if !plan.is_null() {
                rc = raw_spi_execute_plan(*plan, values, nulls, false, 0);
            }
            0
        });
        pg_sys::PG_exception_stack = prev_exception_stack;
        pg_sys::error_context_stack = prev_context_stack;
        pg_sys::SetUserIdAndSecContext(saved_user, saved_context);
        if jumped != 0 {
            Err(())
        } else {
            Ok(rc)
        }
    }
}

/// The owner of relation `rel`, if it is an ordinary or partitioned table.
pub(crate) unsafe fn table_owner(rel: pg_sys::Oid) -> Result<pg_sys::Oid, &'static str> {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(rel),
        );
        if tuple.is_null() {
            return Err("the table does not exist");
        }
        let form = pg_sys::GETSTRUCT(tuple).cast::<pg_sys::FormData_pg_class>();
        let (owner, kind) = ((*form).relowner, (*form).relkind as u8);
        pg_sys::ReleaseSysCache(tuple);
        if kind != pg_sys::RELKIND_RELATION && kind != pg_sys::RELKIND_PARTITIONED_TABLE {
            return Err("it is not a table");
        }
        Ok(owner)
    }
}

/// `auth_sync._as_owner(target regclass, query text, arg anyelement) RETURNS jsonb`: runs `query`
/// (one statement; `$1` is `arg`) with the privileges of `target`'s owner, and returns the first
/// column of its first row (jsonb), or NULL when it returns no row.
///
/// # Safety
/// Called by Postgres' function manager with a valid `fcinfo`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn auth_sync_as_owner(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    unsafe {
        let (Some(rel), Some(query)) = (
            pgrx::fcinfo::pg_getarg::<pg_sys::Oid>(fcinfo, 0),
            // (borrowed from the argument: a sign-up's lookup allocates nothing)
            pgrx::fcinfo::pg_getarg::<&str>(fcinfo, 1),
        ) else {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                "auth_sync._as_owner: target and query are required"
            );
        };
        let arg_type = pgrx::fcinfo::pg_getarg_type(fcinfo, 2);
        let arg_null = pgrx::fcinfo::pg_arg_is_null(fcinfo, 2);
        let arg = pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 2);

        let owner = match table_owner(rel) {
            Ok(owner) => owner,
            Err(why) => {
                ereport!(
                    ERROR,
                    PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
                    format!(
                        "auth_sync acts only on tables, and relation {} is not one it can act on: {why}",
                        rel.to_u32()
                    )
                );
            }
        };

        let mut plan = PLANS
            .with(|p| {
                p.borrow()
                    .get(&arg_type.to_u32())
                    .and_then(|m| m.get(query))
                    .copied()
            })
            .unwrap_or(std::ptr::null_mut());
        let cached = !plan.is_null();
        // (the text to prepare, only when there is no plan yet)
        let c_query = if cached {
            None
        } else {
            match CString::new(query) {
                Ok(c) => Some(c),
                Err(_) => {
                    ereport!(
                        ERROR,
                        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                        "auth_sync._as_owner: the statement contains a NUL byte"
                    );
                }
            }
        };

        if pg_sys::SPI_connect() < 0 {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "auth_sync._as_owner: SPI_connect failed"
            );
        }
        let mut values = [arg];
        let nulls = [if arg_null {
            b'n' as std::ffi::c_char
        } else {
            b' ' as std::ffi::c_char
        }];
        let outcome = run_as(
            owner,
            c_query.as_deref(),
            arg_type,
            &mut plan,
            values.as_mut_ptr(),
            nulls.as_ptr(),
        );
        let Ok(rc) = outcome else {
            // (the ERROR longjmps past this frame and pgrx's: nothing may be left to drop)
            drop(c_query);
            raw_pg_re_throw();
        };
        if plan.is_null() {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "auth_sync._as_owner: SPI_prepare failed"
            );
        }
        if c_query.is_some() {
            remember(query.to_owned(), arg_type, plan);
        }
        drop(c_query);
        if rc < 0 {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("auth_sync._as_owner: SPI_execute_plan failed ({rc})")
            );
        }

        let mut result: Option<pg_sys::Datum> = None;
        let table = pg_sys::SPI_tuptable;
        if !table.is_null() && pg_sys::SPI_processed > 0 {
            let desc = (*table).tupdesc;
            if (*desc).natts >= 1 {
                if pg_sys::SPI_gettypeid(desc, 1) != pg_sys::JSONBOID {
                    ereport!(
                        ERROR,
                        PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                        "auth_sync._as_owner: the statement must return jsonb"
                    );
                }
                let mut isnull = false;
                let value = pg_sys::SPI_getbinval(*(*table).vals, desc, 1, &mut isnull);
                if !isnull {
                    // into the caller's memory context, before SPI_finish frees the SPI one
                    result = Some(pg_sys::SPI_datumTransfer(value, false, -1));
                }
            }
        }
        pg_sys::SPI_finish();

        match result {
            Some(d) => d,
            None => {
                (*fcinfo).isnull = true;
                pg_sys::Datum::from(0usize)
            }
        }
    }
}

/// Keeps `plan` for `query` with one argument of type `arg_type`, for the rest of the backend.
unsafe fn remember(query: String, arg_type: pg_sys::Oid, plan: pg_sys::SPIPlanPtr) {
    PLANS.with(|p| {
        let mut p = p.borrow_mut();
        if p.values().map(HashMap::len).sum::<usize>() >= MAX_PLANS {
            for (_, old) in p.drain().flat_map(|(_, m)| m) {
                unsafe { pg_sys::SPI_freeplan(old) };
            }
        }
        p.entry(arg_type.to_u32()).or_default().insert(query, plan);
    });
}

/// Sets one of auth_sync's internal settings for the rest of the transaction (like
/// `set_config(name, value, true)`), with the authority that a session's own `SET` lacks.
#[pg_extern(volatile, parallel_unsafe)]
fn _set_internal(name: &str, value: &str) {
    let Some((setting, _)) = INTERNAL_SETTINGS
        .iter()
        .find(|(n, _)| n.to_bytes() == name.as_bytes())
    else {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("{name} is not an internal setting of auth_sync")
        );
    };
    let Ok(c_value) = CString::new(value) else {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "the value contains a NUL byte"
        );
    };
    unsafe {
        pg_sys::set_config_option(
            setting.as_ptr(),
            c_value.as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            pgrx::PgLogLevel::ERROR as i32,
            false,
        );
    }
}

/// The value of one of auth_sync's internal settings ('' when unset). The auth.users and
/// employee triggers' WHEN clauses call it, so it is the one function every role may execute:
/// it only tells whether this transaction is inside one of auth_sync's own bulk operations.
#[pg_extern(stable, parallel_restricted)]
fn _flag(name: &str) -> String {
    INTERNAL_SETTINGS
        .iter()
        .find(|(n, _)| n.to_bytes() == name.as_bytes())
        .and_then(|(n, _)| internal_setting(n))
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The value of internal setting `name` (one of [`INTERNAL_SETTINGS`]), when set.
pub(crate) fn internal_setting(name: &CStr) -> Option<&'static CStr> {
    // SAFETY: GetConfigOption returns NULL or the setting's current string, which stays valid
    // until the setting changes; the callers read it at once.
    unsafe {
        let v = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        (!v.is_null()).then(|| CStr::from_ptr(v))
    }
}
