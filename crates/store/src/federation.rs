//! Federation storage: peers, the state of each peer link, provenance of received objects and
//! rejection counters ([`FederationStore`]). Its SQLite implementation,
//! [`SqliteFederationStore`], lives beside the other SQLite modules.
//!
//! The object-versions table is the outbox: every stored version has a strictly increasing
//! `seq` ([`crate::StoredVersion::seq`]), and each peer link keeps a delivery cursor (the last
//! `seq` the peer acknowledged). [`FederationStore::versions_after`] reads the outbox.

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_core::policy::{PartyId, Provenance};

use crate::{StoreFuture, StoredVersion};

/// A peer: another party's node, known by its public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The party's id in the federation (what policies and markings name).
    pub party_id: PartyId,
    pub name: String,
    pub stakeholder_type: StakeholderType,
    pub jurisdiction: Option<String>,
    pub organisation: Option<String>,
    /// Base URL of its node, e.g. `http://127.0.0.1:9002`.
    pub url: String,
    /// Its Ed25519 public key, 64 hex digits.
    pub public_key: String,
    pub added: Timestamp,
}

/// A fact of the federation's governance this node logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GovernanceFact {
    /// The charter in force (its SHA-256 is the federation id).
    Charter { federation: crate::Hash },
    /// A proposal's final tally.
    ProposalClosed {
        proposal: String,
        outcome: String,
        tally_sha256: crate::Hash,
    },
}

impl GovernanceFact {
    /// What it is about, and its hash: logged again only when the hash changes.
    pub fn key_and_hash(&self) -> (&str, &crate::Hash) {
        match self {
            GovernanceFact::Charter { federation } => ("charter", federation),
            GovernanceFact::ProposalClosed {
                proposal,
                tally_sha256,
                ..
            } => (proposal, tally_sha256),
        }
    }

    /// Its log entry.
    pub fn act(&self) -> pacific_tlog::entry::Act {
        match self {
            GovernanceFact::Charter { federation } => pacific_tlog::entry::Act::CharterInstalled {
                federation: *federation,
            },
            GovernanceFact::ProposalClosed {
                proposal,
                outcome,
                tally_sha256,
            } => pacific_tlog::entry::Act::ProposalClosed {
                proposal: proposal.clone(),
                outcome: outcome.clone(),
                tally_sha256: *tally_sha256,
            },
        }
    }
}

/// The delivery state of the link to one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkState {
    /// Highest local `seq` acknowledged by the peer (or held back from it by the gate).
    pub out_cursor: i64,
    /// Last envelope sequence number used towards the peer.
    pub out_seq: u64,
    /// Highest envelope sequence number accepted from the peer.
    pub in_seq: u64,
    /// Catch-up: the last `date_added` seen when pulling the peer's collection.
    pub pull_after: Option<String>,
}

/// Where one received object version came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenanceRecord {
    pub collection_id: String,
    pub object_id: String,
    /// The object's own version (modified, else created) in microseconds; 0 when it has none.
    pub version_us: i64,
    pub provenance: Provenance,
    /// The origin's signature of this version's exact text (hex), when it came with one.
    pub origin_signature: Option<String>,
}

/// One object version of the outbox, with the collection it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub collection_id: String,
    pub version: StoredVersion,
    /// Where the version came from, when it was received from a peer.
    pub provenance: Option<Provenance>,
    /// The origin's signature of the version, when it was received with one.
    pub origin_signature: Option<String>,
}

/// What one delivery round to a peer leaves behind; see [`FederationStore::record_delivery`].
#[derive(Clone, Debug)]
pub struct Delivery {
    pub peer: PartyId,
    /// The highest outbox `seq` the round covered (sent, held back or skipped).
    pub cursor: i64,
    /// The peer's receipt, when an envelope was sent.
    pub receipt: Option<StoredReceipt>,
    /// `object-sent`, `object-withheld` and `receipt-received` entries.
    pub entries: Vec<crate::LogEntryData>,
}

/// A peer's signed receipt for one envelope this node sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    pub peer: PartyId,
    pub out_seq: u64,
    pub log_size: u64,
    /// The receipt exactly as received.
    pub receipt: String,
    pub received_at: Timestamp,
}

/// A received version's provenance and its origin's signature (hex), if it came with one.
pub type SignedProvenance = (Provenance, Option<String>);

/// What [`FederationStore::origins_and_held`] found for a batch of object ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginsAndHeld {
    pub origins: std::collections::HashMap<String, PartyId>,
    pub held: std::collections::HashSet<String>,
}

/// Storage for federation. All methods are safe to call concurrently.
pub trait FederationStore: Send + Sync {
    /// Adds a peer and appends its `peer-added` log entry (by `actor`) in one transaction;
    /// [`StoreError::AlreadyExists`](crate::StoreError::AlreadyExists) if its party id or key
    /// is known.
    fn add_peer<'a>(&'a self, peer: &'a Peer, actor: &'a str) -> StoreFuture<'a, ()>;
    /// Records the export policy in force, by the SHA-256 of its canonical form: when it differs
    /// from the one recorded last, a `policy-changed` log entry (by `actor`) is appended in the
    /// same transaction. Returns whether it changed.
    fn record_policy<'a>(
        &'a self,
        policy_sha256: crate::Hash,
        actor: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// The SHA-256 of the export policy recorded last ([`record_policy`](Self::record_policy)),
    /// i.e. the one a node applies; `None` before any.
    fn recorded_policy(&self) -> StoreFuture<'_, Option<crate::Hash>>;
    /// Logs a fact of the federation's governance (a `charter-installed` or `proposal-closed`
    /// entry, by `actor`) unless the same fact (same key, same SHA-256) was logged last; one
    /// transaction. Returns whether it was logged.
    fn record_governance<'a>(
        &'a self,
        fact: &'a GovernanceFact,
        actor: &'a str,
    ) -> StoreFuture<'a, bool>;
    fn peers(&self) -> StoreFuture<'_, Vec<Peer>>;
    fn peer<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Option<Peer>>;
    fn link<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Option<LinkState>>;
    /// Takes the next outbound envelope sequence number of the link (persisted before use).
    fn next_out_seq<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, u64>;
    /// What one delivery round to a peer leaves behind, in **one transaction**: the peer's
    /// receipt (the first one kept for an envelope wins), the log entries recording what was
    /// sent and held back, and the delivery cursor moved forward (never back). A crash leaves
    /// all or none of it, so a batch is never logged as delivered without the cursor moving
    /// past it, nor the other way round. Returns the index of the first entry.
    fn record_delivery<'a>(&'a self, delivery: &'a Delivery) -> StoreFuture<'a, u64>;
    /// Accepts inbound envelope sequence `seq` if it is above every one accepted before
    /// (atomically); `false` means a replay or a reordering.
    fn accept_in_seq<'a>(&'a self, party_id: &'a str, seq: u64) -> StoreFuture<'a, bool>;
    fn set_pull_after<'a>(&'a self, party_id: &'a str, date_added: &'a str) -> StoreFuture<'a, ()>;
    /// A peer's receipts, oldest envelope first.
    fn receipts<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Vec<StoredReceipt>>;
    /// Records provenance (first record of a version wins) and each object id's origin (first
    /// origin wins), in one transaction.
    fn put_provenance<'a>(&'a self, records: &'a [ProvenanceRecord]) -> StoreFuture<'a, ()>;
    fn provenance<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        version_us: i64,
    ) -> StoreFuture<'a, Option<Provenance>>;
    /// [`FederationStore::provenance`] with the origin's signature kept beside it (hex), if the
    /// version came with one: one read for a peer's TAXII answer, which needs both.
    fn signed_provenance<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        version_us: i64,
    ) -> StoreFuture<'a, Option<SignedProvenance>>;
    /// The party that first brought this object id to the node, if it was received.
    fn origin_of<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Option<PartyId>>;
    /// For a batch of received objects, in one read: the remembered origin of each id that
    /// has one, and the ids of which any collection holds some version.
    fn origins_and_held<'a>(&'a self, object_ids: &'a [&'a str])
    -> StoreFuture<'a, OriginsAndHeld>;
    fn count_rejection<'a>(&'a self, peer: &'a str, reason: &'a str) -> StoreFuture<'a, ()>;
    /// (peer, reason, count), ordered.
    fn rejections(&self) -> StoreFuture<'_, Vec<(String, String, u64)>>;
    /// The outbox: up to `limit` object versions with `seq > after`, in `seq` order, with JSON.
    fn versions_after(&self, after: i64, limit: usize) -> StoreFuture<'_, Vec<OutboxItem>>;
    /// The highest `seq` stored (0 for an empty store).
    fn max_seq(&self) -> StoreFuture<'_, i64>;
}
