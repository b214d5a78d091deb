//! auth_sync_core: the pure logic of auth_sync.
//!
//! Nothing here touches Postgres, so `cargo test -p auth_sync_core` (and the fuzz targets) run
//! it without a server. The extension crate wraps these functions for SQL.

pub mod clerk;
pub mod fields;
pub mod import;
pub mod password;
pub mod webhook;
