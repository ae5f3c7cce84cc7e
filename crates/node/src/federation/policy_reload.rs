//! Applying a changed export policy without a restart: on SIGHUP (which `pacific policy
//! reload` sends to the node serving a data directory) the node reads `policy.toml` again,
//! and applies it if it is valid, logging `policy-changed` before the first decision under it.
//! An invalid file changes nothing and is reported in the node's log; the CLI validates the
//! file before it signals, so a user sees the error there first.

use std::path::PathBuf;
use std::sync::Arc;

use super::Federation;

/// Reloads the policy of `fed` from `root` on each SIGHUP, while the task runs.
pub fn spawn(fed: Arc<Federation>, root: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut hangups = match signal(SignalKind::hangup()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGHUP: `pacific policy reload` will not reach this node");
                    return;
                }
            };
            while hangups.recv().await.is_some() {
                match fed.reload_policy(&root).await {
                    Ok(true) => tracing::info!("export policy reloaded: a new policy applies"),
                    Ok(false) => tracing::info!("export policy reloaded: unchanged"),
                    Err(e) => {
                        tracing::error!(error = %e, "export policy not reloaded; the current one stays")
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (fed, root);
        }
    })
}
