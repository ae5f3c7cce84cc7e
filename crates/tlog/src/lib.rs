//! `pacific-tlog`: the pure part of Pacific's transparency log.
//!
//! Every act that changes shared state or crosses a border is appended to a node's log (see the
//! "Transparency" invariant in the design). This crate holds everything about that log that needs
//! no storage and no network:
//!
//! - [`merkle`]: RFC 9162 §2.1 Merkle tree hashing; a storage model of complete-subtree hashes
//!   ([`merkle::NodeId`]), proof *plans* (which stored nodes a proof needs, so a store can fetch
//!   them in one query), appends via the right-edge [`merkle::Frontier`], proof verification, and
//!   [`merkle::MemoryTree`] for tests and benches.
//! - [`checkpoint`]: the C2SP `tlog-checkpoint` note body (origin, size, root hash).
//! - [`signed_note`]: C2SP signed notes with Ed25519 keys: sign, parse, verify.
//! - [`cosignature`]: C2SP `tlog-cosignature/v1` witness cosignatures (timestamped Ed25519), and
//!   the checks a witness makes before cosigning.
//! - [`entry`]: the log entry format, canonical JSON naming objects by id and hash only.
//!
//! **Architecture invariant:** `tlog` does no I/O. It opens no files or sockets and reads no
//! clock: times (entry times, cosignature timestamps) are passed in by the caller, and stored
//! hashes come in through [`merkle::NodeSource`] or as plain slices.
//!
//! **Architecture invariant:** nothing here panics on outside input. Every parser and verifier
//! returns a [`TlogError`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod cosignature;
pub mod entry;
mod error;
pub mod merkle;
pub mod signed_note;

pub use error::TlogError;
pub use merkle::{Hash, NodeId};
