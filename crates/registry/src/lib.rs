//! Pacific's jurisdiction registry (issue 15): who answers for an IP address, an AS number or a
//! domain name, from the parties' own signed claims.
//!
//! - [`resource`]: IPv4/IPv6 prefixes (no host bits), AS numbers and ranges, domain suffixes
//!   (valid LDH names), and the [`Query`] a lookup asks.
//! - [`special`]: special-purpose space (private, reserved, documentation; RFC 6890 and its
//!   successors) that no claim of the role `jurisdiction` may hold.
//! - [`split`]: address ranges split into the fewest CIDR prefixes, exactly.
//! - [`claim`]: a party's [`Claim`] in a [`Role`] over [`Resources`], its checks, its versions
//!   and revocation, and the [`ClaimSet`] of the latest versions.
//! - [`wire`]: a claim as an `x-pacific-resource-claim` STIX object of a Pacific extension
//!   definition.
//! - [`import`]: RIR delegated-extended statistics, RFC 8805 geofeeds and `start,end,country`
//!   ranges turned into resources, with a dry run's totals and refused lines by number.
//! - [`corroborate`]: a claim checked against a node's own copy of delegation data.
//! - [`index`]: every claim in force indexed for lookups (the most specific claim per role)
//!   and conflicts (same role, different parties, overlapping resources).
//! - [`rdap`]: the index's answers as RDAP (RFC 9083) responses.
//!
//! **Architecture Invariant:** this crate does no I/O and reads no clock: text and readers are
//! given, times (`now`) are passed in. It depends on `pacific-core` only. Signatures are the
//! caller's business: a claim arriving from a peer comes with the party whose node signed it
//! ([`wire::from_peer`]), and a claim for another party than its publisher is refused.

pub mod claim;
pub mod corroborate;
pub mod import;
pub mod index;
pub mod rdap;
pub mod resource;
pub mod special;
pub mod split;
pub mod wire;

pub use claim::{Claim, ClaimDraft, ClaimError, ClaimSet, Contact, Resources, Role};
pub use index::{Conflict, Index, Match};
pub use resource::{AsnRange, DomainSuffix, IpPrefix, Ipv4Prefix, Ipv6Prefix, Query, Resource};
