//! TAXII collections in SQLite (`collections`): creating, listing and reading them.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, corrupt, db_err, is_unique_violation};
use crate::{Collection, StoreError};

impl SqliteStore {
    pub(super) async fn create_collection_impl(&self, c: &Collection) -> Result<(), StoreError> {
        let _w = self.write().await;
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

    pub(super) async fn collections_impl(&self) -> Result<Vec<Collection>, StoreError> {
        let rows =
            sqlx::query("SELECT id, title, description, alias FROM collections ORDER BY key")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err("listing collections"))?;
        rows.iter().map(collection_from_row).collect()
    }

    pub(super) async fn collection_impl(&self, id: &str) -> Result<Option<Collection>, StoreError> {
        let row = sqlx::query("SELECT id, title, description, alias FROM collections WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("reading collection {id:?}")))?;
        row.as_ref().map(collection_from_row).transpose()
    }
}

fn collection_from_row(row: &SqliteRow) -> Result<Collection, StoreError> {
    Ok(Collection {
        id: row.try_get(0).map_err(corrupt("collections.id"))?,
        title: row.try_get(1).map_err(corrupt("collections.title"))?,
        description: row.try_get(2).map_err(corrupt("collections.description"))?,
        alias: row.try_get(3).map_err(corrupt("collections.alias"))?,
    })
}
