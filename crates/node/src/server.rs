//! The node: its services opened from a data directory, and serving them — the routes of
//! `crate::http` and the background tasks (outbox, log publisher, witness, cooperation clock,
//! incident alerts, matching follower) — over plain HTTP (loopback only) or TLS.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::http::state::{AppState, Inner};
use crate::metrics::Metrics;
use crate::{DataDir, NodeError};

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
        let metrics = Arc::new(Metrics::default());
        let collections = Arc::new(crate::taxii::Collections::new(
            Arc::clone(&store),
            Arc::clone(&federation),
            Arc::clone(&matching),
            Arc::clone(&metrics),
        ));
        let users = Arc::new(crate::users::Users::new(Arc::clone(&store)));
        let state = AppState(Arc::new(Inner {
            config,
            store,
            auth,
            metrics,
            federation,
            matching,
            coop,
            log,
            collections,
            users,
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

    /// Every route of the node, under the authorisation table (`crate::http::router`).
    pub fn router(&self) -> axum::Router {
        crate::http::router(self.state.clone())
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
        // One serving node per data directory, for as long as this one serves.
        let _lock = self.data_dir.lock_for_serving()?;
        // Statuses of POSTs in flight when the node last stopped get their outcome now (no
        // other node serves this directory, so none of them is still in flight).
        self.state
            .collections()
            .complete_interrupted()
            .await
            .map_err(|e| NodeError::Setup(format!("completing interrupted statuses: {e}")))?;
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
        // `pacific policy reload` (SIGHUP) applies a changed policy.toml without a restart.
        let _policy = AbortOnDrop(crate::federation::policy_reload::spawn(
            Arc::clone(federation),
            self.data_dir.root().to_path_buf(),
        ));
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
