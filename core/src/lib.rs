//! auth_sync_core: the pure logic of auth_sync.
//!
//! Nothing here touches Postgres, so `cargo test -p auth_sync_core` (and the fuzz targets) run
//! it without a server. The extension crate wraps these functions for SQL.

/// The version of auth_sync, shared by the library and the extension (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_semver() {
        let parts: Vec<&str> = super::VERSION.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()));
    }
}
