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

// The SQL files in the order of their dependencies (scripts/check_sql_deps.py checks that each
// file's requires name every file whose objects it uses).
extension_sql_file!("../sql/install/preflight.sql", name = "install_preflight");
extension_sql_file!(
    "../sql/install/schema.sql",
    name = "install_schema",
    requires = ["install_preflight"]
);
extension_sql_file!(
    "../sql/registry/fields.sql",
    name = "registry_fields",
    requires = ["install_schema"]
);
extension_sql_file!(
    "../sql/install/privilege.sql",
    name = "install_privilege",
    requires = ["registry_fields"]
);
extension_sql_file!(
    "../sql/auth_triggers/ddl.sql",
    name = "auth_triggers_ddl",
    requires = ["install_privilege"]
);
extension_sql_file!(
    "../sql/install/internal.sql",
    name = "install_internal",
    requires = ["install_privilege"]
);
extension_sql_file!(
    "../sql/auth_triggers/refresh.sql",
    name = "auth_triggers_refresh",
    requires = ["auth_triggers_ddl", "install_internal", privilege::_flag]
);
extension_sql_file!(
    "../sql/auth_triggers/signup.sql",
    name = "auth_triggers_signup",
    requires = ["install_internal"]
);
extension_sql_file!(
    "../sql/delete/remove.sql",
    name = "delete_remove",
    requires = ["install_privilege", privilege::_set_internal]
);
extension_sql_file!(
    "../sql/import/tables.sql",
    name = "import_tables",
    requires = ["install_privilege"]
);
extension_sql_file!(
    "../sql/sync/profiles.sql",
    name = "sync_profiles",
    requires = ["install_internal"]
);
extension_sql_file!(
    "../sql/delete/bulk.sql",
    name = "delete_bulk",
    requires = ["delete_remove", "import_tables", "sync_profiles"]
);
extension_sql_file!(
    "../sql/employees/tables.sql",
    name = "employees_tables",
    requires = ["install_privilege", privilege::_flag]
);
extension_sql_file!(
    "../sql/employees/bans.sql",
    name = "employees_bans",
    requires = ["delete_remove", "employees_tables"]
);
extension_sql_file!(
    "../sql/employees/linking.sql",
    name = "employees_linking",
    requires = [
        "install_internal",
        "employees_bans",
        privilege::_flag,
        privilege::_set_internal
    ]
);
extension_sql_file!(
    "../sql/employees/triggers.sql",
    name = "employees_triggers",
    requires = ["auth_triggers_ddl", "employees_linking", privilege::_flag]
);
extension_sql_file!(
    "../sql/auth_triggers/install.sql",
    name = "auth_triggers_install",
    requires = [
        "auth_triggers_refresh",
        "auth_triggers_signup",
        "delete_bulk",
        "employees_triggers",
        privilege::_flag
    ]
);
extension_sql_file!(
    "../sql/delete/account.sql",
    name = "delete_account",
    requires = ["delete_remove", "sync_profiles"]
);
extension_sql_file!(
    "../sql/import/write.sql",
    name = "import_write",
    requires = ["import_tables", "sync_profiles"]
);
extension_sql_file!(
    "../sql/import/bulk_create_users.sql",
    name = "import_bulk_create_users",
    requires = [
        "import_write",
        _import_extra_columns,
        _import_prepare,
        _report_progress,
        privilege::_set_internal
    ]
);
extension_sql_file!(
    "../sql/employees/admin.sql",
    name = "employees_admin",
    requires = [
        "employees_triggers",
        "import_bulk_create_users",
        privilege::_flag,
        privilege::_set_internal
    ]
);
extension_sql_file!(
    "../sql/employees/monitor.sql",
    name = "employees_monitor",
    requires = ["install_internal", "employees_tables"]
);
extension_sql_file!(
    "../sql/install/drop_guard.sql",
    name = "install_drop_guard",
    requires = ["auth_triggers_install"]
);
extension_sql_file!(
    "../sql/providers/mirror.sql",
    name = "providers_mirror",
    requires = ["sync_profiles", _clerk_user]
);
extension_sql_file!(
    "../sql/providers/secrets.sql",
    name = "providers_secrets",
    requires = ["providers_mirror", _webhook_check_secret]
);
extension_sql_file!(
    "../sql/registry/registry.sql",
    name = "registry_registry",
    requires = ["auth_triggers_refresh"]
);
extension_sql_file!(
    "../sql/install/verify.sql",
    name = "install_verify",
    requires = [
        "auth_triggers_install",
        "employees_admin",
        "providers_secrets",
        "registry_registry",
        privilege::_flag,
        version
    ]
);
extension_sql_file!(
    "../sql/policies/owner_policies.sql",
    name = "policies_owner_policies",
    requires = ["install_internal"]
);
extension_sql_file!(
    "../sql/providers/clerk.sql",
    name = "providers_clerk",
    requires = [
        "delete_remove",
        "providers_secrets",
        _clerk_event,
        _clerk_user,
        _webhook_header,
        _webhook_verify
    ]
);
extension_sql_file!(
    "../sql/sync/repairs.sql",
    name = "sync_repairs",
    requires = ["delete_remove", "sync_profiles"]
);
extension_sql_file!(
    "../sql/providers/reconcile.sql",
    name = "providers_reconcile",
    requires = ["providers_mirror", "sync_repairs"]
);
extension_sql_file!(
    "../sql/report/report.sql",
    name = "report_report",
    requires = ["employees_monitor", "install_verify"]
);
extension_sql_file!("../sql/install/finalize.sql", finalize);

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
