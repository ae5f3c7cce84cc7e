//! Pacific's benchmarks (not published): throughput figures on generated, realistic data, in a
//! temporary data directory, with nodes set up by `pacific-testkit`. `pacific bench` is their
//! front end; each benchmark takes its options, prints its figures and asserts nothing.
//!
//! - [`ingest()`]: objects/s for parse + validate + store of a generated bundle.
//! - [`taxii()`]: TAXII GET pages/s (1,000 objects per page) at several collection sizes,
//!   with pages taken from everywhere in the collection, so a slow deep page would show.
//! - [`taxii_roundtrip()`]: a bundle file (ATT&CK for ICS by default) POSTed in envelopes of
//!   1,000 and read back page by page, as the OASIS `taxii2-client` does, against a node that
//!   never waits for a POST to be stored (the baseline) and one that answers when done.
//! - [`federation()`]: propagation latency to peers on loopback under a creation rate, and
//!   envelope signature verification throughput.
//! - [`coop()`]: two nodes on loopback: time from an `emergency` request sent on one to
//!   shown on the other (p50/p99), and requests/s through the whole state machine.
//! - [`idle()`]: what an idle federation costs: `pacific demo` run as a child process and
//!   watched at rest (CPU time, memory, database and WAL growth, log sizes).
//! - [`matching()`]: the matching engine's build time, memory per indicator and events/s on
//!   JSON lines, against a naive linear scan ([`naive`]).
//! - [`matching_cold()`]: `pacific match`'s start-up on a data directory of N stored
//!   indicators: to the index ready, to the first event matched, and a whole run.
//! - [`registry()`]: the jurisdiction registry's lookup index on the real delegations
//!   (`@ip-location-db/asn-country`, one claim per country): build time, size, IPv4 and IPv6
//!   lookups/s on one core, against a linear scan and Python's `ipaddress` with `bisect`.
//!
//! [`generate`] makes the STIX objects they store.

pub mod coop;
pub mod federation;
pub mod generate;
pub mod idle;
pub mod ingest;
pub mod match_cold;
pub mod matching;
pub mod naive;
pub mod registry;
pub mod roundtrip;
pub mod taxii;

pub use coop::{CoopOptions, coop};
pub use federation::{FederationOptions, federation};
pub use idle::{IdleOptions, idle};
pub use ingest::{IngestOptions, ingest};
pub use match_cold::{ColdMatchOptions, matching_cold};
pub use matching::{MatchOptions, matching};
pub use registry::{RegistryOptions, registry};
pub use roundtrip::{RoundTripOptions, taxii_roundtrip};
pub use taxii::{TaxiiOptions, taxii};

/// The process's peak resident set size, from /proc (Linux).
pub(crate) fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The process's resident set size in bytes, from /proc (Linux; 0 elsewhere).
pub(crate) fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}
