//! The node's users: adding one with a token (optionally expiring), removing one, revoking a
//! token (optionally issuing a new one), changing a role and setting a collection grant. The one
//! service behind `pacific user …` and the admin API (`/admin/users`); it knows nothing of HTTP.
//!
//! Every change is one store transaction with its log entry (`user-added`, `user-removed`,
//! `token-revoked`, `token-issued`, `user-role-changed`, `grant-changed`, by the acting user or
//! `local` for the command line), and takes effect on the next request of the user concerned,
//! dashboard sessions included (`crate::auth`). The node never loses its last admin
//! ([`UserError::LastAdmin`]). Tokens are shown once, when issued; lists never carry their hashes.

use std::sync::Arc;

use pacific_core::Timestamp;
use pacific_core::access::{CollectionGrant, Role};
use pacific_store::{Collection, Store, StoreError, User};
use serde::Serialize;

use crate::auth::{self, IssuedToken};

/// Why a user operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no user named {0:?}")]
    UnknownUser(String),
    #[error("no collection with id or alias {0:?}")]
    UnknownCollection(String),
    /// The input is not acceptable (a user name, an expiry, a right the role cannot have).
    #[error("{0}")]
    Invalid(String),
    /// Removing or demoting the only admin: refused, nothing changed.
    #[error("{0:?} is the last admin; add or promote another admin first")]
    LastAdmin(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownUser(u) => UserError::UnknownUser(u),
            StoreError::UnknownCollection(c) => UserError::UnknownCollection(c),
            StoreError::LastAdmin(u) => UserError::LastAdmin(u),
            StoreError::AlreadyExists(what) => UserError::AlreadyExists(what),
            other => UserError::Store(other),
        }
    }
}

impl From<UserError> for crate::NodeError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Store(e) => crate::NodeError::Store(e),
            other => crate::NodeError::Setup(other.to_string()),
        }
    }
}

/// A user as lists show them: never the token's hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    /// The token's public id (the part after `pac_`).
    pub token_id: String,
    pub created: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// When the token was revoked; the user has no valid token until one is issued again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Timestamp>,
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        UserInfo {
            name: u.name.clone(),
            role: u.role,
            token_id: u.token_id.clone(),
            created: u.created.clone(),
            expires: u.expires.clone(),
            revoked: u.revoked.clone(),
        }
    }
}

/// What a revocation did.
pub struct Revoked {
    /// Whether the token was still unrevoked (revoking a revoked token changes nothing).
    pub was_valid: bool,
    /// The new token, when one was issued in its place (shown once).
    pub issued: Option<IssuedToken>,
}

/// Parses an expiry: an RFC 3339 time (`2026-06-30T00:00:00Z`), or a duration from `now` of a
/// whole number of days, hours, minutes or seconds (`90d`, `12h`, `30m`, `45s`). It must lie
/// after `now`.
pub fn parse_expiry(text: &str, now: &Timestamp) -> Result<Timestamp, UserError> {
    let text = text.trim();
    let invalid = || {
        UserError::Invalid(format!(
            "expiry {text:?}: expected an RFC 3339 time (2026-06-30T00:00:00Z) or a duration \
             such as 90d, 12h, 30m or 45s"
        ))
    };
    let unit_secs = match text.as_bytes().last() {
        Some(b'd') => Some(86_400),
        Some(b'h') => Some(3_600),
        Some(b'm') => Some(60),
        Some(b's') => Some(1),
        _ => None,
    };
    let at = match unit_secs {
        Some(unit)
            if text.len() > 1 && text[..text.len() - 1].bytes().all(|b| b.is_ascii_digit()) =>
        {
            let n: i64 = text[..text.len() - 1].parse().map_err(|_| invalid())?;
            let micros = n
                .checked_mul(unit)
                .and_then(|s| s.checked_mul(1_000_000))
                .and_then(|d| now.unix_micros().checked_add(d))
                // Year 9999 at most, as any timestamp the node writes.
                .filter(|m| *m < 253_402_300_800_000_000)
                .ok_or_else(invalid)?;
            Timestamp::from_unix_micros(micros)
        }
        _ => Timestamp::parse(text).map_err(|_| invalid())?,
    };
    if at <= *now {
        return Err(UserError::Invalid(format!(
            "expiry {text:?} is not in the future"
        )));
    }
    Ok(at)
}

/// The users of this node (see the module doc).
pub struct Users {
    store: Arc<dyn Store>,
}

impl Users {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Every user, by name, without token hashes.
    pub async fn list(&self) -> Result<Vec<UserInfo>, UserError> {
        Ok(self
            .store
            .users()
            .await?
            .iter()
            .map(UserInfo::from)
            .collect())
    }

    /// Adds a user with a new token (expiring at `expires`, if given), logged as by `actor`.
    pub async fn add(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        expires: Option<Timestamp>,
    ) -> Result<IssuedToken, UserError> {
        auth::check_user_name(name).map_err(UserError::Invalid)?;
        let (token, made) = auth::new_token(expires).map_err(UserError::Invalid)?;
        let user = auth::new_user(name, role, made);
        self.store.add_user_as(actor, &user).await?;
        Ok(IssuedToken { token, user })
    }

    /// Removes a user and their grants; their token and sessions stop working at once.
    pub async fn remove(&self, actor: &str, name: &str) -> Result<(), UserError> {
        self.store.remove_user(actor, name).await?;
        Ok(())
    }

    /// Revokes a user's token and, with `reissue`, gives them a new one (expiring at
    /// `expires`, if given) in the same transaction. `expires` without `reissue` is refused.
    pub async fn revoke(
        &self,
        actor: &str,
        name: &str,
        reissue: bool,
        expires: Option<Timestamp>,
    ) -> Result<Revoked, UserError> {
        if !reissue {
            if expires.is_some() {
                return Err(UserError::Invalid(
                    "an expiry is for the new token: ask for one (reissue) or leave it out".into(),
                ));
            }
            let was_valid = self.store.revoke_token(actor, name).await?;
            return Ok(Revoked {
                was_valid,
                issued: None,
            });
        }
        let before = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| UserError::UnknownUser(name.to_owned()))?;
        let (token, made) = auth::new_token(expires).map_err(UserError::Invalid)?;
        self.store.reissue_token(actor, name, &made).await?;
        let user = User {
            token_id: made.token_id,
            token_hash: made.token_hash,
            expires: made.expires,
            revoked: None,
            ..before.clone()
        };
        Ok(Revoked {
            was_valid: before.revoked.is_none(),
            issued: Some(IssuedToken { token, user }),
        })
    }

    /// Changes a user's role; returns whether it changed.
    pub async fn set_role(&self, actor: &str, name: &str, role: Role) -> Result<bool, UserError> {
        Ok(self.store.set_user_role(actor, name, role).await?)
    }

    /// Sets a user's rights on one collection (by id or alias), replacing the role's default
    /// there; a reader or a delegate is never given write. Returns the collection.
    pub async fn set_grant(
        &self,
        actor: &str,
        name: &str,
        collection: &str,
        read: bool,
        write: bool,
    ) -> Result<Collection, UserError> {
        let c = crate::find_collection(self.store.as_ref(), collection)
            .await?
            .ok_or_else(|| UserError::UnknownCollection(collection.to_owned()))?;
        let user = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| UserError::UnknownUser(name.to_owned()))?;
        if write && !user.role.writes_collections() {
            let role = user.role;
            return Err(UserError::Invalid(format!(
                "{name} is a {role}; a {role} never writes"
            )));
        }
        let grant = CollectionGrant {
            collection_id: c.id.clone(),
            can_read: read,
            can_write: write,
        };
        self.store.set_grant_as(actor, name, &grant).await?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_are_times_or_durations_in_the_future() {
        let now = Timestamp::parse("2026-03-01T00:00:00Z").unwrap();
        let at = |s: &str| parse_expiry(s, &now).map(|t| t.unix_micros());
        let day = 86_400_000_000;
        assert_eq!(at("90d").unwrap(), now.unix_micros() + 90 * day);
        assert_eq!(at("12h").unwrap(), now.unix_micros() + day / 2);
        assert_eq!(at("30m").unwrap(), now.unix_micros() + 1_800_000_000);
        assert_eq!(at("45s").unwrap(), now.unix_micros() + 45_000_000);
        assert_eq!(
            at("2026-06-30T00:00:00Z").unwrap(),
            Timestamp::parse("2026-06-30T00:00:00Z")
                .unwrap()
                .unix_micros()
        );
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "1.5d",
            "90 days",
            "1w",
            "99999999999999999d",
            "2026-02-28T00:00:00Z",
            "2026-03-01T00:00:00Z",
            "tomorrow",
        ] {
            assert!(
                matches!(at(bad), Err(UserError::Invalid(_))),
                "{bad:?} accepted"
            );
        }
    }
}
