//! The admin API of the node's users (admins only, per the authorisation table): `GET
//! /admin/users` lists them (never token hashes), `POST /admin/users` adds one and answers its
//! token once, `DELETE /admin/users/{name}` removes one, `POST /admin/users/{name}/revoke`
//! revokes a token (`{"reissue": true}` answers a new one, once) and `POST
//! /admin/users/{name}/role` changes a role. Each handler parses, calls one method of
//! `crate::users::Users` as the signed-in admin, and renders; refusals are `ApiError`s (404 for
//! an unknown user, 409 `last-admin`, 409 `already-exists`, 422 for bad input).

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pacific_core::Timestamp;
use pacific_core::access::Role;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::LimitedBody;
use crate::http::state::AppState;
use crate::users::{UserInfo, parse_expiry};
use crate::wire::users::{AddUser, Revoke, SetRole};

/// The largest body these routes read.
const MAX_BODY: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(add))
        .route("/admin/users/{name}", axum::routing::delete(remove))
        .route("/admin/users/{name}/revoke", post(revoke))
        .route("/admin/users/{name}/role", post(set_role))
}

/// A JSON body of at most [`MAX_BODY`] bytes (empty means `{}`); a bad one is 422.
async fn body<T: DeserializeOwned>(body: LimitedBody) -> Result<T, ApiError> {
    let bytes = body.read(MAX_BODY).await?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| ApiError::Unprocessable(format!("body: {e}")))
}

fn role(text: &str) -> Result<Role, ApiError> {
    Role::from_str(text).map_err(ApiError::Unprocessable)
}

fn expiry(text: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|t| parse_expiry(t, &Timestamp::now()))
        .transpose()
        .map_err(ApiError::from)
}

async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let users = state.users().list().await?;
    Ok(Json(json!({ "users": users })).into_response())
}

async fn add(
    State(state): State<AppState>,
    who: Principal,
    raw: LimitedBody,
) -> Result<Response, ApiError> {
    let spec: AddUser = body(raw).await?;
    let role = role(&spec.role)?;
    let expires = expiry(spec.expires.as_deref())?;
    let issued = state
        .users()
        .add(&who.actor(), &spec.name, role, expires)
        .await?;
    let answer = json!({ "user": UserInfo::from(&issued.user), "token": issued.token });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn remove(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    state.users().remove(&who.actor(), &name).await?;
    Ok(Json(json!({ "removed": name })).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
    raw: LimitedBody,
) -> Result<Response, ApiError> {
    let spec: Revoke = body(raw).await?;
    let expires = expiry(spec.expires.as_deref())?;
    let done = state
        .users()
        .revoke(&who.actor(), &name, spec.reissue, expires)
        .await?;
    let mut answer = json!({ "user": name, "was_valid": done.was_valid });
    if let Some(issued) = done.issued {
        answer["token"] = json!(issued.token);
        answer["token_id"] = json!(issued.user.token_id);
        if let Some(e) = &issued.user.expires {
            answer["expires"] = json!(e);
        }
    }
    Ok(Json(answer).into_response())
}

async fn set_role(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
    raw: LimitedBody,
) -> Result<Response, ApiError> {
    let spec: SetRole = body(raw).await?;
    let role = role(&spec.role)?;
    let changed = state.users().set_role(&who.actor(), &name, role).await?;
    Ok(Json(json!({ "user": name, "role": role, "changed": changed })).into_response())
}
