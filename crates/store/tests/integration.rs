//! Every integration test of this crate, in one test binary: one link of the crate and its
//! dependencies instead of one per file, which keeps a clean build small on disk and quick
//! to link. Each file below is a module; nextest still runs every test in its own process.

mod common;
mod log;
mod search;
mod sqlite_store;
mod throughput;
mod users;
