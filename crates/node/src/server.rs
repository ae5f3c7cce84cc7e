//! The node: its services opened from a data directory, and serving them — the routes of
//! `crate::http` and the background tasks (outbox, log publisher, witness, cooperation clock,
//! incident alerts, matching follower) — over plain HTTP (loopback only) or TLS.
//!
//! Connections are bounded (`[server]`): each has `header_timeout_secs` to finish its TLS
//! handshake and to send each request's headers (so an idle kept-alive connection closes after
//! as long), and at most `max_connections` are open, `max_connections_per_address` from one
//! client address; a connection over a cap is closed as soon as it is accepted. Request bodies
//! are bounded in time and in bytes held at once by `crate::http::limits`.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::http::state::{AppState, Inner};
use crate::metrics::{ConnectionRefusal, Metrics};
use crate::throttle::address_key;
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
        let gov = crate::gov::Gov::open(
            data_dir,
            Arc::clone(&federation),
            Arc::clone(&store),
            Arc::clone(&coop),
            config.coop.clone(),
            config.governance.clone(),
        )?;
        let matching = crate::matching::MatchService::open(
            data_dir.root(),
            &config,
            Arc::clone(&store),
            Some(Arc::clone(federation.store())),
        )
        .await?;
        let registry = match matching.registry() {
            Some(r) => Arc::clone(r),
            None => crate::registry::Registry::new(
                federation.local().id.clone(),
                Arc::clone(federation.store()),
                Arc::clone(&store),
            ),
        };
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
            gov,
            registry,
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
        // The governance clock: proposals close as time passes, and what they adopt holds.
        let _gov = AbortOnDrop(crate::gov::spawn_clock(
            Arc::clone(self.state.gov()),
            std::time::Duration::from_millis(self.state.config().coop.tick_millis),
        ));
        // A match on a critical-infrastructure asset raises a hotline alert.
        // Followed in the store, so an incident `pacific match --record` stores is alerted too.
        let _coop_alerts = AbortOnDrop(crate::coop::spawn_incident_alerts(Arc::clone(
            self.state.coop(),
        )));
        // Follows new indicator versions into the matching index while the node serves.
        let _matching = AbortOnDrop(crate::matching::spawn_follower(Arc::clone(
            self.state.matching(),
        )));
        let tls = if tls.enabled {
            let root = self.data_dir.root();
            Some(tls_acceptor(&root.join(&tls.cert), &root.join(&tls.key))?)
        } else {
            None
        };
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        if tls.is_some() {
            tracing::info!(%addr, "serving TAXII 2.1 over HTTPS");
        } else {
            tracing::info!(%addr, "serving TAXII 2.1 over plain HTTP (loopback)");
        }
        let server = &self.state.config().server;
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(server.header_timeout_secs),
            admission: Admission::new(server.max_connections, server.max_connections_per_address),
        };
        accept_loop(
            listener,
            tls,
            self.router(),
            limits,
            Arc::clone(&self.state.0.metrics),
            shutdown,
        )
        .await;
        Ok(())
    }
}

/// How long open connections get to finish when the node stops, before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The TLS side of serving: the certificate chain and key of the data directory, HTTP/1.1 only.
fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, NodeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    crate::install_crypto_provider();
    let unreadable = |e: &dyn std::fmt::Display| {
        NodeError::Setup(format!("cannot load the TLS certificate or key: {e}"))
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unreadable(&e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable(&e))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| unreadable(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// What bounds connections: the time to send headers (and to finish a TLS handshake), and how
/// many may be open, in all and per client address.
struct ConnectionLimits {
    header_timeout: Duration,
    admission: Arc<Admission>,
}

/// The connections open, in all and per client address (an IPv6 client by its /64).
struct Admission {
    max_total: usize,
    max_per_address: usize,
    open: std::sync::Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl Admission {
    fn new(max_total: usize, max_per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            max_per_address,
            open: std::sync::Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a connection from `ip`, held until the slot drops; or the cap it meets.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, ConnectionRefusal> {
        let key = address_key(ip);
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, by_address) = &mut *open;
        if *total >= self.max_total {
            return Err(ConnectionRefusal::Total);
        }
        let here = by_address.entry(key).or_default();
        if *here >= self.max_per_address {
            return Err(ConnectionRefusal::PerAddress);
        }
        *here += 1;
        *total += 1;
        Ok(Slot {
            admission: Arc::clone(self),
            key,
        })
    }
}

/// One admitted connection's place; gives it back when dropped.
struct Slot {
    admission: Arc<Admission>,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (total, by_address) = &mut *open;
        *total -= 1;
        if let Some(n) = by_address.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                by_address.remove(&self.key);
            }
        }
    }
}

/// Accepts connections until `shutdown` completes, each admitted under the caps and served
/// (after a TLS handshake bounded like headers, when `tls` is given) on its own task with
/// HTTP/1.1; then lets the open ones finish their requests for up to [`SHUTDOWN_GRACE`].
async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = match limits.admission.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                metrics.connection_refused(why);
                tracing::debug!(%peer, ?why, "connection refused");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (tls, router, http, metrics) = (
            tls.clone(),
            router.clone(),
            Arc::clone(&http),
            Arc::clone(&metrics),
        );
        let stopping = stopping.clone();
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let _slot = slot;
            metrics.connection_opened();
            match tls {
                None => serve_connection(stream, peer, router, &http, &metrics, stopping).await,
                Some(tls) => match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        serve_connection(stream, peer, router, &http, &metrics, stopping).await
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => metrics.connection_timed_out(),
                },
            }
            metrics.connection_closed();
        });
    }
    drop(listener);
    stop.send_replace(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the shutdown grace period are dropped"
        );
    }
}

/// Serves HTTP/1.1 on one connection until it closes, or until the node stops (then the request
/// in progress is answered and the connection closed). Each request carries the client's
/// address (`ConnectInfo`).
async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    router: axum::Router,
    http: &hyper::server::conn::http1::Builder,
    metrics: &Metrics,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            tower::Service::call(&mut router.clone(), request)
        });
    let connection = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(connection);
    let outcome = tokio::select! {
        outcome = connection.as_mut() => outcome,
        _ = async { stopping.wait_for(|stop| *stop).await.is_ok() } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = outcome {
        if e.is_timeout() {
            metrics.connection_timed_out();
        }
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
