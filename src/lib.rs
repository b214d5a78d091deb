//! auth_sync: the PostgreSQL extension.
//!
//! This crate is the thin SQL-facing layer. Pure logic (parsing, validation, metadata extraction,
//! hashing, signatures) lives in the `auth_sync_core` crate, which has no Postgres dependency and
//! is tested by plain `cargo test`. Hand-written SQL lives in `sql/` and is pulled into the
//! extension script here, in dependency order.

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

// In `cargo pgrx test` builds only, the Supabase auth fixture is created first, inside
// CREATE EXTENSION: pgrx's test framework creates the extension in a fresh database before any
// test code runs, and auth_sync refuses to install without schema `auth`. Release builds never
// contain this: on a real database the extension only uses the `auth` schema that is there.
#[cfg(feature = "pg_test")]
extension_sql_file!("../pgrx-tests/fixture/supabase_auth.sql", bootstrap);

extension_sql_file!("../sql/preflight.sql", name = "preflight");
extension_sql_file!(
    "../sql/verify.sql",
    name = "verify",
    requires = ["preflight", version]
);
extension_sql_file!("../sql/finalize.sql", finalize);

/// The version of the installed library (from Cargo.toml).
#[pg_extern(stable, parallel_safe)]
fn version() -> &'static str {
    auth_sync_core::VERSION
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
