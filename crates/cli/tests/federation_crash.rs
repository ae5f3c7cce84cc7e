//! Kill -9 in the middle of a federation delivery: two real `pacific node` processes on
//! loopback, Alpha (the sender, holding thousands of objects it stored before it started) and
//! Bravo (the receiver), each the other's peer. While Alpha's outbox delivers, Alpha is killed
//! with SIGKILL the moment Bravo has committed another envelope (so the ack may die with the
//! sender, before it moves its cursor) and restarted, several times; then Bravo is killed in
//! the middle of the delivery and restarted. At the end every object Alpha stored is held by
//! Bravo exactly once: one version, one `object-stored` and one `object-received` entry in
//! Bravo's log, one `object-sent` entry in Alpha's; and both logs verify (every entry decodes,
//! the entries rebuild the stored root, the latest signed checkpoint verifies with the node's
//! key and names the root at its size).

#![cfg(unix)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pacific_core::StixObject;
use pacific_core::party::StakeholderType;
use pacific_core::tlp::Tlp;
use pacific_node::DataDir;
use pacific_node::log::LogState;
use pacific_store::{FederationStore, SqliteFederationStore, SqliteStore, Store};
use pacific_testkit::setup::{self, OPEN_POLICY, Spec};
use pacific_tlog::checkpoint::open_checkpoint;
use pacific_tlog::entry::{Act, Entry};
use pacific_tlog::merkle::MemoryTree;

/// Objects Alpha holds and delivers: about a dozen envelopes of 500.
const OBJECTS: usize = 6000;
/// Times the sender is killed right after the receiver committed an envelope.
const SENDER_KILLS: usize = 3;
/// The whole delivery, kills and restarts included, ends within this.
const BOUND: Duration = Duration::from_secs(300);

/// A TLP:GREEN indicator (an unmarked one is AMBER by default, and kept home).
fn indicator(i: usize) -> StixObject {
    StixObject::from_json(&format!(
        "{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--22222222-0000-4000-8000-{i:012}\",\
         \"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"delivery {i}\",\
         \"pattern\":\"[ipv4-addr:value = '198.51.100.{}']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\",\
         \"object_marking_refs\":[\"{}\"]}}",
        i % 250,
        Tlp::Green.marking_id()
    ))
    .unwrap()
}

/// A `pacific node` process serving a data directory, its output appended to a file.
struct NodeProcess {
    name: &'static str,
    dir: DataDir,
    addr: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
}

impl NodeProcess {
    fn start(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_pacific"))
            .arg("node")
            .arg("--data")
            .arg(self.dir.root())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Waits until the node accepts connections.
    async fn serving(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(self.addr).await.is_err() {
            let exited = self.child.as_mut().unwrap().try_wait().unwrap();
            assert!(exited.is_none(), "{} exited: {exited:?}", self.name);
            assert!(Instant::now() < deadline, "{} does not serve", self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill_9(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "{} was killed", self.name);
    }

    /// Ctrl-C, then SIGKILL if it has not stopped within 20 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The last lines the nodes wrote, for a failure's message.
fn tails(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for name in ["alpha", "bravo"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!("--- {name}.log (last lines)\n"));
        for l in &lines[lines.len().saturating_sub(40)..] {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// The object versions a store holds, counted by object id.
async fn versions_by_id(fed: &SqliteFederationStore) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut after = 0;
    loop {
        let page = fed.versions_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.version.seq;
        for item in page {
            *out.entry(item.version.id).or_insert(0) += 1;
        }
    }
    out
}

/// Every entry of a node's log, decoded; and checks that the log verifies: the entries
/// rebuild the stored root, and the latest checkpoint verifies with the node's key and names
/// the root at its size.
async fn verified_log(store: &SqliteStore, dir: &DataDir, name: &str) -> Vec<Entry> {
    let size = store.log_size().await.unwrap();
    let raw = store.log_entries(0, size).await.unwrap();
    assert_eq!(raw.len() as u64, size, "{name}: entries missing");
    let mut tree = MemoryTree::new();
    let mut entries = Vec::with_capacity(raw.len());
    for (i, e) in raw.iter().enumerate() {
        assert_eq!(e.index, i as u64);
        entries
            .push(Entry::decode(&e.entry).unwrap_or_else(|err| panic!("{name}: entry {i}: {err}")));
        tree.push(&e.entry).unwrap();
    }
    assert_eq!(
        store.log_root(size).await.unwrap(),
        tree.root(),
        "{name}: the stored root is not the entries' root"
    );
    let log = LogState::new(name, dir.load_identity().unwrap()).unwrap();
    let cp = store
        .latest_checkpoint()
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} published no checkpoint"));
    let (checkpoint, _) = open_checkpoint(&cp.note, log.origin(), &log.verifier())
        .unwrap_or_else(|e| panic!("{name}'s checkpoint does not verify: {e}"));
    assert!(checkpoint.size() <= size);
    assert_eq!(
        *checkpoint.root(),
        store.log_root(checkpoint.size()).await.unwrap(),
        "{name}'s checkpoint names another root"
    );
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_sender_and_receiver_mid_delivery_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = |id, name, jurisdiction| Spec {
        id,
        name,
        kind: StakeholderType::State,
        jurisdiction: Some(jurisdiction),
        policy: OPEN_POLICY,
    };
    let parties = [
        (
            spec("alpha", "Alpha CERT", "XA"),
            setup::free_addr().unwrap(),
        ),
        (
            spec("bravo", "Bravo Police", "XB"),
            setup::free_addr().unwrap(),
        ),
    ];
    let quiet = |_: &Spec<'_>, c: &mut pacific_node::config::Config| c.log.level = "warn".into();
    let created = setup::create_mesh(tmp.path(), &parties, quiet, "admin")
        .await
        .unwrap();
    let (alpha_dir, alpha_collection) = created[0].clone();
    let bravo_dir = created[1].0.clone();

    // Alpha stores the objects before it serves: each acknowledged (committed) when
    // `add_objects` returns.
    let objects: Vec<StixObject> = (0..OBJECTS).map(indicator).collect();
    {
        let store = SqliteStore::open(&alpha_dir.db_path()).await.unwrap();
        for chunk in objects.chunks(1000) {
            store.add_objects(&alpha_collection, chunk).await.unwrap();
        }
        store.close().await;
    }

    let node = |name, dir: &DataDir, addr| NodeProcess {
        name,
        dir: dir.clone(),
        addr,
        log: tmp.path().join(format!("{name}.log")),
        child: None,
    };
    let mut alpha = node("alpha", &alpha_dir, parties[0].1);
    let mut bravo = node("bravo", &bravo_dir, parties[1].1);
    bravo.start();
    bravo.serving().await;
    alpha.start();

    // Bravo's progress, read from another connection.
    let bravo_store = SqliteStore::open(&bravo_dir.db_path()).await.unwrap();
    let held = || async { bravo_store.stats().await.unwrap().object_versions as usize };
    let start = Instant::now();
    let tmp_path = tmp.path().to_path_buf();
    let grows_past = |n: usize| {
        let held = &held;
        let tmp_path = &tmp_path;
        async move {
            loop {
                let now = held().await;
                if now > n {
                    return now;
                }
                assert!(
                    start.elapsed() < BOUND,
                    "delivery stalled at {now} of {OBJECTS}\n{}",
                    tails(tmp_path)
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };

    // The sender dies right after the receiver committed an envelope: its ack may be lost
    // with it, before the sender logged the round and moved its cursor.
    let mut kills = Vec::new();
    for _ in 0..SENDER_KILLS {
        let now = grows_past(held().await).await;
        assert!(
            now < OBJECTS,
            "delivery ended before the sender could be killed"
        );
        alpha.kill_9();
        kills.push(("alpha", now));
        alpha.start();
    }
    // The receiver dies in the middle of the delivery (whatever it was doing).
    let now = grows_past(held().await).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        now < OBJECTS,
        "delivery ended before the receiver could be killed"
    );
    bravo.kill_9();
    kills.push(("bravo", held().await));
    bravo.start();
    bravo.serving().await;

    // Everything arrives, and the sender's outbox is drained.
    grows_past(OBJECTS - 1).await;
    let alpha_fed = SqliteFederationStore::open(&alpha_dir.db_path())
        .await
        .unwrap();
    loop {
        let max = alpha_fed.max_seq().await.unwrap();
        let cursor = alpha_fed
            .link("bravo")
            .await
            .unwrap()
            .unwrap_or_default()
            .out_cursor;
        if cursor >= max {
            break;
        }
        assert!(
            start.elapsed() < BOUND,
            "alpha's outbox did not drain\n{}",
            tails(&tmp_path)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the publishers sign checkpoints of the final logs, then stop both nodes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    alpha.stop();
    bravo.stop();
    bravo_store.close().await;
    let resent: u64 = alpha_fed
        .receipts("bravo")
        .await
        .unwrap()
        .iter()
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.receipt).ok())
        .filter_map(|ack| ack["duplicates"].as_u64())
        .sum();
    alpha_fed.close().await;
    println!(
        "killed (node, objects held by bravo then): {kills:?}; objects sent again after a lost ack: {resent}"
    );

    // Bravo holds every object once, with one `object-stored` and one `object-received`
    // entry each; Alpha logged one `object-sent` for each.
    let bravo_fed = SqliteFederationStore::open(&bravo_dir.db_path())
        .await
        .unwrap();
    let held = versions_by_id(&bravo_fed).await;
    bravo_fed.close().await;
    let bravo_store = SqliteStore::open(&bravo_dir.db_path()).await.unwrap();
    let alpha_store = SqliteStore::open(&alpha_dir.db_path()).await.unwrap();
    let bravo_log = verified_log(&bravo_store, &bravo_dir, "Bravo Police").await;
    let alpha_log = verified_log(&alpha_store, &alpha_dir, "Alpha CERT").await;
    let count = |log: &[Entry], pick: fn(&Act) -> bool| {
        let mut n: HashMap<String, usize> = HashMap::new();
        for e in log.iter().filter(|e| pick(&e.act)) {
            *n.entry(e.act.object().unwrap().id.clone()).or_insert(0) += 1;
        }
        n
    };
    let stored = count(&bravo_log, |a| matches!(a, Act::ObjectStored { .. }));
    let received = count(
        &bravo_log,
        |a| matches!(a, Act::ObjectReceived { peer, .. } if peer == "alpha"),
    );
    let sent = count(
        &alpha_log,
        |a| matches!(a, Act::ObjectSent { peer, .. } if peer == "bravo"),
    );
    let once = |what: &str, n: &HashMap<String, usize>| {
        let wrong: Vec<(&String, &usize)> = n.iter().filter(|(_, c)| **c != 1).collect();
        assert!(
            wrong.is_empty(),
            "{what}: {} objects not exactly once, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(3)]
        );
    };
    for o in &objects {
        for (what, n) in [
            ("versions held by bravo", &held),
            ("bravo's object-stored entries", &stored),
            ("bravo's object-received entries", &received),
            ("alpha's object-sent entries", &sent),
        ] {
            assert!(n.contains_key(o.id()), "{what}: {} missing", o.id());
        }
    }
    once("versions held by bravo", &held);
    once("bravo's object-stored entries", &stored);
    once("bravo's object-received entries", &received);
    once("alpha's object-sent entries", &sent);
    assert_eq!(
        held.len(),
        OBJECTS,
        "bravo holds objects alpha never stored"
    );
    alpha_store.close().await;
    bravo_store.close().await;
}
