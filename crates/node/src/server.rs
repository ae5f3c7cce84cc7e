//! The HTTP server: shared state, the router (TAXII, `/healthz`, `/metrics`), request
//! metrics, and serving over plain HTTP (loopback only) or TLS.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pacific_store::Store;

use crate::auth::Authenticator;
use crate::authz::Principal;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::{DataDir, NodeError};

/// What every handler can reach: the configuration, the store and the node's services. Cheap
/// to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    store: Arc<dyn Store>,
    auth: Authenticator,
    metrics: Metrics,
    federation: Arc<crate::federation::Federation>,
    matching: Arc<crate::matching::MatchService>,
    coop: Arc<crate::coop::Coop>,
    log: Arc<crate::log::LogState>,
}

impl AppState {
    pub fn config(&self) -> &Config {
        &self.0.config
    }
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }
    pub fn auth(&self) -> &Authenticator {
        &self.0.auth
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    /// The federation side (peers, gate, envelopes).
    pub fn federation(&self) -> &Arc<crate::federation::Federation> {
        &self.0.federation
    }
    /// Matching events against the node's indicators.
    pub fn matching(&self) -> &Arc<crate::matching::MatchService> {
        &self.0.matching
    }
    /// Cooperation records (`/coop/…`).
    pub fn coop(&self) -> &Arc<crate::coop::Coop> {
        &self.0.coop
    }
    /// The transparency log's identity (origin, keys, witness lock).
    pub fn log(&self) -> &Arc<crate::log::LogState> {
        &self.0.log
    }
}

/// A node ready to serve.
pub struct Node {
    state: AppState,
    data_dir: DataDir,
}

impl Node {
    /// Opens the node of a data directory.
    pub async fn open(data_dir: &DataDir) -> Result<Self, NodeError> {
        let config = data_dir.load_config()?;
        let store = data_dir.open_store().await?;
        let log = Arc::new(crate::log::LogState::new(
            &config.party.name,
            data_dir.load_identity()?,
        )?);
        let federation =
            crate::federation::Federation::open(data_dir, &config, Arc::clone(&store)).await?;
        let coop = crate::coop::Coop::new(
            Arc::clone(&federation),
            Arc::clone(&store),
            config.coop.clone(),
        );
        let matching = crate::matching::MatchService::open(
            data_dir.root(),
            &config,
            Arc::clone(&store),
            Some(Arc::clone(federation.store())),
        )
        .await?;
        let auth = Authenticator::new(Arc::clone(&store));
        let state = AppState(Arc::new(Inner {
            config,
            store,
            auth,
            metrics: Metrics::default(),
            federation,
            matching,
            coop,
            log,
        }));
        Ok(Self {
            state,
            data_dir: data_dir.clone(),
        })
    }

    /// The transparency log's identity (origin, keys).
    pub fn log(&self) -> &Arc<crate::log::LogState> {
        self.state.log()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn config_mut(&mut self) -> Option<&mut Config> {
        Arc::get_mut(&mut self.state.0).map(|inner| &mut inner.config)
    }

    pub fn router(&self) -> Router {
        Router::new()
            .merge(crate::taxii::routes())
            .merge(crate::federation::inbox::routes())
            .merge(crate::log::routes())
            .merge(crate::matching::routes())
            .merge(crate::dashboard::routes())
            .merge(crate::coop::routes())
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics))
            .fallback(not_found)
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                crate::authz::enforce,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                record_request,
            ))
            .with_state(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes. Uses TLS when the configuration says
    /// so; refuses plain HTTP on a non-loopback address.
    pub async fn serve(
        self,
        listener: std::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let addr = listener
            .local_addr()
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        let tls = &self.state.config().tls;
        if !tls.enabled && !addr.ip().is_loopback() {
            return Err(NodeError::Setup(format!(
                "refusing plain HTTP on {addr}: only loopback may be served without TLS (set tls.enabled = true)"
            )));
        }
        listener
            .set_nonblocking(true)
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        // The outbox supervisor runs one delivery worker per peer (also for peers added while
        // the node serves); aborting it stops them all.
        let federation = self.state.federation();
        let _outbox = federation
            .outbox_enabled
            .then(|| AbortOnDrop(crate::federation::supervisor::spawn(Arc::clone(federation))));
        // Aborted when `serve` returns (the guard drops).
        let _publisher = AbortOnDrop(crate::log::spawn_publisher(
            Arc::clone(self.state.store()),
            Arc::clone(self.state.log()),
        ));
        // Witnesses every peer's log while the node serves.
        let _witness = AbortOnDrop(crate::witness::spawn(
            Arc::clone(federation),
            Arc::clone(self.state.log()),
        ));
        // The cooperation clock: expiries, hotline re-sends, overdue stages, re-addressing.
        let _coop = AbortOnDrop(crate::coop::spawn_clock(Arc::clone(self.state.coop())));
        // A match on a critical-infrastructure asset raises a hotline alert.
        let _coop_alerts = AbortOnDrop(crate::coop::spawn_incident_alerts(
            Arc::clone(self.state.coop()),
            self.state.matching().subscribe(),
        ));
        // Follows new indicator versions into the matching index while the node serves.
        let _matching = AbortOnDrop(crate::matching::spawn_follower(Arc::clone(
            self.state.matching(),
        )));
        if tls.enabled {
            let root = self.data_dir.root().to_path_buf();
            crate::install_crypto_provider();
            let rustls_config = axum_server::tls_rustls::RustlsConfig::from_pem_file(
                root.join(&tls.cert),
                root.join(&tls.key),
            )
            .await
            .map_err(|e| {
                NodeError::Setup(format!("cannot load the TLS certificate or key: {e}"))
            })?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            });
            tracing::info!(%addr, "serving TAXII 2.1 over HTTPS");
            axum_server::from_tcp_rustls(listener, rustls_config)
                .map_err(|e| NodeError::Setup(e.to_string()))?
                .handle(handle)
                .serve(app)
                .await
                .map_err(|e| NodeError::Setup(format!("server failed: {e}")))
        } else {
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| NodeError::Setup(e.to_string()))?;
            tracing::info!(%addr, "serving TAXII 2.1 over plain HTTP (loopback)");
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|e| NodeError::Setup(format!("server failed: {e}")))
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts every request by route template and status.
async fn record_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state
        .metrics()
        .record_request(&route, response.status().as_u16());
    response
}

/// Liveness and readiness: answers 200 when the store answers. Public, and reveals nothing.
async fn healthz(State(state): State<AppState>) -> Response {
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
async fn metrics(State(state): State<AppState>, _admin: Principal) -> Result<Response, ApiError> {
    let stats = state.store().stats().await?;
    let mut body = state.metrics().render(&stats);
    body.push_str(&state.federation().render_metrics());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!("resource {}", request.uri().path()))
}
