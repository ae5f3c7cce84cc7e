//! Searching a collection's latest versions the way an analyst asks: by a value found in the
//! object (an address, a domain, a hash, an id), by type, TLP, origin party and date added,
//! newest first, with the total and numbered pages. Used by the dashboard; TAXII keeps its own
//! filters ([`pacific_core::taxii::ObjectQuery`]).

use pacific_core::Timestamp;
use pacific_core::tlp::Tlp;

use crate::StoredVersion;

/// The most rows one search page returns.
pub const MAX_SEARCH_LIMIT: usize = 500;

/// Which TLP a search keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlpFilter {
    /// Objects marked this level (by its TLP 2.0 or TLP 1.0 marking definition).
    Level(Tlp),
    /// Objects with no TLP marking at all.
    Unmarked,
}

/// Whose objects a search keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginFilter {
    /// Made on this node (no provenance: never received from a peer).
    Local,
    /// Received, with this party as their origin.
    Party(String),
}

/// A search of one collection's latest versions. Every filter set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectSearch {
    /// Text the object's stored JSON contains, ASCII letters in any case (a value, an id, a
    /// word of a name).
    pub text: Option<String>,
    /// Only these types (empty: any).
    pub types: Vec<String>,
    pub tlp: Option<TlpFilter>,
    pub origin: Option<OriginFilter>,
    /// Added at or after this time.
    pub added_from: Option<Timestamp>,
    /// Added strictly before this time.
    pub added_before: Option<Timestamp>,
    /// Rows skipped (page × limit).
    pub offset: u64,
    /// Rows in the page, at most [`MAX_SEARCH_LIMIT`].
    pub limit: usize,
}

/// One latest version found, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub version: StoredVersion,
    /// For a version received from a peer: its origin party, the peer it came from and when.
    pub received: Option<Received>,
}

/// The provenance of a received version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub origin: String,
    pub from: String,
    pub at: String,
}

/// A page of a search: the versions, newest first, and how many match in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPage {
    pub total: u64,
    pub hits: Vec<SearchHit>,
}
