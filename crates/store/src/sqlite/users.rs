//! Users and their per-collection grants in SQLite (`users`, `grants`). Every change appends its
//! log entry in the same transaction: `user-added`, `user-removed`, `user-role-changed`,
//! `token-revoked`, `token-issued`, `grant-changed`. A change that fails appends nothing.

use std::str::FromStr;

use pacific_core::Timestamp;
use pacific_core::access::{CollectionGrant, Role};
use pacific_tlog::entry::{Act, Entry};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqliteConnection};

use super::{
    SqliteStore, check_actor, collection_key, corrupt, db_err, is_unique_violation, log, timestamp,
};
use crate::{NewToken, StoreError, User};

/// The columns of a [`User`], in the order [`user_from_row`] reads them.
const USER_COLUMNS: &str = "name, role, token_id, token_hash, created, expires, revoked";

/// The encoded entry of an act done now by `actor`.
fn entry_now(actor: &str, act: Act) -> Result<Vec<u8>, StoreError> {
    Entry::new(
        Timestamp::now().unix_micros().max(0) as u64 / 1000,
        actor,
        act,
    )
    .and_then(|e| e.encode())
    .map_err(log::log_err)
}

/// The role of user `name`, read in the transaction; [`StoreError::UnknownUser`] if none.
async fn role_of(conn: &mut SqliteConnection, name: &str) -> Result<Role, StoreError> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err(format_args!("reading the role of {name:?}")))?;
    let role = role.ok_or_else(|| StoreError::UnknownUser(name.to_owned()))?;
    Role::from_str(&role).map_err(|e| StoreError::Corrupt(format!("role of user {name:?}: {e}")))
}

/// [`StoreError::LastAdmin`] unless some admin other than `name` remains.
async fn keep_an_admin(conn: &mut SqliteConnection, name: &str) -> Result<(), StoreError> {
    let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = ? AND name <> ?")
        .bind(Role::Admin.as_str())
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err("counting admins"))?;
    if others == 0 {
        return Err(StoreError::LastAdmin(name.to_owned()));
    }
    Ok(())
}

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
            "INSERT INTO users (name, role, token_id, token_hash, created, expires, revoked) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.token_id)
        .bind(&user.token_hash)
        .bind(user.created.as_str())
        .bind(user.expires.as_ref().map(Timestamp::as_str))
        .bind(user.revoked.as_ref().map(Timestamp::as_str))
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
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format_args!("reading user by {column}")))?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub(super) async fn users_impl(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err("listing users"))?;
        rows.iter().map(user_from_row).collect()
    }

    pub(super) async fn remove_user_impl(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        check_actor(actor)?;
        let ctx = || format!("removing user {name:?}");
        let entry = entry_now(
            actor,
            Act::UserRemoved {
                user: name.to_owned(),
            },
        )?;
        let _w = self.write().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        if role_of(&mut tx, name).await? == Role::Admin {
            keep_an_admin(&mut tx, name).await?;
        }
        // The grants would go by the foreign key's cascade too; said here so it does not
        // depend on the connection's foreign-key setting.
        sqlx::query("DELETE FROM grants WHERE user_name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        sqlx::query("DELETE FROM users WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        log::append_all(&mut tx, &[entry]).await?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(())
    }

    pub(super) async fn set_user_role_impl(
        &self,
        actor: &str,
        name: &str,
        role: Role,
    ) -> Result<bool, StoreError> {
        check_actor(actor)?;
        let ctx = || format!("changing the role of {name:?}");
        let entry = entry_now(
            actor,
            Act::UserRoleChanged {
                user: name.to_owned(),
                role: role.as_str().to_owned(),
            },
        )?;
        let _w = self.write().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        let current = role_of(&mut tx, name).await?;
        if current == role {
            return Ok(false);
        }
        if current == Role::Admin {
            keep_an_admin(&mut tx, name).await?;
        }
        sqlx::query("UPDATE users SET role = ? WHERE name = ?")
            .bind(role.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        log::append_all(&mut tx, &[entry]).await?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(true)
    }

    /// Revokes `name`'s token and, with `new`, issues them that one in its place. Returns
    /// whether the old token was not revoked before.
    pub(super) async fn change_token_impl(
        &self,
        actor: &str,
        name: &str,
        new: Option<&NewToken>,
    ) -> Result<bool, StoreError> {
        check_actor(actor)?;
        let ctx = || format!("changing the token of {name:?}");
        let _w = self.write().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err(ctx()))?;
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT token_id, revoked FROM users WHERE name = ?")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err(ctx()))?;
        let (old_id, revoked) = row.ok_or_else(|| StoreError::UnknownUser(name.to_owned()))?;
        let was_valid = revoked.is_none();
        let mut entries = Vec::new();
        if was_valid {
            entries.push(entry_now(
                actor,
                Act::TokenRevoked {
                    user: name.to_owned(),
                    token_id: old_id,
                },
            )?);
        }
        match new {
            Some(token) => {
                entries.push(entry_now(
                    actor,
                    Act::TokenIssued {
                        user: name.to_owned(),
                        token_id: token.token_id.clone(),
                        expires: token.expires.as_ref().map(|t| t.as_str().to_owned()),
                    },
                )?);
                sqlx::query(
                    "UPDATE users SET token_id = ?, token_hash = ?, expires = ?, revoked = NULL \
                     WHERE name = ?",
                )
                .bind(&token.token_id)
                .bind(&token.token_hash)
                .bind(token.expires.as_ref().map(Timestamp::as_str))
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::AlreadyExists(format!(
                            "a user with token id {:?}",
                            token.token_id
                        ))
                    } else {
                        db_err(ctx())(e)
                    }
                })?;
            }
            None if was_valid => {
                sqlx::query("UPDATE users SET revoked = ? WHERE name = ?")
                    .bind(Timestamp::now().as_str())
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(ctx()))?;
            }
            // Revoked already: nothing changes, nothing is logged.
            None => return Ok(false),
        }
        log::append_all(&mut tx, &entries).await?;
        tx.commit().await.map_err(db_err(ctx()))?;
        Ok(was_valid)
    }

    pub(super) async fn set_grant_impl(
        &self,
        actor: &str,
        user: &str,
        grant: &CollectionGrant,
    ) -> Result<(), StoreError> {
        check_actor(actor)?;
        let entry = entry_now(
            actor,
            Act::GrantChanged {
                user: user.to_owned(),
                collection: grant.collection_id.clone(),
                can_read: grant.can_read,
                can_write: grant.can_write,
            },
        )?;
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
        log::append_all(&mut tx, &[entry]).await?;
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
    let expires: Option<String> = row.try_get(5).map_err(corrupt("users.expires"))?;
    let revoked: Option<String> = row.try_get(6).map_err(corrupt("users.revoked"))?;
    Ok(User {
        expires: expires
            .map(|t| timestamp(&t, "users.expires"))
            .transpose()?,
        revoked: revoked
            .map(|t| timestamp(&t, "users.revoked"))
            .transpose()?,
        role: Role::from_str(&role)
            .map_err(|e| StoreError::Corrupt(format!("role of user {name:?}: {e}")))?,
        token_id: row.try_get(2).map_err(corrupt("users.token_id"))?,
        token_hash: row.try_get(3).map_err(corrupt("users.token_hash"))?,
        created: timestamp(&created, "users.created")?,
        name,
    })
}
