//! Who may call what: the typed [`Principal`] of a request and the one authorisation table,
//! [`ROUTES`], route × principal.
//!
//! Every route of the node is in [`ROUTES`] with the principals it admits. [`enforce`] is a
//! middleware on the whole router: it finds the matched route's rule, authenticates the caller
//! when the rule needs one (a user's API token, or a peer's signed `Pacific-Peer` request),
//! refuses a principal the rule does not admit (401 for no or bad credentials, 403 for a
//! principal of another kind or role) and hands the [`Principal`] to the handler in the
//! request's extensions. A route the table does not know is refused (500
//! `route-without-rule`): a new route cannot be served until it states who may call it.
//! The test `authorisation_table` walks every row of the table with every kind of caller and
//! compares the answers with the table.
//!
//! The table decides who may reach a route. Finer rules stay with their domain and can only
//! refuse more: a collection's per-user grant (`Role::allows`), the cooperation capability of
//! one command (`pacific_coop::CoopRole::may`: an analyst may call an act route to draft, only
//! a liaison commits the party), and the policy gate for everything a peer reads.

use crate::http::error::ApiError;
use crate::http::state::AppState;
pub use crate::principal::Principal;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pacific_core::access::Role;

impl Principal {
    /// The kind of caller, as the table names it.
    pub fn caller(&self) -> Caller {
        match self {
            Principal::User { role, .. } => match role {
                Role::Reader => Caller::Reader,
                Role::Analyst => Caller::Analyst,
                Role::Liaison => Caller::Liaison,
                Role::Delegate => Caller::Delegate,
                Role::Admin => Caller::Admin,
            },
            Principal::Peer(_) => Caller::Peer,
        }
    }
}

/// A kind of caller: what the table's rows admit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    Reader,
    Analyst,
    Liaison,
    Delegate,
    Admin,
    Peer,
}

impl Caller {
    pub const ALL: [Caller; 6] = [
        Caller::Reader,
        Caller::Analyst,
        Caller::Liaison,
        Caller::Delegate,
        Caller::Admin,
        Caller::Peer,
    ];

    /// The user's role this kind of caller stands for; `None` for a peer.
    pub fn role(self) -> Option<Role> {
        match self {
            Caller::Reader => Some(Role::Reader),
            Caller::Analyst => Some(Role::Analyst),
            Caller::Liaison => Some(Role::Liaison),
            Caller::Delegate => Some(Role::Delegate),
            Caller::Admin => Some(Role::Admin),
            Caller::Peer => None,
        }
    }
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, unauthenticated at this layer; the reason says why that is safe.
    Public(&'static str),
    /// A dashboard page or form: the dashboard's own session cookie authenticates (a page
    /// without a live session is a 303 to `/login`), and only these kinds of users are let in
    /// (another gets a 403 page: `dashboard::Viewer` checks this row).
    Session(&'static [Caller]),
    /// Only these kinds of authenticated callers.
    Only(&'static [Caller]),
}

impl Access {
    /// Whether an authenticated caller of this kind may call the route.
    pub fn admits(self, caller: Caller) -> bool {
        match self {
            Access::Public(_) => true,
            Access::Session(callers) | Access::Only(callers) => callers.contains(&caller),
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Rule {
    pub method: Method,
    /// The route template, as the router has it.
    pub path: &'static str,
    pub access: Access,
}

use Caller::{Admin, Analyst, Delegate, Liaison, Peer, Reader};

/// Every user, whatever the role.
pub const USERS: &[Caller] = &[Reader, Analyst, Liaison, Delegate, Admin];
/// Users and peers (peers' reads pass the policy gate).
pub const USERS_AND_PEERS: &[Caller] = &[Reader, Analyst, Liaison, Delegate, Admin, Peer];
/// Users who may write (draft, post objects, match); readers and delegates only read.
pub const WRITERS: &[Caller] = &[Analyst, Liaison, Admin];
/// Users who act for the party in the federation's governance (`Role::governs`): delegates
/// and admins: the `/gov/` routes that act (propose, comment, amend, vote, withdraw, publish).
pub const GOVERNORS: &[Caller] = &[Delegate, Admin];
/// Admins only.
pub const ADMINS: &[Caller] = &[Admin];
/// Peers only.
pub const PEERS: &[Caller] = &[Peer];
/// Admins and peers.
pub const ADMINS_AND_PEERS: &[Caller] = &[Admin, Peer];

const fn rule(method: Method, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const DELETE: Method = Method::DELETE;

/// The authorisation table: every route of the node, and who may call it.
pub const ROUTES: &[Rule] = &[
    // Public.
    rule(GET, "/healthz", Access::Public("liveness; reveals nothing")),
    rule(
        POST,
        "/federation/inbox",
        Access::Public("the envelope's signature by a registered peer authenticates it"),
    ),
    // TAXII 2.1: users by their role and grants; peers read through the policy gate.
    rule(GET, "/taxii2/", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/taxii2/root/", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/taxii2/root/status/{status_id}/", Access::Only(USERS)),
    rule(
        GET,
        "/taxii2/root/collections/",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(
        GET,
        "/taxii2/root/collections/{collection}/",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(
        GET,
        "/taxii2/root/collections/{collection}/objects/",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(
        POST,
        "/taxii2/root/collections/{collection}/objects/",
        Access::Only(WRITERS),
    ),
    rule(
        GET,
        "/taxii2/root/collections/{collection}/objects/{object_id}/",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(
        DELETE,
        "/taxii2/root/collections/{collection}/objects/{object_id}/",
        Access::Only(WRITERS),
    ),
    rule(
        GET,
        "/taxii2/root/collections/{collection}/objects/{object_id}/versions/",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(
        GET,
        "/taxii2/root/collections/{collection}/manifest/",
        Access::Only(USERS_AND_PEERS),
    ),
    // The transparency log: checkpoints, keys and proofs to everyone who may call; entries to
    // peers only as the gate redacts them; cosigning for peers and admins.
    rule(GET, "/log/checkpoint", Access::Only(USERS_AND_PEERS)),
    rule(
        GET,
        "/log/checkpoint/cosigned",
        Access::Only(USERS_AND_PEERS),
    ),
    rule(GET, "/log/key", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/log/witness-key", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/log/entries", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/log/proof/inclusion", Access::Only(USERS_AND_PEERS)),
    rule(GET, "/log/proof/consistency", Access::Only(USERS_AND_PEERS)),
    rule(POST, "/log/cosign", Access::Only(ADMINS_AND_PEERS)),
    rule(POST, "/log/cosignatures", Access::Only(PEERS)),
    // Matching.
    rule(POST, "/match", Access::Only(WRITERS)),
    rule(GET, "/match/stats", Access::Only(USERS)),
    // Node operation.
    rule(GET, "/metrics", Access::Only(ADMINS)),
    // Users and their tokens: admins only.
    rule(GET, "/admin/users", Access::Only(ADMINS)),
    rule(POST, "/admin/users", Access::Only(ADMINS)),
    rule(DELETE, "/admin/users/{name}", Access::Only(ADMINS)),
    rule(POST, "/admin/users/{name}/revoke", Access::Only(ADMINS)),
    rule(POST, "/admin/users/{name}/role", Access::Only(ADMINS)),
    // Governance: every user reads; only a delegate or an admin acts for the party (peers
    // exchange acts through the federation).
    rule(GET, "/gov/federation", Access::Only(USERS)),
    rule(GET, "/gov/members", Access::Only(USERS)),
    rule(GET, "/gov/members/{party}", Access::Only(USERS)),
    rule(GET, "/gov/proposals", Access::Only(USERS)),
    rule(POST, "/gov/proposals", Access::Only(GOVERNORS)),
    rule(GET, "/gov/proposals/{id}", Access::Only(USERS)),
    rule(
        POST,
        "/gov/proposals/{id}/{action}",
        Access::Only(GOVERNORS),
    ),
    rule(POST, "/gov/withdrawal", Access::Only(GOVERNORS)),
    rule(GET, "/gov/params", Access::Only(USERS)),
    rule(GET, "/gov/norms", Access::Only(USERS)),
    rule(GET, "/gov/norms/{id}", Access::Only(USERS)),
    rule(GET, "/gov/reports", Access::Only(USERS)),
    rule(POST, "/gov/reports", Access::Only(GOVERNORS)),
    // The jurisdiction registry: every user reads (lookups, RDAP); only a delegate or an
    // admin claims for the party (peers' claims arrive through the federation).
    rule(GET, "/registry/claims", Access::Only(USERS)),
    rule(POST, "/registry/claims", Access::Only(GOVERNORS)),
    rule(GET, "/registry/claims/{id}", Access::Only(USERS)),
    rule(
        POST,
        "/registry/claims/{id}/revocation",
        Access::Only(GOVERNORS),
    ),
    rule(POST, "/registry/claims/{id}/marks", Access::Only(GOVERNORS)),
    rule(GET, "/registry/lookup", Access::Only(USERS)),
    rule(GET, "/registry/conflicts", Access::Only(USERS)),
    rule(GET, "/rdap/help", Access::Only(USERS)),
    rule(GET, "/rdap/ip/{addr}", Access::Only(USERS)),
    rule(GET, "/rdap/ip/{addr}/{len}", Access::Only(USERS)),
    rule(GET, "/rdap/autnum/{asn}", Access::Only(USERS)),
    rule(GET, "/rdap/domain/{name}", Access::Only(USERS)),
    // Cooperation: users only (peers exchange acts through the federation); writes need a
    // role that may at least draft, and each command's own capability is the domain's rule.
    rule(GET, "/coop/requests", Access::Only(USERS)),
    rule(POST, "/coop/requests", Access::Only(WRITERS)),
    rule(GET, "/coop/requests/{id}", Access::Only(USERS)),
    rule(POST, "/coop/requests/{id}/{action}", Access::Only(WRITERS)),
    rule(GET, "/coop/hotline", Access::Only(USERS)),
    rule(GET, "/coop/hotline/contacts", Access::Only(USERS)),
    rule(POST, "/coop/hotline/contacts", Access::Only(WRITERS)),
    rule(GET, "/coop/hotline/pings", Access::Only(USERS)),
    rule(POST, "/coop/hotline/pings", Access::Only(WRITERS)),
    rule(GET, "/coop/consultations", Access::Only(USERS)),
    rule(POST, "/coop/consultations", Access::Only(WRITERS)),
    rule(GET, "/coop/consultations/{id}", Access::Only(USERS)),
    rule(
        POST,
        "/coop/consultations/{id}/{action}",
        Access::Only(WRITERS),
    ),
    rule(GET, "/coop/disputes", Access::Only(USERS)),
    rule(POST, "/coop/disputes", Access::Only(WRITERS)),
    rule(GET, "/coop/disputes/{id}", Access::Only(USERS)),
    rule(POST, "/coop/disputes/{id}/{action}", Access::Only(WRITERS)),
    // The dashboard: its own sign-in and session cookie.
    rule(GET, "/", Access::Session(USERS)),
    rule(GET, "/objects", Access::Session(USERS)),
    rule(GET, "/objects/new", Access::Session(WRITERS)),
    rule(POST, "/objects/new", Access::Session(WRITERS)),
    rule(POST, "/objects/pattern-check", Access::Session(WRITERS)),
    rule(GET, "/objects/import", Access::Session(WRITERS)),
    rule(POST, "/objects/import", Access::Session(WRITERS)),
    rule(GET, "/objects/{id}", Access::Session(USERS)),
    rule(POST, "/objects/{id}/annotate", Access::Session(WRITERS)),
    rule(GET, "/peers", Access::Session(USERS)),
    rule(POST, "/peers/add", Access::Session(ADMINS)),
    rule(GET, "/users", Access::Session(ADMINS)),
    rule(POST, "/users", Access::Session(ADMINS)),
    rule(GET, "/policy", Access::Session(USERS)),
    rule(POST, "/policy", Access::Session(ADMINS)),
    rule(GET, "/log", Access::Session(USERS)),
    rule(GET, "/requests", Access::Session(USERS)),
    rule(GET, "/disputes", Access::Session(USERS)),
    rule(GET, "/governance", Access::Session(USERS)),
    rule(GET, "/governance/proposals/{id}", Access::Session(USERS)),
    rule(GET, "/governance/norms", Access::Session(USERS)),
    rule(GET, "/jurisdiction-registry", Access::Session(USERS)),
    rule(
        GET,
        "/jurisdiction-registry/claims/{id}",
        Access::Session(USERS),
    ),
    rule(
        GET,
        "/login",
        Access::Public("the sign-in form; holds nothing"),
    ),
    rule(
        POST,
        "/login",
        Access::Public("signs in with an API token, throttled per name and address"),
    ),
    rule(POST, "/logout", Access::Session(USERS)),
    rule(
        GET,
        "/assets/dashboard.css",
        Access::Public("a static stylesheet"),
    ),
    rule(
        GET,
        "/assets/dashboard.js",
        Access::Public("a static script"),
    ),
    rule(GET, "/assets/favicon.svg", Access::Public("a static icon")),
];

/// The rule for a request, by method (`HEAD` as `GET`) and route template; `Err(true)` when
/// the route is in the table under other methods only (the router answers 405), `Err(false)`
/// when it is not in the table at all.
pub fn rule_for(method: &Method, path: &str) -> Result<&'static Rule, bool> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut known = false;
    for r in ROUTES {
        if r.path == path {
            if r.method == *method {
                return Ok(r);
            }
            known = true;
        }
    }
    Err(known)
}

/// The middleware that keeps the table (see the module doc).
pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // No route matched: the fallback answers 404.
        return next.run(request).await;
    };
    let access = match rule_for(request.method(), &path) {
        Ok(rule) => rule.access,
        // Another method of a known route: the router answers 405.
        Err(true) => return next.run(request).await,
        Err(false) => {
            tracing::error!(route = %path, "route without an authorisation rule refused");
            return ApiError::RouteWithoutRule(path).into_response();
        }
    };
    let Access::Only(callers) = access else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let principal = match authenticate(&mut parts, &state).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if !callers.contains(&principal.caller()) {
        tracing::info!(principal = %principal, route = %path, method = %parts.method, "refused by the authorisation table");
        return ApiError::Forbidden {
            user: principal.actor(),
            action: format!("{} {path}", parts.method),
        }
        .into_response();
    }
    parts.extensions.insert(principal);
    request = Request::from_parts(parts, body);
    next.run(request).await
}

/// Authenticates a request: a peer's signed `Pacific-Peer` request, or a user's API token
/// (counted per client address and token id, `auth`/`throttle`).
async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(h) = header
        && crate::wire::peer_header::is_peer_scheme(h)
    {
        let fed = state.federation();
        let query = parts.uri.query().unwrap_or("");
        return match fed
            .authenticate_peer(h, parts.method.as_str(), parts.uri.path(), query)
            .await
        {
            Ok(id) => Ok(Principal::Peer(id)),
            Err(reason) => {
                tracing::info!(%reason, path = %parts.uri.path(), "peer authentication failed");
                Err(ApiError::Unauthenticated)
            }
        };
    }
    let client = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    state
        .auth()
        .authenticate_client(header, client)
        .await
        .map_err(|e| {
            tracing::info!(reason = %e, path = %parts.uri.path(), "authentication failed");
            ApiError::from(e)
        })
}

/// A handler's principal: the one [`enforce`] authenticated and admitted for this route.
impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| {
            ApiError::RouteWithoutRule(
                parts
                    .extensions
                    .get::<MatchedPath>()
                    .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_exactly_one_rule_per_method() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {} is in the table twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn head_is_read_as_get_and_unknown_routes_have_no_rule() {
        assert!(rule_for(&Method::HEAD, "/taxii2/").is_ok());
        assert!(rule_for(&Method::PUT, "/taxii2/").unwrap_err());
        assert!(!rule_for(&Method::GET, "/nowhere").unwrap_err());
    }

    #[test]
    fn governors_are_the_callers_whose_role_governs() {
        for caller in Caller::ALL {
            assert_eq!(
                Access::Only(GOVERNORS).admits(caller),
                caller.role().is_some_and(Role::governs),
                "{caller:?}"
            );
        }
    }

    #[test]
    fn every_user_caller_is_its_role() {
        for caller in Caller::ALL {
            if let Some(role) = caller.role() {
                let user = Principal::User {
                    name: "u".into(),
                    role,
                };
                assert_eq!(user.caller(), caller);
            }
        }
        let roles: Vec<Role> = Caller::ALL.into_iter().filter_map(Caller::role).collect();
        for role in Role::ALL {
            assert!(roles.contains(&role), "no caller for {role}");
        }
    }

    #[test]
    fn a_delegate_is_admitted_exactly_where_a_reader_is_but_on_governance_routes() {
        for r in ROUTES {
            if matches!(r.access, Access::Only(callers) if callers == GOVERNORS) {
                continue;
            }
            assert_eq!(
                r.access.admits(Caller::Delegate),
                r.access.admits(Caller::Reader),
                "{} {}",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn peers_never_write_nor_reach_cooperation_matching_or_metrics() {
        for r in ROUTES {
            if r.access.admits(Caller::Peer) && matches!(r.access, Access::Only(_)) {
                let peer_write = r.method != Method::GET
                    && !matches!(r.path, "/log/cosign" | "/log/cosignatures");
                assert!(!peer_write, "a peer may {} {}", r.method, r.path);
                assert!(
                    !r.path.starts_with("/coop")
                        && !r.path.starts_with("/match")
                        && r.path != "/metrics"
                        && !r.path.contains("/status/"),
                    "a peer may call {}",
                    r.path
                );
            }
        }
    }
}
