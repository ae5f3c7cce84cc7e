//! Pacific's storage: the [`Store`] trait, which every caller uses, and its embedded SQLite
//! implementation ([`SqliteStore`]).
//!
//! The store holds every version of every object of every collection, each with the TAXII
//! `date_added` the node gave it, plus users, their per-collection grants and TAXII status
//! resources. Callers hold an `Arc<dyn Store>` and never see SQL, so a PostgreSQL
//! implementation can be added beside SQLite without touching them.
//!
//! Architecture invariant: every write method is one database transaction; nothing is ever
//! half-stored.
//!
//! Architecture invariant (transparency): every change to shared state is appended to the
//! node's transparency log in the same transaction as the change itself. `add_objects` appends
//! one `object-stored` entry per new version, `delete_object` one `object-deleted` entry per
//! deleted version, `add_user` one `user-added` entry, `remove_user`, `set_user_role`,
//! `revoke_token`, `reissue_token` and `set_grant` their `user-removed`, `user-role-changed`,
//! `token-revoked`/`token-issued` and `grant-changed` entries; acts that have no other table go
//! through [`Store::append_log_entry`]. The log keeps every complete-subtree
//! hash (`pacific_tlog::merkle`), so appends cost `O(batch + log n)` and a proof is one query
//! of `O(log n)` rows. Entries name objects by id, version and the SHA-256 of their stored JSON
//! text ([`StoredVersion::json`], which is `StixObject::to_json()`), never by content.

pub mod federation;
pub mod search;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{ObjectQuery, PageCursor, Status};
use pacific_core::{StixObject, Timestamp};

pub use federation::{
    Delivery, FederationStore, GovernanceFact, LinkState, OriginsAndHeld, OutboxItem, Peer,
    ProvenanceRecord, SignedProvenance, StoredReceipt,
};
pub use pacific_tlog::Hash;

/// Makes the log entry recording that an object was received, from the object and what
/// storing it did ([`Store::add_received_objects`]).
pub type ReceivedEntry<'a> =
    dyn Fn(&StixObject, &AddOutcome) -> Result<LogEntryData, StoreError> + Send + Sync + 'a;
pub use pacific_tlog::entry::Entry as LogEntryData;
pub use sqlite::{SqliteFederationStore, SqliteStore};

/// A validated object with the JSON text the store keeps for it (`StixObject::to_json()`) and
/// that text's SHA-256 (which its `object-stored` log entry names), computed once by
/// [`PreparedObject::new`]; the fields are private so the text is always the object's.
#[derive(Clone, Debug)]
pub struct PreparedObject {
    object: StixObject,
    json: String,
    sha256: Hash,
}

impl PreparedObject {
    /// Serialises `object` and hashes the text.
    pub fn new(object: StixObject) -> Self {
        let json = object.to_json();
        let sha256 = pacific_tlog::entry::sha256(json.as_bytes());
        Self {
            object,
            json,
            sha256,
        }
    }

    pub fn object(&self) -> &StixObject {
        &self.object
    }

    /// The text stored for the object: `self.object().to_json()`.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// SHA-256 of [`PreparedObject::json`].
    pub fn sha256(&self) -> &Hash {
        &self.sha256
    }
}

/// The actor recorded in log entries written by the methods without an `actor` argument
/// ([`Store::add_objects`], [`Store::add_user`]): the node itself, on behalf of a local user
/// or command.
pub const LOCAL_ACTOR: &str = "local";

/// The boxed future every [`Store`] method returns (the trait is object-safe).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no collection with id {0:?}")]
    UnknownCollection(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("no user named {0:?}")]
    UnknownUser(String),
    /// The change would leave the node without an admin (removing or demoting the last one).
    #[error("{0:?} is the last admin; add another admin first")]
    LastAdmin(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A log request that cannot be answered as asked (a size beyond the log, an index not
    /// below the size, an entry that cannot be encoded). The caller's fault, not the store's.
    #[error("transparency log: {0}")]
    Log(String),
}

/// A TAXII collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    /// A UUID (TAXII requires collection ids to be UUIDs).
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub alias: Option<String>,
}

/// One stored object version, as queries return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredVersion {
    /// Position in the store's global, strictly increasing insertion order.
    pub seq: i64,
    pub id: String,
    /// The TAXII version: `modified`, else `created`, else `date_added`.
    pub version: Timestamp,
    pub date_added: Timestamp,
    pub spec_version: String,
    pub type_name: String,
    /// The object's JSON text exactly as stored; empty when the query asked for metadata only.
    pub json: String,
}

/// One page of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<StoredVersion>,
    /// Set when more matching versions follow: pass it back as `ObjectQuery::next`.
    pub next: Option<PageCursor>,
}

/// What happened to one object handed to [`Store::add_objects`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// Stored as a new version.
    Added { date_added: Timestamp },
    /// This exact version (same id and version) was already in the collection; nothing changed.
    AlreadyPresent,
}

/// A user of this node. The token itself is never stored, only its argon2 hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Public part of the token, used to find the user from a bearer token.
    pub token_id: String,
    /// PHC string of the argon2 hash of the token.
    pub token_hash: String,
    pub created: Timestamp,
    /// When the token stops working; `None` for never.
    pub expires: Option<Timestamp>,
    /// When the token was revoked; `None` while it has not been. A revoked user has no valid
    /// token until one is issued again ([`Store::reissue_token`]).
    pub revoked: Option<Timestamp>,
}

impl User {
    /// Whether the user's token authenticates at `now`: not revoked, not expired.
    pub fn token_valid_at(&self, now: &Timestamp) -> bool {
        self.revoked.is_none() && self.expires.as_ref().is_none_or(|e| now < e)
    }
}

/// A new token for an existing user ([`Store::reissue_token`]): its public id, the argon2 hash
/// of the whole token, and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub token_id: String,
    pub token_hash: String,
    pub expires: Option<Timestamp>,
}

/// One entry of the transparency log, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The leaf index.
    pub index: u64,
    /// The canonical entry bytes (decode with `pacific_tlog::entry::Entry::decode`).
    pub entry: Vec<u8>,
}

/// A checkpoint this node published: its tree size and the signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
}

/// Evidence, kept by a witness, that a log showed two histories: the checkpoint the witness
/// had seen and the one presented, both signed by the log, which cannot both be true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitViewEvidence {
    /// Assigned by the store; ignored by [`Store::add_split_view_evidence`].
    pub id: i64,
    pub origin: String,
    pub detected: Timestamp,
    /// Why the two cannot both be true (e.g. "two roots for tree size 5").
    pub reason: String,
    /// The signed checkpoint the witness had seen before.
    pub kept_note: String,
    /// The signed checkpoint presented that contradicts it.
    pub new_note: String,
}

/// A witness's cosignature of one of this node's checkpoints, as kept (the latest per witness).
/// The caller (`POST /log/cosignatures`) has checked all of it before storing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The witness's party id.
    pub witness: String,
    /// The witness's cosignature verifier key (`vkey`, type 0x04).
    pub cosigner_vkey: String,
    /// Base64 Ed25519 signature by the witness's registered identity key binding
    /// `cosigner_vkey` to it.
    pub key_statement: String,
    /// The tree size of the cosigned checkpoint.
    pub size: u64,
    /// This node's signed checkpoint of that size (its own signature line only).
    pub checkpoint: String,
    /// The cosignature line (`— <name> <base64>`), with its final newline.
    pub line: String,
    /// The cosignature's timestamp (Unix seconds).
    pub timestamp: u64,
    /// When this node received it.
    pub received: Timestamp,
}

/// What [`Store::add_cosignature`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CosignatureAdded {
    /// Whether the cosignature is now its witness's kept one.
    pub kept: bool,
    /// The log index of its `cosignature-received` entry, if one was appended.
    pub entry: Option<u64>,
}

/// One count of the matching statistics: matches on `day` (`YYYY-MM-DD`, UTC) whose
/// `dimension` (`indicator`, `kill-chain-phase`, `malware`, `campaign`, `sector`, `shared-by`)
/// has the value `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchStat {
    pub day: String,
    pub dimension: String,
    pub key: String,
    pub count: u64,
}

/// An input matching recorded, by the SHA-256 of its bytes as read
/// ([`Store::match_input`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchInput {
    /// Lower-case hex.
    pub sha256: String,
    /// When it was last recorded (RFC 3339).
    pub recorded_at: String,
    pub bytes: u64,
    pub matches: u64,
}

/// An object version with the id of the collection that holds it
/// ([`Store::versions_of_types_after`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedVersion {
    pub collection_id: String,
    pub version: StoredVersion,
}

/// A version as the matching engine reads it to load its index
/// What a snapshot of what was read from the matching feed is checked against
/// ([`Store::feed_state`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedState {
    /// A random number drawn once per database: another database's differs.
    pub instance: i64,
    /// Object versions ever deleted (a deletion moves no `seq`; this moves with each).
    pub versions_deleted: i64,
    /// The highest `seq` ever given (0 in an empty store).
    pub last_seq: i64,
    /// The object id and version (Unix microseconds) stored at the `seq` asked about.
    pub at_seq: Option<(String, i64)>,
}

/// ([`Store::match_feed_after`]): only what compiling and the statistics need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedVersion {
    pub seq: i64,
    pub id: String,
    pub type_name: String,
    /// The TAXII version in Unix microseconds (as [`StoredVersion::version`]).
    pub version_us: i64,
    /// The object's JSON text exactly as stored.
    pub json: String,
    /// The party that first brought this object id to the node, if it was received
    /// (the federation's remembered origin).
    pub origin: Option<String>,
}

/// Sizes for operations and metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Object versions stored, over all collections.
    pub object_versions: u64,
    /// Bytes on disk (database plus write-ahead log).
    pub size_bytes: u64,
}

/// Storage for one node. All methods are safe to call concurrently.
pub trait Store: Send + Sync {
    // Collections.
    fn create_collection<'a>(&'a self, collection: &'a Collection) -> StoreFuture<'a, ()>;
    fn collections(&self) -> StoreFuture<'_, Vec<Collection>>;
    fn collection<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Collection>>;

    // Objects.
    /// Stores objects in a collection in one transaction, in order, giving each new version a
    /// `date_added` later than every earlier one in the store, and appending one
    /// `object-stored` log entry (by [`LOCAL_ACTOR`]) per new version in the same transaction.
    /// Returns one outcome per object.
    fn add_objects<'a>(
        &'a self,
        collection_id: &'a str,
        objects: &'a [StixObject],
    ) -> StoreFuture<'a, Vec<AddOutcome>> {
        self.add_objects_as(LOCAL_ACTOR, collection_id, objects)
    }
    /// [`Store::add_objects`], recording `actor` (a user name, a peer) in the log entries.
    fn add_objects_as<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        objects: &'a [StixObject],
    ) -> StoreFuture<'a, Vec<AddOutcome>>;
    /// [`Store::add_objects`] for objects whose stored JSON text and its SHA-256 were computed
    /// beforehand ([`PreparedObject::new`], e.g. on the thread that parsed them), so the
    /// writer does not compute them. Stores exactly what `add_objects` would.
    fn add_prepared_objects<'a>(
        &'a self,
        collection_id: &'a str,
        objects: &'a [PreparedObject],
    ) -> StoreFuture<'a, Vec<AddOutcome>>;
    /// [`Store::add_objects_as`] for objects received from a peer, with what the federation
    /// records beside them, all in **one transaction**: their provenance (as
    /// [`FederationStore::put_provenance`] writes it), the objects with their `object-stored`
    /// entries, then one more log entry per version added, made by `received` from the object
    /// and its outcome (the `object-received` entries a receipt names; a version held already
    /// was received before and gets none, so each version is received once in the log).
    /// Returns the outcomes and those entries as appended (index and exact bytes).
    fn add_received_objects<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        objects: &'a [StixObject],
        provenance: &'a [ProvenanceRecord],
        received: &'a ReceivedEntry<'a>,
    ) -> StoreFuture<'a, (Vec<AddOutcome>, Vec<LogEntry>)>;
    /// One page of the versions matching `query`, in insertion order (`seq`). With
    /// `with_json: false` the items' `json` is left empty (manifest and versions endpoints).
    fn query_objects<'a>(
        &'a self,
        collection_id: &'a str,
        query: &'a ObjectQuery,
        with_json: bool,
    ) -> StoreFuture<'a, Page>;
    /// The latest versions of a collection that `search` keeps, newest first, with their
    /// provenance and the total count ([`search`]).
    fn search_objects<'a>(
        &'a self,
        collection_id: &'a str,
        search: &'a search::ObjectSearch,
    ) -> StoreFuture<'a, search::SearchPage>;
    /// Deletes the versions of `object_id` selected by the query's `versions` and
    /// `spec_versions`, appending one `object-deleted` log entry (by [`LOCAL_ACTOR`]) per
    /// deleted version in the same transaction; returns how many were deleted.
    fn delete_object<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        query: &'a ObjectQuery,
    ) -> StoreFuture<'a, u64> {
        self.delete_object_as(LOCAL_ACTOR, collection_id, object_id, query)
    }
    /// [`Store::delete_object`], recording `actor` in the log entries.
    fn delete_object_as<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        object_id: &'a str,
        query: &'a ObjectQuery,
    ) -> StoreFuture<'a, u64>;
    fn stats(&self) -> StoreFuture<'_, StoreStats>;
    /// A counter that moves after changes are committed to the database: at once for this
    /// store's own writes, and soon (within 100 ms for SQLite) for commits by anyone else
    /// (another connection or process). Background work waits on it instead of polling the
    /// database; it may move without a change (so a wake-up must still look), never stays
    /// still after one. Call from within a Tokio runtime.
    fn changes(&self) -> tokio::sync::watch::Receiver<u64>;

    // Users and access.
    /// Adds a user and appends a `user-added` log entry (by [`LOCAL_ACTOR`]) in one transaction.
    fn add_user<'a>(&'a self, user: &'a User) -> StoreFuture<'a, ()> {
        self.add_user_as(LOCAL_ACTOR, user)
    }
    /// [`Store::add_user`], recording `actor` in the log entry.
    fn add_user_as<'a>(&'a self, actor: &'a str, user: &'a User) -> StoreFuture<'a, ()>;
    fn user<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<User>>;
    fn user_by_token_id<'a>(&'a self, token_id: &'a str) -> StoreFuture<'a, Option<User>>;
    fn users(&self) -> StoreFuture<'_, Vec<User>>;
    /// Removes a user and their grants, appending a `user-removed` entry (by `actor`) in the
    /// same transaction. [`StoreError::UnknownUser`] if there is none;
    /// [`StoreError::LastAdmin`] (nothing changed) if it is the only admin.
    fn remove_user<'a>(&'a self, actor: &'a str, name: &'a str) -> StoreFuture<'a, ()>;
    /// Changes a user's role, appending a `user-role-changed` entry (by `actor`) in the same
    /// transaction; returns whether the role changed (the same role again changes and logs
    /// nothing). [`StoreError::LastAdmin`] (nothing changed) for demoting the only admin.
    fn set_user_role<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        role: Role,
    ) -> StoreFuture<'a, bool>;
    /// Revokes a user's token (the user stays, with no valid token), appending a
    /// `token-revoked` entry (by `actor`) in the same transaction; returns whether it was valid
    /// until now (revoking a revoked token changes and logs nothing).
    fn revoke_token<'a>(&'a self, actor: &'a str, name: &'a str) -> StoreFuture<'a, bool>;
    /// Gives a user a new token in place of the one they had, in one transaction: the old
    /// token's `token-revoked` entry (unless it was revoked already), then the new one's
    /// `token-issued` entry (by `actor`). The old token stops working at once.
    fn reissue_token<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        token: &'a NewToken,
    ) -> StoreFuture<'a, ()>;
    /// Sets (replaces) a user's grant on one collection, appending a `grant-changed` entry
    /// (by [`LOCAL_ACTOR`]) in the same transaction.
    fn set_grant<'a>(&'a self, user: &'a str, grant: &'a CollectionGrant) -> StoreFuture<'a, ()> {
        self.set_grant_as(LOCAL_ACTOR, user, grant)
    }
    /// [`Store::set_grant`], recording `actor` in the log entry.
    fn set_grant_as<'a>(
        &'a self,
        actor: &'a str,
        user: &'a str,
        grant: &'a CollectionGrant,
    ) -> StoreFuture<'a, ()>;
    fn grant<'a>(
        &'a self,
        user: &'a str,
        collection_id: &'a str,
    ) -> StoreFuture<'a, Option<CollectionGrant>>;

    // TAXII status resources.
    fn put_status<'a>(&'a self, status: &'a Status) -> StoreFuture<'a, ()>;
    fn status<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Status>>;
    /// Every status resource still `pending` (a node stopped while storing its objects).
    fn pending_statuses(&self) -> StoreFuture<'_, Vec<Status>>;

    // The transparency log (this node's).
    /// Number of entries in the log.
    fn log_size(&self) -> StoreFuture<'_, u64>;
    /// Entries `[start, end)`; `end` past the log is [`StoreError::Log`]. Unbounded: callers
    /// that serve outside requests cap the range.
    fn log_entries(&self, start: u64, end: u64) -> StoreFuture<'_, Vec<LogEntry>>;
    /// Appends one entry for an act that has no other table (e.g. a policy change); returns
    /// its index. Acts that change other tables are logged by the method that changes them.
    fn append_log_entry<'a>(&'a self, entry: &'a LogEntryData) -> StoreFuture<'a, u64> {
        self.append_log_entries(std::slice::from_ref(entry))
    }
    /// Appends several entries in one transaction (in order); returns the index of the first.
    fn append_log_entries<'a>(&'a self, entries: &'a [LogEntryData]) -> StoreFuture<'a, u64>;
    /// RFC 9162 inclusion proof of entry `index` in the tree of `size` entries (one query).
    fn log_inclusion_proof(&self, index: u64, size: u64) -> StoreFuture<'_, Vec<Hash>>;
    /// RFC 9162 consistency proof between the trees of `old` and `new` entries (one query).
    fn log_consistency_proof(&self, old: u64, new: u64) -> StoreFuture<'_, Vec<Hash>>;
    /// Root hash of the tree of `size` entries.
    fn log_root(&self, size: u64) -> StoreFuture<'_, Hash>;
    /// Keeps a published checkpoint (the signed note) of tree size `size`. Replaces an earlier
    /// note of the same size only if it is the same text; otherwise [`StoreError::AlreadyExists`].
    fn put_checkpoint<'a>(&'a self, size: u64, note: &'a str) -> StoreFuture<'a, ()>;
    /// The published checkpoint of the largest size.
    fn latest_checkpoint(&self) -> StoreFuture<'_, Option<StoredCheckpoint>>;

    // Witnessing other logs.
    /// The latest checkpoint (signed note) seen of the log `origin`, with its size.
    fn witnessed_checkpoint<'a>(
        &'a self,
        origin: &'a str,
    ) -> StoreFuture<'a, Option<StoredCheckpoint>>;
    /// Records `note` as the latest checkpoint seen of `origin`. The caller has checked that it
    /// is consistent with the previous one.
    fn put_witnessed_checkpoint<'a>(
        &'a self,
        origin: &'a str,
        size: u64,
        note: &'a str,
    ) -> StoreFuture<'a, ()>;
    /// Keeps split-view evidence; returns its id.
    fn add_split_view_evidence<'a>(
        &'a self,
        evidence: &'a SplitViewEvidence,
    ) -> StoreFuture<'a, i64>;
    /// Every piece of split-view evidence kept about `origin`, oldest first.
    fn split_view_evidence<'a>(
        &'a self,
        origin: &'a str,
    ) -> StoreFuture<'a, Vec<SplitViewEvidence>>;

    // Witnesses' cosignatures of this log.
    /// Keeps `cosignature` as its witness's latest, unless the one kept already is of a larger
    /// tree, or of the same size with a later timestamp, and in the **same transaction**
    /// appends its `cosignature-received` log entry (by `actor`; `root` is the cosigned
    /// checkpoint's root hash, which the caller checked is this log's at that size) when it
    /// attests something new: it is of a larger tree than the witness's kept one (or the
    /// first), and the entries it covers beyond that one are not all cosignature acts
    /// (`pacific_tlog::entry::COSIGNATURE_KINDS`). So a witness handing in the same cosignature
    /// again, or cosigning afresh a checkpoint that grew only by the entries logging
    /// cosignatures, logs nothing (otherwise every cosignature would grow the log and call for
    /// another cosignature, forever).
    fn add_cosignature<'a>(
        &'a self,
        cosignature: &'a StoredCosignature,
        root: Hash,
        actor: &'a str,
    ) -> StoreFuture<'a, CosignatureAdded>;
    /// The cosignature kept from each witness, largest tree first, then by witness.
    fn cosignatures(&self) -> StoreFuture<'_, Vec<StoredCosignature>>;

    // Matching (issue 6).
    /// Up to `limit` versions of any of `types` with `seq > after`, across collections, in
    /// `seq` order, with their JSON: the feed the matching engine follows.
    fn versions_of_types_after<'a>(
        &'a self,
        types: &'a [&'a str],
        after: i64,
        limit: usize,
    ) -> StoreFuture<'a, Vec<TypedVersion>>;
    /// [`Store::versions_of_types_after`] as the matching engine loads its index: the same
    /// versions in the same order, with only the fields it needs and each object's origin
    /// party, read in one ordered scan (no lookup per page).
    fn match_feed_after<'a>(
        &'a self,
        types: &'a [&'a str],
        after: i64,
        limit: usize,
    ) -> StoreFuture<'a, Vec<FeedVersion>>;
    /// What a snapshot of the matching index is checked against: the store's instance, the
    /// versions ever deleted, the last `seq` ever given, and the object and version stored at
    /// `seq` if any ([`FeedState`]).
    fn feed_state(&self, seq: i64) -> StoreFuture<'_, FeedState>;
    /// Adds the counts to the matching statistics (a row's count grows by the given count),
    /// in one transaction.
    fn add_match_stats<'a>(&'a self, stats: &'a [MatchStat]) -> StoreFuture<'a, ()>;
    /// The statistics of the days `from..=to` (`YYYY-MM-DD`), of one dimension or all,
    /// ordered by day, dimension, count (largest first) and key.
    fn match_stats<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        dimension: Option<&'a str>,
    ) -> StoreFuture<'a, Vec<MatchStat>>;
    /// The recording of the input whose SHA-256 is `sha256` (lower-case hex), if any.
    fn match_input<'a>(&'a self, sha256: &'a str) -> StoreFuture<'a, Option<MatchInput>>;
    /// Notes that `input` was recorded (replacing an earlier note of the same digest).
    fn add_match_input<'a>(&'a self, input: &'a MatchInput) -> StoreFuture<'a, ()>;
}
