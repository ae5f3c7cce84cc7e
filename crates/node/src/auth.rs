//! Users' API tokens: issuing them, storing only their argon2 hash, and checking the
//! `Authorization` header (HTTP Basic with the token as password, Bearer, or `Token`, as the
//! OASIS `taxii2-client`'s `TokenAuth` sends it).
//!
//! A token reads `pac_<token id>_<secret>`. The token id is public and finds the user; the
//! secret is checked against the argon2 hash. Argon2 is deliberately slow, so a successful
//! check is remembered (by SHA-256 of the token) for a few minutes; failures are never cached.
//!
//! **Revocation and expiry take effect at once.** A remembered check keeps only which token id
//! and which stored hash argon2 accepted, never the user or the role: every request, cached or
//! not, reads the user by token id from the store (one indexed look-up) and is accepted only if
//! the user still exists, still holds that very hash (a re-issued token has another), the token
//! is neither revoked nor expired ([`User::token_valid_at`]), and it takes the role the store
//! holds now. So a user removed, a token revoked or re-issued, or a role changed, by this node's
//! admin API or by `pacific user …` on the data directory from another process, counts from the
//! next request on. Dashboard sessions keep the token they were signed in with
//! ([`VerifiedToken`]) and ask [`Authenticator::current`] on every page.
//!
//! **Throttling.** Because each check of a secret costs argon2 work, the API's check
//! ([`Authenticator::authenticate_client`], which the `crate::http::authz::enforce` middleware
//! calls for every TAXII, `/coop`, `/match`, `/log`, `/admin` and `/metrics` request) counts
//! failures per client address and per (address, token id) pair in an [`ApiThrottle`] (the
//! numbers are in [`crate::throttle`]; a failure counts on its pair only when the secret was
//! checked, i.e. the id names a user and the Basic user name, if any, is that user's, since only
//! then can it guess anything). While either is locked out, a request whose token argon2 has not
//! accepted lately is refused with [`AuthError::LockedOut`] (429
//! `too-many-failed-authentications` with `Retry-After`) before the store or argon2 is
//! consulted; a success clears both counts. A token accepted lately (the cache) is let in
//! whatever the lock-outs: its holder is not locked out by others' guesses, and since failures
//! count per pair, a guesser elsewhere does not lock out the holder's own address either. On top,
//! every argon2 verification for a client whose address has no recent success spends the
//! node-wide [`Argon2Budget`](crate::throttle::Argon2Budget); when it is spent such a client is
//! answered [`AuthError::Busy`] (429 `authentication-busy`), not counted as failed. A request
//! without an `Authorization` header, or with one that does not parse, is answered 401 and not
//! counted (it costs nothing). The address is the TCP peer's (forwarded-for headers are not
//! trusted, so behind a reverse proxy every client shares the proxy's count, which any success
//! through it clears); an IPv6 client counts by its /64. Peers' signed requests
//! (`Pacific-Peer`) never come here. [`Authenticator::authenticate_sign_in`] is for the
//! dashboard's sign-in, which counts failures in its own throttle and shares the budget.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_store::{NewToken, Store, User};
use sha2::{Digest, Sha256};

use crate::NodeError;
use crate::principal::Principal;
use crate::throttle::{ApiThrottle, RetryAfter, address_key};

const CACHE_TTL: Duration = Duration::from_secs(300);

/// Why authentication failed. All variants but [`LockedOut`](AuthError::LockedOut) and
/// [`Busy`](AuthError::Busy) answer 401
/// alike, so a caller learns nothing about which part was wrong; the variant is for logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no Authorization header")]
    Missing,
    #[error("Authorization header is neither Basic, Bearer nor Token, or is malformed")]
    Malformed,
    #[error("unknown or wrong token")]
    BadToken,
    /// Too many failures from the client's address or with the token's id: refused without
    /// checking the token until the wait is over (429 with `Retry-After`).
    #[error("too many failed authentications; retry after {} s", .0.seconds())]
    LockedOut(RetryAfter),
    /// The client's address has no recent success and the node's budget of argon2 work for
    /// such addresses is spent for the moment (429 with `Retry-After`); not a failure.
    #[error("too many authentications from unknown addresses; retry after {} s", .0.seconds())]
    Busy(RetryAfter),
}

/// A freshly issued token: shown once, never stored.
pub struct IssuedToken {
    pub token: String,
    pub user: User,
}

/// Why a user name is refused, if it is: 1-64 characters of letters, digits and `- _ . @`.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
    {
        return Err(format!(
            "user name {name:?} must be 1-64 characters of letters, digits and - _ . @"
        ));
    }
    Ok(())
}

/// A new random token (`pac_<12 hex digits>_<secret>`, returned once) and what the store keeps
/// of it: its public id and its argon2 hash, with when it expires.
pub fn new_token(expires: Option<Timestamp>) -> Result<(String, NewToken), String> {
    let token_id = hex::encode(crate::random_bytes::<6>());
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<32>());
    let token = format!("pac_{token_id}_{secret}");
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(token.as_bytes(), &crate::random_bytes::<16>())
        .map_err(|e| format!("cannot hash the token: {e}"))?;
    let token_hash = hash.to_string();
    Ok((
        token,
        NewToken {
            token_id,
            token_hash,
            expires,
        },
    ))
}

/// The user `name` with role `role` and the token `made`, created now.
pub fn new_user(name: &str, role: Role, made: NewToken) -> User {
    User {
        name: name.to_owned(),
        role,
        token_id: made.token_id,
        token_hash: made.token_hash,
        created: Timestamp::now(),
        expires: made.expires,
        revoked: None,
    }
}

/// Creates a user with a new token that does not expire, logged as by the node itself. The token
/// is returned once; only its hash is stored. (`crate::users::Users` is the service with every
/// user operation; this is the short way for set-up and tests.)
pub async fn add_user(store: &dyn Store, name: &str, role: Role) -> Result<IssuedToken, NodeError> {
    check_user_name(name).map_err(NodeError::Setup)?;
    let (token, made) = new_token(None).map_err(NodeError::Setup)?;
    let user = new_user(name, role, made);
    store.add_user(&user).await?;
    Ok(IssuedToken { token, user })
}

/// The token a check accepted: its public id and the stored argon2 hash it was verified
/// against. It stands for the user only while the store still holds that hash under that id
/// and the token is valid ([`Authenticator::current`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    token_id: String,
    token_hash: String,
}

#[cfg(test)]
impl VerifiedToken {
    pub(crate) fn new(token_id: &str, token_hash: &str) -> Self {
        Self {
            token_id: token_id.into(),
            token_hash: token_hash.into(),
        }
    }
}

/// Tokens whose secret argon2 accepted, by SHA-256 of the token, with when.
type VerifiedTokens = HashMap<[u8; 32], (VerifiedToken, Instant)>;

/// Checks `Authorization` headers against the store.
#[derive(Clone)]
pub struct Authenticator {
    store: Arc<dyn Store>,
    verified: Arc<Mutex<VerifiedTokens>>,
    failures: Arc<Mutex<ApiThrottle>>,
    argon2_checks: Arc<AtomicU64>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            verified: Arc::default(),
            failures: Arc::default(),
            argon2_checks: Arc::default(),
        }
    }

    /// Authenticates a dashboard sign-in's `Authorization` header value sent from `client`,
    /// without counting failures (the sign-in form has its own throttle) but within the
    /// [`Argon2Budget`](crate::throttle::Argon2Budget). API requests use
    /// [`authenticate_client`](Self::authenticate_client).
    pub async fn authenticate_sign_in(
        &self,
        header: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<(Principal, VerifiedToken), AuthError> {
        self.check(
            header,
            Client {
                address: client.map(address_key),
                counted: false,
            },
        )
        .await
    }

    /// The principal `token` stands for now: its user as the store holds it (role included),
    /// if the user still exists, still holds that token (not re-issued) and the token is
    /// neither revoked nor expired; else `None` (also when the store cannot answer).
    pub async fn current(&self, token: &VerifiedToken) -> Option<Principal> {
        let user = match self.store.user_by_token_id(&token.token_id).await {
            Ok(user) => user?,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a token's user; refused");
                return None;
            }
        };
        if user.token_hash != token.token_hash || !user.token_valid_at(&Timestamp::now()) {
            return None;
        }
        Some(Principal::User {
            name: user.name,
            role: user.role,
        })
    }

    /// Authenticates an API request's `Authorization` header value sent from `client` (the TCP
    /// peer; `None` when the server has no connect info), refusing it while the client's
    /// address or its (address, token id) pair is locked out (see the module doc).
    pub async fn authenticate_client(
        &self,
        header: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Principal, AuthError> {
        self.check(
            header,
            Client {
                address: client.map(address_key),
                counted: true,
            },
        )
        .await
        .map(|(p, _)| p)
    }

    /// The name of the user a token's (public) id names, if any: no secret is checked.
    pub async fn user_named_by(
        &self,
        token: &str,
    ) -> Result<Option<String>, pacific_store::StoreError> {
        let Some(token_id) = token
            .strip_prefix("pac_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
        else {
            return Ok(None);
        };
        Ok(self.store.user_by_token_id(token_id).await?.map(|u| u.name))
    }

    /// How many argon2 verifications this authenticator has started (tests, diagnostics).
    pub fn argon2_checks(&self) -> u64 {
        self.argon2_checks.load(Ordering::Relaxed)
    }

    async fn check(
        &self,
        header: Option<&str>,
        client: Client,
    ) -> Result<(Principal, VerifiedToken), AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let (claimed_user, token) = parse_authorization(header)?;
        let token_id = token
            .strip_prefix("pac_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id.to_owned());
        let Client { address, counted } = client;
        let id = token_id.as_deref();
        // A token argon2 accepted lately is the right one: its holder is let in whatever
        // lock-out others' failures caused, for the price of a SHA-256 and a look-up, as long as
        // the store still holds it as it was verified.
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(verified) = self.cached(&digest) {
            match self.current(&verified).await {
                Some(principal)
                    if claimed_user
                        .as_deref()
                        .is_none_or(|u| principal.user() == Some(u)) =>
                {
                    self.succeeded(client, id);
                    return Ok((principal, verified));
                }
                Some(_) => {}
                // Removed, revoked, re-issued or expired: forgotten, and checked in full.
                None => self.forget(&digest),
            }
        }
        // Refused while locked out, before the store or argon2; from here the attempt counts
        // as failed on its address until it succeeds.
        let mut lockout = None;
        if counted {
            lockout = self
                .failures()
                .begin(address, id, Instant::now())
                .map_err(|wait| refused(address, id, wait))?;
        }
        let failed = |lockout: Option<RetryAfter>| {
            if let Some(wait) = lockout {
                tracing::warn!(
                    token_id = id.unwrap_or(""),
                    ip = ?address,
                    retry_after_secs = wait.seconds(),
                    "API authentication locked out after repeated failures"
                );
            }
            AuthError::BadToken
        };
        let Some(token_id) = id else {
            return Err(failed(lockout));
        };
        let user = match self.store.user_by_token_id(token_id).await {
            Ok(Some(user)) => user,
            Ok(None) | Err(_) => return Err(failed(lockout)),
        };
        if claimed_user.as_deref().is_some_and(|u| u != user.name) {
            return Err(failed(lockout));
        }
        // The secret is checked only now, so only now does the attempt count on its (address,
        // token id) pair, and spend the budget of argon2 work.
        {
            let mut failures = self.failures();
            let now = Instant::now();
            if counted {
                let on_token = failures
                    .begin_secret(address, token_id, now)
                    .map_err(|wait| refused(address, id, wait))?;
                lockout = lockout.max(on_token);
            }
            failures.spend_argon2(address, now).map_err(|wait| {
                tracing::debug!(ip = ?address, retry_after_secs = wait.seconds(),
                    "authentication refused: argon2 budget for unknown addresses spent");
                AuthError::Busy(wait)
            })?;
        }
        // A revoked or expired token fails like a wrong one, without the argon2 work.
        if !user.token_valid_at(&Timestamp::now()) {
            return Err(failed(lockout));
        }
        // Argon2 takes tens of milliseconds: keep it off the async workers.
        self.argon2_checks.fetch_add(1, Ordering::Relaxed);
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
            return Err(failed(lockout));
        }
        self.succeeded(client, id);
        let verified = VerifiedToken {
            token_id: user.token_id,
            token_hash: user.token_hash,
        };
        let principal = Principal::User {
            name: user.name,
            role: user.role,
        };
        self.verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(digest, (verified.clone(), Instant::now()));
        Ok((principal, verified))
    }

    /// A client authenticated: its counts start from zero and its address is known.
    fn succeeded(&self, client: Client, token_id: Option<&str>) {
        let mut failures = self.failures();
        if client.counted {
            failures.succeeded(client.address, token_id);
        }
        if let Some(address) = client.address {
            failures.known_address(address, Instant::now());
        }
    }

    fn failures(&self) -> MutexGuard<'_, ApiThrottle> {
        // The tables stay consistent whatever panicked while holding the lock.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget(&self, digest: &[u8; 32]) {
        self.verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(digest);
    }

    fn cached(&self, digest: &[u8; 32]) -> Option<VerifiedToken> {
        let mut cache = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.get(digest) {
            Some((t, at)) if at.elapsed() < CACHE_TTL => Some(t.clone()),
            Some(_) => {
                cache.remove(digest);
                None
            }
            None => None,
        }
    }
}

/// Who is authenticating: the client's address (already keyed), and whether its failures
/// count in the API's throttle (the dashboard's sign-in counts them in its own).
#[derive(Clone, Copy)]
struct Client {
    address: Option<IpAddr>,
    counted: bool,
}

/// A request refused while locked out (logged without the token).
fn refused(address: Option<IpAddr>, token_id: Option<&str>, wait: RetryAfter) -> AuthError {
    tracing::debug!(
        token_id = token_id.unwrap_or(""),
        ip = ?address,
        retry_after_secs = wait.seconds(),
        "API authentication refused: locked out"
    );
    AuthError::LockedOut(wait)
}

/// Splits `Basic base64(user:token)`, `Bearer token` or `Token token` into (claimed user,
/// token). `Token` is the scheme the OASIS `taxii2-client`'s `TokenAuth` sends.
fn parse_authorization(header: &str) -> Result<(Option<String>, String), AuthError> {
    let (scheme, value) = header.trim().split_once(' ').ok_or(AuthError::Malformed)?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
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
    fn reads_basic_bearer_and_token() {
        for scheme in ["Bearer", "bearer", "Token", "TOKEN"] {
            assert_eq!(
                parse_authorization(&format!("{scheme} pac_1_x")).unwrap(),
                (None, "pac_1_x".into())
            );
        }
        let basic = base64::engine::general_purpose::STANDARD.encode("ana:pac_1_x");
        assert_eq!(
            parse_authorization(&format!("Basic {basic}")).unwrap(),
            (Some("ana".into()), "pac_1_x".into())
        );
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Token",
            "Token  ",
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
