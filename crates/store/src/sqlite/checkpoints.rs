//! Checkpoints in SQLite: this node's published signed checkpoints (`log_checkpoints`), the
//! latest checkpoint witnessed of each other log (`witnessed_checkpoints`), and the evidence
//! kept when a log showed two views (`split_view_evidence`).

use super::{SqliteStore, db_err, timestamp, to_u64};
use crate::{SplitViewEvidence, StoreError, StoredCheckpoint};

impl SqliteStore {
    pub(super) async fn put_checkpoint_impl(
        &self,
        size: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        let ctx = || format!("storing the checkpoint of size {size}");
        let _w = self.write().await;
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

    pub(super) async fn latest_checkpoint_impl(
        &self,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
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

    pub(super) async fn witnessed_checkpoint_impl(
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

    pub(super) async fn put_witnessed_checkpoint_impl(
        &self,
        origin: &str,
        size: u64,
        note: &str,
    ) -> Result<(), StoreError> {
        let _w = self.write().await;
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

    pub(super) async fn add_split_view_evidence_impl(
        &self,
        e: &SplitViewEvidence,
    ) -> Result<i64, StoreError> {
        let _w = self.write().await;
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

    pub(super) async fn split_view_evidence_impl(
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
