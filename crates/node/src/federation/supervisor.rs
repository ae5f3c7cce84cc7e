//! The outbox supervisor: one delivery worker per peer, for the peers known at start **and**
//! those added while the node runs (`pacific peer add` writes the peers table of a running
//! node's database; no restart is needed).
//!
//! When the database changed ([`pacific_store::Store::changes`]), at most every [`RESCAN`],
//! the supervisor re-reads the peers table, starts a worker for each peer that has none and
//! stops the worker of a peer that is gone. A worker is the loop of `outbox`: catch-up by a
//! signed TAXII pull, then [`deliver_once`] rounds with back-off (100 ms doubling to 10 s) and
//! a fresh catch-up after each failure. A worker with nothing to send waits for the database
//! to change (or [`IDLE_RECHECK`]), so an idle node neither polls nor writes. Aborting the
//! supervisor's handle stops every worker it started.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pacific_core::policy::PartyId;

use super::Federation;
use super::outbox::{catch_up, deliver_once};

/// How often, at most, the peers table is re-read (when the database changed).
pub const RESCAN: Duration = Duration::from_secs(2);
/// How long an idle worker or supervisor waits for a change before looking all the same.
pub const IDLE_RECHECK: Duration = Duration::from_secs(60);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Aborts the workers when the supervisor stops (its task is aborted or ends).
struct Workers(BTreeMap<PartyId, tokio::task::JoinHandle<()>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in self.0.values() {
            worker.abort();
        }
    }
}

/// Starts the supervisor; it starts the workers. Abort the handle to stop all of them.
pub fn spawn(fed: Arc<Federation>) -> tokio::task::JoinHandle<()> {
    spawn_every(fed, RESCAN)
}

/// [`spawn`] with another rescan interval (tests).
pub fn spawn_every(fed: Arc<Federation>, rescan: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut workers = Workers(BTreeMap::new());
        let mut changes = fed.objects().changes();
        loop {
            changes.borrow_and_update();
            reconcile(&fed, &mut workers).await;
            tokio::time::sleep(rescan).await;
            crate::changed_or(&mut changes, IDLE_RECHECK).await;
        }
    })
}

/// One look at the peers table: a worker for each new peer, none for a removed one.
async fn reconcile(fed: &Arc<Federation>, workers: &mut Workers) {
    let peers = match fed.store().peers().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the peers table; keeping the current workers");
            return;
        }
    };
    let current: std::collections::BTreeSet<PartyId> =
        peers.into_iter().map(|p| p.party_id).collect();
    workers.0.retain(|id, handle| {
        let keep = current.contains(id) && !handle.is_finished();
        if !keep {
            handle.abort();
            tracing::info!(peer = %id, "stopped delivering to a peer");
        }
        keep
    });
    for id in current {
        if let std::collections::btree_map::Entry::Vacant(slot) = workers.0.entry(id) {
            tracing::info!(peer = %slot.key(), "delivering to a peer");
            let fed = Arc::clone(fed);
            let peer = slot.key().clone();
            slot.insert(tokio::spawn(async move { run(fed, peer).await }));
        }
    }
}

/// One peer's worker: catch-up, then delivery rounds with back-off.
async fn run(fed: Arc<Federation>, peer_id: PartyId) {
    let http = match crate::client::build_http(
        None,
        Some(crate::client::Timeouts {
            request: Duration::from_secs(30),
            connect: Duration::from_secs(5),
        }),
    ) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the outbox HTTP client");
            return;
        }
    };
    let mut backoff = BACKOFF_MIN;
    let mut need_catch_up = true;
    let mut changes = fed.objects().changes();
    loop {
        // Marked seen before the round looks, so a version added during it wakes the next.
        changes.borrow_and_update();
        if need_catch_up {
            if let Err(e) = catch_up(&fed, &peer_id).await {
                tracing::debug!(peer = %peer_id, error = %e, "catch-up from a peer failed");
            }
            need_catch_up = false;
        }
        match deliver_once(&fed, &http, &peer_id).await {
            Ok(true) => backoff = BACKOFF_MIN,
            Ok(false) => {
                backoff = BACKOFF_MIN;
                crate::changed_or(&mut changes, IDLE_RECHECK).await;
            }
            Err(e) => {
                tracing::debug!(peer = %peer_id, error = %e, retry_in = ?backoff, "delivery to a peer failed");
                need_catch_up = true;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}
