//! Witnesses' cosignatures of this node's log in SQLite (`log_cosignatures`, migration 0013):
//! one row per witness, its latest cosignature, kept in the same transaction as its
//! `cosignature-received` log entry.

use pacific_core::Timestamp;
use pacific_tlog::entry::{Act, COSIGNATURE_KINDS, Entry};
use pacific_tlog::signed_note::NoteSignature;
use sqlx::{SqliteConnection, SqlitePool};

use super::{check_actor, db_err, log, timestamp, to_u64};
use crate::{CosignatureAdded, Hash, StoreError, StoredCosignature};

fn to_i64(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Log(format!("{what} {n} is too large")))
}

/// Keeps `c` as its witness's latest and logs it when it attests something new, in one
/// transaction ([`crate::Store::add_cosignature`]). The caller holds the write lock.
pub(super) async fn add(
    pool: &SqlitePool,
    c: &StoredCosignature,
    root: Hash,
    actor: &str,
) -> Result<CosignatureAdded, StoreError> {
    check_actor(actor)?;
    let key_id = NoteSignature::from_line(&c.line)
        .map_err(|e| StoreError::Log(format!("the cosignature line of {:?}: {e}", c.witness)))?
        .key_id;
    let time = u64::try_from(Timestamp::now().unix_micros() / 1000).unwrap_or(0);
    let entry = Entry::new(
        time,
        actor,
        Act::CosignatureReceived {
            peer: c.witness.clone(),
            tree_size: c.size,
            root_hash: root,
            key_id,
        },
    )
    .and_then(|e| e.encode())
    .map_err(log::log_err)?;
    let ctx = || format!("storing the cosignature of witness {:?}", c.witness);
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(db_err(ctx()))?;
    let before: Option<i64> =
        sqlx::query_scalar("SELECT size FROM log_cosignatures WHERE witness = ?")
            .bind(&c.witness)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
    let before = before
        .map(|b| to_u64(b, "kept cosignature size"))
        .transpose()?;
    let kept = upsert(&mut tx, c).await?;
    let mut index = None;
    if kept
        && before.is_none_or(|b| c.size > b)
        && attests_new_entries(&mut tx, before.unwrap_or(0), c.size).await?
    {
        index = Some(log::append_all(&mut tx, &[entry]).await?);
    }
    tx.commit().await.map_err(db_err(ctx()))?;
    Ok(CosignatureAdded { kept, entry: index })
}

/// Whether entries `[from, to)` hold one that is not a cosignature act. Entries are canonical
/// JSON, where a `"` inside a string is always escaped, so `"kind":"<kind>"` occurs in an entry
/// only as its kind.
async fn attests_new_entries(
    conn: &mut SqliteConnection,
    from: u64,
    to: u64,
) -> Result<bool, StoreError> {
    if from >= to {
        return Ok(false);
    }
    let [received, sent] = COSIGNATURE_KINDS.map(|k| format!("\"kind\":\"{k}\"").into_bytes());
    let found: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM log_entries WHERE idx >= ? AND idx < ? \
           AND instr(entry, ?) = 0 AND instr(entry, ?) = 0)",
    )
    .bind(to_i64(from, "log index")?)
    .bind(to_i64(to, "log index")?)
    .bind(received)
    .bind(sent)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err("reading the log entries a cosignature covers"))?;
    Ok(found)
}

/// Upserts `c` unless the witness's kept row is of a larger tree, or of the same size with a
/// later timestamp. Returns whether the row is now `c`.
async fn upsert(conn: &mut SqliteConnection, c: &StoredCosignature) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO log_cosignatures \
         (witness, cosigner_vkey, key_statement, size, checkpoint, cosignature, cosigned_at, received_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (witness) DO UPDATE SET \
           cosigner_vkey = excluded.cosigner_vkey, key_statement = excluded.key_statement, \
           size = excluded.size, checkpoint = excluded.checkpoint, \
           cosignature = excluded.cosignature, cosigned_at = excluded.cosigned_at, \
           received_at = excluded.received_at \
         WHERE excluded.size > log_cosignatures.size \
            OR (excluded.size = log_cosignatures.size \
                AND excluded.cosigned_at >= log_cosignatures.cosigned_at)",
    )
    .bind(&c.witness)
    .bind(&c.cosigner_vkey)
    .bind(&c.key_statement)
    .bind(to_i64(c.size, "checkpoint size")?)
    .bind(&c.checkpoint)
    .bind(&c.line)
    .bind(to_i64(c.timestamp, "cosignature timestamp")?)
    .bind(c.received.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_err(format_args!(
        "storing the cosignature of witness {:?}",
        c.witness
    )))?;
    Ok(done.rows_affected() > 0)
}

type Row = (String, String, String, i64, String, String, i64, String);

/// Every witness's kept cosignature, largest tree first, then by witness.
pub(super) async fn all(pool: &SqlitePool) -> Result<Vec<StoredCosignature>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT witness, cosigner_vkey, key_statement, size, checkpoint, cosignature, cosigned_at, received_at \
         FROM log_cosignatures ORDER BY size DESC, witness",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err("reading the log's cosignatures"))?;
    rows.into_iter()
        .map(
            |(witness, cosigner_vkey, key_statement, size, checkpoint, line, at, received)| {
                Ok(StoredCosignature {
                    witness,
                    cosigner_vkey,
                    key_statement,
                    size: to_u64(size, "cosigned checkpoint size")?,
                    checkpoint,
                    line,
                    timestamp: to_u64(at, "cosignature timestamp")?,
                    received: timestamp(&received, "cosignature received_at")?,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use pacific_core::Timestamp;
    use pacific_tlog::signed_note::NoteSignature;

    use crate::{SqliteStore, Store, StoredCosignature};

    fn cosig(witness: &str, size: u64, timestamp: u64) -> StoredCosignature {
        let mut signature = vec![0u8; 72];
        signature[..8].copy_from_slice(&timestamp.to_be_bytes());
        StoredCosignature {
            witness: witness.into(),
            cosigner_vkey: format!("{witness}-vkey"),
            key_statement: "c3RtdA==".into(),
            size,
            checkpoint: format!("cp {size}\n"),
            line: NoteSignature {
                name: format!("pacific/{witness}/0011223344556677"),
                key_id: [1, 2, 3, 4],
                signature,
            }
            .to_line(),
            timestamp,
            received: Timestamp::now(),
        }
    }

    async fn kept(store: &SqliteStore, c: &StoredCosignature) -> bool {
        store
            .add_cosignature(c, [0; 32], "peer:w")
            .await
            .unwrap()
            .kept
    }

    #[tokio::test]
    async fn the_latest_cosignature_per_witness_is_kept() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        assert!(store.cosignatures().await.unwrap().is_empty());
        assert!(kept(&store, &cosig("bravo", 5, 100)).await);
        assert!(kept(&store, &cosig("charlie", 3, 90)).await);
        // The same tree later replaces; an older tree or an earlier time does not.
        assert!(kept(&store, &cosig("bravo", 5, 101)).await);
        assert!(!kept(&store, &cosig("bravo", 4, 200)).await);
        assert!(!kept(&store, &cosig("bravo", 5, 99)).await);
        // A larger tree replaces, whatever its time.
        assert!(kept(&store, &cosig("charlie", 7, 1)).await);
        let all = store.cosignatures().await.unwrap();
        let got: Vec<(&str, u64, u64)> = all
            .iter()
            .map(|c| (c.witness.as_str(), c.size, c.timestamp))
            .collect();
        assert_eq!(got, vec![("charlie", 7, 1), ("bravo", 5, 101)]);
        let bravo = &all[1];
        assert_eq!(bravo.line, cosig("bravo", 5, 101).line);
        assert_eq!(bravo.checkpoint, "cp 5\n");
        assert_eq!(bravo.cosigner_vkey, "bravo-vkey");
        // The log is empty: none of these attests an entry, so none is logged.
        assert_eq!(store.log_size().await.unwrap(), 0);
        // A line that does not parse is refused, and nothing is kept.
        let mut bad = cosig("delta", 1, 1);
        bad.line = "not a line\n".into();
        assert!(
            store
                .add_cosignature(&bad, [0; 32], "peer:w")
                .await
                .is_err()
        );
        assert_eq!(store.cosignatures().await.unwrap().len(), 2);
    }
}
