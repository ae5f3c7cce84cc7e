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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::{Display, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{ObjectQuery, PageCursor, Status, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use serde_json::{Map, Value};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

use pacific_tlog::entry::{Act, Entry};
use pacific_tlog::merkle;

use crate::{
    AddOutcome, Collection, CosignatureAdded, Hash, LogEntry, MatchStat, Page, ProvenanceRecord,
    ReceivedEntry, SplitViewEvidence, Store, StoreError, StoreFuture, StoreStats, StoredCheckpoint,
    StoredCosignature, StoredVersion, TypedVersion, User,
};

mod cosignatures;
pub(crate) mod log;
mod stats;

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
    /// The database file, for [`Store::stats`]; `None` in memory.
    path: Option<PathBuf>,
}

/// Connection options for the database file at `path`, shared by every pool opened on it (the
/// objects store and the federation store).
pub(crate) fn file_options(path: &Path) -> SqliteConnectOptions {
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
        // Checkpoint every ~40 MiB of WAL rather than ~4 MiB: an index page rewritten by
        // several consecutive transactions is copied back to the database file once.
        .pragma("wal_autocheckpoint", "10000")
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
            path,
        })
    }

    /// Waits for running operations, then closes every connection (checkpointing the
    /// write-ahead log into the database file). Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    // ---------------------------------------------------------------------------------------
    // Collections

    async fn create_collection_impl(&self, c: &Collection) -> Result<(), StoreError> {
        let _w = self.write_lock.lock().await;
        sqlx::query("INSERT INTO collections (id, title, description, alias) VALUES (?, ?, ?, ?)")
            .bind(&c.id)
            .bind(&c.title)
            .bind(c.description.as_deref())
            .bind(c.alias.as_deref())
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    if e.to_string().contains("alias") {
                        StoreError::AlreadyExists(format!(
                            "a collection with alias {:?}",
                            c.alias.as_deref().unwrap_or("")
                        ))
                    } else {
                        StoreError::AlreadyExists(format!("collection {:?}", c.id))
                    }
                } else {
                    db_err(format_args!("creating collection {:?}", c.id))(e)
                }
            })?;
        Ok(())
    }

    async fn collections_impl(&self) -> Result<Vec<Collection>, StoreError> {
        let rows =
            sqlx::query("SELECT id, title, description, alias FROM collections ORDER BY key")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err("listing collections"))?;
        rows.iter().map(collection_from_row).collect()
    }

    async fn collection_impl(&self, id: &str) -> Result<Option<Collection>, StoreError> {
        let row = sqlx::query("SELECT id, title, description, alias FROM collections WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("reading collection {id:?}")))?;
        row.as_ref().map(collection_from_row).transpose()
    }

    // ---------------------------------------------------------------------------------------
    // Adding objects

    /// Adds objects; with `received`, also their provenance first and a `received` entry per
    /// object last, in the same transaction. Returns the outcomes and the `received` entries
    /// as appended.
    async fn add_objects_impl(
        &self,
        actor: &str,
        collection_id: &str,
        objects: &[StixObject],
        received: Option<(&[ProvenanceRecord], &ReceivedEntry<'_>)>,
    ) -> Result<(Vec<AddOutcome>, Vec<LogEntry>), StoreError> {
        check_actor(actor)?;
        let _w = self.write_lock.lock().await;
        let ctx = || format!("adding objects to collection {collection_id:?}");
        // IMMEDIATE takes the write lock up front: the transaction reads before it writes, and
        // must not find at its first write that its snapshot is stale.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;
        let mut last_added = read_counter(&mut tx, "last_date_added_us").await?;
        let now = Timestamp::now().unix_micros();
        let mut frontier = log::load_frontier(&mut tx).await?;
        let size_before = frontier.size();
        if let Some((provenance, _)) = received {
            // An object received from a peer never exists here without its provenance.
            crate::federation::insert_provenance(&mut tx, provenance).await?;
        }

        let mut outcomes = Vec::with_capacity(objects.len());
        let mut added = 0i64;
        let mut chunks = objects.chunks(ADD_CHUNK);
        let mut current = chunks.next().map(|c| (c, object_texts(c)));
        while let Some((chunk, texts)) = current.take() {
            let planned = plan_chunk(&mut tx, key, chunk, texts, now, &mut last_added).await?;
            added += planned.rows.len() as i64;
            let following = chunks.next();
            // While the database thread inserts this chunk's rows, this one computes the
            // chunk's log entries and tree nodes and the next chunk's texts and hashes (none
            // of which depends on the insert), so the two threads overlap.
            let (applied, prepared) = tokio::join!(apply_plan(&mut tx, key, &planned), async {
                let entries = planned
                    .rows
                    .iter()
                    .map(|row| object_stored_entry(actor, row))
                    .collect::<Result<Vec<_>, _>>()?;
                let appended = log::prepare(&mut frontier, entries)?;
                Ok::<_, StoreError>((appended, following.map(|c| (c, object_texts(c)))))
            });
            applied?;
            let (appended, next) = prepared?;
            // The log entries of this chunk's new versions, in the same transaction.
            log::write(&mut tx, &appended).await?;
            outcomes.extend(planned.outcomes);
            current = next;
        }
        let received_at = frontier.size();
        let mut appended = Vec::new();
        if let Some((_, entry)) = received {
            let entries = objects
                .iter()
                .zip(&outcomes)
                .map(|(o, outcome)| entry(o, outcome)?.encode().map_err(log::log_err))
                .collect::<Result<Vec<_>, _>>()?;
            log::append(&mut tx, &mut frontier, &entries).await?;
            appended = (received_at..)
                .zip(entries)
                .map(|(index, entry)| LogEntry { index, entry })
                .collect();
        }
        if frontier.size() > size_before {
            log::save_frontier(&mut tx, &frontier).await?;
        }
        if added > 0 {
            sqlx::query("UPDATE counters SET value = ? WHERE name = 'last_date_added_us'")
                .bind(last_added)
                .execute(&mut *tx)
                .await
                .map_err(db_err(ctx()))?;
            sqlx::query("UPDATE counters SET value = value + ? WHERE name = 'object_versions'")
                .bind(added)
                .execute(&mut *tx)
                .await
                .map_err(db_err(ctx()))?;
        }
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok((outcomes, appended))
    }

    // ---------------------------------------------------------------------------------------
    // Queries

    async fn query_objects_impl(
        &self,
        collection_id: &str,
        q: &ObjectQuery,
        with_json: bool,
    ) -> Result<Page, StoreError> {
        let ctx = || format!("querying collection {collection_id:?}");
        // One read transaction: every sub-query of the page sees the same snapshot.
        let mut tx = self.pool.begin().await.map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;
        let limit = q.limit.max(1);
        let mut after_seq = q.next.map_or(0, |c| c.0);

        let added_after = q.added_after.as_ref().map(Timestamp::unix_micros);
        if let Some(t) = added_after {
            // date_added grows with seq, so "added after t" is "seq from the first version
            // added after t on": one seek instead of a filter over every earlier version.
            let first: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM object_versions WHERE collection = ? AND date_added_us > ? ORDER BY date_added_us LIMIT 1",
            )
            .bind(key)
            .bind(t)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
            match first {
                Some(s) => after_seq = after_seq.max(s - 1),
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
            }
        }

        let plans = sub_queries(q);
        // Each sub-query reads its rows' JSON directly: with several sub-queries that reads up
        // to (sub-queries - 1) x (limit + 1) JSON texts the merge drops, which measured far
        // cheaper than a second query fetching the page's JSON by seq.
        let mut merged: BTreeMap<i64, StoredVersion> = BTreeMap::new();
        for plan in &plans {
            // The whole sub-query comes back as one text value: the driver hands rows from its
            // worker thread to the caller one message each, which cost more than the query
            // itself for pages of a thousand versions. Fields are joined by U+001F and records
            // by U+001E, characters that cannot occur raw in ids, timestamps or JSON text.
            let sql = format!(
                "SELECT group_concat(seq || char(31) || object_id || char(31) || type || char(31) || spec_version \
                 || char(31) || version || char(31) || date_added{}, char(30)) FROM ({})",
                if with_json {
                    " || char(31) || json"
                } else {
                    ""
                },
                plan.sql(q, with_json)
            );
            let mut query = sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(sql))
                .bind(key)
                .bind(after_seq);
            for id in plan.ids {
                query = query.bind(id.as_str());
            }
            for t in &plan.types {
                query = query.bind(*t);
            }
            for v in &plan.at {
                query = query.bind(*v);
            }
            for s in &q.spec_versions {
                query = query.bind(s.as_str());
            }
            if let Some(t) = added_after {
                query = query.bind(t);
            }
            query = query.bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
            let records = query
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err(ctx()))?
                .unwrap_or_default();
            for record in records.split('\u{1e}').filter(|r| !r.is_empty()) {
                let version = version_from_record(record, with_json)?;
                merged.insert(version.seq, version);
            }
        }

        let more = merged.len() > limit;
        let items: Vec<StoredVersion> = merged.into_values().take(limit).collect();
        tx.commit().await.map_err(db_err(ctx()))?;
        let next = if more {
            items.last().map(|v| PageCursor(v.seq))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    // ---------------------------------------------------------------------------------------
    // Deleting

    async fn delete_object_impl(
        &self,
        collection_id: &str,
        object_id: &str,
        q: &ObjectQuery,
    ) -> Result<u64, StoreError> {
        let _w = self.write_lock.lock().await;
        let ctx = || format!("deleting {object_id:?} from collection {collection_id:?}");
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;
        let rows: Vec<(i64, i64, String, bool, bool)> = sqlx::query_as(
            "SELECT seq, version_us, spec_version, is_latest, is_first FROM object_versions \
             WHERE collection = ? AND object_id = ?",
        )
        .bind(key)
        .bind(object_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err(ctx()))?;

        let selected = |(_, v, spec, latest, first): &(i64, i64, String, bool, bool)| {
            let version_ok = q.versions.iter().any(|s| match s {
                VersionSelector::All => true,
                VersionSelector::Last => *latest,
                VersionSelector::First => *first,
                VersionSelector::At(t) => t.unix_micros() == *v,
            });
            version_ok && (q.spec_versions.is_empty() || q.spec_versions.iter().any(|s| s == spec))
        };
        let (doomed, kept): (Vec<_>, Vec<_>) = rows.into_iter().partition(selected);
        if doomed.is_empty() {
            return Ok(0);
        }
        for seqs in doomed.chunks(ADD_CHUNK) {
            let sql = format!(
                "DELETE FROM object_versions WHERE seq IN ({})",
                placeholders(seqs.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for row in seqs {
                query = query.bind(row.0);
            }
            query.execute(&mut *tx).await.map_err(db_err(ctx()))?;
        }
        // The survivors' newest and oldest take over the flags if they lost them.
        let newest = kept.iter().max_by_key(|r| r.1);
        let oldest = kept.iter().min_by_key(|r| r.1);
        for (row, column) in [(newest, "is_latest"), (oldest, "is_first")] {
            if let Some(&(seq, _, _, latest, first)) = row {
                let already = if column == "is_latest" { latest } else { first };
                if !already {
                    let sql = format!("UPDATE object_versions SET {column} = TRUE WHERE seq = ?");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(seq)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err(ctx()))?;
                }
            }
        }
        let deleted = doomed.len() as i64;
        sqlx::query("UPDATE counters SET value = value - ? WHERE name = 'object_versions'")
            .bind(deleted)
            .execute(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(deleted as u64)
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

    // ---------------------------------------------------------------------------------------
    // Users and grants

    async fn add_user_impl(&self, actor: &str, user: &User) -> Result<(), StoreError> {
        check_actor(actor)?;
        let ctx = || format!("adding user {:?}", user.name);
        let entry = Entry::new(
            Timestamp::now().unix_micros().max(0) as u64 / 1000,
            actor,
            Act::UserAdded {
                user: user.name.clone(),
                role: user.role.as_str().to_owned(),
            },
        )
        .and_then(|e| e.encode())
        .map_err(log::log_err)?;
        let _w = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        sqlx::query(
            "INSERT INTO users (name, role, token_id, token_hash, created) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.token_id)
        .bind(&user.token_hash)
        .bind(user.created.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                if e.to_string().contains("token_id") {
                    StoreError::AlreadyExists(format!("a user with token id {:?}", user.token_id))
                } else {
                    StoreError::AlreadyExists(format!("user {:?}", user.name))
                }
            } else {
                db_err(ctx())(e)
            }
        })?;
        log::append_all(&mut tx, &[entry]).await?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(())
    }

    async fn user_where(&self, column: &str, value: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT name, role, token_id, token_hash, created FROM users WHERE {column} = ?"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("reading user by {column}")))?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users_impl(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, role, token_id, token_hash, created FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_grant_impl(&self, user: &str, grant: &CollectionGrant) -> Result<(), StoreError> {
        let _w = self.write_lock.lock().await;
        let ctx = || {
            format!(
                "setting the grant of {user:?} on collection {:?}",
                grant.collection_id
            )
        };
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        // Checked first so the caller learns which of the two is missing, which a foreign-key
        // failure would not say.
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE name = ?")
            .bind(user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        if known.is_none() {
            return Err(StoreError::UnknownUser(user.to_owned()));
        }
        collection_key(&mut tx, &grant.collection_id).await?;
        sqlx::query(
            "INSERT INTO grants (user_name, collection_id, can_read, can_write) VALUES (?, ?, ?, ?) \
             ON CONFLICT (user_name, collection_id) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write",
        )
        .bind(user)
        .bind(&grant.collection_id)
        .bind(grant.can_read)
        .bind(grant.can_write)
        .execute(&mut *tx)
        .await
        .map_err(db_err(ctx()))?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(())
    }

    async fn grant_impl(
        &self,
        user: &str,
        collection_id: &str,
    ) -> Result<Option<CollectionGrant>, StoreError> {
        let row: Option<(bool, bool)> = sqlx::query_as(
            "SELECT can_read, can_write FROM grants WHERE user_name = ? AND collection_id = ?",
        )
        .bind(user)
        .bind(collection_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err(format_args!(
            "reading the grant of {user:?} on {collection_id:?}"
        )))?;
        Ok(row.map(|(can_read, can_write)| CollectionGrant {
            collection_id: collection_id.to_owned(),
            can_read,
            can_write,
        }))
    }

    // ---------------------------------------------------------------------------------------
    // Statuses

    async fn put_status_impl(&self, status: &Status) -> Result<(), StoreError> {
        let json = serde_json::to_string(status).map_err(|e| {
            StoreError::Database(format!("serialising status {:?}: {e}", status.id))
        })?;
        let _w = self.write_lock.lock().await;
        sqlx::query("INSERT INTO statuses (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json")
            .bind(&status.id)
            .bind(json)
            .execute(&self.pool)
            .await
            .map_err(db_err(format_args!("storing status {:?}", status.id)))?;
        Ok(())
    }

    async fn status_impl(&self, id: &str) -> Result<Option<Status>, StoreError> {
        let json: Option<String> = sqlx::query_scalar("SELECT json FROM statuses WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("reading status {id:?}")))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(format!("status {id:?}: {e}")))
        })
        .transpose()
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
    fn delete_object<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        query: &'a ObjectQuery,
    ) -> StoreFuture<'a, u64> {
        Box::pin(self.delete_object_impl(collection_id, object_id, query))
    }
    fn stats(&self) -> StoreFuture<'_, StoreStats> {
        Box::pin(self.stats_impl())
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
    fn set_grant<'a>(&'a self, user: &'a str, grant: &'a CollectionGrant) -> StoreFuture<'a, ()> {
        Box::pin(self.set_grant_impl(user, grant))
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
            let _w = self.write_lock.lock().await;
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
    fn add_match_stats<'a>(&'a self, stats: &'a [MatchStat]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _w = self.write_lock.lock().await;
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
}

/// The `object-stored` entry for a new version: named by id, version and the SHA-256 of the
/// JSON text stored for it (exactly `NewRow::json`, i.e. `StixObject::to_json()`).
fn object_stored_entry(actor: &str, row: &NewRow<'_>) -> Result<Vec<u8>, StoreError> {
    pacific_tlog::entry::encode_object_stored(
        row.date_added_us.max(0) as u64 / 1000,
        actor,
        row.object_id,
        &row.version,
        &row.sha256,
    )
    .map_err(log::log_err)
}

/// Each object's JSON text to store (`StixObject::to_json()`) and its SHA-256, computed once.
fn object_texts(chunk: &[StixObject]) -> Vec<(String, Hash)> {
    chunk
        .iter()
        .map(|o| {
            let json = o.to_json();
            let sha = pacific_tlog::entry::sha256(json.as_bytes());
            (json, sha)
        })
        .collect()
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
// The transparency log

impl SqliteStore {
    async fn log_size_impl(&self) -> Result<u64, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("reading the log size"))?;
        log::size(&mut conn).await
    }

    async fn log_entries_impl(&self, start: u64, end: u64) -> Result<Vec<LogEntry>, StoreError> {
        let ctx = "reading log entries";
        if start > end {
            return Err(StoreError::Log(format!("start {start} is after end {end}")));
        }
        let mut tx = self.pool.begin().await.map_err(db_err(ctx))?;
        log::check_within(&mut tx, end).await?;
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT idx, entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
        )
        .bind(start as i64)
        .bind(end as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err(ctx))?;
        tx.commit().await.map_err(db_err(ctx))?;
        if rows.len() as u64 != end - start {
            return Err(StoreError::Corrupt(format!(
                "log entries {start}..{end}: {} rows found",
                rows.len()
            )));
        }
        rows.into_iter()
            .map(|(i, entry)| {
                Ok(LogEntry {
                    index: to_u64(i, "log index")?,
                    entry,
                })
            })
            .collect()
    }

    async fn append_log_entries_impl(&self, entries: &[Entry]) -> Result<u64, StoreError> {
        let bytes = entries
            .iter()
            .map(|e| e.encode().map_err(log::log_err))
            .collect::<Result<Vec<_>, _>>()?;
        let ctx = "appending log entries";
        let _w = self.write_lock.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx))?;
        let index = log::append_all(&mut tx, &bytes).await?;
        tx.commit().await.map_err(db_err(ctx))?;
        Ok(index)
    }

    /// Checks `size` against the log and runs the plan, in one read transaction.
    async fn log_proof_impl(
        &self,
        size: u64,
        plan: impl FnOnce() -> Result<merkle::ProofPlan, pacific_tlog::TlogError>,
    ) -> Result<Vec<Hash>, StoreError> {
        let plan = plan().map_err(log::log_err)?;
        let ctx = "reading a log proof";
        let mut tx = self.pool.begin().await.map_err(db_err(ctx))?;
        log::check_within(&mut tx, size).await?;
        let out = log::run_plan(&mut tx, &plan).await?;
        tx.commit().await.map_err(db_err(ctx))?;
        Ok(out)
    }

    async fn put_checkpoint_impl(&self, size: u64, note: &str) -> Result<(), StoreError> {
        let ctx = || format!("storing the checkpoint of size {size}");
        let _w = self.write_lock.lock().await;
        let done = sqlx::query(
            "INSERT INTO log_checkpoints (size, note) VALUES (?, ?) ON CONFLICT (size) DO NOTHING",
        )
        .bind(
            i64::try_from(size)
                .map_err(|_| StoreError::Log(format!("size {size} is too large")))?,
        )
        .bind(note)
        .execute(&self.pool)
        .await
        .map_err(db_err(ctx()))?;
        if done.rows_affected() == 0 {
            let existing: String =
                sqlx::query_scalar("SELECT note FROM log_checkpoints WHERE size = ?")
                    .bind(size as i64)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err(ctx()))?;
            if existing != note {
                return Err(StoreError::AlreadyExists(format!(
                    "a different checkpoint of size {size}"
                )));
            }
        }
        Ok(())
    }

    async fn latest_checkpoint_impl(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err("reading the latest checkpoint"))?;
        row.map(|(size, note)| {
            Ok(StoredCheckpoint {
                size: to_u64(size, "checkpoint size")?,
                note,
            })
        })
        .transpose()
    }

    async fn witnessed_checkpoint_impl(
        &self,
        origin: &str,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT size, note FROM witnessed_checkpoints WHERE origin = ?")
                .bind(origin)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err(format_args!(
                    "reading the witnessed checkpoint of {origin:?}"
                )))?;
        row.map(|(size, note)| {
            Ok(StoredCheckpoint {
                size: to_u64(size, "checkpoint size")?,
                note,
            })
        })
        .transpose()
    }

    async fn put_witnessed_checkpoint_impl(
        &self,
        origin: &str,
        size: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        let _w = self.write_lock.lock().await;
        sqlx::query(
            "INSERT INTO witnessed_checkpoints (origin, size, note) VALUES (?, ?, ?)              ON CONFLICT (origin) DO UPDATE SET size = excluded.size, note = excluded.note",
        )
        .bind(origin)
        .bind(i64::try_from(size).map_err(|_| StoreError::Log(format!("size {size} is too large")))?)
        .bind(note)
        .execute(&self.pool)
        .await
        .map_err(db_err(format_args!("storing the witnessed checkpoint of {origin:?}")))?;
        Ok(())
    }

    async fn add_split_view_evidence_impl(&self, e: &SplitViewEvidence) -> Result<i64, StoreError> {
        let _w = self.write_lock.lock().await;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO split_view_evidence (origin, detected, reason, kept_note, new_note) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&e.origin)
        .bind(e.detected.as_str())
        .bind(&e.reason)
        .bind(&e.kept_note)
        .bind(&e.new_note)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err(format_args!("storing split-view evidence about {:?}", e.origin)))?;
        Ok(id)
    }

    async fn split_view_evidence_impl(
        &self,
        origin: &str,
    ) -> Result<Vec<SplitViewEvidence>, StoreError> {
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, origin, detected, reason, kept_note, new_note FROM split_view_evidence WHERE origin = ? ORDER BY id",
        )
        .bind(origin)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(format_args!("reading split-view evidence about {origin:?}")))?;
        rows.into_iter()
            .map(|(id, origin, detected, reason, kept_note, new_note)| {
                Ok(SplitViewEvidence {
                    id,
                    origin,
                    detected: timestamp(&detected, "evidence time")?,
                    reason,
                    kept_note,
                    new_note,
                })
            })
            .collect()
    }
}

// -------------------------------------------------------------------------------------------
// add_objects, in two steps per chunk: plan (reads, and decisions in memory), then apply.

/// A new row for `object_versions`, borrowing what it can from the object.
struct NewRow<'a> {
    object_id: &'a str,
    type_name: &'a str,
    spec_version: &'a str,
    version_us: i64,
    /// The object's own version text, else (no `modified`/`created`) `date_added`.
    version: Cow<'a, str>,
    date_added_us: i64,
    date_added: String,
    json: String,
    /// SHA-256 of `json`.
    sha256: Hash,
}

/// What one object id looks like before and after the chunk.
#[derive(Default)]
struct IdState {
    /// Oldest and newest version stored before this chunk.
    old_range: Option<(i64, i64)>,
    /// Oldest and newest version once this chunk is in.
    range: Option<(i64, i64)>,
    /// Every version of the id, stored or planned.
    versions: HashSet<i64>,
    /// For objects without a version of their own: the newest version's properties, to
    /// recognise a resend of the same observable.
    latest_props: Option<Map<String, Value>>,
}

struct ChunkPlan<'a> {
    outcomes: Vec<AddOutcome>,
    rows: Vec<NewRow<'a>>,
    states: HashMap<&'a str, IdState>,
}

async fn plan_chunk<'a>(
    tx: &mut SqliteConnection,
    key: i64,
    chunk: &'a [StixObject],
    texts: Vec<(String, Hash)>,
    now: i64,
    last_added: &mut i64,
) -> Result<ChunkPlan<'a>, StoreError> {
    let ctx = "reading the stored versions of the objects being added";
    let mut ids: Vec<&str> = chunk.iter().map(StixObject::id).collect();
    ids.sort_unstable();
    ids.dedup();

    // Every stored version of these ids: an index-only scan of object_versions_object.
    let sql = format!(
        "SELECT object_id, version_us FROM object_versions WHERE collection = ? AND object_id IN ({})",
        placeholders(ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql)).bind(key);
    for id in &ids {
        query = query.bind(*id);
    }
    let mut states: HashMap<&'a str, IdState> = HashMap::with_capacity(ids.len());
    for (id, v) in query.fetch_all(&mut *tx).await.map_err(db_err(ctx))? {
        // Keyed by the chunk's own id text, so the map borrows rather than owns its keys.
        let Ok(i) = ids.binary_search(&id.as_str()) else {
            return Err(StoreError::Corrupt(format!(
                "a lookup of the chunk's ids returned {id:?}"
            )));
        };
        let st = states.entry(ids[i]).or_default();
        st.versions.insert(v);
        st.range = Some(st.range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    }
    for st in states.values_mut() {
        st.old_range = st.range;
    }

    // Objects without created/modified (most observables) are recognised by content.
    let mut unversioned: Vec<&str> = chunk
        .iter()
        .filter(|o| o.version().is_none())
        .map(StixObject::id)
        .filter(|id| states.contains_key(*id))
        .collect();
    unversioned.sort_unstable();
    unversioned.dedup();
    if !unversioned.is_empty() {
        let sql = format!(
            "SELECT object_id, json FROM object_versions WHERE collection = ? AND is_latest AND object_id IN ({})",
            placeholders(unversioned.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql)).bind(key);
        for id in &unversioned {
            query = query.bind(*id);
        }
        for (id, json) in query.fetch_all(&mut *tx).await.map_err(db_err(ctx))? {
            let props: Map<String, Value> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("stored JSON of {id}: {e}")))?;
            if let Some(st) = states.get_mut(id.as_str()) {
                st.latest_props = Some(props);
            }
        }
    }

    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut rows = Vec::with_capacity(chunk.len());
    for (object, (json, sha256)) in chunk.iter().zip(texts) {
        let st = states.entry(object.id()).or_default();
        let own_version = object.version().map(Timestamp::unix_micros);
        let duplicate = match own_version {
            Some(v) => st.versions.contains(&v),
            // serde_json maps compare as sets of properties, so a resend with the properties
            // in another order is still the same observable.
            None => st.latest_props.as_ref() == Some(object.as_map()),
        };
        if duplicate {
            outcomes.push(AddOutcome::AlreadyPresent);
            continue;
        }
        let date_added_us = now.max(*last_added + 1);
        *last_added = date_added_us;
        let date_added = Timestamp::from_unix_micros(date_added_us);
        let (version_us, version) = match object.version() {
            Some(v) => (v.unix_micros(), Cow::Borrowed(v.as_str())),
            None => (date_added_us, Cow::Owned(date_added.as_str().to_owned())),
        };
        st.versions.insert(version_us);
        let newest = st.range.is_none_or(|(_, hi)| version_us > hi);
        st.range = Some(st.range.map_or((version_us, version_us), |(lo, hi)| {
            (lo.min(version_us), hi.max(version_us))
        }));
        if newest {
            st.latest_props = if own_version.is_none() {
                Some(object.as_map().clone())
            } else {
                None
            };
        }
        rows.push(NewRow {
            object_id: object.id(),
            type_name: object.type_name(),
            spec_version: object.spec_version(),
            version_us,
            version,
            date_added_us,
            date_added: date_added.as_str().to_owned(),
            json,
            sha256,
        });
        outcomes.push(AddOutcome::Added { date_added });
    }
    Ok(ChunkPlan {
        outcomes,
        rows,
        states,
    })
}

async fn apply_plan(
    tx: &mut SqliteConnection,
    key: i64,
    plan: &ChunkPlan<'_>,
) -> Result<(), StoreError> {
    let ctx = "storing new object versions";
    // Take the flags off stored versions that this chunk supersedes, before inserting, so the
    // updates cannot touch the new rows.
    let mut lose_latest = Vec::new();
    let mut lose_first = Vec::new();
    for (id, st) in &plan.states {
        if let (Some((old_lo, old_hi)), Some((lo, hi))) = (st.old_range, st.range) {
            if hi > old_hi {
                lose_latest.push(*id);
            }
            if lo < old_lo {
                lose_first.push(*id);
            }
        }
    }
    for (column, ids) in [("is_latest", &lose_latest), ("is_first", &lose_first)] {
        if ids.is_empty() {
            continue;
        }
        let sql = format!(
            "UPDATE object_versions SET {column} = FALSE WHERE collection = ? AND object_id IN ({}) AND {column}",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(key);
        for id in ids.iter() {
            query = query.bind(*id);
        }
        query.execute(&mut *tx).await.map_err(db_err(ctx))?;
    }

    if plan.rows.is_empty() {
        return Ok(());
    }
    // One multi-row INSERT; a full chunk always has the same text, so its prepared statement
    // is reused from the connection's statement cache.
    let mut sql = String::with_capacity(120 + plan.rows.len() * 40);
    sql.push_str(
        "INSERT INTO object_versions (collection, object_id, type, spec_version, version_us, version, \
         date_added_us, date_added, is_latest, is_first, json) VALUES ",
    );
    for i in 0..plan.rows.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?,?,?)");
    }
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for row in &plan.rows {
        // Every id in the plan has a state with a range by now.
        let (lo, hi) = plan
            .states
            .get(row.object_id)
            .and_then(|s| s.range)
            .unwrap_or((row.version_us, row.version_us));
        query = query
            .bind(key)
            .bind(row.object_id)
            .bind(row.type_name)
            .bind(row.spec_version)
            .bind(row.version_us)
            .bind(&*row.version)
            .bind(row.date_added_us)
            .bind(row.date_added.as_str())
            .bind(row.version_us == hi)
            .bind(row.version_us == lo)
            .bind(row.json.as_str());
    }
    query.execute(&mut *tx).await.map_err(db_err(ctx))?;
    Ok(())
}

// -------------------------------------------------------------------------------------------
// Query planning

/// Which rows one sub-query selects, beyond the filters every sub-query shares.
struct SubQuery<'q> {
    /// Object ids (non-empty only for a query by id).
    ids: &'q [String],
    /// Object types (empty: any). One type per sub-query except for a query by id, where
    /// the type only filters the few versions the id index finds.
    types: Vec<&'q str>,
    /// The version condition: `None` for every version.
    flag: Option<&'static str>,
    /// Exact versions (`match[version]=<timestamp>`), OR-ed with `flag` when both are set.
    at: Vec<i64>,
}

/// The sub-queries whose union is the query's result. Each is an ordered scan of one index
/// (see the module docs); a query by ids is a single sub-query, because the id index already
/// bounds its cost and its versions are few.
fn sub_queries(q: &ObjectQuery) -> Vec<SubQuery<'_>> {
    let all = q.versions.is_empty() || q.versions.contains(&VersionSelector::All);
    let at: Vec<i64> = q
        .versions
        .iter()
        .filter_map(|s| match s {
            VersionSelector::At(t) => Some(t.unix_micros()),
            _ => None,
        })
        .collect();
    if !q.ids.is_empty() {
        let flag = if all {
            None
        } else {
            match (
                q.versions.contains(&VersionSelector::Last),
                q.versions.contains(&VersionSelector::First),
            ) {
                (true, true) => Some("(is_latest OR is_first)"),
                (true, false) => Some("is_latest"),
                (false, true) => Some("is_first"),
                (false, false) => Some("FALSE"),
            }
        };
        let types = q.types.iter().map(String::as_str).collect();
        return vec![SubQuery {
            ids: &q.ids,
            types,
            flag,
            at: if all { Vec::new() } else { at },
        }];
    }
    let mut selectors: Vec<(Option<&'static str>, Vec<i64>)> = Vec::new();
    if all {
        selectors.push((None, Vec::new()));
    } else {
        if q.versions.contains(&VersionSelector::Last) {
            selectors.push((Some("is_latest"), Vec::new()));
        }
        if q.versions.contains(&VersionSelector::First) {
            selectors.push((Some("is_first"), Vec::new()));
        }
        if !at.is_empty() {
            selectors.push((Some("FALSE"), at));
        }
    }
    let mut types: Vec<Option<&str>> = q.types.iter().map(|t| Some(t.as_str())).collect();
    types.sort_unstable();
    types.dedup();
    if types.is_empty() {
        types.push(None);
    }
    let mut out = Vec::with_capacity(selectors.len() * types.len());
    for (flag, at) in &selectors {
        for t in &types {
            out.push(SubQuery {
                ids: &[],
                types: t.iter().copied().collect(),
                flag: *flag,
                at: at.clone(),
            });
        }
    }
    out
}

impl SubQuery<'_> {
    /// The index whose ordered range scan answers this sub-query.
    fn index(&self) -> &'static str {
        if !self.ids.is_empty() {
            "object_versions_object"
        } else if !self.types.is_empty() {
            "object_versions_type"
        } else {
            match (self.flag, self.at.is_empty()) {
                (Some("is_latest"), true) => "object_versions_latest",
                (Some("is_first"), true) => "object_versions_first",
                _ => "object_versions_all",
            }
        }
    }

    /// The SQL text; parameters in order: collection, after seq, ids, type, exact versions,
    /// spec versions, added_after, limit.
    fn sql(&self, q: &ObjectQuery, with_json: bool) -> String {
        let mut sql =
            String::from("SELECT seq, object_id, type, spec_version, version, date_added");
        if with_json {
            sql.push_str(", json");
        }
        // The index is named, not left to the planner: without statistics SQLite prefers
        // an index that yields seq order even when the id index would read far fewer rows,
        // and statistics could one day flip a good plan into a sort of the collection.
        let _ = write!(
            sql,
            " FROM object_versions INDEXED BY {} WHERE collection = ? AND seq > ?",
            self.index()
        );
        if !self.ids.is_empty() {
            let _ = write!(sql, " AND object_id IN ({})", placeholders(self.ids.len()));
        }
        match self.types.len() {
            0 => {}
            1 => sql.push_str(" AND type = ?"),
            n => {
                let _ = write!(sql, " AND type IN ({})", placeholders(n));
            }
        }
        match (self.flag, self.at.is_empty()) {
            (None, _) => {}
            // The bare flag is what lets SQLite pick the partial index on it.
            (Some(flag), true) => {
                let _ = write!(sql, " AND {flag}");
            }
            (Some("FALSE"), false) => {
                let _ = write!(sql, " AND version_us IN ({})", placeholders(self.at.len()));
            }
            (Some(flag), false) => {
                let _ = write!(
                    sql,
                    " AND ({flag} OR version_us IN ({}))",
                    placeholders(self.at.len())
                );
            }
        }
        if !q.spec_versions.is_empty() {
            let _ = write!(
                sql,
                " AND spec_version IN ({})",
                placeholders(q.spec_versions.len())
            );
        }
        if q.added_after.is_some() {
            // Implied by the seq bound already (date_added grows with seq); kept as a guard.
            sql.push_str(" AND date_added_us > ?");
        }
        sql.push_str(" ORDER BY seq LIMIT ?");
        sql
    }
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

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
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

pub(crate) fn timestamp(text: &str, what: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn collection_from_row(row: &SqliteRow) -> Result<Collection, StoreError> {
    Ok(Collection {
        id: row.try_get(0).map_err(corrupt("collections.id"))?,
        title: row.try_get(1).map_err(corrupt("collections.title"))?,
        description: row.try_get(2).map_err(corrupt("collections.description"))?,
        alias: row.try_get(3).map_err(corrupt("collections.alias"))?,
    })
}

fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    let name: String = row.try_get(0).map_err(corrupt("users.name"))?;
    let role: String = row.try_get(1).map_err(corrupt("users.role"))?;
    let created: String = row.try_get(4).map_err(corrupt("users.created"))?;
    Ok(User {
        role: Role::from_str(&role)
            .map_err(|e| StoreError::Corrupt(format!("role of user {name:?}: {e}")))?,
        token_id: row.try_get(2).map_err(corrupt("users.token_id"))?,
        token_hash: row.try_get(3).map_err(corrupt("users.token_hash"))?,
        created: timestamp(&created, "users.created")?,
        name,
    })
}

/// One record of a page query: seq, object id, type, spec version, version, date added and,
/// with `with_json`, the JSON text, joined by U+001F.
pub(crate) fn version_from_record(
    record: &str,
    with_json: bool,
) -> Result<StoredVersion, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The plans SQLite picks for each shape of page query: every one must be an ordered
    /// index range scan (no full scan, no sort of the collection).
    #[tokio::test]
    async fn page_queries_use_ordered_index_scans() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        /// Versions asked for, types, ids, and what the case is.
        type Case<'a> = (Vec<VersionSelector>, Vec<&'a str>, Vec<&'a str>, &'a str);
        let cases: Vec<Case> = vec![
            (
                vec![VersionSelector::Last],
                vec![],
                vec![],
                "object_versions_latest",
            ),
            (
                vec![VersionSelector::First],
                vec![],
                vec![],
                "object_versions_first",
            ),
            (
                vec![VersionSelector::All],
                vec![],
                vec![],
                "object_versions_all",
            ),
            (
                vec![VersionSelector::Last],
                vec!["indicator"],
                vec![],
                "object_versions_type",
            ),
            (
                vec![VersionSelector::All],
                vec!["indicator"],
                vec![],
                "object_versions_type",
            ),
            (
                vec![VersionSelector::All],
                vec![],
                vec!["indicator--x"],
                "object_versions_object",
            ),
        ];
        for (versions, types, ids, index) in cases {
            let mut q = ObjectQuery::all(10);
            q.versions = versions;
            q.types = types.iter().map(|s| s.to_string()).collect();
            q.ids = ids.iter().map(|s| s.to_string()).collect();
            for plan in sub_queries(&q) {
                let sql = format!("EXPLAIN QUERY PLAN {}", plan.sql(&q, true));
                let mut query = sqlx::query(AssertSqlSafe(sql)).bind(1i64).bind(0i64);
                for id in plan.ids {
                    query = query.bind(id.as_str());
                }
                for t in &plan.types {
                    query = query.bind(*t);
                }
                query = query.bind(11i64);
                let rows = query.fetch_all(&store.pool).await.unwrap();
                let detail: Vec<String> = rows.iter().map(|r| r.get::<String, _>(3)).collect();
                let text = detail.join(" | ");
                assert!(text.contains(index), "{q:?}: plan {text}");
                if ids.is_empty() {
                    assert!(!text.contains("TEMP B-TREE"), "{q:?}: plan sorts: {text}");
                }
            }
        }

        // The added_after seek, and the reads of add_objects and delete_object.
        for (sql, index) in [
            (
                "SELECT seq FROM object_versions WHERE collection = ? AND date_added_us > ? ORDER BY date_added_us LIMIT 1",
                "object_versions_added",
            ),
            (
                "SELECT object_id, version_us FROM object_versions WHERE collection = ? AND object_id IN (?, ?)",
                "COVERING INDEX object_versions_object",
            ),
            (
                "SELECT seq, version_us, spec_version, is_latest, is_first FROM object_versions WHERE collection = ? AND object_id = ?",
                "object_versions_object",
            ),
            (
                "UPDATE object_versions SET is_latest = FALSE WHERE collection = ? AND object_id IN (?, ?) AND is_latest",
                "object_versions_object",
            ),
            (
                "UPDATE object_versions SET is_first = FALSE WHERE collection = ? AND object_id IN (?, ?) AND is_first",
                "object_versions_object",
            ),
            (
                "SELECT object_id, json FROM object_versions WHERE collection = ? AND is_latest AND object_id IN (?, ?)",
                "object_versions_object",
            ),
        ] {
            let rows = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&store.pool)
                .await
                .unwrap();
            let text = rows
                .iter()
                .map(|r| r.get::<String, _>(3))
                .collect::<Vec<_>>()
                .join(" | ");
            assert!(text.contains(index), "{sql}: plan {text}");
        }
    }
}
