//! The TAXII 2.1 server (OASIS TAXII Version 2.1, §4–§5): discovery, one API root, status,
//! collections, objects, object, versions and manifest. Handlers are thin: filters are parsed
//! by `pacific_core::taxii`, data comes from the store, responses are TAXII JSON.

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacific_core::access::Right;
use pacific_core::taxii::{ObjectQuery, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE, VersionSelector};
use pacific_store::{Collection, Page, StoredVersion};
use serde_json::{Value, json};

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::TaxiiBody;
use crate::http::state::AppState;

/// Where the discovery resource lives.
pub const DISCOVERY_PATH: &str = "/taxii2/";
/// This node's single API root.
pub const API_ROOT_PATH: &str = "/taxii2/root/";

const OBJECTS_FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];
const OBJECT_FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[version]",
    "match[spec_version]",
];
const DELETE_FILTERS: &[&str] = &["match[version]", "match[spec_version]"];
const VERSIONS_FILTERS: &[&str] = &["added_after", "limit", "next", "match[spec_version]"];

/// The TAXII routes (under `/taxii2/`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/taxii2/root/", get(api_root))
        .route("/taxii2/root/status/{status_id}/", get(status))
        .route("/taxii2/root/collections/", get(collections))
        .route("/taxii2/root/collections/{collection}/", get(collection))
        .route(
            "/taxii2/root/collections/{collection}/objects/",
            get(get_objects).post(post_objects),
        )
        .route(
            "/taxii2/root/collections/{collection}/objects/{object_id}/",
            get(get_object).delete(delete_object),
        )
        .route(
            "/taxii2/root/collections/{collection}/objects/{object_id}/versions/",
            get(versions),
        )
        .route(
            "/taxii2/root/collections/{collection}/manifest/",
            get(manifest),
        )
        .route_layer(axum::middleware::from_fn(negotiate))
}

/// Content negotiation: every TAXII response is `application/taxii+json;version=2.1`, so a
/// request whose `Accept` excludes it gets 406.
async fn negotiate(request: Request, next: Next) -> Result<Response, ApiError> {
    if let Some(accept) = request.headers().get(header::ACCEPT) {
        let accept = accept.to_str().unwrap_or_default();
        if !accepts_taxii(accept) {
            return Err(ApiError::NotAcceptable(accept.to_owned()));
        }
    }
    Ok(next.run(request).await)
}

/// Whether an `Accept` value admits TAXII 2.1 JSON.
fn accepts_taxii(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let params: Vec<String> = parts
            .map(|p| p.replace(' ', "").to_ascii_lowercase())
            .collect();
        let version_ok = params
            .iter()
            .all(|p| !p.starts_with("version=") || p == "version=2.1");
        let q_zero = params
            .iter()
            .any(|p| p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000");
        !q_zero
            && matches!(
                media.as_str(),
                "*/*" | "application/*" | "application/taxii+json"
            )
            && version_ok
    })
}

/// A TAXII JSON response.
fn taxii_json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TAXII_MEDIA_TYPE),
    );
    response
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.config().tls.enabled {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| state.config().server.listen.to_string());
    format!("{scheme}://{host}")
}

async fn discovery(State(state): State<AppState>, _who: Principal, headers: HeaderMap) -> Response {
    let base = base_url(&state, &headers);
    let party = &state.config().party;
    let body = json!({
        "title": format!("Pacific node of {}", party.name),
        "description": "TAXII 2.1 server of a Pacific federation node",
        "default": format!("{base}{API_ROOT_PATH}"),
        "api_roots": [format!("{base}{API_ROOT_PATH}")],
    });
    taxii_json(StatusCode::OK, body.to_string())
}

async fn api_root(State(state): State<AppState>, _who: Principal) -> Response {
    let body = json!({
        "title": format!("{} shared intelligence", state.config().party.name),
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": state.config().server.max_content_length,
    });
    taxii_json(StatusCode::OK, body.to_string())
}

async fn status(
    State(state): State<AppState>,
    _who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let status = state.collections().status(&id).await?;
    Ok(taxii_json(
        StatusCode::OK,
        serde_json::to_string(&status).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

fn collection_json(c: &Collection, can_read: bool, can_write: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [STIX_MEDIA_TYPE],
    });
    if let Some(d) = &c.description {
        v["description"] = json!(d);
    }
    if let Some(a) = &c.alias {
        v["alias"] = json!(a);
    }
    v
}

async fn collections(State(state): State<AppState>, who: Principal) -> Result<Response, ApiError> {
    let listed: Vec<Value> = state
        .collections()
        .listed(&who)
        .await?
        .iter()
        .map(|(c, r, w)| collection_json(c, *r, *w))
        .collect();
    let body = if listed.is_empty() {
        json!({})
    } else {
        json!({ "collections": listed })
    };
    Ok(taxii_json(StatusCode::OK, body.to_string()))
}

async fn collection(
    State(state): State<AppState>,
    who: Principal,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let (c, r, w) = state.collections().visible(&who, &key).await?;
    Ok(taxii_json(
        StatusCode::OK,
        collection_json(&c, r, w).to_string(),
    ))
}

fn parse_query(
    state: &AppState,
    pairs: &[(String, String)],
    allowed: &[&str],
) -> Result<ObjectQuery, ApiError> {
    let server = &state.config().server;
    ObjectQuery::from_pairs(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        allowed,
        server.default_page_size,
        server.max_page_size,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The peer a principal stands for, if it is one.
/// Adds the `X-TAXII-Date-Added-First/Last` headers of a page.
fn with_date_headers(mut response: Response, items: &[StoredVersion]) -> Response {
    if let (Some(first), Some(last)) = (items.first(), items.last()) {
        let headers = response.headers_mut();
        for (name, ts) in [
            ("x-taxii-date-added-first", &first.date_added),
            ("x-taxii-date-added-last", &last.date_added),
        ] {
            if let Ok(v) = HeaderValue::from_str(ts.as_str()) {
                headers.insert(name, v);
            }
        }
    }
    response
}

/// Writes an envelope `{"more":…,"next":…,"objects":[…]}` around stored JSON texts without
/// re-parsing them. For a federation peer, `origins` adds the custom property
/// `x_pacific_origins`, parallel to `objects`: `{"origin", "origin_signature"}` of each.
fn envelope(page: &Page, origins: Option<&[(String, String)]>) -> String {
    let size: usize = page.items.iter().map(|i| i.json.len() + 1).sum();
    let mut out = String::with_capacity(size + 64);
    out.push_str("{\"more\":");
    out.push_str(if page.next.is_some() { "true" } else { "false" });
    if let Some(next) = page.next {
        out.push_str(",\"next\":\"");
        out.push_str(&next.encode());
        out.push('"');
    }
    if !page.items.is_empty() {
        out.push_str(",\"objects\":[");
        for (i, item) in page.items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&item.json);
        }
        out.push(']');
        if let Some(origins) = origins {
            let list: Vec<Value> = origins
                .iter()
                .map(|(origin, signature)| json!({"origin": origin, "origin_signature": signature}))
                .collect();
            out.push_str(",\"x_pacific_origins\":");
            out.push_str(&Value::Array(list).to_string());
        }
    }
    out.push('}');
    out
}

fn more_and_next(page: &Page, key: &str, list: Vec<Value>) -> String {
    let mut body = json!({ "more": page.next.is_some() });
    if let Some(next) = page.next {
        body["next"] = json!(next.encode());
    }
    if !list.is_empty() {
        body[key] = Value::Array(list);
    }
    body.to_string()
}

async fn get_objects(
    State(state): State<AppState>,
    who: Principal,
    Path(key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Read).await?;
    let query = parse_query(&state, &pairs, OBJECTS_FILTERS)?;
    let gated = collections.page(&who, &c, &query, true).await?;
    // A peer's read of objects also gets their origins (`x_pacific_origins`).
    let origins = collections.origins(&gated);
    Ok(with_date_headers(
        taxii_json(StatusCode::OK, envelope(&gated.page, origins.as_deref())),
        &gated.page.items,
    ))
}

async fn manifest(
    State(state): State<AppState>,
    who: Principal,
    Path(key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Read).await?;
    let query = parse_query(&state, &pairs, OBJECTS_FILTERS)?;
    let page = collections.page(&who, &c, &query, false).await?.page;
    let records = page
        .items
        .iter()
        .map(|i| json!({"id": i.id, "date_added": i.date_added, "version": i.version, "media_type": STIX_MEDIA_TYPE}))
        .collect();
    Ok(with_date_headers(
        taxii_json(StatusCode::OK, more_and_next(&page, "objects", records)),
        &page.items,
    ))
}

async fn get_object(
    State(state): State<AppState>,
    who: Principal,
    Path((key, object_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Read).await?;
    let mut query = parse_query(&state, &pairs, OBJECT_FILTERS)?;
    query.ids = vec![object_id.clone()];
    let page = collections
        .object_page(&who, &c, &object_id, &query, true)
        .await?
        .page;
    Ok(with_date_headers(
        taxii_json(StatusCode::OK, envelope(&page, None)),
        &page.items,
    ))
}

async fn delete_object(
    State(state): State<AppState>,
    who: Principal,
    Path((key, object_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Write).await?;
    let mut query = parse_query(&state, &pairs, DELETE_FILTERS)?;
    // Without match[version], DELETE removes every version (TAXII 2.1 §5.7).
    if !pairs.iter().any(|(k, _)| k == "match[version]") {
        query.versions = vec![VersionSelector::All];
    }
    collections.delete(&who, &c, &object_id, &query).await?;
    // TAXII 2.1 §5.7: 200 with an empty body, so no media type either.
    Ok(StatusCode::OK.into_response())
}

async fn versions(
    State(state): State<AppState>,
    who: Principal,
    Path((key, object_id)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Read).await?;
    let mut query = parse_query(&state, &pairs, VERSIONS_FILTERS)?;
    query.ids = vec![object_id.clone()];
    query.versions = vec![VersionSelector::All];
    let page = collections
        .object_page(&who, &c, &object_id, &query, false)
        .await?
        .page;
    let list = page.items.iter().map(|i| json!(i.version)).collect();
    Ok(with_date_headers(
        taxii_json(StatusCode::OK, more_and_next(&page, "versions", list)),
        &page.items,
    ))
}

/// POST objects: the envelope is read and each object validated now; the valid ones are
/// stored in the background, awaited up to `server.post_wait_millis`. The answer is 202 with
/// the status resource as it then stands: complete with its counts, or pending (TAXII 2.1
/// §5.5 lets a server answer either; the client polls a pending one).
async fn post_objects(
    State(state): State<AppState>,
    who: Principal,
    Path(key): Path<String>,
    TaxiiBody(bytes): TaxiiBody,
) -> Result<Response, ApiError> {
    let collections = state.collections();
    let c = collections.collection(&who, &key, Right::Write).await?;
    let envelope: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(mut envelope) = envelope else {
        return Err(ApiError::Unprocessable(
            "request body must be a TAXII envelope: a JSON object with an `objects` array".into(),
        ));
    };
    let Some(Value::Array(items)) = envelope.remove("objects") else {
        return Err(ApiError::Unprocessable(
            "the envelope has no `objects` array".into(),
        ));
    };
    let limits = crate::taxii::Limits::from(&state.config().server);
    let status = collections.add(&who, &c, items, limits).await?;
    let body = serde_json::to_string(&status).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(taxii_json(StatusCode::ACCEPTED, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_follows_the_media_type_rules() {
        for ok in [
            "application/taxii+json;version=2.1",
            "application/taxii+json; version=2.1",
            "application/taxii+json",
            "*/*",
            "application/*",
            "text/html, application/taxii+json;version=2.1;q=0.9",
        ] {
            assert!(accepts_taxii(ok), "{ok} refused");
        }
        for bad in [
            "application/json",
            "application/taxii+json;version=2.0",
            "text/html",
            "application/taxii+json;q=0",
        ] {
            assert!(!accepts_taxii(bad), "{bad} accepted");
        }
    }

    proptest::proptest! {
        /// Media-type parsing reads outside input: it must never panic.
        #[test]
        fn any_media_type_is_judged(value in "\\PC{0,120}") {
            let _ = accepts_taxii(&value);
        }
    }
}
