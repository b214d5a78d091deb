//! auth_sync: the PostgreSQL extension.
//!
//! This crate is the thin SQL-facing layer. Pure logic (parsing, validation, metadata extraction,
//! hashing, signatures) lives in the `auth_sync_core` crate, which has no Postgres dependency and
//! is tested by plain `cargo test`. Hand-written SQL lives in `sql/` and is pulled into the
//! extension script here, in dependency order.

use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

mod drop_guard;
mod fields;
mod import;
mod privilege;
mod signup;
mod webhook;

::pgrx::pg_module_magic!(name, version);

/// `auth_sync.strict_triggers`: when on, a profile write that fails inside the auth.users triggers
/// fails the sign-up instead of being journaled in auth_sync.sync_failures. (The SQL reads the
/// setting with current_setting(); registering it here makes SET validate the value.)
pub(crate) static STRICT_TRIGGERS: GucSetting<bool> = GucSetting::<bool>::new(false);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    GucRegistry::define_bool_guc(
        c"auth_sync.strict_triggers",
        c"Make a failing profile write fail the sign-up.",
        c"Off (the default): a profile row the auth.users trigger cannot write is journaled in auth_sync.sync_failures and the sign-up proceeds. On: the error is raised.",
        &STRICT_TRIGGERS,
        GucContext::Userset,
        GucFlags::default(),
    );
    import::define_settings();
    // last: it reserves the prefix, after every auth_sync setting is defined
    privilege::define_internal_settings();
}

// In `cargo pgrx test` builds only, the Supabase auth fixture is created first, inside
// CREATE EXTENSION: pgrx's test framework creates the extension in a fresh database before any
// test code runs, and auth_sync refuses to install without schema `auth`. Release builds never
// contain this: on a real database the extension only uses the `auth` schema that is there.
#[cfg(feature = "pg_test")]
extension_sql_file!("../pgrx-tests/fixture/supabase_auth.sql", bootstrap);

extension_sql_file!("../sql/preflight.sql", name = "preflight");
extension_sql_file!(
    "../sql/schema.sql",
    name = "schema",
    requires = ["preflight"]
);
extension_sql_file!(
    "../sql/privilege.sql",
    name = "privilege",
    requires = [
        "schema",
        "fields",
        privilege::_set_internal,
        privilege::_flag
    ]
);
extension_sql_file!(
    "../sql/internal.sql",
    name = "internal",
    requires = ["privilege"]
);
extension_sql_file!("../sql/fields.sql", name = "fields", requires = ["schema"]);
extension_sql_file!(
    "../sql/registry.sql",
    name = "registry",
    requires = ["internal", "fields"]
);
extension_sql_file!("../sql/sync.sql", name = "sync", requires = ["registry"]);

extension_sql_file!(
    "../sql/import.sql",
    name = "import",
    requires = [
        "sync",
        _import_prepare,
        _import_extra_columns,
        _report_progress
    ]
);
extension_sql_file!("../sql/delete.sql", name = "delete", requires = ["import"]);
extension_sql_file!(
    "../sql/webhook.sql",
    name = "webhook",
    requires = [
        "delete",
        _webhook_check_secret,
        _webhook_verify,
        _webhook_header,
        _clerk_event,
        _clerk_user
    ]
);
extension_sql_file!(
    "../sql/employees.sql",
    name = "employees",
    requires = ["import", "delete"]
);
extension_sql_file!(
    "../sql/auth_triggers.sql",
    name = "auth_triggers",
    requires = ["registry", "delete", "employees"]
);
extension_sql_file!(
    "../sql/drop_guard.sql",
    name = "drop_guard",
    requires = ["auth_triggers", "employees"]
);
extension_sql_file!(
    "../sql/verify.sql",
    name = "verify",
    requires = [
        "import",
        "delete",
        "webhook",
        "employees",
        "auth_triggers",
        "drop_guard",
        version
    ]
);
extension_sql_file!(
    "../sql/report.sql",
    name = "report",
    requires = ["sync", "verify", "employees", "webhook"]
);
extension_sql_file!("../sql/finalize.sql", finalize);

/// The version of the installed library (from Cargo.toml).
#[pg_extern(stable, parallel_safe)]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn version_matches_cargo() {
        let v = Spi::get_one::<String>("SELECT auth_sync.version()")
            .expect("spi")
            .expect("non-null");
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
    }

    #[pg_test]
    fn extension_version_matches_library() {
        let v = Spi::get_one::<String>(
            "SELECT extversion::text FROM pg_catalog.pg_extension WHERE extname = 'auth_sync'",
        )
        .expect("spi")
        .expect("installed");
        assert_eq!(v, crate::version());
    }

    #[pg_test]
    fn every_installation_check_passes() {
        let failing = Spi::get_one::<String>(
            "SELECT string_agg(check_name || ': ' || detail, '; ')
               FROM auth_sync.verify_installation() WHERE NOT ok",
        )
        .expect("spi");
        assert_eq!(failing, None, "failing checks");
    }

    #[pg_test]
    fn verify_installation_reports_a_public_grant() {
        Spi::run("GRANT EXECUTE ON FUNCTION auth_sync.version() TO PUBLIC").expect("grant");
        let ok = Spi::get_one::<bool>(
            "SELECT ok FROM auth_sync.verify_installation() WHERE check_name = 'no_public_execute'",
        )
        .expect("spi")
        .expect("check present");
        assert!(!ok, "a PUBLIC grant must fail the check");
    }

    #[pg_test]
    fn extract_user_fields_reads_google_metadata() {
        let fields = Spi::get_one::<Vec<Option<String>>>(
            r#"SELECT auth_sync.extract_user_fields(
                   '{"full_name": "Ada Lovelace", "avatar_url": "https://a", "provider_id": "42"}',
                   '{"provider": "google"}', 'ada@example.com')"#,
        )
        .expect("spi")
        .expect("non-null");
        assert_eq!(
            fields,
            vec![
                Some("Ada Lovelace".to_string()),
                None,
                None,
                Some("https://a".to_string()),
                Some("google".to_string()),
                Some("42".to_string()),
            ]
        );
    }

    #[pg_test]
    fn extract_user_fields_never_fails_on_null_or_wrong_types() {
        let fields = Spi::get_one::<Vec<Option<String>>>(
            r#"SELECT auth_sync.extract_user_fields(NULL, '"x"', NULL)"#,
        )
        .expect("spi")
        .expect("non-null");
        assert_eq!(fields, vec![None; 6]);
    }

    #[pg_test]
    fn strict_triggers_setting_is_validated() {
        let v = Spi::get_one::<String>("SELECT current_setting('auth_sync.strict_triggers')")
            .expect("spi")
            .expect("set");
        assert_eq!(v, "off");
    }

    #[pg_test(error = "parameter \"auth_sync.strict_triggers\" requires a Boolean value")]
    fn strict_triggers_rejects_garbage() {
        Spi::run("SET auth_sync.strict_triggers = 'maybe'").expect("spi");
    }

    #[pg_test]
    fn schema_is_not_relocatable() {
        let relocatable = Spi::get_one::<bool>(
            "SELECT extrelocatable FROM pg_catalog.pg_extension WHERE extname = 'auth_sync'",
        )
        .expect("spi")
        .expect("installed");
        assert!(!relocatable);
    }
}

/// Required by `cargo pgrx test`; must be visible at the crate root.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
