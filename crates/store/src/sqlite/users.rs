//! Users and their per-collection grants in SQLite (`users`, `grants`). Adding a user appends
//! its `user-added` log entry in the same transaction.

use std::str::FromStr;

use pacific_core::Timestamp;
use pacific_core::access::{CollectionGrant, Role};
use pacific_tlog::entry::{Act, Entry};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row};

use super::{
    SqliteStore, check_actor, collection_key, corrupt, db_err, is_unique_violation, log, timestamp,
};
use crate::{StoreError, User};

impl SqliteStore {
    pub(super) async fn add_user_impl(&self, actor: &str, user: &User) -> Result<(), StoreError> {
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
        let _w = self.write().await;
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

    pub(super) async fn user_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<User>, StoreError> {
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

    pub(super) async fn users_impl(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, role, token_id, token_hash, created FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    pub(super) async fn set_grant_impl(
        &self,
        user: &str,
        grant: &CollectionGrant,
    ) -> Result<(), StoreError> {
        let _w = self.write().await;
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

    pub(super) async fn grant_impl(
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
