//! Witnesses' cosignatures of this node's log in SQLite (`log_cosignatures`, migration 0013):
//! one row per witness, its latest cosignature.

use sqlx::SqlitePool;

use super::{db_err, timestamp, to_u64};
use crate::{StoreError, StoredCosignature};

fn to_i64(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Log(format!("{what} {n} is too large")))
}

/// Upserts `c` unless the witness's kept row is of a larger tree, or of the same size with a
/// later timestamp (one statement, so it is one transaction). The caller holds the write lock.
pub(super) async fn put(pool: &SqlitePool, c: &StoredCosignature) -> Result<bool, StoreError> {
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
    .execute(pool)
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

    use crate::{SqliteStore, Store, StoredCosignature};

    fn cosig(witness: &str, size: u64, timestamp: u64) -> StoredCosignature {
        StoredCosignature {
            witness: witness.into(),
            cosigner_vkey: format!("{witness}-vkey"),
            key_statement: "c3RtdA==".into(),
            size,
            checkpoint: format!("cp {size}\n"),
            line: format!("line {witness} {size} {timestamp}\n"),
            timestamp,
            received: Timestamp::now(),
        }
    }

    #[tokio::test]
    async fn the_latest_cosignature_per_witness_is_kept() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        assert!(store.cosignatures().await.unwrap().is_empty());
        assert!(
            store
                .put_cosignature(&cosig("bravo", 5, 100))
                .await
                .unwrap()
        );
        assert!(
            store
                .put_cosignature(&cosig("charlie", 3, 90))
                .await
                .unwrap()
        );
        // The same tree later replaces; an older tree or an earlier time does not.
        assert!(
            store
                .put_cosignature(&cosig("bravo", 5, 101))
                .await
                .unwrap()
        );
        assert!(
            !store
                .put_cosignature(&cosig("bravo", 4, 200))
                .await
                .unwrap()
        );
        assert!(!store.put_cosignature(&cosig("bravo", 5, 99)).await.unwrap());
        // A larger tree replaces, whatever its time.
        assert!(
            store
                .put_cosignature(&cosig("charlie", 7, 1))
                .await
                .unwrap()
        );
        let all = store.cosignatures().await.unwrap();
        let got: Vec<(&str, u64, u64)> = all
            .iter()
            .map(|c| (c.witness.as_str(), c.size, c.timestamp))
            .collect();
        assert_eq!(got, vec![("charlie", 7, 1), ("bravo", 5, 101)]);
        let bravo = &all[1];
        assert_eq!(bravo.line, "line bravo 5 101\n");
        assert_eq!(bravo.checkpoint, "cp 5\n");
        assert_eq!(bravo.cosigner_vkey, "bravo-vkey");
    }
}
