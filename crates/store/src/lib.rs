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

mod sqlite;

use std::future::Future;
use std::pin::Pin;

use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{ObjectQuery, PageCursor, Status};
use pacific_core::{StixObject, Timestamp};

pub use sqlite::SqliteStore;

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
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
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
    /// `date_added` later than every earlier one in the store. Returns one outcome per object.
    fn add_objects<'a>(&'a self, collection_id: &'a str, objects: &'a [StixObject]) -> StoreFuture<'a, Vec<AddOutcome>>;
    /// One page of the versions matching `query`, in insertion order (`seq`). With
    /// `with_json: false` the items' `json` is left empty (manifest and versions endpoints).
    fn query_objects<'a>(&'a self, collection_id: &'a str, query: &'a ObjectQuery, with_json: bool) -> StoreFuture<'a, Page>;
    /// Deletes the versions of `object_id` selected by the query's `versions` and
    /// `spec_versions`; returns how many were deleted.
    fn delete_object<'a>(&'a self, collection_id: &'a str, object_id: &'a str, query: &'a ObjectQuery) -> StoreFuture<'a, u64>;
    fn stats(&self) -> StoreFuture<'_, StoreStats>;

    // Users and access.
    fn add_user<'a>(&'a self, user: &'a User) -> StoreFuture<'a, ()>;
    fn user<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<User>>;
    fn user_by_token_id<'a>(&'a self, token_id: &'a str) -> StoreFuture<'a, Option<User>>;
    fn users(&self) -> StoreFuture<'_, Vec<User>>;
    /// Sets (replaces) a user's grant on one collection.
    fn set_grant<'a>(&'a self, user: &'a str, grant: &'a CollectionGrant) -> StoreFuture<'a, ()>;
    fn grant<'a>(&'a self, user: &'a str, collection_id: &'a str) -> StoreFuture<'a, Option<CollectionGrant>>;

    // TAXII status resources.
    fn put_status<'a>(&'a self, status: &'a Status) -> StoreFuture<'a, ()>;
    fn status<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Status>>;
}
