//! The `/registry/…` API (JSON): the resource claims this node holds, lookups, conflicts, and
//! this party's claims made and revoked. Handlers parse, call the registry service
//! (`crate::registry::Registry`) and render; every user reads, a delegate or an admin claims
//! (the authorisation table).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::TypedQuery;
use crate::http::state::AppState;
use crate::registry::{Answer, Lookup, NewClaim, RegistryError};
use crate::wire::registry::{ClaimBody, MarkBody, claim_view, conflict_view};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry/claims", get(claims).post(make_claim))
        .route("/registry/claims/{id}", get(claim))
        .route("/registry/claims/{id}/revocation", post(revoke))
        .route("/registry/claims/{id}/marks", post(mark))
        .route("/registry/lookup", get(lookup))
        .route("/registry/conflicts", get(conflicts))
}

async fn claims(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let claims = state.registry().claims().await?;
    Ok(Json(json!(
        claims.iter().map(claim_view).collect::<Vec<_>>()
    )))
}

async fn claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let claim = state.registry().claim(&id).await?;
    let conflicts = state.registry().index().await?;
    let mut view = claim_view(&claim);
    view["marks"] = json!(state.registry().marks_of(&claim.id));
    view["conflicts"] = json!(
        conflicts
            .conflicts_of(&claim.id)
            .map(conflict_view)
            .collect::<Vec<_>>()
    );
    Ok(Json(view))
}

async fn make_claim(
    State(state): State<AppState>,
    who: Principal,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body: ClaimBody = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::Invalid(format!("the body: {e}")))?;
    let new = NewClaim {
        role: body.role,
        resources: body.resources,
        contact: body.contact,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
        evidence: body.evidence,
    };
    let claim = state.registry().make_claim(&who, new).await?;
    Ok((StatusCode::CREATED, Json(claim_view(&claim))).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let claim = state.registry().revoke(&who, &id).await?;
    Ok(Json(claim_view(&claim)))
}

async fn mark(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: MarkBody = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::Invalid(format!("the body: {e}")))?;
    let mark = state
        .registry()
        .mark(&who, &id, &body.source, &body.data)
        .await?;
    Ok(Json(json!(mark)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupQuery {
    q: String,
}

async fn lookup(
    State(state): State<AppState>,
    TypedQuery(query): TypedQuery<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let answer = state.registry().lookup(&query.q).await?;
    Ok(Json(lookup_view(&answer)))
}

async fn conflicts(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let conflicts = state.registry().conflicts().await?;
    Ok(Json(json!(
        conflicts.iter().map(conflict_view).collect::<Vec<_>>()
    )))
}

fn answer_view(a: &Answer) -> Value {
    json!({
        "role": a.role,
        "resource": a.resource.to_string(),
        "claim": a.claim.id,
        "party": a.claim.party,
        "contact": a.claim.contact,
        "valid_until": a.claim.valid_until,
        "conflicts": a.conflicts.iter().map(conflict_view).collect::<Vec<_>>(),
    })
}

/// `GET /registry/lookup?q=`: the most specific claim per role.
pub fn lookup_view(l: &Lookup) -> Value {
    json!({
        "query": l.query.to_string(),
        "answers": l.answers.iter().map(answer_view).collect::<Vec<_>>(),
    })
}
