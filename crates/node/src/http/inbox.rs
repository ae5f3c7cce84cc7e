//! `POST /federation/inbox`: the body (at most the federation's envelope limit) goes to
//! `Federation::receive_envelope`; the signed ack comes back as JSON.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::federation::inbox::INBOX_PATH;
use crate::http::error::ApiError;
use crate::http::extract::LimitedBody;
use crate::http::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(INBOX_PATH, post(inbox))
}

async fn inbox(State(state): State<AppState>, body: LimitedBody) -> Result<Response, ApiError> {
    let fed = state.federation();
    let bytes = body.read(fed.max_envelope_bytes).await?;
    let ack = fed.receive_envelope(&bytes, state.log().origin()).await?;
    let body = serde_json::to_string(&ack).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
