//! The embedded SQLite implementation of [`Store`].
//!
//! # Layout
//!
//! The schema lives in `migrations/sqlite/` and is embedded with `sqlx::migrate!`. Object
//! versions sit in one table keyed by `seq`, the store-wide insertion order, which is also the
//! pagination cursor. Each row carries `is_latest` / `is_first` flags for its
//! (collection, object id), kept right by every insert and delete, so `match[version]=last`
//! and `first` are plain index scans rather than per-object aggregates.
//!
//! # Ordering guarantees
//!
//! All writes go through one async mutex and one `BEGIN IMMEDIATE` transaction each. Inside
//! it, `date_added` is `max(now, last + 1µs)` with `last` read from the database, so
//! `date_added` is strictly increasing in `seq` order across the whole store. That is what
//! makes TAXII `added_after` paging lossless, and it lets a query turn `added_after` into a
//! `seq` lower bound with one index seek.
//!
//! # Query cost
//!
//! A page is assembled from one query per (version selector × type) pair, each an ordered
//! range scan of an index starting at the cursor and stopping after `limit + 1` rows; their
//! results are merged by `seq`. No query sorts or counts the collection, so a page costs the
//! same at the start and the end of a million-version collection. Queries by object id use the
//! (collection, object_id, version) index and cost what those objects' versions cost.
//! Each sub-query names its index (`INDEXED BY`), so the plan cannot drift; a unit test checks
//! the plans. Two shapes read more rows than they return, in proportion to how sparse the
//! matches are (never to the cursor's position): `match[type]` with `first`/`last` (the type
//! index has no flags), and `match[version]=<timestamp>` without `match[id]`.
//!
//! Reads use a pool of connections and run concurrently with the single writer (WAL mode).
//!
//! # Files
//!
//! This file opens the database and dispatches the [`Store`] methods; the statements behind
//! them live beside it by table: `collections`, `objects` (adding and deleting versions),
//! `query` (pages), `users` (users and grants), `statuses`, `log` (the transparency log),
//! `checkpoints` (own and witnessed checkpoints, split-view evidence), `cosignatures` and
//! `stats` (matching statistics and the versions-of-types feed). `federation` holds
//! [`SqliteFederationStore`], the federation store on the same database file.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{ObjectQuery, Status};
use pacific_core::{StixObject, Timestamp};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use pacific_tlog::entry::Entry;
use pacific_tlog::merkle;

use crate::{
    AddOutcome, Collection, CosignatureAdded, FeedState, FeedVersion, Hash, LOCAL_ACTOR, LogEntry,
    MatchInput, MatchStat, NewToken, Page, PreparedObject, ProvenanceRecord, ReceivedEntry,
    SplitViewEvidence, Store, StoreError, StoreFuture, StoreStats, StoredCheckpoint,
    StoredCosignature, StoredVersion, TypedVersion, User,
};

mod changes;
mod checkpoints;
mod collections;
mod cosignatures;
mod federation;
mod log;
mod objects;
mod query;
mod search;
mod stats;
mod statuses;
mod users;

pub use federation::SqliteFederationStore;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Objects handled per round of statements in `add_objects`. Bounded by SQLite's limit on
/// bound parameters (32766): an insert row binds 11 values.
const ADD_CHUNK: usize = 1000;

/// How long a connection waits for a lock held by another connection (e.g. a checkpoint, or
/// another process) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool of a file database: one writer at a time plus concurrent readers.
const MAX_CONNECTIONS: u32 = 8;

/// A [`Store`] in one SQLite database file (or in memory, for tests).
pub struct SqliteStore {
    pool: SqlitePool,
    /// Serializes every write, so that `seq` and `date_added` are handed out in the same order
    /// and no write transaction ever waits on another inside SQLite.
    write_lock: Mutex<()>,
    /// The change counter ([`Store::changes`]), moved by every write when it releases the lock.
    changes: changes::Changes,
    /// The database file, for [`Store::stats`]; `None` in memory.
    path: Option<PathBuf>,
}

/// Connection options for the database file at `path`, shared by every pool opened on it (the
/// objects store and the federation store).
fn file_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode: a commit survives a process crash; only a power loss may
        // lose the last transactions, never corrupt the file.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // 16 MiB of page cache per connection (allocated only as pages are used): keeps
        // the index pages that random object ids touch warm during large ingests, while
        // the whole pool stays well under the node's memory budget (8 x 16 MiB).
        .pragma("cache_size", "-16384")
        .pragma("temp_store", "memory")
        // Checkpoint every ~160 MiB of WAL rather than ~4 MiB: an index page rewritten by
        // several consecutive transactions is copied back to the database file once. While
        // `changes` watches, it checkpoints from 16 MiB on in the background, so this is the
        // safety net of a store without a watcher (`pacific ingest`).
        .pragma("wal_autocheckpoint", "40000")
        // And no larger than that once checkpointed: a WAL grown past it (one large
        // transaction, or readers holding a checkpoint back) is truncated when it restarts.
        // An idle database's WAL is truncated whole (`changes`).
        .pragma("journal_size_limit", "41943040")
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = file_options(path);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(db_err(format_args!("opening database {}", path.display())))?;
        Self::init(pool, Some(path.to_owned())).await
    }

    /// A fresh database in memory, gone when the store is dropped. Uses a single connection
    /// (an in-memory database is private to its connection), so reads and writes take turns.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .journal_mode(SqliteJournalMode::Memory)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // Closing the only connection would drop the database.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(db_err("opening in-memory database"))?;
        Self::init(pool, None).await
    }

    async fn init(pool: SqlitePool, path: Option<PathBuf>) -> Result<Self, StoreError> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the database schema: {e}")))?;
        Ok(Self {
            pool,
            write_lock: Mutex::new(()),
            changes: changes::Changes::new(),
            path,
        })
    }

    /// Waits for running operations, then closes every connection (checkpointing the
    /// write-ahead log into the database file). Later calls fail.
    pub async fn close(&self) {
        self.changes.stop();
        self.pool.close().await;
    }

    /// Takes the write lock (every write holds it); releasing it moves [`Store::changes`].
    async fn write(&self) -> changes::WriteGuard<'_> {
        self.changes.write(&self.write_lock).await
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    async fn stats_impl(&self) -> Result<StoreStats, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'object_versions'")
                .fetch_one(&self.pool)
                .await
                .map_err(db_err("reading the object count"))?;
        let mut size_bytes = 0;
        if let Some(path) = &self.path {
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            for file in [path.clone(), PathBuf::from(wal)] {
                // The WAL file may not exist (e.g. right after a clean close).
                if let Ok(meta) = tokio::fs::metadata(&file).await {
                    size_bytes += meta.len();
                }
            }
        }
        Ok(StoreStats {
            object_versions: u64::try_from(count)
                .map_err(|_| StoreError::Corrupt(format!("object count {count}")))?,
            size_bytes,
        })
    }
}

impl Store for SqliteStore {
    fn create_collection<'a>(&'a self, collection: &'a Collection) -> StoreFuture<'a, ()> {
        Box::pin(self.create_collection_impl(collection))
    }
    fn collections(&self) -> StoreFuture<'_, Vec<Collection>> {
        Box::pin(self.collections_impl())
    }
    fn collection<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Collection>> {
        Box::pin(self.collection_impl(id))
    }
    fn add_objects_as<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        objects: &'a [StixObject],
    ) -> StoreFuture<'a, Vec<AddOutcome>> {
        Box::pin(async move {
            let (outcomes, _) = self
                .add_objects_impl(actor, collection_id, objects, None)
                .await?;
            Ok(outcomes)
        })
    }
    fn add_prepared_objects<'a>(
        &'a self,
        collection_id: &'a str,
        objects: &'a [PreparedObject],
    ) -> StoreFuture<'a, Vec<AddOutcome>> {
        Box::pin(async move {
            let (outcomes, _) = self
                .add_objects_impl(LOCAL_ACTOR, collection_id, objects, None)
                .await?;
            Ok(outcomes)
        })
    }
    fn add_received_objects<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        objects: &'a [StixObject],
        provenance: &'a [ProvenanceRecord],
        received: &'a ReceivedEntry<'a>,
    ) -> StoreFuture<'a, (Vec<AddOutcome>, Vec<LogEntry>)> {
        Box::pin(self.add_objects_impl(actor, collection_id, objects, Some((provenance, received))))
    }
    fn query_objects<'a>(
        &'a self,
        collection_id: &'a str,
        query: &'a ObjectQuery,
        with_json: bool,
    ) -> StoreFuture<'a, Page> {
        Box::pin(self.query_objects_impl(collection_id, query, with_json))
    }
    fn search_objects<'a>(
        &'a self,
        collection_id: &'a str,
        search: &'a crate::search::ObjectSearch,
    ) -> StoreFuture<'a, crate::search::SearchPage> {
        Box::pin(self.search_objects_impl(collection_id, search))
    }
    fn delete_object_as<'a>(
        &'a self,
        actor: &'a str,
        collection_id: &'a str,
        object_id: &'a str,
        query: &'a ObjectQuery,
    ) -> StoreFuture<'a, u64> {
        Box::pin(self.delete_object_impl(actor, collection_id, object_id, query))
    }
    fn stats(&self) -> StoreFuture<'_, StoreStats> {
        Box::pin(self.stats_impl())
    }
    fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe(self.path.as_ref())
    }
    fn add_user_as<'a>(&'a self, actor: &'a str, user: &'a User) -> StoreFuture<'a, ()> {
        Box::pin(self.add_user_impl(actor, user))
    }
    fn user<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<User>> {
        Box::pin(self.user_where("name", name))
    }
    fn user_by_token_id<'a>(&'a self, token_id: &'a str) -> StoreFuture<'a, Option<User>> {
        Box::pin(self.user_where("token_id", token_id))
    }
    fn users(&self) -> StoreFuture<'_, Vec<User>> {
        Box::pin(self.users_impl())
    }
    fn remove_user<'a>(&'a self, actor: &'a str, name: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.remove_user_impl(actor, name))
    }
    fn set_user_role<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        role: Role,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.set_user_role_impl(actor, name, role))
    }
    fn revoke_token<'a>(&'a self, actor: &'a str, name: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.change_token_impl(actor, name, None))
    }
    fn reissue_token<'a>(
        &'a self,
        actor: &'a str,
        name: &'a str,
        token: &'a NewToken,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.change_token_impl(actor, name, Some(token)).await?;
            Ok(())
        })
    }
    fn set_grant_as<'a>(
        &'a self,
        actor: &'a str,
        user: &'a str,
        grant: &'a CollectionGrant,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.set_grant_impl(actor, user, grant))
    }
    fn grant<'a>(
        &'a self,
        user: &'a str,
        collection_id: &'a str,
    ) -> StoreFuture<'a, Option<CollectionGrant>> {
        Box::pin(self.grant_impl(user, collection_id))
    }
    fn put_status<'a>(&'a self, status: &'a Status) -> StoreFuture<'a, ()> {
        Box::pin(self.put_status_impl(status))
    }
    fn status<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Status>> {
        Box::pin(self.status_impl(id))
    }
    fn pending_statuses(&self) -> StoreFuture<'_, Vec<Status>> {
        Box::pin(self.pending_statuses_impl())
    }

    fn log_size(&self) -> StoreFuture<'_, u64> {
        Box::pin(self.log_size_impl())
    }
    fn log_entries(&self, start: u64, end: u64) -> StoreFuture<'_, Vec<LogEntry>> {
        Box::pin(self.log_entries_impl(start, end))
    }
    fn append_log_entries<'a>(&'a self, entries: &'a [Entry]) -> StoreFuture<'a, u64> {
        Box::pin(self.append_log_entries_impl(entries))
    }
    fn log_inclusion_proof(&self, index: u64, size: u64) -> StoreFuture<'_, Vec<Hash>> {
        Box::pin(self.log_proof_impl(size, move || merkle::inclusion_plan(index, size)))
    }
    fn log_consistency_proof(&self, old: u64, new: u64) -> StoreFuture<'_, Vec<Hash>> {
        Box::pin(self.log_proof_impl(new, move || merkle::consistency_plan(old, new)))
    }
    fn log_root(&self, size: u64) -> StoreFuture<'_, Hash> {
        Box::pin(async move {
            let hashes = self
                .log_proof_impl(size, move || merkle::root_plan(size))
                .await?;
            Ok(hashes.first().copied().unwrap_or_else(merkle::empty_root))
        })
    }
    fn put_checkpoint<'a>(&'a self, size: u64, note: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.put_checkpoint_impl(size, note))
    }
    fn latest_checkpoint(&self) -> StoreFuture<'_, Option<StoredCheckpoint>> {
        Box::pin(self.latest_checkpoint_impl())
    }
    fn witnessed_checkpoint<'a>(
        &'a self,
        origin: &'a str,
    ) -> StoreFuture<'a, Option<StoredCheckpoint>> {
        Box::pin(self.witnessed_checkpoint_impl(origin))
    }
    fn put_witnessed_checkpoint<'a>(
        &'a self,
        origin: &'a str,
        size: u64,
        note: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.put_witnessed_checkpoint_impl(origin, size, note))
    }
    fn add_split_view_evidence<'a>(
        &'a self,
        evidence: &'a SplitViewEvidence,
    ) -> StoreFuture<'a, i64> {
        Box::pin(self.add_split_view_evidence_impl(evidence))
    }
    fn split_view_evidence<'a>(
        &'a self,
        origin: &'a str,
    ) -> StoreFuture<'a, Vec<SplitViewEvidence>> {
        Box::pin(self.split_view_evidence_impl(origin))
    }
    fn add_cosignature<'a>(
        &'a self,
        cosignature: &'a StoredCosignature,
        root: Hash,
        actor: &'a str,
    ) -> StoreFuture<'a, CosignatureAdded> {
        Box::pin(async move {
            let _w = self.write().await;
            cosignatures::add(&self.pool, cosignature, root, actor).await
        })
    }
    fn cosignatures(&self) -> StoreFuture<'_, Vec<StoredCosignature>> {
        Box::pin(cosignatures::all(&self.pool))
    }

    fn versions_of_types_after<'a>(
        &'a self,
        types: &'a [&'a str],
        after: i64,
        limit: usize,
    ) -> StoreFuture<'a, Vec<TypedVersion>> {
        Box::pin(stats::versions_of_types_after(
            &self.pool, types, after, limit,
        ))
    }
    fn match_feed_after<'a>(
        &'a self,
        types: &'a [&'a str],
        after: i64,
        limit: usize,
    ) -> StoreFuture<'a, Vec<FeedVersion>> {
        Box::pin(stats::match_feed_after(&self.pool, types, after, limit))
    }
    fn feed_state(&self, seq: i64) -> StoreFuture<'_, FeedState> {
        Box::pin(stats::feed_state(&self.pool, seq))
    }
    fn add_match_stats<'a>(&'a self, stats: &'a [MatchStat]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _w = self.write().await;
            stats::add(&self.pool, stats).await
        })
    }
    fn match_stats<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
        dimension: Option<&'a str>,
    ) -> StoreFuture<'a, Vec<MatchStat>> {
        Box::pin(stats::range(&self.pool, from, to, dimension))
    }
    fn match_input<'a>(&'a self, sha256: &'a str) -> StoreFuture<'a, Option<MatchInput>> {
        Box::pin(stats::input(&self.pool, sha256))
    }
    fn add_match_input<'a>(&'a self, input: &'a MatchInput) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _w = self.write().await;
            stats::add_input(&self.pool, input).await
        })
    }
}

fn check_actor(actor: &str) -> Result<(), StoreError> {
    if actor.is_empty() {
        return Err(StoreError::Log(
            "the actor of a logged change must not be empty".into(),
        ));
    }
    Ok(())
}

fn to_u64(n: i64, what: &'static str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n} is negative")))
}

// -------------------------------------------------------------------------------------------
// Helpers

/// `?, ?, …` with `n` placeholders.
fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

/// The integer key of a collection, or `UnknownCollection`.
async fn collection_key(conn: &mut SqliteConnection, id: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT key FROM collections WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err(format_args!("looking up collection {id:?}")))?
        .ok_or_else(|| StoreError::UnknownCollection(id.to_owned()))
}

async fn read_counter(conn: &mut SqliteConnection, name: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT value FROM counters WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err(format_args!("reading counter {name}")))?
        .ok_or_else(|| StoreError::Corrupt(format!("counter {name} is missing")))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Maps an sqlx error to a [`StoreError`] that says what the store was doing. Values that do
/// not decode as the schema says are corruption, not database failures.
fn db_err(context: impl Display) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.to_string();
    move |e| match e {
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(format!("{context}: {e}"))
        }
        e => StoreError::Database(format!("{context}: {e}")),
    }
}

fn corrupt(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

fn timestamp(text: &str, what: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// One record of a page query: seq, object id, type, spec version, version, date added and,
/// with `with_json`, the JSON text, joined by U+001F.
fn version_from_record(record: &str, with_json: bool) -> Result<StoredVersion, StoreError> {
    let mut fields = record.splitn(7, '\u{1f}');
    let mut next = |name: &str| {
        fields.next().ok_or_else(|| {
            StoreError::Corrupt(format!("object_versions.{name} missing in a page record"))
        })
    };
    let seq = next("seq")?;
    let seq: i64 = seq.parse().map_err(|_| {
        StoreError::Corrupt(format!("object_versions.seq {seq:?} is not an integer"))
    })?;
    let id = next("object_id")?.to_owned();
    let type_name = next("type")?.to_owned();
    let spec_version = next("spec_version")?.to_owned();
    let version = timestamp(next("version")?, "object_versions.version")?;
    let date_added = timestamp(next("date_added")?, "object_versions.date_added")?;
    let json = if with_json {
        next("json")?.to_owned()
    } else {
        String::new()
    };
    Ok(StoredVersion {
        seq,
        id,
        version,
        date_added,
        spec_version,
        type_name,
        json,
    })
}
