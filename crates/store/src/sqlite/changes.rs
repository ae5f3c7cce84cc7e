//! Knowing when the database changed, without reading it ([`crate::Store::changes`]).
//!
//! A counter in a `tokio::sync::watch` moves after every change committed to the database:
//! at once for the writes of this store (its write guard moves it when released), and within
//! [`CHANGE_POLL`] for commits by any other connection — the federation store's pool, another
//! process such as `pacific peer add` or `pacific ingest` — which a dedicated connection sees
//! as a new `PRAGMA data_version` (SQLite changes it when, and only when, another connection
//! committed a change). That connection is opened on the first call to `changes` and closed
//! with the store; looking at the version reads the WAL index in shared memory, not the file.
//!
//! The same connection keeps an idle database's write-ahead log from lingering: once nothing
//! has changed for [`QUIET`] after a change, it checkpoints the WAL into the database file
//! and truncates it (once per quiet spell). While writes go on, it copies the WAL back into
//! the database in the background ([`BACKGROUND_CHECKPOINT_BYTES`], a `PASSIVE` checkpoint,
//! which never waits for or blocks a writer), so that a commit seldom has to do it itself
//! (the connections' `wal_autocheckpoint` is the safety net): a TAXII POST or an ingest batch
//! that hit SQLite's automatic checkpoint took ten times its usual time.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::watch;
use tokio::time::Instant;

use super::file_options;

/// How often other connections' commits are looked for.
pub const CHANGE_POLL: Duration = Duration::from_millis(100);
/// How long the database stays unchanged before its WAL is checkpointed and truncated.
pub const QUIET: Duration = Duration::from_secs(30);
/// The WAL size past which the watching connection checkpoints it in the background.
pub const BACKGROUND_CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

/// The change counter of a store and the task watching other connections' commits.
pub(super) struct Changes {
    tx: Arc<watch::Sender<u64>>,
    poller: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Moves the counter when dropped: held by a write for as long as it runs.
pub(super) struct WriteGuard<'a> {
    _lock: tokio::sync::MutexGuard<'a, ()>,
    tx: &'a watch::Sender<u64>,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl Changes {
    pub(super) fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(0)),
            poller: std::sync::Mutex::new(None),
        }
    }

    /// Takes the store's write lock; the counter moves when the guard drops.
    pub(super) async fn write<'a>(&'a self, lock: &'a tokio::sync::Mutex<()>) -> WriteGuard<'a> {
        WriteGuard {
            _lock: lock.lock().await,
            tx: &self.tx,
        }
    }

    /// A receiver of the counter; for a database file, starts watching other connections'
    /// commits if not yet done (needs a Tokio runtime; without one, only this store's own
    /// writes move the counter).
    pub(super) fn subscribe(&self, path: Option<&PathBuf>) -> watch::Receiver<u64> {
        let rx = self.tx.subscribe();
        if let Some(path) = path
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
            && let Ok(mut poller) = self.poller.lock()
            && poller.is_none()
        {
            *poller = Some(runtime.spawn(watch_commits(path.clone(), Arc::downgrade(&self.tx))));
        }
        rx
    }

    /// Stops watching (closing the watching connection).
    pub(super) fn stop(&self) {
        if let Ok(mut poller) = self.poller.lock()
            && let Some(task) = poller.take()
        {
            task.abort();
        }
    }
}

impl Drop for Changes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every [`CHANGE_POLL`] until the store is gone: moves the counter when `PRAGMA
/// data_version` says another connection committed, and checkpoints and truncates the WAL
/// once the database has been quiet for [`QUIET`]. A connection that fails is reopened; while
/// none can be had, the counter moves on every round, so that watchers look for themselves.
async fn watch_commits(path: PathBuf, tx: Weak<watch::Sender<u64>>) {
    let bump = |tx: &watch::Sender<u64>| tx.send_modify(|n| *n = n.wrapping_add(1));
    let mut conn: Option<SqliteConnection> = None;
    let mut version: Option<i64> = None;
    let mut last_change = Instant::now();
    // Whether the WAL was truncated since the last change (a fresh start counts as a change).
    let mut truncated = false;
    let mut counted = 0;
    loop {
        tokio::time::sleep(CHANGE_POLL).await;
        let Some(tx) = tx.upgrade() else { return };
        if conn.is_none() {
            conn = file_options(&path).connect().await.ok();
            version = None;
        }
        let Some(c) = conn.as_mut() else {
            bump(&tx);
            continue;
        };
        match sqlx::query_scalar::<_, i64>("PRAGMA data_version")
            .fetch_one(&mut *c)
            .await
        {
            Ok(v) => {
                if version.is_some_and(|old| old != v) {
                    bump(&tx);
                }
                if version != Some(v) {
                    last_change = Instant::now();
                    truncated = false;
                }
                version = Some(v);
            }
            Err(_) => {
                conn = None;
                bump(&tx);
                continue;
            }
        }
        // This store's own writes count too (they move the counter themselves).
        let count = *tx.borrow();
        if count != counted {
            counted = count;
            last_change = Instant::now();
            truncated = false;
        }
        let wal = wal_path(&path);
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > BACKGROUND_CHECKPOINT_BYTES) {
            // PASSIVE: copies what no reader still needs, without waiting for anyone; the WAL
            // is then reused from its start by the next writer.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *c)
                .await;
        }
        if !truncated && last_change.elapsed() >= QUIET {
            // Busy (a reader or writer in the way) is no failure: the next quiet spell tries
            // again.
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *c)
                .await;
            truncated = true;
        }
    }
}

/// The write-ahead log of the database at `path`.
fn wal_path(path: &std::path::Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}
