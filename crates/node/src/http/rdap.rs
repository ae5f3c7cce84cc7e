//! RDAP (RFC 9082 queries, RFC 9083 answers) over the jurisdiction registry, so existing RDAP
//! clients can ask a Pacific node who answers for an address, an AS number or a domain:
//! `GET /rdap/ip/{addr}` (or `/rdap/ip/{prefix}/{len}`), `/rdap/autnum/{asn}`,
//! `/rdap/domain/{name}`, `/rdap/help`.
//!
//! The answer object is the most specific claim in force that holds the query (an `ip network`,
//! an `autnum` or a `domain`); every role's answering party is an `entity` with its 24/7
//! contact as a jCard (RFC 7095): `registrant` for the jurisdiction, `technical` for the
//! operator, `abuse` for the contact. Conflicts are `remarks`. Claims are TLP:GREEN, shared with
//! the federation, so RDAP is for this node's users like the rest of its API (the authorisation
//! table), not anonymous. Errors are RDAP error objects (RFC 9083 §6), served as
//! `application/rdap+json`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacific_registry::claim::Role;
use pacific_registry::{IpPrefix, Resource};
use serde_json::{Value, json};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::http::state::AppState;
use crate::registry::{Answer, Lookup, RegistryError};

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
    rdap(
        status,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "errorCode": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "description": [description],
        }),
    )
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

fn notices(state: &AppState) -> Value {
    json!([{
        "title": "Source",
        "description": [format!(
            "Answered by the Pacific node of {} from the resource claims it holds; each claim is published and signed by its own party's node.",
            state.federation().local().name
        )],
    }])
}

fn entity_roles(role: Role) -> &'static str {
    match role {
        Role::Jurisdiction => "registrant",
        Role::Operator => "technical",
        Role::Contact => "abuse",
    }
}

/// The claiming party of `a` as an RDAP entity with its 24/7 contact as a jCard.
fn entity(a: &Answer) -> Value {
    let c = &a.claim.contact;
    let mut vcard = vec![
        json!(["version", {}, "text", "4.0"]),
        json!(["fn", {}, "text", c.name]),
        json!(["org", {}, "text", a.claim.party.as_str()]),
    ];
    if let Some(email) = &c.email {
        vcard.push(json!(["email", {}, "text", email]));
    }
    if let Some(phone) = &c.phone {
        let uri = format!("tel:{}", phone.replace(' ', "-"));
        vcard.push(json!(["tel", {"type": ["voice"]}, "uri", uri]));
    }
    json!({
        "objectClassName": "entity",
        "handle": a.claim.party.as_str(),
        "roles": [entity_roles(a.role)],
        "vcardArray": ["vcard", vcard],
        "remarks": [{
            "title": "Registry role",
            "description": [format!("{} claim {} over {}", a.role, a.claim.id, a.resource)],
        }],
    })
}

/// The answer object for `lookup`, built by `object` from its most specific answer, or 404.
fn answer(
    state: &AppState,
    lookup: &Lookup,
    self_path: &str,
    object: impl Fn(&Answer) -> Value,
) -> Response {
    // The object is the answer over the smallest resource (each role's answer is already its
    // most specific; the roles' answers may differ in extent).
    let Some(main) = lookup.answers.iter().min_by_key(|a| extent(&a.resource)) else {
        return rdap_error(
            StatusCode::NOT_FOUND,
            format!("no claim in force holds {}", lookup.query),
        );
    };
    let mut body = object(main);
    let url = format!(
        "{}{self_path}",
        crate::federation::local_url(state.config()).trim_end_matches('/')
    );
    let remarks: Vec<Value> = lookup
        .answers
        .iter()
        .flat_map(|a| a.conflicts.iter())
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
    let fields = [
        ("rdapConformance", json!(["rdap_level_0"])),
        ("handle", json!(main.claim.id)),
        ("status", json!(["active"])),
        (
            "entities",
            json!(lookup.answers.iter().map(entity).collect::<Vec<_>>()),
        ),
        (
            "events",
            json!([
                {"eventAction": "registration", "eventDate": main.claim.created},
                {"eventAction": "last changed", "eventDate": main.claim.modified},
            ]),
        ),
        (
            "links",
            json!([{"value": url, "rel": "self", "href": url, "type": RDAP_JSON}]),
        ),
        ("notices", notices(state)),
    ];
    for (k, v) in fields {
        body[k] = v;
    }
    if !remarks.is_empty() {
        body["remarks"] = json!(remarks);
    }
    rdap(StatusCode::OK, body)
}

/// How much a resource covers, to pick the most specific answer (smaller is more specific).
fn extent(r: &Resource) -> u128 {
    match r {
        Resource::Ip(IpPrefix::V4(p)) => 1u128 << (32 - u32::from(p.prefix_len())),
        Resource::Ip(IpPrefix::V6(p)) => 1u128
            .checked_shl(128 - u32::from(p.prefix_len()))
            .unwrap_or(u128::MAX),
        Resource::Asn(a) => u128::from(a.count()),
        Resource::Domain(d) => u128::MAX - d.as_str().len() as u128,
    }
}

fn ip_network(a: &Answer) -> Value {
    let (start, end, version) = match &a.resource {
        Resource::Ip(IpPrefix::V4(p)) => (
            Ipv4Addr::from(p.first()).to_string(),
            Ipv4Addr::from(p.last()).to_string(),
            "v4",
        ),
        Resource::Ip(IpPrefix::V6(p)) => (
            Ipv6Addr::from(p.first()).to_string(),
            Ipv6Addr::from(p.last()).to_string(),
            "v6",
        ),
        other => (other.to_string(), other.to_string(), ""),
    };
    json!({
        "objectClassName": "ip network",
        "startAddress": start,
        "endAddress": end,
        "ipVersion": version,
        "name": a.claim.party.as_str(),
        "type": a.role,
    })
}

async fn lookup_or_error(state: &AppState, q: &str) -> Result<Lookup, Response> {
    state.registry().lookup(q).await.map_err(from_error)
}

async fn ip(State(state): State<AppState>, Path(addr): Path<String>) -> Response {
    if addr.parse::<std::net::IpAddr>().is_err() {
        return rdap_error(
            StatusCode::BAD_REQUEST,
            format!("{addr:?} is not an IP address"),
        );
    }
    match lookup_or_error(&state, &addr).await {
        Ok(l) => answer(&state, &l, &format!("/rdap/ip/{addr}"), ip_network),
        Err(r) => r,
    }
}

async fn ip_prefix(
    State(state): State<AppState>,
    Path((addr, len)): Path<(String, String)>,
) -> Response {
    let prefix: IpPrefix = match format!("{addr}/{len}").parse() {
        Ok(p) => p,
        Err(e) => return rdap_error(StatusCode::BAD_REQUEST, format!("{addr}/{len}: {e}")),
    };
    // The claim that holds the whole prefix holds its first address.
    let first = match prefix {
        IpPrefix::V4(p) => Ipv4Addr::from(p.first()).to_string(),
        IpPrefix::V6(p) => Ipv6Addr::from(p.first()).to_string(),
    };
    match lookup_or_error(&state, &first).await {
        Ok(mut l) => {
            l.answers.retain(|a| match (&a.resource, prefix) {
                (Resource::Ip(IpPrefix::V4(held)), IpPrefix::V4(asked)) => {
                    held.prefix_len() <= asked.prefix_len()
                }
                (Resource::Ip(IpPrefix::V6(held)), IpPrefix::V6(asked)) => {
                    held.prefix_len() <= asked.prefix_len()
                }
                _ => false,
            });
            answer(&state, &l, &format!("/rdap/ip/{addr}/{len}"), ip_network)
        }
        Err(r) => r,
    }
}

async fn autnum(State(state): State<AppState>, Path(asn): Path<String>) -> Response {
    let Ok(number) = asn.trim_start_matches(['A', 'S', 'a', 's']).parse::<u32>() else {
        return rdap_error(
            StatusCode::BAD_REQUEST,
            format!("{asn:?} is not an AS number"),
        );
    };
    match lookup_or_error(&state, &format!("AS{number}")).await {
        Ok(l) => answer(&state, &l, &format!("/rdap/autnum/{number}"), |a| {
            let (start, end) = match &a.resource {
                Resource::Asn(r) => (r.first(), r.last()),
                _ => (number, number),
            };
            json!({
                "objectClassName": "autnum",
                "startAutnum": start,
                "endAutnum": end,
                "name": a.claim.party.as_str(),
                "type": a.role,
            })
        }),
        Err(r) => r,
    }
}

async fn domain(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match lookup_or_error(&state, &name).await {
        Ok(l) => answer(&state, &l, &format!("/rdap/domain/{name}"), |a| {
            json!({
                "objectClassName": "domain",
                "ldhName": a.resource.to_string(),
            })
        }),
        Err(r) => r,
    }
}

async fn help(State(state): State<AppState>) -> Response {
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "notices": [
                {
                    "title": "Queries",
                    "description": [
                        "ip/{address}, ip/{prefix}/{length}, autnum/{AS number}, domain/{name}: who answers for it, from the federation's resource claims.",
                    ],
                },
                notices(&state)[0],
            ],
        }),
    )
}
