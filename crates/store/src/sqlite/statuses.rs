//! TAXII status resources in SQLite (`statuses`): each kept as its JSON text by id.

use pacific_core::taxii::Status;

use super::{SqliteStore, db_err};
use crate::StoreError;

impl SqliteStore {
    pub(super) async fn put_status_impl(&self, status: &Status) -> Result<(), StoreError> {
        let json = serde_json::to_string(status).map_err(|e| {
            StoreError::Database(format!("serialising status {:?}: {e}", status.id))
        })?;
        let _w = self.write().await;
        sqlx::query("INSERT INTO statuses (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json")
            .bind(&status.id)
            .bind(json)
            .execute(&self.pool)
            .await
            .map_err(db_err(format_args!("storing status {:?}", status.id)))?;
        Ok(())
    }

    pub(super) async fn pending_statuses_impl(&self) -> Result<Vec<Status>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, json FROM statuses WHERE json_extract(json, '$.status') = 'pending'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err(format_args!("reading pending statuses")))?;
        rows.into_iter()
            .map(|(id, j)| {
                serde_json::from_str(&j)
                    .map_err(|e| StoreError::Corrupt(format!("status {id:?}: {e}")))
            })
            .collect()
    }

    pub(super) async fn status_impl(&self, id: &str) -> Result<Option<Status>, StoreError> {
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
