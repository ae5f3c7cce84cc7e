//! Users' API tokens: issuing them, storing only their argon2 hash, and checking the
//! `Authorization` header (HTTP Basic with the token as password, or Bearer).
//!
//! A token reads `pac_<token id>_<secret>`. The token id is public and finds the user; the
//! secret is checked against the argon2 hash. Argon2 is deliberately slow, so a successful
//! check is remembered (by SHA-256 of the token) for a few minutes; failures are never cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_store::{Store, User};
use sha2::{Digest, Sha256};

use crate::NodeError;

const CACHE_TTL: Duration = Duration::from_secs(300);

/// Who a request is from, once authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
}

/// Why authentication failed. All variants answer 401 alike, so a caller learns nothing about
/// which part was wrong; the variant is for logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    Missing,
    #[error("Authorization header is neither Basic nor Bearer, or is malformed")]
    Malformed,
    #[error("unknown or wrong token")]
    BadToken,
}

/// A freshly issued token: shown once, never stored.
pub struct IssuedToken {
    pub token: String,
    pub user: User,
}

/// Creates a user with a new token. The token is returned once; only its hash is stored.
pub async fn add_user(store: &dyn Store, name: &str, role: Role) -> Result<IssuedToken, NodeError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
    {
        return Err(NodeError::Setup(format!(
            "user name {name:?} must be 1-64 characters of letters, digits and - _ . @"
        )));
    }
    let token_id = hex::encode(crate::random_bytes::<6>());
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<32>());
    let token = format!("pac_{token_id}_{secret}");
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(token.as_bytes(), &crate::random_bytes::<16>())
        .map_err(|e| NodeError::Setup(format!("cannot hash the token: {e}")))?;
    let token_hash = hash.to_string();
    let user = User {
        name: name.to_owned(),
        role,
        token_id,
        token_hash,
        created: Timestamp::now(),
    };
    store.add_user(&user).await?;
    Ok(IssuedToken { token, user })
}

/// Checks `Authorization` headers against the store.
#[derive(Clone)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    verified: Arc<Mutex<HashMap<[u8; 32], (Principal, Instant)>>>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            verified: Arc::default(),
        }
    }

    /// Authenticates an `Authorization` header value.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let (claimed_user, token) = parse_authorization(header)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(principal) = self.cached(&digest)
            && claimed_user.as_deref().is_none_or(|u| u == principal.user)
        {
            return Ok(principal);
        }
        let token_id = token
            .strip_prefix("pac_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
            .ok_or(AuthError::BadToken)?;
        let user = self
            .store
            .user_by_token_id(token_id)
            .await
            .map_err(|_| AuthError::BadToken)?;
        let user = user.ok_or(AuthError::BadToken)?;
        if claimed_user.as_deref().is_some_and(|u| u != user.name) {
            return Err(AuthError::BadToken);
        }
        // Argon2 takes tens of milliseconds: keep it off the async workers.
        let hash_text = user.token_hash.clone();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordVerifier::<str>::verify_password(
                &Argon2::default(),
                token.as_bytes(),
                &hash_text,
            )
            .is_ok()
        })
        .await
        .unwrap_or(false);
        if !ok {
            return Err(AuthError::BadToken);
        }
        let principal = Principal {
            user: user.name,
            role: user.role,
        };
        self.verified
            .lock()
            .expect("auth cache lock")
            .insert(digest, (principal.clone(), Instant::now()));
        Ok(principal)
    }

    fn cached(&self, digest: &[u8; 32]) -> Option<Principal> {
        let mut cache = self.verified.lock().expect("auth cache lock");
        match cache.get(digest) {
            Some((p, at)) if at.elapsed() < CACHE_TTL => Some(p.clone()),
            Some(_) => {
                cache.remove(digest);
                None
            }
            None => None,
        }
    }
}

/// Splits `Basic base64(user:token)` or `Bearer token` into (claimed user, token).
fn parse_authorization(header: &str) -> Result<(Option<String>, String), AuthError> {
    let (scheme, value) = header.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return if value.is_empty() {
            Err(AuthError::Malformed)
        } else {
            Ok((None, value.to_owned()))
        };
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| AuthError::Malformed)?;
        let text = String::from_utf8(decoded).map_err(|_| AuthError::Malformed)?;
        let (user, token) = text.split_once(':').ok_or(AuthError::Malformed)?;
        return Ok((Some(user.to_owned()), token.to_owned()));
    }
    Err(AuthError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_and_bearer() {
        assert_eq!(
            parse_authorization("Bearer pac_1_x").unwrap(),
            (None, "pac_1_x".into())
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("ana:pac_1_x");
        assert_eq!(
            parse_authorization(&format!("Basic {basic}")).unwrap(),
            (Some("ana".into()), "pac_1_x".into())
        );
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Basic !!!",
            "Digest abc",
            "Basic bm9jb2xvbg==",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest::proptest! {
        /// The header parser reads outside input: it must never panic.
        #[test]
        fn any_header_is_parsed_or_refused(header in "\\PC{0,200}") {
            let _ = parse_authorization(&header);
        }
    }
}
