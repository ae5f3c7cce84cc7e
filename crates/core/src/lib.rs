//! Pacific's domain model: STIX 2.1 objects and their validation, TLP markings, TAXII 2.1
//! query semantics, users' roles and rights.
//!
//! Architecture invariant: this crate does no I/O — no files, no network, no clock except
//! through [`Timestamp::now`], which callers may avoid by passing times in. Everything here is
//! deterministic and testable on plain values.

pub mod access;
pub mod bundle;
pub mod party;
pub mod pattern;
pub mod policy;
pub mod stix;
pub mod taxii;
pub mod time;
pub mod tlp;
mod validate;

pub use stix::{ObjectCategory, StixObject, ValidationError};
pub use time::Timestamp;
