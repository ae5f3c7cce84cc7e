//! Kill -9 during appends: `pacific ingest` of a large generated bundle is killed with SIGKILL
//! mid-way. Reopened, the store has lost no entry that a reader had seen committed, every
//! stored entry decodes and has a valid inclusion proof against the root recomputed from the
//! entries themselves, the stored root is that root, the object count equals the number of
//! `object-stored` entries, and the log keeps growing consistently afterwards.

#![cfg(unix)]

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pacific_core::StixObject;
use pacific_store::{SqliteStore, Store};
use pacific_tlog::entry::{Act, Entry};
use pacific_tlog::merkle::{self, MemoryTree};

const OBJECTS: usize = 150_000;

fn bundle(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(f, "{{\"type\":\"bundle\",\"id\":\"bundle--6b8c8e1e-1f43-4c4e-9a0e-1c2b3d4e5f60\",\"objects\":[").unwrap();
    for i in 0..OBJECTS {
        if i > 0 {
            write!(f, ",").unwrap();
        }
        write!(
            f,
            "{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-{i:012}\",\
             \"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"crash test {i}\",\
             \"pattern\":\"[ipv4-addr:value = '198.51.100.{}']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}}",
            i % 250
        )
        .unwrap();
    }
    write!(f, "]}}").unwrap();
    f.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_ingest_loses_no_committed_entry_and_leaves_the_tree_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    crate::process::init(&data);
    let file = tmp.path().join("bundle.json");
    bundle(&file);

    let mut child = crate::process::pacific()
        .args(["ingest", "--quiet", "--data"])
        .arg(&data)
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Watch the log grow from another connection; remember what a reader saw committed.
    let db = data.join(pacific_node_db_file(&data));
    let reader = SqliteStore::open(&db).await.unwrap();
    let base = reader.log_size().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let seen = loop {
        let size = reader.log_size().await.unwrap();
        if size >= base + 3000 {
            break size;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "ingest made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let seen_entries = reader.log_entries(0, seen).await.unwrap();
    let seen_root = reader.log_root(seen).await.unwrap();
    // Let the next transactions get under way, so the kill lands inside one.
    tokio::time::sleep(Duration::from_millis(30)).await;
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed mid-way");
    drop(reader);

    // Reopen, as a restarted node would.
    let store = SqliteStore::open(&db).await.unwrap();
    let size = store.log_size().await.unwrap();
    assert!(size >= seen, "lost committed entries: {size} < {seen}");
    assert!(
        size < base + OBJECTS as u64,
        "the ingest was not interrupted"
    );
    let entries = store.log_entries(0, size).await.unwrap();
    assert_eq!(entries.len() as u64, size);
    assert_eq!(
        &entries[..seen as usize],
        &seen_entries[..],
        "entries seen before the kill changed"
    );

    let mut tree = MemoryTree::new();
    let mut stored = 0u64;
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.index, i as u64);
        let entry = Entry::decode(&e.entry).unwrap_or_else(|err| panic!("entry {i}: {err}"));
        if matches!(entry.act, Act::ObjectStored { .. }) {
            stored += 1;
        }
        tree.push(&e.entry).unwrap();
    }
    let root = tree.root();
    assert_eq!(
        store.log_root(size).await.unwrap(),
        root,
        "stored root differs from the entries' root"
    );
    assert_eq!(store.log_root(seen).await.unwrap(), seen_root);
    for (i, e) in entries.iter().enumerate() {
        let proof = store.log_inclusion_proof(i as u64, size).await.unwrap();
        merkle::verify_inclusion(&merkle::leaf_hash(&e.entry), i as u64, size, &proof, &root)
            .unwrap_or_else(|err| panic!("entry {i}: {err}"));
    }
    let consistency = store.log_consistency_proof(seen, size).await.unwrap();
    merkle::verify_consistency(seen, size, &seen_root, &root, &consistency).unwrap();
    assert_eq!(
        store.stats().await.unwrap().object_versions,
        stored,
        "objects and object-stored entries disagree"
    );

    // The log keeps growing from where it stopped, consistently.
    let collection = store
        .collections()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.alias.as_deref() == Some("default"))
        .unwrap();
    let more = StixObject::from_json(
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--11111111-0000-4000-8000-000000000000\",\
         \"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\",\
         \"pattern\":\"[ipv4-addr:value = '198.51.100.1']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}",
    )
    .unwrap();
    store.add_objects(&collection.id, &[more]).await.unwrap();
    let after = store.log_size().await.unwrap();
    assert_eq!(after, size + 1);
    let new_root = store.log_root(after).await.unwrap();
    let proof = store.log_consistency_proof(size, after).await.unwrap();
    merkle::verify_consistency(size, after, &root, &new_root, &proof).unwrap();
    println!("killed after {size} entries ({seen} seen committed); all proofs verify");
}

/// The database file of a data directory.
fn pacific_node_db_file(data: &Path) -> std::path::PathBuf {
    pacific_node::DataDir::new(data)
        .db_path()
        .strip_prefix(data)
        .unwrap()
        .to_path_buf()
}

/// Regression (issue: "statuses of POSTs in flight at SIGKILL stay `pending` forever although
/// part of their objects were stored"): a node killed with SIGKILL while storing a TAXII POST
/// completes that POST's status when it next serves: every object counted a success is stored,
/// every other one is a failure to post again, none is left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_taxii_post_then_its_status_is_completed_at_the_next_start() {
    const POSTED: usize = 60_000;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    crate::process::init(&data);
    // The POST answers at once (pending), so the node is killed while it stores in the
    // background rather than after a POST that may have finished within its wait.
    let config_path = data.join("pacific.toml");
    let mut config =
        pacific_node::config::Config::from_toml(&std::fs::read_to_string(&config_path).unwrap())
            .unwrap();
    config.server.post_wait_millis = 0;
    std::fs::write(&config_path, config.to_toml()).unwrap();
    let token = crate::process::add_user(&data, "ana", "analyst");
    let db = data.join(pacific_node_db_file(&data));
    let collection = {
        let store = SqliteStore::open(&db).await.unwrap();
        let c = store.collections().await.unwrap();
        c.into_iter()
            .find(|c| c.alias.as_deref() == Some("default"))
            .unwrap()
            .id
    };
    let objects: Vec<serde_json::Value> = (0..POSTED)
        .map(|i| {
            serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", i % 250),
                "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
            })
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({ "objects": objects })).unwrap();

    let (mut node, base) = crate::process::serve(&data);
    pacific_node::install_crypto_provider();
    let http = reqwest::Client::new();
    let objects_url = format!("{base}/taxii2/root/collections/{collection}/objects/");
    let taxii = "application/taxii+json;version=2.1";
    let posted = http
        .post(&objects_url)
        .bearer_auth(&token)
        .header("content-type", taxii)
        .header("accept", taxii)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    let status: serde_json::Value = posted.json().await.unwrap();
    let status_id = status["id"].as_str().unwrap().to_owned();
    assert_eq!(status["status"], "pending");

    // Kill the node once part of the objects are stored, seen from another connection.
    let reader = SqliteStore::open(&db).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = reader.stats().await.unwrap().object_versions;
        if stored >= 1000 {
            break;
        }
        assert!(node.try_wait().unwrap().is_none(), "the node stopped");
        assert!(Instant::now() < deadline, "the node stored nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.kill().unwrap(); // SIGKILL
    node.wait().unwrap();
    let stored_at_kill = reader.stats().await.unwrap().object_versions;
    drop(reader);
    assert!(
        (stored_at_kill as usize) < POSTED,
        "the POST finished before the kill; post more objects"
    );

    // Served again: the status is complete and tells what was stored.
    let (mut node, base) = crate::process::serve(&data);
    let status: serde_json::Value = http
        .get(format!("{base}/taxii2/root/status/{status_id}/"))
        .bearer_auth(&token)
        .header("accept", taxii)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    node.kill().unwrap();
    node.wait().unwrap();
    assert_eq!(status["status"], "complete", "{}", status["status"]);
    assert_eq!(status["pending_count"], 0);
    assert_eq!(status["total_count"], POSTED);
    let successes = status["success_count"].as_u64().unwrap();
    let failures = status["failure_count"].as_u64().unwrap();
    assert_eq!(successes + failures, POSTED as u64);
    let store = SqliteStore::open(&db).await.unwrap();
    let stored = store.stats().await.unwrap().object_versions;
    assert_eq!(
        successes, stored,
        "successes are exactly the stored objects"
    );
    assert!(successes >= stored_at_kill && failures > 0);
    println!(
        "killed with {stored_at_kill} of {POSTED} stored; status: {successes} stored, {failures} to post again"
    );
}
