//! Writing object versions in SQLite (`object_versions`): `add_objects` with its log entries
//! (and, for objects received from a peer, their provenance), and `delete_object` with one
//! `object-deleted` entry per deleted version. Both keep
//! the `is_latest` / `is_first` flags of every (collection, object id) right, and the
//! `object_versions` counter.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_tlog::entry::{Act, Entry, ObjectRef};
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::{
    ADD_CHUNK, SqliteStore, check_actor, collection_key, db_err, federation, log, placeholders,
    read_counter,
};
use crate::{
    AddOutcome, Hash, LogEntry, PreparedObject, ProvenanceRecord, ReceivedEntry, StoreError,
};

/// What `add_objects` stores: a bare object (its text computed here) or a prepared one.
pub(super) trait ToStore: Sync {
    fn object(&self) -> &StixObject;
    /// The JSON text to store (`StixObject::to_json()`) and its SHA-256.
    fn text(&self) -> (Cow<'_, str>, Hash);
}

impl ToStore for StixObject {
    fn object(&self) -> &StixObject {
        self
    }
    fn text(&self) -> (Cow<'_, str>, Hash) {
        let json = self.to_json();
        let sha = pacific_tlog::entry::sha256(json.as_bytes());
        (Cow::Owned(json), sha)
    }
}

impl ToStore for PreparedObject {
    fn object(&self) -> &StixObject {
        PreparedObject::object(self)
    }
    fn text(&self) -> (Cow<'_, str>, Hash) {
        (Cow::Borrowed(self.json()), *self.sha256())
    }
}

impl SqliteStore {
    /// Adds objects; with `received`, also their provenance first and a `received` entry per
    /// version added (none for one held already) last, in the same transaction. Returns the
    /// outcomes and the `received` entries as appended.
    pub(super) async fn add_objects_impl<T: ToStore>(
        &self,
        actor: &str,
        collection_id: &str,
        objects: &[T],
        received: Option<(&[ProvenanceRecord], &ReceivedEntry<'_>)>,
    ) -> Result<(Vec<AddOutcome>, Vec<LogEntry>), StoreError> {
        check_actor(actor)?;
        let _w = self.write().await;
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
            federation::insert_provenance(&mut tx, provenance).await?;
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
            // A version held already (sent again after a lost ack, caught up over TAXII as
            // well, relayed by another peer) was received before: it is not logged twice.
            let entries = objects
                .iter()
                .zip(&outcomes)
                .filter(|(_, outcome)| matches!(outcome, AddOutcome::Added { .. }))
                .map(|(o, outcome)| entry(o.object(), outcome)?.encode().map_err(log::log_err))
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

    pub(super) async fn delete_object_impl(
        &self,
        actor: &str,
        collection_id: &str,
        object_id: &str,
        q: &ObjectQuery,
    ) -> Result<u64, StoreError> {
        check_actor(actor)?;
        let _w = self.write().await;
        let ctx = || format!("deleting {object_id:?} from collection {collection_id:?}");
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;
        let rows: Vec<(i64, i64, String, bool, bool)> = sqlx::query_as(
            "SELECT seq, version_us, spec_version, is_latest, is_first FROM object_versions \
             WHERE collection = ? AND object_id = ? ORDER BY seq",
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
        // One `object-deleted` entry per version, named as its `object-stored` entry named it
        // (the version text and the SHA-256 of the stored JSON), read before the rows go.
        let now_ms = Timestamp::now().unix_micros().max(0) as u64 / 1000;
        let mut entries = Vec::with_capacity(doomed.len());
        for seqs in doomed.chunks(ADD_CHUNK) {
            let sql = format!(
                "SELECT version, json FROM object_versions WHERE seq IN ({}) ORDER BY seq",
                placeholders(seqs.len())
            );
            let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
            for row in seqs {
                query = query.bind(row.0);
            }
            for (version, json) in query.fetch_all(&mut *tx).await.map_err(db_err(ctx()))? {
                let entry = Entry::new(
                    now_ms,
                    actor,
                    Act::ObjectDeleted {
                        object: ObjectRef {
                            id: object_id.to_owned(),
                            version,
                            sha256: pacific_tlog::entry::sha256(json.as_bytes()),
                        },
                        collection: collection_id.to_owned(),
                    },
                )
                .and_then(|e| e.encode())
                .map_err(log::log_err)?;
                entries.push(entry);
            }
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
        sqlx::query("UPDATE counters SET value = value + ? WHERE name = 'versions_deleted'")
            .bind(deleted)
            .execute(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        log::append_all(&mut tx, &entries).await?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(deleted as u64)
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
fn object_texts<T: ToStore>(chunk: &[T]) -> Vec<(Cow<'_, str>, Hash)> {
    chunk.iter().map(ToStore::text).collect()
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
    json: Cow<'a, str>,
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

async fn plan_chunk<'a, T: ToStore>(
    tx: &mut SqliteConnection,
    key: i64,
    chunk: &'a [T],
    texts: Vec<(Cow<'a, str>, Hash)>,
    now: i64,
    last_added: &mut i64,
) -> Result<ChunkPlan<'a>, StoreError> {
    let ctx = "reading the stored versions of the objects being added";
    let mut ids: Vec<&str> = chunk.iter().map(|o| o.object().id()).collect();
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
        .map(ToStore::object)
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
    for (object, (json, sha256)) in chunk.iter().map(ToStore::object).zip(texts) {
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
            .bind(&*row.json);
    }
    query.execute(&mut *tx).await.map_err(db_err(ctx))?;
    Ok(())
}
