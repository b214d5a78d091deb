//! The sign-up trigger, `auth_sync.create_user_profile()`: AFTER INSERT FOR EACH ROW on auth.users,
//! it creates the new user's row in every registered profile table.
//!
//! It is native rather than generated plpgsql because it sits in every sign-up, and is measured
//! against the one-line plpgsql trigger of Supabase's docs (bench/profile_sync.sh; figures in the
//! README): the plpgsql version spent its time on the interpreter, on compiling a trigger WHEN
//! clause for every INSERT statement, on a composite variable and on a SECURITY DEFINER function's
//! GUC save and restore. What remains here is what the work needs: a subtransaction per table and
//! the owner's statement.
//!
//! What it does for each new user, in order:
//! 1. nothing while `auth_sync.bulk_import` is on (bulk_create_users writes the profiles itself;
//!    only auth_sync's own code can set that switch, see src/privilege.rs);
//! 2. builds the user's `auth_sync.user_source` value (the columns a map reads, and the derived
//!    fields of `extract_user_fields`), never the password hash or a token;
//! 3. for each registered table (`auth_sync._signup_program()`), in a subtransaction of its own,
//!    runs that table's statements with the privileges of the table's owner (`run_as`, as
//!    ri_triggers.c does), under a search_path of pg_catalog alone;
//! 4. when a table's statements fail: raises the error unchanged if `auth_sync.strict_triggers` is
//!    on; otherwise rolls that table back, journals the failure in `auth_sync.sync_failures` (as
//!    the function's owner, auth_sync_definer) and goes on, so that a broken profile table never
//!    blocks a sign-up.
//!
//! The program (tables, statements, and their plans, prepared as each owner) is loaded once per
//! backend and dropped whenever pg_proc changes (every registration change replaces the generated
//! functions, see `_regenerate`) or auth.users' definition changes.

use crate::privilege::{run_as, table_owner};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};
use std::rc::Rc;

/// The columns of auth.users that make an `auth_sync.user_source`, in its field order (its last
/// two fields, the derived fields `f` and `extra`, are computed).
const SOURCE_COLUMNS: [&CStr; 9] = [
    c"id",
    c"email",
    c"phone",
    c"email_confirmed_at",
    c"raw_user_meta_data",
    c"raw_app_meta_data",
    c"created_at",
    c"last_sign_in_at",
    c"deleted_at",
];
const RAW_USER_META: usize = 4;
const RAW_APP_META: usize = 5;
const EMAIL: usize = 1;

struct Statement {
    sql: CString,
    /// Prepared as the table's owner on first use, kept for the life of the program.
    plan: Cell<pg_sys::SPIPlanPtr>,
}

struct Target {
    table: pg_sys::Oid,
    statements: Vec<Statement>,
}

struct Program {
    users: pg_sys::Oid,
    source_type: pg_sys::Oid,
    /// A copy of the user_source row type's descriptor (in TopMemoryContext).
    source_desc: pg_sys::TupleDesc,
    /// Positions (1-based) in auth.users of SOURCE_COLUMNS.
    attnums: [i32; 9],
    definer: pg_sys::Oid,
    targets: Vec<Target>,
}

impl Drop for Program {
    fn drop(&mut self) {
        unsafe {
            for t in &self.targets {
                for s in &t.statements {
                    let plan = s.plan.replace(std::ptr::null_mut());
                    if !plan.is_null() {
                        pg_sys::SPI_freeplan(plan);
                    }
                }
            }
            if !self.source_desc.is_null() {
                pg_sys::FreeTupleDesc(self.source_desc);
            }
        }
    }
}

thread_local! {
    static PROGRAM: RefCell<Option<Rc<Program>>> = const { RefCell::new(None) };
    static CALLBACKS_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

// The invalidation callbacks only drop the program: they may not touch the catalogs, and the
// plans are freed by the next sign-up (or by whichever call still holds the program, when it
// ends), outside any callback.
#[pg_guard]
unsafe extern "C-unwind" fn proc_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    forget_program();
}

#[pg_guard]
unsafe extern "C-unwind" fn relation_changed(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    let users = PROGRAM
        .try_with(|p| {
            p.try_borrow()
                .ok()
                .and_then(|p| p.as_ref().map(|p| p.users))
        })
        .ok()
        .flatten();
    if users.is_none_or(|u| relid == pg_sys::Oid::INVALID || relid == u) {
        forget_program();
    }
}

fn forget_program() {
    // (a program being run holds its own reference; this drops the backend's)
    let old = PROGRAM.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()));
    // Freeing plans inside an invalidation callback is not allowed: keep the program alive until
    // the next sign-up loads a new one, in PENDING_FREE.
    if let Ok(Some(old)) = old {
        PENDING_FREE.with(|f| f.borrow_mut().push(old));
    }
}

thread_local! {
    static PENDING_FREE: RefCell<Vec<Rc<Program>>> = const { RefCell::new(Vec::new()) };
}

/// The backend's program, loaded when there is none.
unsafe fn program(trigger_fn: pg_sys::Oid) -> Rc<Program> {
    if let Some(p) = PROGRAM.with(|p| p.borrow().clone()) {
        return p;
    }
    // plans of dropped programs are freed here, outside any invalidation callback
    let pending = PENDING_FREE.with(|f| std::mem::take(&mut *f.borrow_mut()));
    drop(pending);
    unsafe {
        if !CALLBACKS_REGISTERED.get() {
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::PROCOID as i32,
                Some(proc_changed),
                pg_sys::Datum::from(0usize),
            );
            pg_sys::CacheRegisterRelcacheCallback(
                Some(relation_changed),
                pg_sys::Datum::from(0usize),
            );
            CALLBACKS_REGISTERED.set(true);
        }
        let p = Rc::new(load(trigger_fn));
        PROGRAM.with(|slot| *slot.borrow_mut() = Some(p.clone()));
        p
    }
}

/// The owner of function `f` (auth_sync_definer for the extension's functions).
unsafe fn function_owner(f: pg_sys::Oid) -> pg_sys::Oid {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(f),
        );
        if tuple.is_null() {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_UNDEFINED_FUNCTION,
                "auth_sync: the sign-up trigger's function is gone"
            );
        }
        let owner = (*pg_sys::GETSTRUCT(tuple).cast::<pg_sys::FormData_pg_proc>()).proowner;
        pg_sys::ReleaseSysCache(tuple);
        owner
    }
}

/// Runs `f` as `user` with search_path pg_catalog alone (and no pg_temp); both come back however
/// `f` ends (an ERROR's transaction or subtransaction abort restores them when it escapes).
unsafe fn as_user_pinned<R>(user: pg_sys::Oid, f: impl FnOnce() -> R) -> R {
    unsafe {
        let mut saved_user = pg_sys::Oid::INVALID;
        let mut saved_context = 0i32;
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        pg_sys::SetUserIdAndSecContext(
            user,
            saved_context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
        push_pinned_search_path();
        let r = f();
        pg_sys::PopOverrideSearchPath();
        pg_sys::SetUserIdAndSecContext(saved_user, saved_context);
        r
    }
}

/// Makes pg_catalog the whole search path until the matching PopOverrideSearchPath (or the end of
/// the (sub)transaction), without the GUC machinery a `SET search_path` on the function would
/// cost every sign-up.
unsafe fn push_pinned_search_path() {
    unsafe {
        let path = pg_sys::GetOverrideSearchPath(pg_sys::CurrentMemoryContext);
        (*path).schemas = std::ptr::null_mut();
        (*path).addCatalog = true;
        (*path).addTemp = false;
        pg_sys::PushOverrideSearchPath(path);
    }
}

/// What `load` reads: `{"users": oid, "source": oid, "program": [[table oid, [statement, ...]], ...]}`.
#[derive(serde::Deserialize)]
struct Loaded {
    users: u32,
    source: u32,
    program: Vec<(u32, Vec<String>)>,
}

/// Reads `_signup_program()` as the trigger function's owner, and checks auth.users against
/// `auth_sync.user_source`.
unsafe fn load(trigger_fn: pg_sys::Oid) -> Program {
    unsafe {
        let definer = function_owner(trigger_fn);
        let json = as_user_pinned(definer, || {
            Spi::get_one::<String>(
                "SELECT pg_catalog.jsonb_build_object(
                        'users', 'auth.users'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8,
                        'source', 'auth_sync.user_source'::pg_catalog.regtype::pg_catalog.oid::pg_catalog.int8,
                        'program', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(p.target::pg_catalog.int8, p.statements)
                                                                         ORDER BY p.target)
                                               FROM auth_sync._signup_program() AS p), '[]'))::pg_catalog.text",
            )
        });
        let loaded = match json {
            Ok(Some(text)) => serde_json::from_str::<Loaded>(&text).ok(),
            _ => None,
        };
        let Some(loaded) = loaded else {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "auth_sync: could not load the sign-up program (auth_sync._signup_program())"
            );
        };
        let users = pg_sys::Oid::from(loaded.users);
        let source_type = pg_sys::Oid::from(loaded.source);

        // the source's descriptor, and where each of its columns sits in auth.users
        let typed = pg_sys::lookup_rowtype_tupdesc(source_type, -1);
        let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext);
        let source_desc = pg_sys::CreateTupleDescCopy(typed);
        pg_sys::MemoryContextSwitchTo(old);
        pg_sys::DecrTupleDescRefCount(typed);

        let rel = pg_sys::RelationIdGetRelation(users);
        if rel.is_null() {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
                "auth_sync: auth.users is gone"
            );
        }
        let users_desc = (*rel).rd_att;
        let mut attnums = [0i32; 9];
        let mut mismatch: Option<&CStr> = None;
        for (i, name) in SOURCE_COLUMNS.iter().enumerate() {
            let n = pg_sys::SPI_fnumber(users_desc, name.as_ptr());
            let field = att_type(source_desc, i);
            let fits =
                n > 0 && pg_sys::IsBinaryCoercible(att_type(users_desc, (n - 1) as usize), field);
            if !fits {
                mismatch = Some(name);
                break;
            }
            attnums[i] = n;
        }
        pg_sys::RelationClose(rel);
        if let Some(name) = mismatch {
            pg_sys::FreeTupleDesc(source_desc);
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!(
                    "auth_sync: auth.users.{} is missing or of a type auth_sync.user_source cannot hold",
                    name.to_string_lossy()
                ),
                "verify_installation() reports the installation's state."
            );
        }

        let mut targets = Vec::with_capacity(loaded.program.len());
        for (table, statements) in loaded.program {
            let mut list = Vec::with_capacity(statements.len());
            for sql in statements {
                // (generated by format() from catalog names: a NUL cannot occur)
                if let Ok(sql) = CString::new(sql) {
                    list.push(Statement {
                        sql,
                        plan: Cell::new(std::ptr::null_mut()),
                    });
                }
            }
            targets.push(Target {
                table: pg_sys::Oid::from(table),
                statements: list,
            });
        }
        Program {
            users,
            source_type,
            source_desc,
            attnums,
            definer,
            targets,
        }
    }
}

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_auth_sync_create_user_profile() -> &'static pg_sys::Pg_finfo_record {
    const V1_API: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1_API
}

unsafe extern "C-unwind" {
    #[link_name = "ReThrowError"]
    fn raw_rethrow_error(edata: *mut pg_sys::ErrorData) -> !;
}

/// # Safety
/// Called by Postgres' trigger manager with a valid `fcinfo`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn auth_sync_create_user_profile(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    unsafe {
        let context = (*fcinfo).context;
        if context.is_null() || (*context).type_ != pg_sys::NodeTag::T_TriggerData {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                "auth_sync.create_user_profile() may only be called as a trigger"
            );
        }
        let trigger = context.cast::<pg_sys::TriggerData>();
        let event = (*trigger).tg_event;
        let after_row_insert = event & pg_sys::TRIGGER_EVENT_TIMINGMASK
            == pg_sys::TRIGGER_EVENT_AFTER
            && event & pg_sys::TRIGGER_EVENT_ROW != 0
            && event & pg_sys::TRIGGER_EVENT_OPMASK == pg_sys::TRIGGER_EVENT_INSERT;

        // bulk_create_users writes the profiles itself, set-based (a value only auth_sync's code
        // can set: see src/privilege.rs)
        if crate::privilege::internal_setting(c"auth_sync.bulk_import")
            .is_some_and(|v| v.to_bytes() == b"on")
        {
            return pg_sys::Datum::from(0usize);
        }

        let program = program((*(*fcinfo).flinfo).fn_oid);
        if !after_row_insert || (*(*trigger).tg_relation).rd_id != program.users {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                "auth_sync.create_user_profile() fires only AFTER INSERT FOR EACH ROW on auth.users"
            );
        }
        if program.targets.is_empty() {
            return pg_sys::Datum::from(0usize);
        }

        let (source, id) = user_source(
            &program,
            (*trigger).tg_trigtuple,
            (*(*trigger).tg_relation).rd_att,
        );
        let mut values = [source];
        let nulls = [b' ' as std::ffi::c_char];
        let mut raise: Option<*mut pg_sys::ErrorData> = None;
        // one SPI connection and one pinned search path for every table (each table's
        // subtransaction runs inside them, as plpgsql's exception blocks run inside its own)
        if pg_sys::SPI_connect() < 0 {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "auth_sync: SPI_connect failed"
            );
        }
        push_pinned_search_path();
        for target in &program.targets {
            let Some(edata) = run_target(&program, target, values.as_mut_ptr(), nulls.as_ptr())
            else {
                continue;
            };
            if crate::STRICT_TRIGGERS.get() {
                raise = Some(edata);
                break;
            }
            record_failure(&program, target.table, id, edata);
        }
        pg_sys::PopOverrideSearchPath();
        pg_sys::SPI_finish();
        if let Some(edata) = raise {
            // raised as Postgres made it (constraint name and all); nothing of ours is left to
            // drop past this point
            drop(program);
            raw_rethrow_error(edata);
        }
        pg_sys::Datum::from(0usize)
    }
}

/// The type of attribute `i` (0-based) of `desc`.
unsafe fn att_type(desc: pg_sys::TupleDesc, i: usize) -> pg_sys::Oid {
    unsafe {
        let natts = usize::try_from((*desc).natts).unwrap_or(0);
        (*desc)
            .attrs
            .as_slice(natts)
            .get(i)
            .map_or(pg_sys::Oid::INVALID, |a| a.atttypid)
    }
}

/// The new user's `auth_sync.user_source` value, in the current memory context, and its id.
unsafe fn user_source(
    program: &Program,
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
) -> (pg_sys::Datum, Option<pg_sys::Datum>) {
    unsafe {
        let mut values = [pg_sys::Datum::from(0usize); 11];
        let mut nulls = [true; 11];
        // one pass over the row (heap_getattr would walk it again for each column past a varlena),
        // on the stack for a table of auth.users' size
        let natts = usize::try_from((*desc).natts).unwrap_or(0);
        let mut stack_values = [pg_sys::Datum::from(0usize); 64];
        let mut stack_nulls = [true; 64];
        let mut heap_values = Vec::new();
        let mut heap_nulls = Vec::new();
        let (row_values, row_nulls): (&mut [pg_sys::Datum], &mut [bool]) = if natts <= 64 {
            (&mut stack_values[..natts], &mut stack_nulls[..natts])
        } else {
            heap_values.resize(natts, pg_sys::Datum::from(0usize));
            heap_nulls.resize(natts, true);
            (&mut heap_values[..], &mut heap_nulls[..])
        };
        pg_sys::heap_deform_tuple(tuple, desc, row_values.as_mut_ptr(), row_nulls.as_mut_ptr());
        for (i, attnum) in program.attnums.iter().enumerate() {
            let at = usize::try_from(*attnum - 1).unwrap_or(usize::MAX);
            if let (Some(v), Some(n)) = (row_values.get(at), row_nulls.get(at)) {
                values[i] = *v;
                nulls[i] = *n;
            }
        }
        let user =
            crate::fields::BinaryJsonb::from_datum(values[RAW_USER_META], nulls[RAW_USER_META]);
        let app = crate::fields::BinaryJsonb::from_datum(values[RAW_APP_META], nulls[RAW_APP_META]);
        let email = if nulls[EMAIL] {
            None
        } else {
            crate::fields::text_of(values[EMAIL])
        };
        let fields = crate::fields::fields_datum(user.as_ref(), app.as_ref(), email.as_deref());
        if let Some(f) = fields {
            values[9] = f;
            nulls[9] = false;
        }
        let formed =
            pg_sys::heap_form_tuple(program.source_desc, values.as_mut_ptr(), nulls.as_mut_ptr());
        let id = (!nulls[0]).then_some(values[0]);
        let has_external = (*(*formed).t_data).t_infomask & pg_sys::HEAP_HASEXTERNAL as u16 != 0;
        let datum = if has_external {
            // (flattens the TOAST pointers of a large metadata value: a composite value may hold
            // none)
            pg_sys::heap_copy_tuple_as_datum(formed, program.source_desc)
        } else {
            // heap_form_tuple already made it a composite datum (length, type and typmod set)
            pg_sys::Datum::from((*formed).t_data)
        };
        (datum, id)
    }
}

/// Runs one table's statements as its owner, in a subtransaction. Returns the error that rolled
/// it back, copied out of the error state (which is then clean again).
unsafe fn run_target(
    program: &Program,
    target: &Target,
    values: *mut pg_sys::Datum,
    nulls: *const std::ffi::c_char,
) -> Option<*mut pg_sys::ErrorData> {
    unsafe {
        // the table went away or changed kind since the program was loaded: nothing to write
        // (unregistering it, which the drop guard does, reloads the program)
        let Ok(owner) = table_owner(target.table) else {
            return None;
        };
        let old_context = pg_sys::CurrentMemoryContext;
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(old_context);

        let mut failed = false;
        for statement in &target.statements {
            let mut plan = statement.plan.get();
            let outcome = run_as(
                owner,
                Some(statement.sql.as_c_str()),
                program.source_type,
                &mut plan,
                values,
                nulls,
            );
            statement.plan.set(plan);
            match outcome {
                Ok(rc) if rc >= 0 && !plan.is_null() => {}
                Ok(_) => {
                    failed = true;
                    break;
                }
                Err(()) => {
                    // an ERROR: copy it, then roll the subtransaction back (as plpgsql's
                    // exception blocks do; SPI's state inside it goes with it)
                    pg_sys::MemoryContextSwitchTo(old_context);
                    let edata = pg_sys::CopyErrorData();
                    pg_sys::FlushErrorState();
                    pg_sys::RollbackAndReleaseCurrentSubTransaction();
                    pg_sys::MemoryContextSwitchTo(old_context);
                    pg_sys::CurrentResourceOwner = old_owner;
                    return Some(edata);
                }
            }
        }
        if failed {
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
            pg_sys::MemoryContextSwitchTo(old_context);
            pg_sys::CurrentResourceOwner = old_owner;
            return Some(internal_error());
        }
        pg_sys::ReleaseCurrentSubTransaction();
        pg_sys::MemoryContextSwitchTo(old_context);
        pg_sys::CurrentResourceOwner = old_owner;
        None
    }
}

/// An ErrorData for an SPI failure that raised no ERROR (it should not happen).
unsafe fn internal_error() -> *mut pg_sys::ErrorData {
    unsafe {
        let edata =
            pg_sys::palloc0(std::mem::size_of::<pg_sys::ErrorData>()).cast::<pg_sys::ErrorData>();
        (*edata).elevel = pgrx::PgLogLevel::ERROR as i32;
        (*edata).sqlerrcode = PgSqlErrorCode::ERRCODE_INTERNAL_ERROR as i32;
        (*edata).message =
            pg_sys::pstrdup(c"auth_sync: SPI could not run the profile statement".as_ptr());
        (*edata).assoc_context = pg_sys::CurrentMemoryContext;
        edata
    }
}

/// Journals a failed table in auth_sync.sync_failures, as the trigger function's owner.
unsafe fn record_failure(
    program: &Program,
    table: pg_sys::Oid,
    id: Option<pg_sys::Datum>,
    edata: *mut pg_sys::ErrorData,
) {
    unsafe {
        let state = pg_sys::unpack_sql_state((*edata).sqlerrcode);
        let message = if (*edata).message.is_null() {
            c"".as_ptr()
        } else {
            (*edata).message.cast_const()
        };
        let mut types = [
            pg_sys::UUIDOID,
            pg_sys::OIDOID,
            pg_sys::TEXTOID,
            pg_sys::TEXTOID,
        ];
        let mut values = [
            id.unwrap_or(pg_sys::Datum::from(0usize)),
            pg_sys::Datum::from(table),
            pg_sys::Datum::from(pg_sys::cstring_to_text(state)),
            pg_sys::Datum::from(pg_sys::cstring_to_text(message)),
        ];
        let nulls = [
            if id.is_some() { b' ' } else { b'n' } as std::ffi::c_char,
            b' ' as std::ffi::c_char,
            b' ' as std::ffi::c_char,
            b' ' as std::ffi::c_char,
        ];
        pg_sys::FreeErrorData(edata);
        let rc = as_user_pinned(program.definer, || {
            if pg_sys::SPI_connect() < 0 {
                return -1;
            }
            let rc = pg_sys::SPI_execute_with_args(
                c"SELECT auth_sync._record_failure($1::pg_catalog.text, $2::pg_catalog.regclass::pg_catalog.text, 'insert', $3, $4)".as_ptr(),
                4,
                types.as_mut_ptr(),
                values.as_mut_ptr(),
                nulls.as_ptr(),
                false,
                0,
            );
            pg_sys::SPI_finish();
            rc
        });
        if rc < 0 {
            ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                "auth_sync: could not journal a failed profile write"
            );
        }
    }
}
