//! Operating the node over HTTP: liveness, metrics, request counting, and the answer for a
//! route that does not exist.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Counts every request by route template and status, and times it.
pub(super) async fn record_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics()
        .record_request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// Liveness and readiness: answers 200 when the store answers. Public, and reveals nothing.
pub(super) async fn healthz(State(state): State<AppState>) -> Response {
    match state.store().stats().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

/// Prometheus metrics; admins only (the table), since counts and sizes are information about
/// the party.
pub(super) async fn metrics(
    State(state): State<AppState>,
    _admin: Principal,
) -> Result<Response, ApiError> {
    let stats = state.store().stats().await?;
    let mut body = state.metrics().render(&stats);
    body.push_str(&state.federation().render_metrics());
    body.push_str(&state.matching().render_metrics());
    body.push_str(&state.registry().render_metrics());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

pub(super) async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!("resource {}", request.uri().path()))
}
