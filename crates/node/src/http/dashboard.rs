//! The web dashboard (issue 6): server-rendered HTML pages behind a login, served by the node.
//!
//! Pages: `/` (overview: matches per day as an SVG bar chart with the numbers in a table, top
//! indicators, top sectors, incidents), `/objects` (the `default` collection, filtered by type,
//! id and text in the name, paged with the store's cursor), `/peers` (each peer, its link state,
//! and what the transparency log says was sent to it and held back from it, with the policy's
//! reasons), `/log` (the latest checkpoint and the last entries, decoded), `/requests` and
//! `/disputes` (this party's cooperation records) and the governance pages under `/governance`
//! (the federation, its register, proposals and parameters; a proposal with its versions, their
//! diffs and its tally; the norms with a quarter's compliance figures: see [`gov`]) and the
//! jurisdiction registry's under `/jurisdiction-registry` (a lookup box, the conflicts, the
//! claims by party; a claim with its resources and conflicts: see [`registry`]). `/login`,
//! `POST /logout`, and `/assets/…` (one stylesheet, one small script) complete it; nothing is
//! fetched from elsewhere, and every answer carries `Content-Security-Policy: default-src 'self'`.
//!
//! Every dynamic string goes through [`esc`] before it is put in HTML.
//!
//! **Sessions.** `POST /login` checks the user's API token with the node's own
//! [`Authenticator`](crate::auth::Authenticator) (the same check as TAXII) and sets an
//! `HttpOnly; SameSite=Strict` cookie holding a random 256-bit session id. The sessions live in
//! memory on the server (id → user, the token signed in with, expiry), not in a signed cookie: logout then ends a
//! session at once (a signed cookie stays valid until it expires, whatever the server does),
//! the node key is not used for a second purpose, and a restart ends every session, which is
//! fine for a console. Sessions expire after [`SESSION_TTL`]; a user keeps at most [`MAX_SESSIONS_PER_USER`]
//! (a new sign-in beyond ends that user's oldest, never another user's). Every page asks the
//! [`Authenticator`](crate::auth::Authenticator) again whether the session's token still stands
//! ([`current`](crate::auth::Authenticator::current)): a session ends at its next request once
//! its user is removed or its token revoked, re-issued or expired (by this node or by `pacific
//! user …` from another process), and the role shown and applied is the one the store holds now.
//!
//! **Sign-in throttling.** Each token check costs argon2 work, so `POST /login` counts failed
//! sign-ins per (client address, user name) pair and per client address ([`LoginAttempts`], the
//! logic and the numbers in [`crate::throttle`]): after 5 consecutive failures of a user name from
//! one address, or 20 from one address, further attempts from that address are answered 429 with
//! `Retry-After` and the form, without checking the token, for 1 s, doubling with each further
//! failure up to 15 min. The user signing in from elsewhere is not affected: user names are
//! public (the log names users), so a guesser must not be able to lock their holders out. The
//! node-wide argon2 budget for addresses without a recent success is shared with the API
//! (`crate::throttle::Argon2Budget`). A success clears the pair's and the address's counts. An attempt counts as failed from the moment it is let through until it
//! succeeds, so parallel attempts cannot slip past the limit. The user name is the one typed,
//! or, for a token alone, the user its (public) token id names. The address is the TCP peer's
//! (`ConnectInfo`, which [`Node::serve`](crate::Node::serve) provides; an IPv6 client counts by
//! its /64): forwarded-for headers are not trusted, so behind a reverse proxy every client
//! shares the proxy's count, and a router served without connect info counts all clients as one.
//! Each lock-out is logged (user, address, seconds), never the token.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, Extension, FromRequest, FromRequestParts, MatchedPath, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;

use crate::auth::VerifiedToken;
use crate::http::authz::{Access, Principal, rule_for};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::throttle::{
    ADDRESS_POLICY, AfterFailure, LoginThrottle, PairKey, RetryAfter, USER_POLICY, address_key,
    name_key, pair_key,
};

mod admin;
mod annotate;
mod coop;
mod editor;
mod gov;
mod html;
mod import;
mod log;
mod names;
mod objects;
mod overview;
mod peers;
mod registry;

pub use html::esc;
use html::{
    day, default_for_adding, document, error_page, form_fields, html, page, readable, short_time,
    str_field, time_of_ms, url_enc,
};

/// The policy on every page and asset: nothing but this node.
pub const CSP: &str = "default-src 'self'";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pacific_session";
/// How long a session lasts after login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Sessions one user keeps at most: a new sign-in beyond this ends that user's oldest session,
/// never another user's.
pub const MAX_SESSIONS_PER_USER: usize = 20;

const CSS: &str = include_str!("dashboard/style.css");
const JS: &str = include_str!("dashboard/app.js");
const FAVICON: &str = include_str!("dashboard/favicon.svg");

/// The dashboard's routes, with their own session table and sign-in throttle.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/objects", get(objects::objects))
        .route("/objects/new", get(editor::new_form).post(editor::submit))
        .route(
            "/objects/pattern-check",
            axum::routing::post(editor::pattern_check),
        )
        .route(
            "/objects/import",
            get(import::import_form).post(import::submit),
        )
        .route("/objects/{id}", get(objects::object_page))
        .route(
            "/objects/{id}/annotate",
            axum::routing::post(annotate::submit),
        )
        .route("/peers", get(peers::peers))
        .route("/peers/add", axum::routing::post(admin::add_peer))
        .route("/users", get(admin::users_page).post(admin::users_act))
        .route("/policy", get(admin::policy_page).post(admin::policy_act))
        .route("/log", get(log::log_page))
        .route("/requests", get(coop::requests_page))
        .route("/disputes", get(coop::disputes_page))
        .route(gov::HOME, get(gov::federation_page))
        .route("/governance/proposals/{id}", get(gov::proposal_page))
        .route("/governance/norms", get(gov::norms_page))
        .route(registry::HOME, get(registry::registry_page))
        .route(
            "/jurisdiction-registry/claims/{id}",
            get(registry::claim_page),
        )
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/assets/dashboard.css", get(css))
        .route("/assets/dashboard.js", get(js))
        .route("/assets/favicon.svg", get(favicon))
        .layer(Extension(Sessions::default()))
        .layer(Extension(LoginAttempts::default()))
}

// ---------------------------------------------------------------------------------------------
// Sessions

struct Session {
    /// The user's name as signed in (the role is read afresh on every request).
    user: String,
    /// The token the user signed in with, checked again on every request.
    token: VerifiedToken,
    /// The session's anti-forgery token: every dashboard form carries it and every POST must
    /// (checked by [`Form`]), so a page elsewhere cannot post as the user.
    csrf: String,
    expires: Instant,
}

/// The live sessions of this node, by random id.
#[derive(Clone, Default)]
pub struct Sessions(Arc<Mutex<HashMap<String, Session>>>);

impl Sessions {
    fn create(&self, user: String, token: VerifiedToken) -> String {
        let id = hex::encode(crate::random_bytes::<32>());
        let now = Instant::now();
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, s| s.expires > now);
        // Bounded per user (users are the node's own, few and made by an admin), so one user
        // signing in again and again ends only their own sessions.
        loop {
            let mine: Vec<(&String, &Session)> =
                map.iter().filter(|(_, s)| s.user == user).collect();
            if mine.len() < MAX_SESSIONS_PER_USER {
                break;
            }
            let oldest = mine
                .into_iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            id.clone(),
            Session {
                user,
                token,
                csrf: hex::encode(crate::random_bytes::<32>()),
                expires: now + SESSION_TTL,
            },
        );
        id
    }

    /// The token and the anti-forgery token of a live session.
    fn get(&self, id: &str) -> Option<(VerifiedToken, String)> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some((s.token.clone(), s.csrf.clone())),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    fn end(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in throttling

/// Failed sign-ins of this node's dashboard, per (client address, user name) pair and per
/// client address (see the module doc and [`crate::throttle`]): a guesser locks out the names
/// it tries from its own address, never their holders elsewhere.
#[derive(Clone)]
pub struct LoginAttempts(Arc<Mutex<AttemptTables>>);

struct AttemptTables {
    users: LoginThrottle<PairKey>,
    addresses: LoginThrottle<IpAddr>,
}

impl Default for LoginAttempts {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(AttemptTables {
            users: LoginThrottle::new(USER_POLICY),
            addresses: LoginThrottle::new(ADDRESS_POLICY),
        })))
    }
}

/// A sign-in attempt let through, counted as failed until it succeeds.
struct Attempt {
    user: Option<String>,
    address: Option<IpAddr>,
    /// The lock-out the attempt starts if its token turns out wrong.
    lockout: Option<RetryAfter>,
}

impl LoginAttempts {
    fn tables(&self) -> std::sync::MutexGuard<'_, AttemptTables> {
        // The tables stay consistent whatever panicked while holding the lock.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets an attempt through and counts it as failed, or refuses it (the longer wait of its
    /// user name and its address) without counting it.
    fn begin(
        &self,
        user: Option<String>,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, RetryAfter> {
        let mut t = self.tables();
        let waits = [
            user.as_ref()
                .and_then(|u| t.users.check(&pair_key(address, u), now).err()),
            address.and_then(|a| t.addresses.check(&a, now).err()),
        ];
        if let Some(wait) = waits.into_iter().flatten().max() {
            return Err(wait);
        }
        let outcomes = [
            user.as_ref()
                .map(|u| t.users.failed(pair_key(address, u), now)),
            address.map(|a| t.addresses.failed(a, now)),
        ];
        let lockout = outcomes
            .into_iter()
            .flatten()
            .filter_map(|o| match o {
                AfterFailure::LockedOut { retry, .. } => Some(retry),
                AfterFailure::Counted { .. } => None,
            })
            .max();
        Ok(Attempt {
            user,
            address,
            lockout,
        })
    }

    /// The attempt succeeded as `signed_in`: its user's and its address's counts start from zero.
    fn succeeded(&self, attempt: &Attempt, signed_in: &str) {
        let mut t = self.tables();
        if let Some(u) = &attempt.user {
            t.users.succeeded(&pair_key(attempt.address, u));
        }
        t.users.succeeded(&pair_key(attempt.address, signed_in));
        if let Some(a) = &attempt.address {
            t.addresses.succeeded(a);
        }
    }
}

/// The user a sign-in attempt is on: the name typed, else the owner of the token's public id
/// (a store look-up, no argon2); `None` when neither names a user.
async fn attempted_user(state: &AppState, user: &str, token: &str) -> Option<String> {
    if !user.is_empty() {
        return Some(name_key(user));
    }
    match state.auth().user_named_by(token).await {
        Ok(found) => found.map(|name| name_key(&name)),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard login: cannot look the token's user up");
            None
        }
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// A user with a live dashboard session whose token still stands, with the role the store
/// holds now, admitted by the route's row of the authorisation table
/// ([`Access::Session`]). Without a session the request is redirected to `/login` (and a
/// session whose user was removed, or whose token was revoked, re-issued or expired, is
/// ended); a role the row does not admit gets a 403 page.
pub struct Viewer {
    pub who: Principal,
    /// The session's anti-forgery token, for the forms a page renders ([`html::csrf_field`]).
    pub csrf: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (Some(sessions), Some(id)) = (
            parts.extensions.get::<Sessions>(),
            session_id(&parts.headers),
        ) else {
            return Err(see_other("/login"));
        };
        let Some((token, csrf)) = sessions.get(&id) else {
            return Err(see_other("/login"));
        };
        let Some(who) = state.auth().current(&token).await else {
            sessions.end(&id);
            tracing::info!("dashboard session ended: its user or token no longer stands");
            return Err(see_other("/login"));
        };
        let viewer = Viewer { who, csrf };
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let admitted = route
            .and_then(|path| rule_for(&parts.method, path).ok())
            .is_some_and(|rule| match rule.access {
                Access::Session(callers) => callers.contains(&viewer.who.caller()),
                Access::Public(_) | Access::Only(_) => false,
            });
        if !admitted {
            tracing::info!(user = %viewer.who, route = ?route, "dashboard: refused by the authorisation table");
            let action = format!("{} {}", parts.method, route.unwrap_or("?"));
            return Err(error_page(
                state,
                &viewer,
                ApiError::Forbidden {
                    user: viewer.who.actor(),
                    action,
                },
            ));
        }
        Ok(viewer)
    }
}

/// The largest form body the dashboard reads (a STIX bundle or a list of values pasted or
/// loaded in the browser included).
pub const FORM_LIMIT: usize = 16 * 1024 * 1024;

/// A dashboard form posted by a [`Viewer`]: its fields (`application/x-www-form-urlencoded`),
/// read once its `csrf` field was found equal to the session's anti-forgery token. A missing or
/// wrong token is a 403 page, before the form is acted on; so is a role the route's row does
/// not admit.
pub struct Form {
    pub viewer: Viewer,
    pub fields: HashMap<String, String>,
}

impl Form {
    /// A field's value, trimmed; empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }
}

impl FromRequest<AppState> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
            Ok(b) => b,
            Err(_) => {
                return Err(error_page(
                    state,
                    &viewer,
                    ApiError::PayloadTooLarge { limit: FORM_LIMIT },
                ));
            }
        };
        let fields = form_fields(&bytes);
        let sent = fields.get("csrf").map(String::as_bytes).unwrap_or_default();
        if !same_secret(sent, viewer.csrf.as_bytes()) {
            tracing::info!(user = %viewer.who, path = %parts.uri.path(), "dashboard form refused: anti-forgery token missing or wrong");
            return Err(error_page(state, &viewer, ApiError::FormNotFromDashboard));
        }
        Ok(Form { viewer, fields })
    }
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn see_other(location: &'static str) -> Response {
    see_other_to(location)
}

/// A 303 to `location` (a path of this dashboard, its dynamic parts percent-encoded).
fn see_other_to(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    secure_headers(r.headers_mut());
    r
}

fn secure_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

// ---------------------------------------------------------------------------------------------
// Login and logout

fn login_page(error: Option<&str>, user: &str) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"login-error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let main = format!(
        "<div class=\"login card\"><h1>Pacific · sign in</h1>{error}\
         <form method=\"post\" action=\"/login\">\
         <label for=\"user\">User name (optional)</label>\
         <input id=\"user\" name=\"user\" autocomplete=\"username\" value=\"{}\">\
         <label for=\"token\">API token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"muted\">Use the token <code>pacific user add</code> printed (<code>pac_…</code>).</p></div>",
        esc(user)
    );
    document("Sign in", "", &main)
}

async fn login_form() -> Response {
    html(StatusCode::OK, login_page(None, ""))
}

async fn login(
    State(state): State<AppState>,
    Extension(sessions): Extension<Sessions>,
    Extension(attempts): Extension<LoginAttempts>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let user = fields.get("user").map(|s| s.trim()).unwrap_or("");
    let token = fields.get("token").map(|s| s.trim()).unwrap_or("");
    let address = peer.map(|Extension(ConnectInfo(a))| address_key(a.ip()));
    let attempted = attempted_user(&state, user, token).await;
    // Refused while locked out, before any argon2 work.
    let attempt = match attempts.begin(attempted, address, Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            tracing::debug!(
                user = name_key(user),
                ip = ?address,
                retry_after_secs = wait.seconds(),
                "dashboard login refused: locked out"
            );
            return too_many_attempts(wait, user);
        }
    };
    // The same check as every API request: HTTP Basic with the name, else Bearer.
    let authorization = if user.is_empty() {
        format!("Bearer {token}")
    } else {
        let pair = format!("{user}:{token}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let signed_in = if token.is_empty() {
        None
    } else {
        state
            .auth()
            .authenticate_sign_in(Some(&authorization), address)
            .await
            .ok()
    };
    let Some((principal, verified)) = signed_in else {
        tracing::info!(user, "dashboard login failed");
        if let Some(wait) = attempt.lockout {
            tracing::warn!(
                user = attempt.user.as_deref().unwrap_or(""),
                ip = ?attempt.address,
                retry_after_secs = wait.seconds(),
                "dashboard login locked out after repeated failures"
            );
        }
        return html(
            StatusCode::OK,
            login_page(Some("Unknown user or wrong token."), user),
        );
    };
    attempts.succeeded(&attempt, &principal.actor());
    tracing::info!(user = %principal, "dashboard login");
    let id = sessions.create(principal.actor(), verified);
    let secure = if state.config().tls.enabled {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_TTL.as_secs()
    );
    let mut r = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// 429 with `Retry-After` and the form saying how long to wait.
fn too_many_attempts(wait: RetryAfter, user: &str) -> Response {
    let secs = wait.seconds();
    let message = format!("Too many failed sign-ins; try again in {secs} s.");
    let mut r = html(
        StatusCode::TOO_MANY_REQUESTS,
        login_page(Some(&message), user),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

async fn logout(
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    _form: Form,
) -> Response {
    if let Some(id) = session_id(&headers) {
        sessions.end(&id);
    }
    let mut r = see_other("/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("pacific_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

// ---------------------------------------------------------------------------------------------
// Assets

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    secure_headers(h);
    r
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: 10,000 sign-ins by one reader evicted the admin's session (one global cap).
    #[test]
    fn one_users_many_sign_ins_end_only_their_own_sessions() {
        let sessions = Sessions::default();
        let token = |id: &str| VerifiedToken::new(id, "hash");
        let admin = sessions.create("admin".into(), token("1"));
        let mut readers = Vec::new();
        for _ in 0..MAX_SESSIONS_PER_USER * 3 {
            readers.push(sessions.create("rea".into(), token("2")));
        }
        assert!(
            sessions.get(&admin).is_some(),
            "the admin's session survived"
        );
        let live = readers
            .iter()
            .filter(|id| sessions.get(id).is_some())
            .count();
        assert_eq!(live, MAX_SESSIONS_PER_USER);
        assert!(
            sessions.get(readers.last().unwrap()).is_some(),
            "the newest session is kept"
        );
        assert!(sessions.get(&readers[0]).is_none(), "the oldest went");
    }

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; pacific_session=abc; c=d"),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc"));
    }
}
