//! [`FederationStore`] in SQLite ([`SqliteFederationStore`]).
//!
//! `SqliteFederationStore` opens its own connection pool on the node's database file (the same
//! file as [`crate::SqliteStore`], WAL mode) and keeps to its own tables (migration
//! `0010_federation.sql`), reading `object_versions` only. Its writes are small single-statement
//! or single-transaction writes; SQLite serialises them with the object store's writer.

use std::path::Path;
use std::str::FromStr;

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_core::policy::{PartyId, Provenance};
use sqlx::sqlite::{SqlitePoolOptions, SqliteRow};
use sqlx::{Row, SqlitePool};

use super::{
    MIGRATOR, file_options, is_unique_violation as unique, log, timestamp as ts,
    version_from_record,
};
use crate::federation::{
    Delivery, FederationStore, GovernanceFact, LinkState, OriginsAndHeld, OutboxItem, Peer,
    ProvenanceRecord, SignedProvenance, StoredReceipt,
};
use crate::{StoreError, StoreFuture};

/// [`FederationStore`] on the node's SQLite database file.
pub struct SqliteFederationStore {
    pool: SqlitePool,
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::Database(format!("{context}: {e}"))
}

fn peer_from_row(row: &SqliteRow) -> Result<Peer, StoreError> {
    let g = |e: sqlx::Error| StoreError::Corrupt(format!("federation_peers: {e}"));
    let kind: String = row.try_get("stakeholder_type").map_err(g)?;
    let added: String = row.try_get("added").map_err(g)?;
    Ok(Peer {
        party_id: PartyId::new(row.try_get::<String, _>("party_id").map_err(g)?),
        name: row.try_get("name").map_err(g)?,
        stakeholder_type: StakeholderType::from_str(&kind).map_err(StoreError::Corrupt)?,
        jurisdiction: row.try_get("jurisdiction").map_err(g)?,
        organisation: row.try_get("organisation").map_err(g)?,
        url: row.try_get("url").map_err(g)?,
        public_key: row.try_get("public_key").map_err(g)?,
        added: ts(&added, "federation_peers.added")?,
    })
}

impl SqliteFederationStore {
    /// Opens the database at `path` (creating it and its schema if needed).
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = file_options(path);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db("opening the federation database"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the database schema: {e}")))?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn add_peer_impl(&self, p: &Peer, actor: &str) -> Result<(), StoreError> {
        let key: [u8; 32] = hex::decode(&p.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                StoreError::Log(format!("peer {}'s key is not 64 hex digits", p.party_id))
            })?;
        let act = pacific_tlog::entry::Act::PeerAdded {
            peer: p.party_id.to_string(),
            peer_key: key,
        };
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("adding a peer"))?;
        sqlx::query(
            "INSERT INTO federation_peers (party_id, name, stakeholder_type, jurisdiction, organisation, url, public_key, added)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.party_id.as_str())
        .bind(&p.name)
        .bind(p.stakeholder_type.as_str())
        .bind(p.jurisdiction.as_deref())
        .bind(p.organisation.as_deref())
        .bind(&p.url)
        .bind(&p.public_key)
        .bind(p.added.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if unique(&e) {
                StoreError::AlreadyExists(format!("a peer with party id {:?} or this public key", p.party_id.as_str()))
            } else {
                db("adding a peer")(e)
            }
        })?;
        append_in(&mut tx, actor, act).await?;
        tx.commit().await.map_err(db("adding a peer"))?;
        Ok(())
    }

    async fn record_policy_impl(
        &self,
        policy_sha256: crate::Hash,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let ctx = "recording the export policy";
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(ctx))?;
        let last: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT policy_sha256 FROM federation_policy_state WHERE id = 0")
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(ctx))?;
        if last.as_deref() == Some(&policy_sha256[..]) {
            return Ok(false);
        }
        sqlx::query("INSERT INTO federation_policy_state (id, policy_sha256) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET policy_sha256 = excluded.policy_sha256")
            .bind(&policy_sha256[..])
            .execute(&mut *tx)
            .await
            .map_err(db(ctx))?;
        append_in(
            &mut tx,
            actor,
            pacific_tlog::entry::Act::PolicyChanged { policy_sha256 },
        )
        .await?;
        tx.commit().await.map_err(db(ctx))?;
        Ok(true)
    }

    async fn record_governance_impl(
        &self,
        fact: &GovernanceFact,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let ctx = "recording a governance fact";
        let (key, sha256) = fact.key_and_hash();
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(ctx))?;
        let last: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sha256 FROM federation_governance WHERE key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(ctx))?;
        if last.as_deref() == Some(&sha256[..]) {
            return Ok(false);
        }
        sqlx::query("INSERT INTO federation_governance (key, sha256) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET sha256 = excluded.sha256")
            .bind(key)
            .bind(&sha256[..])
            .execute(&mut *tx)
            .await
            .map_err(db(ctx))?;
        append_in(&mut tx, actor, fact.act()).await?;
        tx.commit().await.map_err(db(ctx))?;
        Ok(true)
    }

    async fn peers_impl(&self) -> Result<Vec<Peer>, StoreError> {
        let rows = sqlx::query("SELECT * FROM federation_peers ORDER BY party_id")
            .fetch_all(&self.pool)
            .await
            .map_err(db("listing peers"))?;
        rows.iter().map(peer_from_row).collect()
    }

    async fn peer_impl(&self, id: &str) -> Result<Option<Peer>, StoreError> {
        let row = sqlx::query("SELECT * FROM federation_peers WHERE party_id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading a peer"))?;
        row.as_ref().map(peer_from_row).transpose()
    }

    async fn link_impl(&self, id: &str) -> Result<Option<LinkState>, StoreError> {
        let row = sqlx::query("SELECT out_cursor, out_seq, in_seq, pull_after FROM federation_peers WHERE party_id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading a peer link"))?;
        let Some(row) = row else { return Ok(None) };
        let g = |e: sqlx::Error| StoreError::Corrupt(format!("federation_peers: {e}"));
        Ok(Some(LinkState {
            out_cursor: row.try_get(0).map_err(g)?,
            out_seq: row.try_get::<i64, _>(1).map_err(g)? as u64,
            in_seq: row.try_get::<i64, _>(2).map_err(g)? as u64,
            pull_after: row.try_get(3).map_err(g)?,
        }))
    }

    async fn next_out_seq_impl(&self, id: &str) -> Result<u64, StoreError> {
        let row = sqlx::query("UPDATE federation_peers SET out_seq = out_seq + 1 WHERE party_id = ? RETURNING out_seq")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("taking an envelope sequence number"))?;
        let row = row.ok_or_else(|| StoreError::Database(format!("no peer {id:?}")))?;
        Ok(row
            .try_get::<i64, _>(0)
            .map_err(db("taking an envelope sequence number"))? as u64)
    }

    async fn record_delivery_impl(&self, d: &Delivery) -> Result<u64, StoreError> {
        let ctx = "recording a delivery";
        let entries = d
            .entries
            .iter()
            .map(|e| e.encode().map_err(log::log_err))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(ctx))?;
        if let Some(r) = &d.receipt {
            let range = |what: &str| StoreError::Log(format!("receipt {what} out of range"));
            sqlx::query(
                "INSERT INTO federation_receipts (peer, out_seq, log_size, receipt, received_at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (peer, out_seq) DO NOTHING",
            )
            .bind(r.peer.as_str())
            .bind(i64::try_from(r.out_seq).map_err(|_| range("sequence number"))?)
            .bind(i64::try_from(r.log_size).map_err(|_| range("log size"))?)
            .bind(&r.receipt)
            .bind(r.received_at.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db("keeping a receipt"))?;
        }
        let first = log::append_all(&mut tx, &entries).await?;
        sqlx::query(
            "UPDATE federation_peers SET out_cursor = max(out_cursor, ?) WHERE party_id = ?",
        )
        .bind(d.cursor)
        .bind(d.peer.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db("moving a delivery cursor"))?;
        tx.commit().await.map_err(db(ctx))?;
        Ok(first)
    }

    async fn accept_in_seq_impl(&self, id: &str, seq: u64) -> Result<bool, StoreError> {
        let seq = i64::try_from(seq)
            .map_err(|_| StoreError::Log("sequence number out of range".into()))?;
        let done =
            sqlx::query("UPDATE federation_peers SET in_seq = ? WHERE party_id = ? AND in_seq < ?")
                .bind(seq)
                .bind(id)
                .bind(seq)
                .execute(&self.pool)
                .await
                .map_err(db("accepting an envelope sequence number"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn receipts_impl(&self, id: &str) -> Result<Vec<StoredReceipt>, StoreError> {
        let rows = sqlx::query(
            "SELECT out_seq, log_size, receipt, received_at FROM federation_receipts WHERE peer = ? ORDER BY out_seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading receipts"))?;
        rows.iter()
            .map(|row| {
                let g = |e: sqlx::Error| StoreError::Corrupt(format!("federation_receipts: {e}"));
                let at: String = row.try_get(3).map_err(g)?;
                Ok(StoredReceipt {
                    peer: PartyId::new(id.to_owned()),
                    out_seq: row
                        .try_get::<i64, _>(0)
                        .map_err(g)?
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("negative receipt sequence".into()))?,
                    log_size: row
                        .try_get::<i64, _>(1)
                        .map_err(g)?
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("negative receipt log size".into()))?,
                    receipt: row.try_get(2).map_err(g)?,
                    received_at: ts(&at, "federation_receipts.received_at")?,
                })
            })
            .collect()
    }

    async fn set_pull_after_impl(&self, id: &str, date_added: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE federation_peers SET pull_after = ? WHERE party_id = ?")
            .bind(date_added)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db("recording a catch-up position"))?;
        Ok(())
    }

    async fn put_provenance_impl(&self, records: &[ProvenanceRecord]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db("recording provenance"))?;
        insert_provenance(&mut tx, records).await?;
        tx.commit().await.map_err(db("recording provenance"))?;
        Ok(())
    }

    async fn provenance_impl(
        &self,
        collection_id: &str,
        object_id: &str,
        version_us: i64,
    ) -> Result<Option<SignedProvenance>, StoreError> {
        let row = sqlx::query(
            "SELECT received_from, received_at, origin, origin_signature FROM federation_provenance
             WHERE collection_id = ? AND object_id = ? AND version_us = ?",
        )
        .bind(collection_id)
        .bind(object_id)
        .bind(version_us)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("reading provenance"))?;
        let Some(row) = row else { return Ok(None) };
        let g = |e: sqlx::Error| StoreError::Corrupt(format!("federation_provenance: {e}"));
        let at: String = row.try_get(1).map_err(g)?;
        let signature: String = row.try_get(3).map_err(g)?;
        let provenance = Provenance {
            received_from: PartyId::new(row.try_get::<String, _>(0).map_err(g)?),
            received_at: ts(&at, "federation_provenance.received_at")?,
            origin: PartyId::new(row.try_get::<String, _>(2).map_err(g)?),
        };
        Ok(Some((
            provenance,
            (!signature.is_empty()).then_some(signature),
        )))
    }

    async fn origin_of_impl(&self, object_id: &str) -> Result<Option<PartyId>, StoreError> {
        let row = sqlx::query("SELECT origin FROM federation_origins WHERE object_id = ?")
            .bind(object_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading an origin"))?;
        Ok(row.map(|r| PartyId::new(r.get::<String, _>(0))))
    }

    async fn origins_and_held_impl(
        &self,
        object_ids: &[&str],
    ) -> Result<OriginsAndHeld, StoreError> {
        let mut found = OriginsAndHeld::default();
        // Bounded lists keep each statement under SQLite's bound-parameter limit.
        for chunk in object_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT object_id, origin FROM federation_origins WHERE object_id IN ({marks})
                 UNION ALL
                 SELECT DISTINCT object_id, NULL FROM object_versions WHERE object_id IN ({marks})"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for _ in 0..2 {
                for id in chunk {
                    query = query.bind(*id);
                }
            }
            for row in query
                .fetch_all(&self.pool)
                .await
                .map_err(db("reading origins"))?
            {
                let id: String = row.get(0);
                match row.get::<Option<String>, _>(1) {
                    Some(origin) => {
                        found.origins.insert(id, PartyId::new(origin));
                    }
                    None => {
                        found.held.insert(id);
                    }
                }
            }
        }
        Ok(found)
    }

    async fn count_rejection_impl(&self, peer: &str, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO federation_rejections (peer, reason, count, last) VALUES (?, ?, 1, ?)
             ON CONFLICT (peer, reason) DO UPDATE SET count = count + 1, last = excluded.last",
        )
        .bind(peer)
        .bind(reason)
        .bind(Timestamp::now().as_str())
        .execute(&self.pool)
        .await
        .map_err(db("counting a rejection"))?;
        Ok(())
    }

    async fn rejections_impl(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT peer, reason, count FROM federation_rejections ORDER BY peer, reason",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db("reading rejection counters"))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<i64, _>(2) as u64))
            .collect())
    }

    async fn versions_after_impl(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        // One aggregated text value rather than a row per version (the driver hands each row
        // over from its worker thread separately), with each version's provenance joined in
        // so the outbox needs no query per object. Fields are joined by U+001F, records by
        // U+001E; neither occurs raw in ids, timestamps, party ids or JSON text.
        let records: Option<String> = sqlx::query_scalar(
            "SELECT group_concat(rec, char(30)) FROM (
               SELECT c.id || char(31) || coalesce(p.received_from, '') || char(31) || coalesce(p.received_at, '')
                      || char(31) || coalesce(p.origin, '') || char(31) || coalesce(p.origin_signature, '')
                      || char(31) || v.seq || char(31) || v.object_id
                      || char(31) || v.type || char(31) || v.spec_version || char(31) || v.version
                      || char(31) || v.date_added || char(31) || v.json AS rec
               FROM object_versions v JOIN collections c ON c.key = v.collection
               LEFT JOIN federation_provenance p
                 ON p.collection_id = c.id AND p.object_id = v.object_id AND p.version_us = v.version_us
               WHERE v.seq > ? ORDER BY v.seq LIMIT ?)",
        )
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_one(&self.pool)
        .await
        .map_err(db("reading the outbox"))?;
        let mut items = Vec::new();
        for record in records
            .as_deref()
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
        {
            let mut fields = record.splitn(6, '\u{1f}');
            let mut next = || {
                fields
                    .next()
                    .ok_or_else(|| StoreError::Corrupt("a truncated outbox record".into()))
            };
            let (collection_id, received_from, received_at, origin, signature) =
                (next()?, next()?, next()?, next()?, next()?);
            let provenance = if received_from.is_empty() {
                None
            } else {
                Some(Provenance {
                    received_from: PartyId::new(received_from.to_owned()),
                    received_at: ts(received_at, "federation_provenance.received_at")?,
                    origin: PartyId::new(origin.to_owned()),
                })
            };
            let version = version_from_record(next()?, true)?;
            items.push(OutboxItem {
                collection_id: collection_id.to_owned(),
                version,
                provenance,
                origin_signature: (!signature.is_empty()).then(|| signature.to_owned()),
            });
        }
        items.sort_by_key(|i| i.version.seq);
        Ok(items)
    }

    async fn max_seq_impl(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT coalesce(max(seq), 0) FROM object_versions")
            .fetch_one(&self.pool)
            .await
            .map_err(db("reading the highest seq"))?;
        Ok(row.get::<i64, _>(0))
    }
}

impl FederationStore for SqliteFederationStore {
    fn add_peer<'a>(&'a self, peer: &'a Peer, actor: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.add_peer_impl(peer, actor))
    }
    fn record_policy<'a>(
        &'a self,
        policy_sha256: crate::Hash,
        actor: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.record_policy_impl(policy_sha256, actor))
    }
    fn recorded_policy(&self) -> StoreFuture<'_, Option<crate::Hash>> {
        Box::pin(async {
            let last: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT policy_sha256 FROM federation_policy_state WHERE id = 0",
            )
            .fetch_optional(&self.pool)
            .await
            .map_err(db("reading the recorded export policy"))?;
            Ok(last.and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()))
        })
    }
    fn record_governance<'a>(
        &'a self,
        fact: &'a GovernanceFact,
        actor: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.record_governance_impl(fact, actor))
    }
    fn peers(&self) -> StoreFuture<'_, Vec<Peer>> {
        Box::pin(self.peers_impl())
    }
    fn peer<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Option<Peer>> {
        Box::pin(self.peer_impl(party_id))
    }
    fn link<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Option<LinkState>> {
        Box::pin(self.link_impl(party_id))
    }
    fn next_out_seq<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(self.next_out_seq_impl(party_id))
    }
    fn record_delivery<'a>(&'a self, delivery: &'a Delivery) -> StoreFuture<'a, u64> {
        Box::pin(self.record_delivery_impl(delivery))
    }
    fn accept_in_seq<'a>(&'a self, party_id: &'a str, seq: u64) -> StoreFuture<'a, bool> {
        Box::pin(self.accept_in_seq_impl(party_id, seq))
    }
    fn set_pull_after<'a>(&'a self, party_id: &'a str, date_added: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.set_pull_after_impl(party_id, date_added))
    }
    fn receipts<'a>(&'a self, party_id: &'a str) -> StoreFuture<'a, Vec<StoredReceipt>> {
        Box::pin(self.receipts_impl(party_id))
    }
    fn put_provenance<'a>(&'a self, records: &'a [ProvenanceRecord]) -> StoreFuture<'a, ()> {
        Box::pin(self.put_provenance_impl(records))
    }
    fn provenance<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        version_us: i64,
    ) -> StoreFuture<'a, Option<Provenance>> {
        Box::pin(async move {
            let found = self
                .provenance_impl(collection_id, object_id, version_us)
                .await?;
            Ok(found.map(|(provenance, _)| provenance))
        })
    }
    fn signed_provenance<'a>(
        &'a self,
        collection_id: &'a str,
        object_id: &'a str,
        version_us: i64,
    ) -> StoreFuture<'a, Option<SignedProvenance>> {
        Box::pin(self.provenance_impl(collection_id, object_id, version_us))
    }
    fn origin_of<'a>(&'a self, object_id: &'a str) -> StoreFuture<'a, Option<PartyId>> {
        Box::pin(self.origin_of_impl(object_id))
    }
    fn origins_and_held<'a>(
        &'a self,
        object_ids: &'a [&'a str],
    ) -> StoreFuture<'a, OriginsAndHeld> {
        Box::pin(self.origins_and_held_impl(object_ids))
    }
    fn count_rejection<'a>(&'a self, peer: &'a str, reason: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.count_rejection_impl(peer, reason))
    }
    fn rejections(&self) -> StoreFuture<'_, Vec<(String, String, u64)>> {
        Box::pin(self.rejections_impl())
    }
    fn versions_after(&self, after: i64, limit: usize) -> StoreFuture<'_, Vec<OutboxItem>> {
        Box::pin(self.versions_after_impl(after, limit))
    }
    fn max_seq(&self) -> StoreFuture<'_, i64> {
        Box::pin(self.max_seq_impl())
    }
}

/// Appends one entry (now, by `actor`) to the log inside the caller's transaction.
async fn append_in(
    conn: &mut sqlx::SqliteConnection,
    actor: &str,
    act: pacific_tlog::entry::Act,
) -> Result<(), StoreError> {
    let time = u64::try_from(Timestamp::now().unix_micros() / 1000).unwrap_or(0);
    let entry = crate::LogEntryData::new(time, actor, act).map_err(log::log_err)?;
    let bytes = entry.encode().map_err(log::log_err)?;
    log::append_all(conn, &[bytes]).await?;
    Ok(())
}

/// Writes provenance records and each object id's first origin on `conn` (inside the
/// caller's transaction): the first record of a version wins, except that a signature from
/// the same origin fills in one that was missing.
pub(super) async fn insert_provenance(
    conn: &mut sqlx::SqliteConnection,
    records: &[ProvenanceRecord],
) -> Result<(), StoreError> {
    for r in records {
        sqlx::query(
            "INSERT INTO federation_provenance (collection_id, object_id, version_us, received_from, received_at, origin, origin_signature)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (collection_id, object_id, version_us) DO UPDATE SET origin_signature = excluded.origin_signature
             WHERE federation_provenance.origin_signature = '' AND federation_provenance.origin = excluded.origin",
        )
        .bind(&r.collection_id)
        .bind(&r.object_id)
        .bind(r.version_us)
        .bind(r.provenance.received_from.as_str())
        .bind(r.provenance.received_at.as_str())
        .bind(r.provenance.origin.as_str())
        .bind(r.origin_signature.as_deref().unwrap_or(""))
        .execute(&mut *conn)
        .await
        .map_err(db("recording provenance"))?;
        sqlx::query("INSERT OR IGNORE INTO federation_origins (object_id, origin) VALUES (?, ?)")
            .bind(&r.object_id)
            .bind(r.provenance.origin.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db("recording an origin"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: &str, key: &str) -> Peer {
        Peer {
            party_id: PartyId::new(id),
            name: id.to_uppercase(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XB".into()),
            organisation: None,
            url: "http://127.0.0.1:9002".into(),
            public_key: key.into(),
            added: Timestamp::now(),
        }
    }

    #[tokio::test]
    async fn peers_links_provenance_and_counters() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteFederationStore::open(&dir.path().join("db"))
            .await
            .unwrap();
        let log_size = |s: &SqliteFederationStore| {
            let pool = s.pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                log::size(&mut conn).await.unwrap()
            }
        };
        let (aa, bb) = ("aa".repeat(32), "bb".repeat(32));
        s.add_peer(&peer("bravo", &aa), "admin").await.unwrap();
        assert_eq!(log_size(&s).await, 1, "adding a peer is logged with it");
        assert!(matches!(
            s.add_peer(&peer("bravo", &bb), "admin").await,
            Err(StoreError::AlreadyExists(_))
        ));
        assert!(matches!(
            s.add_peer(&peer("charlie", &aa), "admin").await,
            Err(StoreError::AlreadyExists(_))
        ));
        assert!(matches!(
            s.add_peer(&peer("delta", "not a key"), "admin").await,
            Err(StoreError::Log(_))
        ));
        assert_eq!(s.peers().await.unwrap().len(), 1);
        assert_eq!(log_size(&s).await, 1, "a refused peer leaves no entry");

        // A policy is logged when it differs from the one recorded last, and only then.
        assert_eq!(s.recorded_policy().await.unwrap(), None);
        assert!(s.record_policy([1; 32], "local").await.unwrap());
        assert_eq!(s.recorded_policy().await.unwrap(), Some([1; 32]));
        assert!(!s.record_policy([1; 32], "local").await.unwrap());
        assert!(s.record_policy([2; 32], "local").await.unwrap());
        assert!(s.record_policy([1; 32], "local").await.unwrap());
        assert_eq!(log_size(&s).await, 4);
        assert_eq!(
            s.peer("bravo")
                .await
                .unwrap()
                .unwrap()
                .jurisdiction
                .as_deref(),
            Some("XB")
        );

        assert_eq!(s.next_out_seq("bravo").await.unwrap(), 1);
        assert_eq!(s.next_out_seq("bravo").await.unwrap(), 2);
        let cursor_at = |cursor: i64| Delivery {
            peer: "bravo".into(),
            cursor,
            receipt: None,
            entries: Vec::new(),
        };
        s.record_delivery(&cursor_at(10)).await.unwrap();
        s.record_delivery(&cursor_at(5)).await.unwrap();
        assert_eq!(
            s.link("bravo").await.unwrap().unwrap().out_cursor,
            10,
            "never back"
        );
        assert!(s.accept_in_seq("bravo", 1).await.unwrap());
        assert!(!s.accept_in_seq("bravo", 1).await.unwrap());
        assert!(s.accept_in_seq("bravo", 7).await.unwrap());
        assert!(!s.accept_in_seq("bravo", 3).await.unwrap());
        assert!(!s.accept_in_seq("nobody", 99).await.unwrap());

        let p = Provenance {
            received_from: "bravo".into(),
            received_at: Timestamp::now(),
            origin: "alpha".into(),
        };
        let r = ProvenanceRecord {
            collection_id: "c".into(),
            object_id: "indicator--1".into(),
            version_us: 5,
            provenance: p.clone(),
            origin_signature: None,
        };
        s.put_provenance(std::slice::from_ref(&r)).await.unwrap();
        // The same version again: the first record wins, but a signature by the same origin
        // fills in the missing one (a caught-up object later delivered by envelope), and a
        // later one never replaces it.
        let signature = |s: &SqliteFederationStore| {
            let pool = s.pool.clone();
            async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT origin_signature FROM federation_provenance WHERE version_us = 5",
                )
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(signature(&s).await, "");
        let signed = |sig: &str, origin: &str| ProvenanceRecord {
            origin_signature: Some(sig.into()),
            provenance: Provenance {
                origin: origin.into(),
                ..p.clone()
            },
            ..r.clone()
        };
        s.put_provenance(&[signed("ab", "mallory")]).await.unwrap();
        assert_eq!(
            signature(&s).await,
            "",
            "another origin's signature is not taken"
        );
        s.put_provenance(&[signed("ab", "alpha")]).await.unwrap();
        assert_eq!(signature(&s).await, "ab");
        s.put_provenance(&[signed("cd", "alpha")]).await.unwrap();
        assert_eq!(signature(&s).await, "ab");
        let other = Provenance {
            origin: "mallory".into(),
            ..p.clone()
        };
        s.put_provenance(&[ProvenanceRecord {
            provenance: other,
            version_us: 6,
            ..r.clone()
        }])
        .await
        .unwrap();
        assert_eq!(s.provenance("c", "indicator--1", 5).await.unwrap(), Some(p));
        assert_eq!(
            s.origin_of("indicator--1").await.unwrap(),
            Some(PartyId::new("alpha"))
        );
        assert_eq!(s.provenance("c", "indicator--1", 7).await.unwrap(), None);
        let found = s
            .origins_and_held(&["indicator--1", "indicator--2"])
            .await
            .unwrap();
        assert_eq!(found.origins.len(), 1);
        assert_eq!(
            found.origins.get("indicator--1"),
            Some(&PartyId::new("alpha"))
        );
        assert!(found.held.is_empty(), "no collection holds either object");

        let receipt = StoredReceipt {
            peer: "bravo".into(),
            out_seq: 3,
            log_size: 42,
            receipt: "{\"signed\":true}".into(),
            received_at: Timestamp::now(),
        };
        let with_receipt = |receipt: StoredReceipt| Delivery {
            receipt: Some(receipt),
            ..cursor_at(11)
        };
        s.record_delivery(&with_receipt(receipt.clone()))
            .await
            .unwrap();
        s.record_delivery(&with_receipt(StoredReceipt {
            receipt: "a second copy".into(),
            ..receipt.clone()
        }))
        .await
        .unwrap();
        assert_eq!(
            s.receipts("bravo").await.unwrap(),
            vec![receipt],
            "the first receipt kept wins"
        );
        assert!(s.receipts("charlie").await.unwrap().is_empty());

        s.count_rejection("bravo", "replay").await.unwrap();
        s.count_rejection("bravo", "replay").await.unwrap();
        assert_eq!(
            s.rejections().await.unwrap(),
            vec![("bravo".into(), "replay".into(), 2)]
        );
        assert_eq!(s.max_seq().await.unwrap(), 0);
        assert!(s.versions_after(0, 10).await.unwrap().is_empty());
    }
}
