//! DROP EXTENSION auth_sync must leave auth.users without auth_sync's triggers.
//!
//! Triggers cannot be members of an extension, and a trigger that depends on a member function
//! makes a plain DROP EXTENSION fail. An event trigger at ddl_command_start sees the DROP
//! EXTENSION statement before Postgres checks dependencies, and removes the triggers when
//! auth_sync is among the extensions being dropped. A plpgsql event trigger cannot see which
//! extensions a DROP names, so this one function is C-level Rust.

use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CStr;

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_auth_sync_drop_guard() -> &'static pg_sys::Pg_finfo_record {
    const V1_API: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1_API
}

/// The event trigger function behind `auth_sync._drop_extension_guard()`.
///
/// # Safety
/// Called by Postgres' function manager with a valid `fcinfo`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn auth_sync_drop_guard(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    if unsafe { drops_auth_sync(fcinfo) } {
        if let Err(e) = Spi::run("SELECT auth_sync._before_drop_extension()") {
            error!("auth_sync: could not remove its triggers from auth.users before DROP EXTENSION: {e}");
        }
    }
    pg_sys::Datum::from(0usize)
}

/// Whether this event is a DROP EXTENSION that names auth_sync.
unsafe fn drops_auth_sync(fcinfo: pg_sys::FunctionCallInfo) -> bool {
    unsafe {
        if fcinfo.is_null() {
            return false;
        }
        let ctx = (*fcinfo).context;
        if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_EventTriggerData {
            return false;
        }
        let tree = (*ctx.cast::<pg_sys::EventTriggerData>()).parsetree;
        if tree.is_null() || (*tree).type_ != pg_sys::NodeTag::T_DropStmt {
            return false;
        }
        let stmt = tree.cast::<pg_sys::DropStmt>();
        if (*stmt).removeType != pg_sys::ObjectType::OBJECT_EXTENSION {
            return false;
        }
        let list = (*stmt).objects;
        if list.is_null() {
            return false;
        }
        (0..(*list).length as usize).any(|i| {
            let node = (*(*list).elements.add(i)).ptr_value.cast::<pg_sys::Node>();
            !node.is_null()
                && (*node).type_ == pg_sys::NodeTag::T_String
                && !(*node.cast::<pg_sys::String>()).sval.is_null()
                && CStr::from_ptr((*node.cast::<pg_sys::String>()).sval).to_bytes() == b"auth_sync"
        })
    }
}
