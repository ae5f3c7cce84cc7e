//! RDAP (RFC 9082 queries, RFC 9083 answers) over the jurisdiction registry, so existing RDAP
//! clients can ask a Pacific node who answers for an address, an AS number or a domain:
//! `GET /rdap/ip/{addr}` (or `/rdap/ip/{prefix}/{len}`), `/rdap/autnum/{asn}`,
//! `/rdap/domain/{name}`, `/rdap/help`. The answer objects are `pacific_registry::rdap`'s (the
//! most specific claim's resource, every answering party an entity with its 24/7 contact);
//! this layer adds the `self` link and a remark per conflict of an answering claim. Claims are
//! TLP:GREEN, shared with the federation, so RDAP is for this node's users like the rest of
//! its API (the authorisation table), not anonymous. Errors are RDAP error objects (RFC 9083
//! §6), served as `application/rdap+json`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacific_registry::{IpPrefix, Match, Query, Resource, rdap};
use serde_json::{Value, json};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::http::state::AppState;
use crate::registry::RegistryError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rdap/help", get(help))
        .route("/rdap/ip/{addr}", get(ip))
        .route("/rdap/ip/{addr}/{len}", get(ip_prefix))
        .route("/rdap/autnum/{asn}", get(autnum))
        .route("/rdap/domain/{name}", get(domain))
}

/// The RDAP media type (RFC 9083 §10.1).
const RDAP_JSON: &str = "application/rdap+json";

fn rdap(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(RDAP_JSON));
    response
}

/// An RDAP error object (RFC 9083 §6).
fn rdap_error(status: StatusCode, description: String) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    rdap(status, rdap::error(status.as_u16(), title, &description))
}

fn from_error(e: RegistryError) -> Response {
    match e {
        RegistryError::Invalid(m) => rdap_error(StatusCode::BAD_REQUEST, m),
        other => {
            tracing::error!(error = %other, "RDAP lookup failed");
            rdap_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the lookup failed".into(),
            )
        }
    }
}

/// Looks `query` up and answers with the object `build` makes of the matches (404 if none),
/// with its `self` link and the answering claims' conflicts as remarks.
async fn answer(
    state: &AppState,
    query: &str,
    self_path: &str,
    keep: impl Fn(&Match<'_>) -> bool,
    build: fn(&[Match<'_>]) -> Option<Value>,
) -> Response {
    let query: Query = match query.parse() {
        Ok(q) => q,
        Err(e) => return rdap_error(StatusCode::BAD_REQUEST, format!("{query:?}: {e}")),
    };
    let index = match state.registry().index().await {
        Ok(i) => i,
        Err(e) => return from_error(e),
    };
    let mut matches = index.lookup(&query);
    matches.retain(|m| keep(m));
    let Some(mut body) = build(&matches) else {
        return rdap_error(
            StatusCode::NOT_FOUND,
            format!("no claim in force holds {query}"),
        );
    };
    let url = format!(
        "{}{self_path}",
        crate::federation::local_url(state.config()).trim_end_matches('/')
    );
    body["links"] = json!([{"value": url, "rel": "self", "href": url, "type": RDAP_JSON}]);
    let remarks: Vec<Value> = matches
        .iter()
        .flat_map(|m| index.conflicts_of(&m.claim.id))
        .map(|c| {
            json!({
                "title": "Conflict",
                "description": [format!(
                    "{} claims by {} ({}) and {} ({}) overlap at {}",
                    c.role, c.parties[0], c.claims[0], c.parties[1], c.claims[1], c.overlap
                )],
            })
        })
        .collect();
    if !remarks.is_empty() {
        body["remarks"] = json!(remarks);
    }
    rdap(StatusCode::OK, body)
}

async fn ip(State(state): State<AppState>, Path(addr): Path<String>) -> Response {
    if addr.parse::<std::net::IpAddr>().is_err() {
        return rdap_error(
            StatusCode::BAD_REQUEST,
            format!("{addr:?} is not an IP address"),
        );
    }
    let path = format!("/rdap/ip/{addr}");
    answer(&state, &addr, &path, |_| true, rdap::ip_network).await
}

async fn ip_prefix(
    State(state): State<AppState>,
    Path((addr, len)): Path<(String, String)>,
) -> Response {
    let asked: IpPrefix = match format!("{addr}/{len}").parse() {
        Ok(p) => p,
        Err(e) => return rdap_error(StatusCode::BAD_REQUEST, format!("{addr}/{len}: {e}")),
    };
    // The claims that hold the whole prefix: those over its first address whose resource is
    // no longer than it.
    let first = match asked {
        IpPrefix::V4(p) => Ipv4Addr::from(p.first()).to_string(),
        IpPrefix::V6(p) => Ipv6Addr::from(p.first()).to_string(),
    };
    let holds_all = move |m: &Match<'_>| match (&m.resource, asked) {
        (Resource::Ip(IpPrefix::V4(held)), IpPrefix::V4(a)) => held.prefix_len() <= a.prefix_len(),
        (Resource::Ip(IpPrefix::V6(held)), IpPrefix::V6(a)) => held.prefix_len() <= a.prefix_len(),
        _ => false,
    };
    let path = format!("/rdap/ip/{addr}/{len}");
    answer(&state, &first, &path, holds_all, rdap::ip_network).await
}

async fn autnum(State(state): State<AppState>, Path(asn): Path<String>) -> Response {
    let Ok(number) = asn.parse::<u32>() else {
        return rdap_error(
            StatusCode::BAD_REQUEST,
            format!("{asn:?} is not an AS number"),
        );
    };
    let path = format!("/rdap/autnum/{number}");
    answer(
        &state,
        &format!("AS{number}"),
        &path,
        |_| true,
        rdap::autnum,
    )
    .await
}

async fn domain(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let path = format!("/rdap/domain/{name}");
    answer(&state, &name, &path, |_| true, rdap::domain).await
}

async fn help() -> Response {
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "notices": [{
                "title": "Queries",
                "description": [
                    "ip/{address}, ip/{prefix}/{length}, autnum/{AS number}, domain/{name}: who answers for it, from the resource claims this Pacific node holds.",
                ],
            }],
        }),
    )
}
