//! An idle node costs nothing: two federated nodes (each the other's peer, the cooperation
//! clock ticking every 100 ms), once they have delivered, checkpointed and witnessed what they
//! hold, commit nothing to their databases while nothing happens — no checkpoint re-signed,
//! no cursor or cosignature rewritten — and their database and WAL files do not grow; yet an
//! object added afterwards still reaches the peer at once.
//!
//! Commits are seen from outside the nodes: a store opened separately on each database file,
//! whose change counter follows `PRAGMA data_version` (moved by any other connection's
//! commit); the end of the test checks that it does see the nodes' commits.

use std::time::{Duration, Instant};

use pacific_core::tlp::Tlp;
use pacific_store::{SqliteStore, Store};
use pacific_testkit::federation::*;
use serde_json::json;
use tokio::sync::watch;

/// Longer than every periodic task's interval (witness and publisher 2 s, peers rescan 2 s,
/// matching 500 ms, the clock here 100 ms), several times over.
const QUIET: Duration = Duration::from_secs(7);

fn file_sizes(n: &FedNode) -> (u64, u64) {
    let db = n.dir.db_path();
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let len = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    (len(&db), len(std::path::Path::new(&wal)))
}

/// Waits (at most `within`) for a spell of [`QUIET`] in which no node commits anything and
/// no database or WAL file changes size; returns how long it waited, or what moved last.
async fn quiet_spell(
    nodes: &[FedNode],
    changes: &mut [watch::Receiver<u64>],
    within: Duration,
) -> Result<Duration, String> {
    let start = Instant::now();
    let mut last_moved = String::from("nothing yet");
    'spell: while start.elapsed() < within {
        for c in changes.iter_mut() {
            c.borrow_and_update();
        }
        let sizes: Vec<(u64, u64)> = nodes.iter().map(file_sizes).collect();
        let spell = Instant::now();
        while spell.elapsed() < QUIET {
            tokio::time::sleep(Duration::from_millis(50)).await;
            for (n, c) in nodes.iter().zip(changes.iter()) {
                if c.has_changed().unwrap_or(true) {
                    last_moved = format!("{} committed after {:?} of quiet", n.id, spell.elapsed());
                    continue 'spell;
                }
            }
        }
        let after: Vec<(u64, u64)> = nodes.iter().map(file_sizes).collect();
        if after != sizes {
            last_moved = format!("files changed size: {sizes:?} -> {after:?}");
            continue;
        }
        return Ok(start.elapsed());
    }
    Err(last_moved)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_federation_commits_nothing_and_still_delivers_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], |c| {
        c.coop.tick_millis = 100
    })
    .await;
    // Something for each outbox to deliver and each log to checkpoint and witness first.
    nodes[0]
        .add(&[indicator(Some(Tlp::Green), json!({}))])
        .await;
    nodes[1]
        .add(&[indicator(Some(Tlp::Green), json!({}))])
        .await;

    let watchers: Vec<SqliteStore> = {
        let mut w = Vec::new();
        for n in &nodes {
            w.push(SqliteStore::open(&n.dir.db_path()).await.unwrap());
        }
        w
    };
    let mut changes: Vec<watch::Receiver<u64>> = watchers.iter().map(|w| w.changes()).collect();

    let waited = quiet_spell(&nodes, &mut changes, Duration::from_secs(60)).await;
    assert!(
        waited.is_ok(),
        "the idle nodes never stopped writing for {QUIET:?} within 60 s: {}",
        waited.unwrap_err()
    );

    // Still prompt: a new object reaches the peer at once, and the watchers see the commits
    // (so the quiet spell above was no blindness).
    for c in changes.iter_mut() {
        c.borrow_and_update();
    }
    let object = indicator(Some(Tlp::Green), json!({}));
    let id = object["id"].as_str().unwrap().to_owned();
    nodes[0].add(&[object]).await;
    let took = eventually(Duration::from_secs(10), || nodes[1].has(&id)).await;
    assert!(took.is_some(), "the new object did not reach bravo");
    let took = took.unwrap();
    println!(
        "at rest after {:?}; a new object then reached the peer in {took:?}",
        waited.as_ref().unwrap()
    );
    assert!(
        took < Duration::from_secs(2),
        "an idle node delivered a new object only after {took:?}"
    );
    for (n, c) in nodes.iter().zip(changes.iter()) {
        let seen = eventually(Duration::from_secs(2), || async {
            c.has_changed().unwrap_or(false)
        })
        .await;
        assert!(seen.is_some(), "the watcher of {} saw no commit", n.id);
    }
    for w in &watchers {
        w.close().await;
    }
}
