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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_core::taxii::{ObjectQuery, PageCursor};
use pacific_store::Collection;
use pacific_tlog::entry::{Act, Entry};
use serde_json::Value;

use crate::auth::VerifiedToken;
use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::throttle::{
    ADDRESS_POLICY, AfterFailure, LoginThrottle, PairKey, RetryAfter, USER_POLICY, address_key,
    name_key, pair_key,
};

mod gov;
mod registry;

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
/// Days in the overview's chart.
const CHART_DAYS: i64 = 30;
/// Rows per page in the objects browser.
const PAGE_ROWS: usize = 50;
/// Log entries the peers page reads (the most recent ones).
const PEER_SCAN: u64 = 20_000;

/// The dashboard's routes, with their own session table and sign-in throttle.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/objects", get(objects))
        .route("/peers", get(peers))
        .route("/log", get(log_page))
        .route("/requests", get(requests_page))
        .route("/disputes", get(disputes_page))
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
                expires: now + SESSION_TTL,
            },
        );
        id
    }

    /// The token of a live session.
    fn get(&self, id: &str) -> Option<VerifiedToken> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.token.clone()),
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
/// holds now. Without one, the request is redirected to `/login` (and a session whose user was
/// removed, or whose token was revoked, re-issued or expired, is ended).
pub struct Viewer(pub Principal);

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
        let Some(token) = sessions.get(&id) else {
            return Err(see_other("/login"));
        };
        match state.auth().current(&token).await {
            Some(principal) => Ok(Viewer(principal)),
            None => {
                sessions.end(&id);
                tracing::info!("dashboard session ended: its user or token no longer stands");
                Err(see_other("/login"))
            }
        }
    }
}

fn see_other(location: &'static str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(location));
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
// HTML helpers

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a URL query value.
fn url_enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` value.
fn url_dec(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_fields(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (url_dec(k), url_dec(v)))
        .collect()
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure_headers(h);
    r
}

fn document(title: &str, header: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Pacific</title>\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/assets/dashboard.css\">\
         <script src=\"/assets/dashboard.js\" defer></script></head>\
         <body>{header}<main>{main}</main></body></html>\n",
        esc(title)
    )
}

/// The navigation bar.
fn nav(state: &AppState, who: &Principal, active: &str) -> String {
    let mut links = String::new();
    for (href, label) in [
        ("/", "Overview"),
        ("/objects", "Objects"),
        ("/peers", "Peers"),
        ("/requests", "Requests"),
        ("/disputes", "Disputes"),
        (registry::HOME, "Registry"),
        (gov::HOME, "Governance"),
        ("/log", "Log"),
    ] {
        let class = if href == active {
            " class=\"active\""
        } else {
            ""
        };
        let _ = write!(links, "<a href=\"{href}\"{class}>{label}</a>");
    }
    format!(
        "<header><span class=\"brand\">Pacific · {}</span><nav>{links}</nav>\
         <span class=\"who\"><span id=\"user\">{} ({})</span>\
         <form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>\
         </span></header>",
        esc(&state.config().party.name),
        esc(&who.actor()),
        esc(who.role().map_or("peer", Role::as_str)),
    )
}

fn page(state: &AppState, who: &Principal, active: &str, title: &str, main: &str) -> Response {
    html(
        StatusCode::OK,
        document(title, &nav(state, who, active), main),
    )
}

fn error_page(state: &AppState, who: &Principal, e: ApiError) -> Response {
    tracing::error!(error = %e, "dashboard page failed");
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"error\">{}</p>",
        esc(&e.to_string())
    );
    html(e.status(), document("Error", &nav(state, who, ""), &body))
}

/// The UTC day (`YYYY-MM-DD`) `days_ago` days before now.
fn day(days_ago: i64) -> String {
    let (now, _) = Timestamp::now().unix();
    Timestamp::from_unix(now - days_ago * 86_400, 0).as_str()[..10].to_owned()
}

/// `2026-01-02T03:04:05.678Z` as `2026-01-02 03:04 UTC` (other text unchanged).
fn short_time(t: &str) -> String {
    match (t.get(..10), t.get(11..16)) {
        (Some(d), Some(hm)) if t.as_bytes()[10] == b'T' => format!("{d} {hm} UTC"),
        _ => t.to_owned(),
    }
}

/// A log entry's time (milliseconds since the epoch) as `2026-01-02 03:04:05.678 UTC`.
fn time_of_ms(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX / 2);
    let t = Timestamp::from_unix(secs, 0);
    let text = t.as_str();
    match text.get(..19) {
        Some(s) => format!("{}.{:03} UTC", s.replace('T', " "), ms % 1000),
        None => text.to_owned(),
    }
}

/// A collection the viewer may read (as over TAXII: role and per-collection grant):
/// `Ok(None)` when there is none of that key, `Err(collection)` when it may not read it.
async fn readable(
    state: &AppState,
    who: &Principal,
    key: &str,
) -> Result<Option<Result<Collection, Collection>>, ApiError> {
    Ok(state
        .collections()
        .lookup(who, key)
        .await?
        .map(|(c, read, _)| if read { Ok(c) } else { Err(c) }))
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
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

async fn logout(Extension(sessions): Extension<Sessions>, headers: HeaderMap) -> Response {
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

// ---------------------------------------------------------------------------------------------
// Overview

async fn overview(State(state): State<AppState>, Viewer(who): Viewer) -> Response {
    match render_overview(&state, &who).await {
        Ok(main) => page(&state, &who, "/", "Overview", &main),
        Err(e) => error_page(&state, &who, e),
    }
}

/// The SVG bar chart of `(day, count)`, oldest first, with a `<title>` per bar.
fn bar_chart(days: &[(String, u64)]) -> String {
    const W: usize = 600;
    const H: usize = 160;
    const TOP: usize = 14;
    const BOTTOM: usize = 16;
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let slot = W / days.len().max(1);
    let mut svg = format!(
        "<svg class=\"chart\" id=\"matches-chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-labelledby=\"chart-title\"><title id=\"chart-title\">Matches per day, last {} days \
         (largest {max})</title>",
        days.len()
    );
    let plot = H - TOP - BOTTOM;
    for (i, (d, n)) in days.iter().enumerate() {
        let h = if max == 0 {
            0
        } else {
            ((*n as f64 / max as f64) * plot as f64).round() as usize
        };
        let h = if *n > 0 { h.max(1) } else { 0 };
        let x = i * slot + 2;
        let y = TOP + plot - h;
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-day=\"{d}\" data-count=\"{n}\" x=\"{x}\" y=\"{y}\" \
             width=\"{}\" height=\"{h}\"><title>{d}: {n} matches</title></rect>",
            slot.saturating_sub(4),
            d = esc(d),
        );
    }
    let base = TOP + plot;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"0\" y1=\"{base}\" x2=\"{W}\" y2=\"{base}\"/>\
         <text x=\"0\" y=\"10\">{max}</text>"
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{H}\">{}</text><text x=\"{W}\" y=\"{H}\" text-anchor=\"end\">{}</text>",
            esc(&first.0),
            esc(&last.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn top(stats: &[pacific_store::MatchStat], dimension: &str, n: usize) -> Vec<(String, u64)> {
    let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.dimension == dimension) {
        *sums.entry(&s.key).or_default() += s.count;
    }
    let mut v: Vec<(String, u64)> = sums.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

async fn render_overview(state: &AppState, who: &Principal) -> Result<String, ApiError> {
    let from = day(CHART_DAYS - 1);
    let to = day(0);
    let (stats, _) = state.matching().stats(&from, &to, None).await?;
    let mut per_day: BTreeMap<String, u64> = (0..CHART_DAYS).rev().map(|k| (day(k), 0)).collect();
    for s in stats.iter().filter(|s| s.dimension == "indicator") {
        if let Some(n) = per_day.get_mut(&s.day) {
            *n += s.count;
        }
    }
    let days: Vec<(String, u64)> = per_day.into_iter().collect();
    let total: u64 = days.iter().map(|(_, n)| n).sum();

    let mut main = format!(
        "<h1>Overview</h1><section class=\"card\"><h2>Matches per day</h2>\
         <p class=\"muted\">{total} matches from {} to {} (UTC), recorded by matching events \
         against this node's indicators.</p>{}\
         <details><summary>The numbers</summary><table id=\"matches-table\">\
         <thead><tr><th>Day</th><th class=\"num\">Matches</th></tr></thead><tbody>",
        esc(&from),
        esc(&to),
        bar_chart(&days)
    );
    for (d, n) in &days {
        let _ = write!(
            main,
            "<tr data-day=\"{d}\"><td>{d}</td><td class=\"num\">{n}</td></tr>",
            d = esc(d)
        );
    }
    main.push_str("</tbody></table></details></section><div class=\"grid\">");

    // Top indicators, named from the default collection when the viewer may read it.
    let indicators = top(&stats, "indicator", 10);
    let mut names: HashMap<String, String> = HashMap::new();
    if !indicators.is_empty()
        && let Some(Ok(c)) = readable(state, who, "default").await?
    {
        let mut q = ObjectQuery::all(indicators.len());
        q.ids = indicators.iter().map(|(k, _)| k.clone()).collect();
        let page = state.collections().page(who, &c, &q, true).await?.page;
        for item in page.items {
            if let Ok(v) = serde_json::from_str::<Value>(&item.json) {
                names.insert(item.id, str_field(&v, "name").to_owned());
            }
        }
    }
    main.push_str(
        "<section class=\"card\"><h2>Top indicators</h2><table id=\"top-indicators\">\
         <thead><tr><th>Indicator</th><th class=\"num\">Matches</th></tr></thead><tbody>",
    );
    for (id, n) in &indicators {
        let name = names.get(id).map(String::as_str).unwrap_or("");
        let _ = write!(
            main,
            "<tr><td>{}<br><code class=\"muted\">{}</code></td><td class=\"num\">{n}</td></tr>",
            esc(name),
            esc(id)
        );
    }
    if indicators.is_empty() {
        main.push_str("<tr><td colspan=\"2\" class=\"muted\">No matches yet.</td></tr>");
    }
    main.push_str("</tbody></table></section>");

    let sectors = top(&stats, "sector", 10);
    main.push_str(
        "<section class=\"card\"><h2>Top sectors</h2><table id=\"top-sectors\">\
         <thead><tr><th>Sector</th><th class=\"num\">Matches</th></tr></thead><tbody>",
    );
    for (s, n) in &sectors {
        let _ = write!(
            main,
            "<tr><td>{}</td><td class=\"num\">{n}</td></tr>",
            esc(s)
        );
    }
    if sectors.is_empty() {
        main.push_str("<tr><td colspan=\"2\" class=\"muted\">No matches yet.</td></tr>");
    }
    main.push_str("</tbody></table></section></div>");

    // Incidents: the latest 20 of the `incidents` collection.
    main.push_str("<section class=\"card\"><h2>Incidents</h2>");
    match readable(state, who, crate::matching::INCIDENTS_ALIAS).await? {
        None => {
            main.push_str("<p class=\"muted\" id=\"incidents-none\">No incidents recorded.</p>")
        }
        Some(Err(_)) => {
            main.push_str("<p class=\"muted\">You may not read the incidents collection.</p>")
        }
        Some(Ok(c)) => {
            let latest = last_versions(state, who, &c, 20).await?;
            main.push_str(
                "<table id=\"incidents\"><thead><tr><th>Created</th><th>Incident</th>\
                 <th>Asset</th><th>Sector</th><th>Indicator</th></tr></thead><tbody>",
            );
            for v in latest.iter().rev() {
                let _ = write!(
                    main,
                    "<tr><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td>\
                     <td>{}</td><td><code>{}</code></td></tr>",
                    esc(&short_time(str_field(v, "created"))),
                    esc(str_field(v, "name")),
                    esc(str_field(v, "description")),
                    esc(str_field(v, "x_pacific_asset")),
                    esc(str_field(v, "x_pacific_sector")),
                    esc(str_field(v, "x_pacific_indicator")),
                );
            }
            if latest.is_empty() {
                main.push_str("<tr><td colspan=\"5\" class=\"muted\">No incidents.</td></tr>");
            }
            main.push_str("</tbody></table>");
        }
    }
    main.push_str("</section>");
    Ok(main)
}

/// The last `n` latest versions of a collection, oldest first (pages through it by `seq`).
async fn last_versions(
    state: &AppState,
    who: &Principal,
    collection: &Collection,
    n: usize,
) -> Result<Vec<Value>, ApiError> {
    let mut kept: VecDeque<Value> = VecDeque::with_capacity(n + 1);
    let mut q = ObjectQuery::all(500);
    for _ in 0..200 {
        let page = state
            .collections()
            .page(who, collection, &q, true)
            .await?
            .page;
        for item in page.items {
            if let Ok(v) = serde_json::from_str::<Value>(&item.json) {
                kept.push_back(v);
                if kept.len() > n {
                    kept.pop_front();
                }
            }
        }
        match page.next {
            Some(next) => q.next = Some(next),
            None => break,
        }
    }
    Ok(kept.into())
}

// ---------------------------------------------------------------------------------------------
// Objects

const COMMON_TYPES: [&str; 12] = [
    "indicator",
    "malware",
    "campaign",
    "intrusion-set",
    "threat-actor",
    "attack-pattern",
    "vulnerability",
    "identity",
    "relationship",
    "sighting",
    "incident",
    "report",
];

async fn objects(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match render_objects(&state, &who, &params).await {
        Ok(main) => page(&state, &who, "/objects", "Objects", &main),
        Err(e) => error_page(&state, &who, e),
    }
}

async fn render_objects(
    state: &AppState,
    who: &Principal,
    params: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let param = |k: &str| params.get(k).map(|s| s.trim()).unwrap_or("").to_owned();
    let (type_f, id_f, text_f) = (param("type"), param("id"), param("q"));
    let cursor = params.get("next").and_then(|s| PageCursor::decode(s));

    let mut main = String::from("<h1>Objects</h1>");
    let c = match readable(state, who, "default").await? {
        None => {
            main.push_str(
                "<p class=\"muted\">This node has no <code>default</code> collection.</p>",
            );
            return Ok(main);
        }
        Some(Err(_)) => {
            main.push_str("<p class=\"error\">You may not read the default collection.</p>");
            return Ok(main);
        }
        Some(Ok(c)) => c,
    };
    let mut options = String::from("<option value=\"\">any</option>");
    let mut types: Vec<&str> = COMMON_TYPES.to_vec();
    if !type_f.is_empty() && !types.contains(&type_f.as_str()) {
        types.push(&type_f);
    }
    for t in types {
        let sel = if t == type_f { " selected" } else { "" };
        let _ = write!(options, "<option{sel}>{}</option>", esc(t));
    }
    let _ = write!(
        main,
        "<p class=\"muted\">Collection {} (<code>{}</code>), latest versions in the order they \
         were added.</p>\
         <form class=\"filters\" method=\"get\" action=\"/objects\">\
         <label>Type<select name=\"type\">{options}</select></label>\
         <label>Id<input name=\"id\" value=\"{}\" placeholder=\"indicator--…\"></label>\
         <label>Name contains<input name=\"q\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/objects\">clear</a></form>",
        esc(&c.title),
        esc(&c.id),
        esc(&id_f),
        esc(&text_f),
    );

    let mut q = ObjectQuery::all(PAGE_ROWS);
    if !type_f.is_empty() {
        q.types = vec![type_f.clone()];
    }
    if !id_f.is_empty() {
        q.ids = vec![id_f.clone()];
    }
    q.next = cursor;
    // The store filters by type and id; the text in the name is checked here, reading pages
    // until a page of rows is found or a bounded number of versions was scanned.
    let needle = text_f.to_lowercase();
    let mut rows: Vec<(pacific_store::StoredVersion, Value)> = Vec::new();
    let mut next = None;
    for _ in 0..40 {
        let page = state.collections().page(who, &c, &q, true).await?.page;
        next = page.next;
        for item in page.items {
            let v: Value = serde_json::from_str(&item.json).unwrap_or(Value::Null);
            if needle.is_empty() || str_field(&v, "name").to_lowercase().contains(&needle) {
                rows.push((item, v));
            }
        }
        if needle.is_empty() || rows.len() >= PAGE_ROWS || next.is_none() {
            break;
        }
        q.next = next;
    }

    main.push_str(
        "<table id=\"objects\"><thead><tr><th>Type</th><th>Name</th><th>Id</th><th>Version</th>\
         <th>Added</th></tr></thead><tbody>",
    );
    for (item, v) in &rows {
        let pretty = serde_json::to_string_pretty(v).unwrap_or_else(|_| item.json.clone());
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code><details><summary>JSON</summary>\
             <pre>{}</pre></details></td><td>{}</td><td>{}</td></tr>",
            esc(&item.type_name),
            esc(str_field(v, "name")),
            esc(&item.id),
            esc(&pretty),
            esc(item.version.as_str()),
            esc(item.date_added.as_str()),
        );
    }
    if rows.is_empty() {
        main.push_str("<tr><td colspan=\"5\" class=\"muted\">No objects match.</td></tr>");
    }
    main.push_str("</tbody></table><p class=\"pager\">");
    if let Some(n) = next {
        let _ = write!(
            main,
            "<a id=\"next-page\" href=\"/objects?type={}&amp;id={}&amp;q={}&amp;next={}\">Next page →</a>",
            esc(&url_enc(&type_f)),
            esc(&url_enc(&id_f)),
            esc(&url_enc(&text_f)),
            esc(&url_enc(&n.encode())),
        );
    } else {
        main.push_str("<span class=\"muted\">End of the collection.</span>");
    }
    main.push_str("</p>");
    Ok(main)
}

// ---------------------------------------------------------------------------------------------
// Peers

async fn peers(State(state): State<AppState>, Viewer(who): Viewer) -> Response {
    match render_peers(&state).await {
        Ok(main) => page(&state, &who, "/peers", "Peers", &main),
        Err(e) => error_page(&state, &who, e),
    }
}

#[derive(Default)]
struct Shared {
    sent: u64,
    withheld: u64,
    reasons: BTreeMap<String, u64>,
    /// The most recent held-back objects: (object id, reason), newest first.
    recent: Vec<(String, String)>,
}

/// The log's size and its (at most) `scan` entries before `before`, oldest first.
async fn recent_entries(
    state: &AppState,
    scan: u64,
    before: Option<u64>,
) -> Result<(u64, Vec<(u64, Entry)>), ApiError> {
    Ok(crate::log::recent_entries(state.store().as_ref(), scan, before).await?)
}

async fn render_peers(state: &AppState) -> Result<String, ApiError> {
    let mut main = String::from("<h1>Peers</h1>");
    let fed = state.federation();
    let peers = fed.peers_and_links().await?;
    let (size, entries) = recent_entries(state, PEER_SCAN, None).await?;
    let mut shared: HashMap<String, Shared> = HashMap::new();
    for (_, entry) in entries.iter().rev() {
        match &entry.act {
            Act::ObjectSent { peer, .. } => shared.entry(peer.clone()).or_default().sent += 1,
            Act::ObjectWithheld {
                object,
                peer,
                reason,
            } => {
                let s = shared.entry(peer.clone()).or_default();
                s.withheld += 1;
                *s.reasons.entry(reason.clone()).or_default() += 1;
                if s.recent.len() < 10 {
                    s.recent.push((object.id.clone(), reason.clone()));
                }
            }
            _ => {}
        }
    }
    let _ = write!(
        main,
        "<p class=\"muted\">This node is <b>{}</b> (<code>{}</code>). Counts are from the \
         transparency log's last {} entries (of {size}).</p>",
        esc(&fed.local().name),
        esc(fed.local().id.as_str()),
        entries.len(),
    );
    main.push_str(
        "<table id=\"peers\"><thead><tr><th>Peer</th><th>URL</th><th>Link</th>\
         <th class=\"num\">Sent</th><th class=\"num\">Held back</th><th>Reasons held back</th>\
         </tr></thead><tbody>",
    );
    for (p, link) in &peers {
        let id = p.party_id.as_str();
        let s = shared.remove(id).unwrap_or_default();
        let reasons: Vec<String> = s
            .reasons
            .iter()
            .map(|(r, n)| format!("<code>{}</code> × {n}", esc(r)))
            .collect();
        let _ = write!(
            main,
            "<tr data-peer=\"{}\"><td><b>{}</b><br><code class=\"muted\">{}</code></td>\
             <td>{}</td><td>delivered up to seq {}; envelopes out {}, in {}{}</td>\
             <td class=\"num sent\">{}</td><td class=\"num withheld\">{}</td><td>{}</td></tr>",
            esc(id),
            esc(&p.name),
            esc(id),
            esc(&p.url),
            link.out_cursor,
            link.out_seq,
            link.in_seq,
            link.pull_after
                .as_deref()
                .map(|a| format!("; pulled up to {}", esc(a)))
                .unwrap_or_default(),
            s.sent,
            s.withheld,
            reasons.join("<br>"),
        );
        if !s.recent.is_empty() {
            let _ = write!(
                main,
                "<tr class=\"recent\"><td></td><td colspan=\"5\"><details><summary>Last held back \
                 from {}</summary><table><tbody>",
                esc(&p.name)
            );
            for (object, reason) in &s.recent {
                let _ = write!(
                    main,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    esc(object),
                    esc(reason)
                );
            }
            main.push_str("</tbody></table></details></td></tr>");
        }
    }
    if peers.is_empty() {
        main.push_str(
            "<tr><td colspan=\"6\" class=\"muted\">No peers yet (<code>pacific peer add</code>).</td></tr>",
        );
    }
    main.push_str("</tbody></table>");
    Ok(main)
}

// ---------------------------------------------------------------------------------------------
// Log

async fn requests_page(State(state): State<AppState>, Viewer(who): Viewer) -> Response {
    let columns = [
        ("kind", "Kind"),
        ("state", "State"),
        ("urgency", "Urgency"),
        ("requester", "Requester"),
        ("recipient", "Recipient"),
        ("title", "Title"),
        ("deadline", "Deadline"),
        ("id", "Id"),
    ];
    let rows = state
        .coop()
        .request_list(&who)
        .await
        .map_err(ApiError::from);
    match rows {
        Ok(rows) => {
            let main = records_table("Requests for assistance", "requests", &columns, &rows);
            page(&state, &who, "/requests", "Requests", &main)
        }
        Err(e) => error_page(&state, &who, e),
    }
}

async fn disputes_page(State(state): State<AppState>, Viewer(who): Viewer) -> Response {
    let columns = [
        ("stage", "Stage"),
        ("claimant", "Claimant"),
        ("respondent", "Respondent"),
        ("subject", "Subject"),
        ("mediator", "Mediator"),
        ("panel", "Panel"),
        ("id", "Id"),
    ];
    let rows = state
        .coop()
        .dispute_list(&who)
        .await
        .map_err(ApiError::from);
    match rows {
        Ok(rows) => {
            let main = records_table("Disputes", "disputes", &columns, &rows);
            page(&state, &who, "/disputes", "Disputes", &main)
        }
        Err(e) => error_page(&state, &who, e),
    }
}

/// A table of cooperation records (the JSON the `/coop` API lists), one column per field;
/// strings as they are, lists joined, anything else as JSON, all escaped.
fn records_table(
    title: &str,
    id: &str,
    columns: &[(&str, &str)],
    rows: &[serde_json::Value],
) -> String {
    let mut main = format!("<h1>{}</h1><section class=\"card\">", esc(title));
    if rows.is_empty() {
        let _ = write!(
            main,
            "<p class=\"muted\" id=\"{id}-none\">None yet.</p></section>"
        );
        return main;
    }
    let _ = write!(main, "<table id=\"{id}\"><thead><tr>");
    for (_, label) in columns {
        let _ = write!(main, "<th>{label}</th>");
    }
    main.push_str("</tr></thead><tbody>");
    for row in rows {
        main.push_str("<tr>");
        for (field, _) in columns {
            let text = match &row[*field] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            let _ = write!(main, "<td>{}</td>", esc(&text));
        }
        main.push_str("</tr>");
    }
    main.push_str("</tbody></table></section>");
    main
}

async fn log_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let before = params.get("before").and_then(|b| b.parse::<u64>().ok());
    match render_log(&state, before).await {
        Ok(main) => page(&state, &who, "/log", "Transparency log", &main),
        Err(e) => error_page(&state, &who, e),
    }
}

fn act_details(act: &Act) -> String {
    let object = act
        .object()
        .map(|o| format!("<code>{}</code> {}", esc(&o.id), esc(&o.version)))
        .unwrap_or_default();
    match act {
        Act::ObjectStored { .. } => object,
        Act::ObjectReceived { peer, .. } => format!("{object} from <b>{}</b>", esc(peer)),
        Act::ObjectSent { peer, rule, .. } => {
            format!(
                "{object} to <b>{}</b> (rule <code>{}</code>)",
                esc(peer),
                esc(rule)
            )
        }
        Act::ObjectWithheld { peer, reason, .. } => format!(
            "{object} from <b>{}</b>: <code>{}</code>",
            esc(peer),
            esc(reason)
        ),
        Act::PeerAdded { peer, .. } | Act::PeerRemoved { peer } => {
            format!("<b>{}</b>", esc(peer))
        }
        Act::PolicyChanged { policy_sha256 } => {
            format!("policy SHA-256 <code>{}</code>", hex::encode(policy_sha256))
        }
        Act::CharterInstalled { federation } => {
            format!("federation <code>{}</code>", hex::encode(federation))
        }
        Act::ProposalClosed {
            proposal, outcome, ..
        } => format!(
            "<a href=\"{}\"><code>{}</code></a>: {}",
            gov::proposal_href(proposal),
            esc(proposal),
            esc(outcome)
        ),
        Act::UserAdded { user, role } => format!("<b>{}</b> ({})", esc(user), esc(role)),
        Act::ObjectDeleted { collection, .. } => {
            format!("{object} from collection <code>{}</code>", esc(collection))
        }
        Act::UserRemoved { user } => format!("<b>{}</b>", esc(user)),
        Act::UserRoleChanged { user, role } => {
            format!("<b>{}</b> is now {}", esc(user), esc(role))
        }
        Act::TokenRevoked { user, token_id } => {
            format!("<b>{}</b>, token <code>{}</code>", esc(user), esc(token_id))
        }
        Act::TokenIssued {
            user,
            token_id,
            expires,
        } => format!(
            "<b>{}</b>, token <code>{}</code>{}",
            esc(user),
            esc(token_id),
            expires
                .as_ref()
                .map(|e| format!(", expires {}", esc(e)))
                .unwrap_or_default()
        ),
        Act::GrantChanged {
            user,
            collection,
            can_read,
            can_write,
        } => format!(
            "<b>{}</b> on <code>{}</code>: read {}, write {}",
            esc(user),
            esc(collection),
            if *can_read { "yes" } else { "no" },
            if *can_write { "yes" } else { "no" }
        ),
        Act::ReceiptReceived { peer, log_size, .. } => {
            format!(
                "from <b>{}</b>, bound to its log size {log_size}",
                esc(peer)
            )
        }
        Act::CosignatureReceived {
            peer, tree_size, ..
        } => {
            format!("by witness <b>{}</b>, of size {tree_size}", esc(peer))
        }
        Act::CosignatureSent {
            peer, tree_size, ..
        } => {
            format!("to <b>{}</b>, of its log at size {tree_size}", esc(peer))
        }
    }
}

async fn render_log(state: &AppState, before: Option<u64>) -> Result<String, ApiError> {
    let mut main =
        String::from("<h1>Transparency log</h1><section class=\"card\"><h2>Latest checkpoint</h2>");
    match crate::log::latest_published(state.store().as_ref()).await? {
        Some(c) => {
            let _ = write!(
                main,
                "<p>Tree size {}.</p><pre id=\"checkpoint\">{}</pre>",
                c.size,
                esc(&c.note)
            );
        }
        None => main.push_str(
            "<p class=\"muted\" id=\"checkpoint-none\">No checkpoint published yet (one is signed \
             every 2 s while the log grows).</p>",
        ),
    }
    main.push_str("</section>");
    let (size, entries) = recent_entries(state, 50, before).await?;
    let _ = write!(
        main,
        "<h2>Entries</h2><p class=\"muted\">{} of {size} entries, newest first.</p>\
         <table id=\"log-entries\"><thead><tr><th class=\"num\">#</th><th>Time</th><th>Actor</th>\
         <th>Act</th><th>Details</th></tr></thead><tbody>",
        entries.len()
    );
    for (index, e) in entries.iter().rev() {
        let _ = write!(
            main,
            "<tr><td class=\"num\">{index}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&time_of_ms(e.time)),
            esc(&e.actor),
            e.act.kind(),
            act_details(&e.act)
        );
    }
    main.push_str("</tbody></table><p class=\"pager\">");
    if let Some((first, _)) = entries.first().filter(|(i, _)| *i > 0) {
        let _ = write!(
            main,
            "<a id=\"older\" href=\"/log?before={first}\">Older entries →</a>"
        );
    }
    main.push_str("</p>");
    Ok(main)
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
    fn escapes_everything_html_reads() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let row = format!("<td>{}</td>", esc("<script>steal()</script>"));
        assert!(!row.contains("<script>"));
    }

    #[test]
    fn form_values_decode() {
        let f = form_fields(b"user=ana&token=pac_1%5Fx+y&empty=&bad=%zz%4");
        assert_eq!(f["user"], "ana");
        assert_eq!(f["token"], "pac_1_x y");
        assert_eq!(f["empty"], "");
        assert_eq!(f["bad"], "%zz%4");
        assert_eq!(url_dec(&url_enc("a b&c=d/é")), "a b&c=d/é");
    }

    #[test]
    fn chart_has_one_bar_per_day() {
        let days = vec![("2026-01-01".to_owned(), 0), ("2026-01-02".to_owned(), 7)];
        let svg = bar_chart(&days);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("<title>2026-01-02: 7 matches</title>"));
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
