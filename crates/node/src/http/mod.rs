//! The HTTP layer: the router, the authorisation table and its middleware, the extractors, the
//! one mapping of errors to responses, and one module per API. Handlers parse, call one
//! service method and render; services (`crate::coop`, `crate::matching`, `crate::log`,
//! `crate::federation`, `crate::witness`, `crate::users`) know nothing of HTTP.
//!
//! Imports point one way: `http` uses the services, never the reverse (a test walks the
//! sources to keep it so).

pub mod authz;
pub mod coop;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod gov;
pub mod inbox;
pub mod limits;
pub mod log;
pub mod matching;
mod ops;
pub mod rdap;
pub mod registry;
pub mod state;
pub mod taxii;
pub mod users;

use axum::Router;
use axum::routing::get;

pub use authz::Principal;
pub use error::ApiError;
pub use state::AppState;

/// Every route of the node, under the authorisation table ([`authz::enforce`]), the bounds on
/// request bodies ([`limits::bound_bodies`]) and request counting.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(taxii::routes())
        .merge(inbox::routes())
        .merge(log::routes())
        .merge(matching::routes())
        .merge(dashboard::routes())
        .merge(coop::routes())
        .merge(gov::routes())
        .merge(registry::routes())
        .merge(rdap::routes())
        .merge(users::routes())
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authz::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits::BodyLimits::new(&state.config().server),
            limits::bound_bodies,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::record_request,
        ))
        .with_state(state)
}
