//! The registry's specification, as tests: one module per part of the crate.

mod claims;
mod common;
mod import;
mod index;
mod rdap;
mod real_data;
mod resources;
mod wire;
