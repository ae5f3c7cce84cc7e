//! What every handler can reach: the configuration, the store and the node's services, built
//! once by `Node::open`.

use std::sync::Arc;

use pacific_store::Store;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::metrics::Metrics;

/// What every handler can reach: the configuration, the store and the node's services. Cheap
/// to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) auth: Authenticator,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) federation: Arc<crate::federation::Federation>,
    pub(crate) matching: Arc<crate::matching::MatchService>,
    pub(crate) coop: Arc<crate::coop::Coop>,
    pub(crate) gov: Arc<crate::gov::Gov>,
    pub(crate) registry: Arc<crate::registry::Registry>,
    pub(crate) log: Arc<crate::log::LogState>,
    pub(crate) collections: Arc<crate::taxii::Collections>,
    pub(crate) users: Arc<crate::users::Users>,
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
    /// The federation's governance (`/gov/…`).
    pub fn gov(&self) -> &Arc<crate::gov::Gov> {
        &self.0.gov
    }
    /// The jurisdiction registry (`/registry/…`, `/rdap/…`).
    pub fn registry(&self) -> &Arc<crate::registry::Registry> {
        &self.0.registry
    }
    /// The TAXII collections (rights, pages through the gate, adding and deleting).
    pub fn collections(&self) -> &Arc<crate::taxii::Collections> {
        &self.0.collections
    }
    /// The node's users and their tokens (`/admin/users`).
    pub fn users(&self) -> &Arc<crate::users::Users> {
        &self.0.users
    }
    /// The transparency log's identity (origin, keys, witness lock).
    pub fn log(&self) -> &Arc<crate::log::LogState> {
        &self.0.log
    }
}
