//! The transparency log in SQLite: the `log_*` methods of [`super::SqliteStore`] and the
//! statements behind them, and the append that `add_objects` / `add_user` run inside their own
//! transactions.
//!
//! Layout (`migrations/sqlite/0002_log.sql`): `log_entries` (leaf index → canonical entry
//! bytes and leaf hash, i.e. the level-0 nodes), `log_nodes` (every complete subtree hash
//! above the leaves, level >= 1), `log_frontier`
//! (one row: `Frontier::to_bytes`, the right edge, so an append reads one row), and
//! `log_checkpoints` (published signed notes by size).
//!
//! Costs: an append of `b` entries writes `b` entry rows and fewer than `b + 64` node rows,
//! using a few fixed-shape multi-row statements (cached); a proof or root is one `SELECT`
//! joining at most ~`2 log2 n` wanted `(level, idx)` pairs against the primary keys of
//! `log_entries` (level 0) and `log_nodes` (the rest).

use std::collections::HashMap;

use pacific_tlog::Hash;
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::{self, Frontier, NodeId};
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::{SqliteStore, db_err, to_u64};
use crate::{LogEntry, StoreError};

/// Largest number of rows one multi-row INSERT writes (3 binds per row: well under SQLite's
/// 32766 bound parameters). Equal to `add_objects`' chunk, so a full chunk's entries and
/// (about as many) nodes take one statement each.
const INSERT_ROWS: usize = super::ADD_CHUNK;

/// Rows for the next statement: `INSERT_ROWS`, else the largest power of two that fits, so at
/// most 11 statement shapes exist and all stay in the connection's statement cache.
fn next_chunk(remaining: usize) -> usize {
    if remaining >= INSERT_ROWS {
        INSERT_ROWS
    } else {
        1 << (usize::BITS - 1 - remaining.leading_zeros())
    }
}

fn values(n: usize, row: &str) -> String {
    let mut s = String::with_capacity(n * (row.len() + 1));
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(row);
    }
    s
}

fn to_i64(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Log(format!("{what} {n} is too large")))
}

pub(crate) fn log_err(e: pacific_tlog::TlogError) -> StoreError {
    StoreError::Log(e.to_string())
}

/// The frontier row.
pub(crate) async fn load_frontier(conn: &mut SqliteConnection) -> Result<Frontier, StoreError> {
    let bytes: Vec<u8> = sqlx::query_scalar("SELECT frontier FROM log_frontier WHERE id = 0")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err("reading the log frontier"))?;
    Frontier::from_bytes(&bytes).map_err(|e| StoreError::Corrupt(format!("log frontier: {e}")))
}

pub(crate) async fn save_frontier(
    conn: &mut SqliteConnection,
    frontier: &Frontier,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE log_frontier SET frontier = ? WHERE id = 0")
        .bind(frontier.to_bytes())
        .execute(&mut *conn)
        .await
        .map_err(db_err("writing the log frontier"))?;
    Ok(())
}

/// Appends encoded entries at `frontier.size()`, writing their rows and every newly complete
/// node; advances `frontier` (the caller saves it with [`save_frontier`] before committing).
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    frontier: &mut Frontier,
    entries: &[Vec<u8>],
) -> Result<(), StoreError> {
    let appended = prepare(frontier, entries.to_vec())?;
    write(conn, &appended).await
}

/// Appends encoded entries at the end of the log and saves the frontier, inside the caller's
/// transaction (the one that makes the change they record); returns the first one's index.
pub(crate) async fn append_all(
    conn: &mut SqliteConnection,
    entries: &[Vec<u8>],
) -> Result<u64, StoreError> {
    let mut frontier = load_frontier(conn).await?;
    let first = frontier.size();
    if !entries.is_empty() {
        for chunk in entries.chunks(INSERT_ROWS) {
            append(conn, &mut frontier, chunk).await?;
        }
        save_frontier(conn, &frontier).await?;
    }
    Ok(first)
}

/// The rows an append writes, computed without the database.
pub(crate) struct Appended {
    first: u64,
    entries: Vec<Vec<u8>>,
    leaves: Vec<Hash>,
    /// Newly complete nodes above the leaves.
    nodes: Vec<(NodeId, Hash)>,
}

/// The first half of [`append`]: hashes `entries` into `frontier` (advancing it) and returns
/// the rows to write with [`write`] in the same transaction. Pure computation, so it can run
/// while the database does other work.
pub(crate) fn prepare(
    frontier: &mut Frontier,
    entries: Vec<Vec<u8>>,
) -> Result<Appended, StoreError> {
    let first = frontier.size();
    let leaves: Vec<Hash> = entries.iter().map(|e| merkle::leaf_hash(e)).collect();
    let mut nodes = if leaves.is_empty() {
        Vec::new()
    } else {
        frontier.append(&leaves).map_err(log_err)?
    };
    // Level 0 is stored with the entries.
    nodes.retain(|(id, _)| id.level > 0);
    Ok(Appended {
        first,
        entries,
        leaves,
        nodes,
    })
}

/// The second half of [`append`]: writes the rows [`prepare`] computed.
pub(crate) async fn write(
    conn: &mut SqliteConnection,
    appended: &Appended,
) -> Result<(), StoreError> {
    let Appended {
        first,
        entries,
        leaves,
        nodes,
    } = appended;
    let first = *first;
    if entries.is_empty() {
        return Ok(());
    }
    let ctx = "appending to the transparency log";

    let mut done = 0;
    while done < entries.len() {
        let n = next_chunk(entries.len() - done);
        let sql = format!(
            "INSERT INTO log_entries (idx, entry, leaf_hash) VALUES {}",
            values(n, "(?,?,?)")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (i, (e, h)) in entries[done..done + n]
            .iter()
            .zip(&leaves[done..done + n])
            .enumerate()
        {
            q = q
                .bind(to_i64(first + (done + i) as u64, "log index")?)
                .bind(e.as_slice())
                .bind(h.as_slice());
        }
        q.execute(&mut *conn).await.map_err(db_err(ctx))?;
        done += n;
    }
    let mut done = 0;
    while done < nodes.len() {
        let n = next_chunk(nodes.len() - done);
        let sql = format!(
            "INSERT INTO log_nodes (level, idx, hash) VALUES {}",
            values(n, "(?,?,?)")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, h) in &nodes[done..done + n] {
            q = q
                .bind(i64::from(id.level))
                .bind(to_i64(id.index, "node index")?)
                .bind(h.as_slice());
        }
        q.execute(&mut *conn).await.map_err(db_err(ctx))?;
        done += n;
    }
    Ok(())
}

/// The hashes of `ids`, in that order, in one query: leaves (level 0) from `log_entries`,
/// the rest from `log_nodes`.
pub(crate) async fn fetch_nodes(
    conn: &mut SqliteConnection,
    ids: &[NodeId],
) -> Result<Vec<Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (leaves, inner): (Vec<&NodeId>, Vec<&NodeId>) = ids.iter().partition(|id| id.level == 0);
    let mut parts = Vec::with_capacity(2);
    if !leaves.is_empty() {
        parts.push(format!(
            "SELECT 0, e.idx, e.leaf_hash FROM (VALUES {}) AS w CROSS JOIN log_entries AS e ON e.idx = w.column1",
            values(leaves.len(), "(?)")
        ));
    }
    if !inner.is_empty() {
        parts.push(format!(
            "SELECT n.level, n.idx, n.hash FROM (VALUES {}) AS w CROSS JOIN log_nodes AS n \
             ON n.level = w.column1 AND n.idx = w.column2",
            values(inner.len(), "(?,?)")
        ));
    }
    let sql = parts.join(" UNION ALL ");
    let mut q = sqlx::query_as::<_, (i64, i64, Vec<u8>)>(AssertSqlSafe(sql));
    for id in &leaves {
        q = q.bind(to_i64(id.index, "node index")?);
    }
    for id in &inner {
        q = q
            .bind(i64::from(id.level))
            .bind(to_i64(id.index, "node index")?);
    }
    let rows = q
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("reading log tree nodes"))?;
    let mut found: HashMap<(i64, i64), Hash> = HashMap::with_capacity(rows.len());
    for (level, idx, hash) in rows {
        let h: Hash = hash.try_into().map_err(|_| {
            StoreError::Corrupt(format!("log node ({level}, {idx}) is not 32 bytes"))
        })?;
        found.insert((level, idx), h);
    }
    ids.iter()
        .map(|id| {
            found
                .get(&(i64::from(id.level), id.index as i64))
                .copied()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "log node (level {}, index {}) is missing",
                        id.level, id.index
                    ))
                })
        })
        .collect()
}

/// The log size, read from the frontier row.
pub(crate) async fn size(conn: &mut SqliteConnection) -> Result<u64, StoreError> {
    Ok(load_frontier(conn).await?.size())
}

pub(crate) async fn check_within(conn: &mut SqliteConnection, size: u64) -> Result<(), StoreError> {
    let log_size = self::size(conn).await?;
    if size > log_size {
        return Err(StoreError::Log(format!(
            "tree size {size} is beyond the log's {log_size} entries"
        )));
    }
    Ok(())
}

/// Runs a proof plan: one fetch, then assemble.
pub(crate) async fn run_plan(
    conn: &mut SqliteConnection,
    plan: &merkle::ProofPlan,
) -> Result<Vec<Hash>, StoreError> {
    let hashes = fetch_nodes(conn, plan.node_ids()).await?;
    plan.assemble(&hashes).map_err(log_err)
}

impl SqliteStore {
    pub(super) async fn log_size_impl(&self) -> Result<u64, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("reading the log size"))?;
        size(&mut conn).await
    }

    pub(super) async fn log_entries_impl(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let ctx = "reading log entries";
        if start > end {
            return Err(StoreError::Log(format!("start {start} is after end {end}")));
        }
        let mut tx = self.pool.begin().await.map_err(db_err(ctx))?;
        check_within(&mut tx, end).await?;
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

    pub(super) async fn append_log_entries_impl(
        &self,
        entries: &[Entry],
    ) -> Result<u64, StoreError> {
        let bytes = entries
            .iter()
            .map(|e| e.encode().map_err(log_err))
            .collect::<Result<Vec<_>, _>>()?;
        let ctx = "appending log entries";
        let _w = self.write().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx))?;
        let index = append_all(&mut tx, &bytes).await?;
        tx.commit().await.map_err(db_err(ctx))?;
        Ok(index)
    }

    /// Checks `size` against the log and runs the plan, in one read transaction.
    pub(super) async fn log_proof_impl(
        &self,
        size: u64,
        plan: impl FnOnce() -> Result<merkle::ProofPlan, pacific_tlog::TlogError>,
    ) -> Result<Vec<Hash>, StoreError> {
        let plan = plan().map_err(log_err)?;
        let ctx = "reading a log proof";
        let mut tx = self.pool.begin().await.map_err(db_err(ctx))?;
        check_within(&mut tx, size).await?;
        let out = run_plan(&mut tx, &plan).await?;
        tx.commit().await.map_err(db_err(ctx))?;
        Ok(out)
    }
}
