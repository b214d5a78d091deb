//! `auth_sync.extract_user_fields(user_meta jsonb, app_meta jsonb, email text) RETURNS text[]`:
//! the derived fields of an auth user (display_name, first_name, last_name, avatar_url, provider,
//! provider_user_id), by the rules of `auth_sync_core::fields`.
//!
//! It runs on every sign-up (inside the auth.users trigger) and for every user in a sync, so it
//! reads the metadata in Postgres' binary jsonb form through `Meta`, instead of printing the jsonb
//! to text and parsing it again (which pgrx's `JsonB` argument type does). That is why this one
//! function is declared by hand (`sql/registry/fields.sql`) rather than with `#[pg_extern]`.

use auth_sync_core::fields::{supabase_user_fields, Meta};
use pgrx::fcinfo::{pg_arg_is_null, pg_getarg, pg_getarg_datum_raw, pg_return_null};
use pgrx::pg_sys;
use pgrx::prelude::*;

/// A detoasted jsonb value, read in place.
pub(crate) struct BinaryJsonb {
    root: *mut pg_sys::JsonbContainer,
}

impl BinaryJsonb {
    /// # Safety
    /// `fcinfo` must be a valid call whose argument `n` is a non-NULL jsonb.
    unsafe fn from_arg(fcinfo: pg_sys::FunctionCallInfo, n: usize) -> Option<Self> {
        unsafe {
            if pg_arg_is_null(fcinfo, n) {
                return None;
            }
            let datum = pg_getarg_datum_raw(fcinfo, n);
            let jb = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()).cast::<pg_sys::Jsonb>();
            Some(BinaryJsonb {
                root: &raw mut (*jb).root,
            })
        }
    }
}

impl BinaryJsonb {
    /// # Safety
    /// `datum` is a jsonb value (unless `isnull`) that outlives the returned reader's use.
    pub(crate) unsafe fn from_datum(datum: pg_sys::Datum, isnull: bool) -> Option<Self> {
        if isnull {
            return None;
        }
        unsafe {
            let jb = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()).cast::<pg_sys::Jsonb>();
            Some(BinaryJsonb {
                root: &raw mut (*jb).root,
            })
        }
    }
}

/// The string of a text or varchar datum (None when it is not UTF-8).
///
/// # Safety
/// `datum` is a non-NULL text-like varlena.
pub(crate) unsafe fn text_of(datum: pg_sys::Datum) -> Option<String> {
    unsafe {
        let t = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        let len = pgrx::varlena::varsize_any_exhdr(t);
        let data = pgrx::varlena::vardata_any(t).cast::<u8>();
        std::str::from_utf8(std::slice::from_raw_parts(data, len))
            .ok()
            .map(str::to_owned)
    }
}

/// The derived fields of a user as a text[] datum (see [`auth_sync_extract_user_fields`]).
pub(crate) fn fields_datum(
    user: Option<&BinaryJsonb>,
    app: Option<&BinaryJsonb>,
    email: Option<&str>,
) -> Option<pg_sys::Datum> {
    let fields: Vec<Option<String>> = supabase_user_fields(user, app, email).to_array().into();
    fields.into_datum()
}

impl Meta for BinaryJsonb {
    fn string(&self, key: &str) -> Option<&str> {
        let key_len = i32::try_from(key.len()).ok()?;
        // SAFETY: `root` points into a detoasted jsonb that lives for this function call; the
        // lookup reads it and fills `value`, whose string points into the same memory.
        unsafe {
            if (*self.root).header & pg_sys::JB_FOBJECT == 0 {
                return None; // a scalar or an array: no keys
            }
            let mut value: pg_sys::JsonbValue = std::mem::zeroed();
            let found = pg_sys::getKeyJsonValueFromContainer(
                self.root,
                key.as_ptr().cast(),
                key_len,
                &mut value,
            );
            if found.is_null() || (*found).type_ != pg_sys::jbvType::jbvString {
                return None;
            }
            let s = (*found).val.string;
            let len = usize::try_from(s.len).ok()?;
            std::str::from_utf8(std::slice::from_raw_parts(s.val.cast::<u8>(), len)).ok()
        }
    }
}

#[unsafe(no_mangle)]
#[doc(hidden)]
pub extern "C" fn pg_finfo_auth_sync_extract_user_fields() -> &'static pg_sys::Pg_finfo_record {
    const V1_API: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1_API
}

/// # Safety
/// Called by Postgres' function manager with a valid `fcinfo` for
/// `(jsonb, jsonb, text) RETURNS text[]`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn auth_sync_extract_user_fields(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    unsafe {
        let user = BinaryJsonb::from_arg(fcinfo, 0);
        let app = BinaryJsonb::from_arg(fcinfo, 1);
        let email: Option<String> = pg_getarg(fcinfo, 2);
        let fields: Vec<Option<String>> =
            supabase_user_fields(user.as_ref(), app.as_ref(), email.as_deref())
                .to_array()
                .into();
        match fields.into_datum() {
            Some(d) => d,
            None => pg_return_null(fcinfo),
        }
    }
}
