//! `bench taxii-roundtrip`: a bundle file taken through a node's TAXII API and back, the way
//! the OASIS `taxii2-client` does it: POSTed in envelopes of 1,000 objects (each answered
//! with its status resource, polled until complete when it is pending), then read back page
//! by page (`limit`, `next`) until every object came back. Timed once with the node never
//! waiting for a POST to be stored (always `pending`: the client polls) as the baseline, then
//! with the node's bounded wait (`server.post_wait_millis`), on fresh nodes in the same run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_node::{Node, NodeError};
use pacific_testkit::Servers;
use serde_json::{Value, json};

use crate::ingest::bench_dir;

/// The TAXII 2.1 media type.
const TAXII: &str = "application/taxii+json;version=2.1";

/// The shared test data beside the repository: MITRE ATT&CK for ICS.
const DEFAULT_DATA: &str = "shared/data/ics-attack-18.1.json";

/// `bench taxii-roundtrip`'s options.
pub struct RoundTripOptions {
    /// The bundle posted (default: [`default_bundle`]).
    pub file: Option<PathBuf>,
    /// Times the bundle's objects are posted, each copy after the first with fresh ids.
    pub copies: usize,
    /// Objects per POST and per GET page.
    pub batch: usize,
    /// The node's `server.post_wait_millis`.
    pub post_wait_millis: u64,
    /// How long the client sleeps before each poll of a pending status.
    pub poll_interval: Duration,
    /// Skip the baseline run (a node that never waits: every POST pending, polled).
    pub no_baseline: bool,
}

/// Where the shared ATT&CK for ICS bundle is: `../shared/data/` beside this checkout (found
/// from where this crate was built), else beside the current directory.
pub fn default_bundle() -> Option<PathBuf> {
    let beside_checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    [beside_checkout, PathBuf::from("..")]
        .into_iter()
        .map(|root| root.join(DEFAULT_DATA))
        .find(|path| path.is_file())
        .map(|path| path.canonicalize().unwrap_or(path))
}

/// What one round trip took.
struct RoundTrip {
    post: Duration,
    get: Duration,
    /// Per POST: the time to its answer.
    answers: Vec<Duration>,
    /// POSTs answered pending, and polls of their status.
    pending: usize,
    polls: usize,
    read_back: usize,
}

/// Takes a bundle file through TAXII and back on nodes under `root`, and prints the times.
pub async fn taxii_roundtrip(root: &Path, options: &RoundTripOptions) -> Result<(), NodeError> {
    let path = match &options.file {
        Some(path) => path.clone(),
        None => default_bundle().ok_or_else(|| {
            NodeError::Setup(format!(
                "no bundle given and ../{DEFAULT_DATA} not found beside the checkout; pass --file"
            ))
        })?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| NodeError::Setup(format!("cannot read {}: {e}", path.display())))?;
    let bundle: Value = serde_json::from_str(&text)
        .map_err(|e| NodeError::Setup(format!("{} is not JSON: {e}", path.display())))?;
    let Some(Value::Array(objects)) = bundle.get("objects") else {
        return Err(NodeError::Setup(format!(
            "{} is not a STIX bundle (no `objects` array)",
            path.display()
        )));
    };
    let objects = with_copies(objects, options.copies.max(1));
    let expected = distinct_ids(&objects);
    let batch = options.batch.max(1);
    println!(
        "bench taxii-roundtrip: {} ({} objects x {} = {} posted, {} distinct), POST in envelopes of {batch} then GET pages of {batch}; client polls a pending status every {} ms",
        path.display(),
        objects.len() / options.copies.max(1),
        options.copies.max(1),
        objects.len(),
        expected,
        options.poll_interval.as_millis()
    );
    let mut runs = Vec::new();
    if !options.no_baseline {
        runs.push(("never waits (always pending)", 0));
    }
    runs.push(("answers when done", options.post_wait_millis));
    let mut totals = Vec::new();
    for (i, (label, wait)) in runs.into_iter().enumerate() {
        let run_root = root.join(format!("run{i}"));
        let trip = run(&run_root, &objects, batch, wait, options.poll_interval).await?;
        if trip.read_back != expected {
            return Err(NodeError::Remote(format!(
                "read back {} objects, expected {expected}",
                trip.read_back
            )));
        }
        let total = trip.post + trip.get;
        let mut answers = trip.answers.clone();
        answers.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("  node {label} (server.post_wait_millis = {wait}):");
        println!(
            "    POST {:.3} s ({} envelopes, {} answered pending, {} polls; answer per envelope: median {:.1} ms, max {:.1} ms)",
            trip.post.as_secs_f64(),
            trip.answers.len(),
            trip.pending,
            trip.polls,
            ms(answers[answers.len() / 2]),
            ms(answers[answers.len() - 1]),
        );
        println!(
            "    GET  {:.3} s ({} objects read back)",
            trip.get.as_secs_f64(),
            trip.read_back
        );
        println!(
            "    total {:.3} s = {:.0} objects/s",
            total.as_secs_f64(),
            objects.len() as f64 / total.as_secs_f64()
        );
        totals.push(total);
    }
    if let [baseline, answered] = totals[..] {
        println!(
            "  answering when done: {:.1}x the baseline's round trip",
            baseline.as_secs_f64() / answered.as_secs_f64()
        );
    }
    Ok(())
}

/// One round trip on a fresh node at `root` whose POSTs wait up to `post_wait_millis`.
async fn run(
    root: &Path,
    objects: &[Value],
    batch: usize,
    post_wait_millis: u64,
    poll_interval: Duration,
) -> Result<RoundTrip, NodeError> {
    let (dir, store, collection) = bench_dir(root).await?;
    let token = pacific_node::auth::add_user(store.as_ref(), "bench", Role::Analyst)
        .await?
        .token;
    drop(store);
    let mut node = Node::open(&dir).await?;
    let config = node
        .config_mut()
        .ok_or_else(|| NodeError::Setup("the node's configuration is shared already".into()))?;
    config.server.post_wait_millis = post_wait_millis;
    config.log.level = "error".into();
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| NodeError::Setup(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    let mut servers = Servers::new();
    servers.serve_on(node, listener);
    pacific_node::install_crypto_provider();
    let http = reqwest::Client::new();
    let base = format!("http://{addr}/taxii2/root");
    let objects_url = format!("{base}/collections/{collection}/objects/");
    let remote = |e: reqwest::Error| NodeError::Remote(e.to_string());

    let mut trip = RoundTrip {
        post: Duration::ZERO,
        get: Duration::ZERO,
        answers: Vec::new(),
        pending: 0,
        polls: 0,
        read_back: 0,
    };
    let started = Instant::now();
    for envelope in objects.chunks(batch) {
        // The body is made as the client makes it, inside the timed part.
        let body = serde_json::to_vec(&json!({ "objects": envelope }))
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        let sent = Instant::now();
        let response = http
            .post(&objects_url)
            .bearer_auth(&token)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .body(body)
            .send()
            .await
            .map_err(remote)?;
        if response.status() != 202 {
            return Err(NodeError::Remote(format!(
                "POST answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            )));
        }
        let mut status: Value = response.json().await.map_err(remote)?;
        trip.answers.push(sent.elapsed());
        if status["status"] != "complete" {
            trip.pending += 1;
        }
        let status_url = format!("{base}/status/{}/", status["id"].as_str().unwrap_or(""));
        while status["status"] != "complete" {
            tokio::time::sleep(poll_interval).await;
            trip.polls += 1;
            status = http
                .get(&status_url)
                .bearer_auth(&token)
                .header("accept", TAXII)
                .send()
                .await
                .map_err(remote)?
                .json()
                .await
                .map_err(remote)?;
        }
        if status["failure_count"] != 0 {
            return Err(NodeError::Remote(format!(
                "{} objects of an envelope were refused, e.g. {}",
                status["failure_count"], status["failures"][0]
            )));
        }
    }
    trip.post = started.elapsed();

    let started = Instant::now();
    let limit = batch.to_string();
    let mut next: Option<String> = None;
    loop {
        let mut query = vec![("limit", limit.clone())];
        if let Some(next) = next.take() {
            query.push(("next", next));
        }
        let page: Value = http
            .get(&objects_url)
            .bearer_auth(&token)
            .header("accept", TAXII)
            .query(&query)
            .send()
            .await
            .map_err(remote)?
            .json()
            .await
            .map_err(remote)?;
        trip.read_back += page["objects"].as_array().map_or(0, Vec::len);
        match (page["more"].as_bool(), page["next"].as_str()) {
            (Some(true), Some(cursor)) => next = Some(cursor.to_owned()),
            _ => break,
        }
    }
    trip.get = started.elapsed();
    let _ = tokio::time::timeout(Duration::from_secs(10), servers.stop()).await;
    Ok(trip)
}

/// `objects` followed by `copies - 1` copies of them, each with fresh ids: every id of a
/// copied object (`type--uuid`) is replaced by a new one wherever it appears (its own `id`
/// and every reference to it), so the copies are as connected as the original. Marking
/// definitions keep their ids (TLP markings are fixed ids; each copy posts them again).
fn with_copies(objects: &[Value], copies: usize) -> Vec<Value> {
    let mut all = objects.to_vec();
    for _ in 1..copies {
        let fresh: HashMap<&str, String> = objects
            .iter()
            .filter_map(|o| o["id"].as_str())
            .filter_map(|id| {
                let (kind, _) = id.split_once("--")?;
                (kind != "marking-definition")
                    .then(|| (id, format!("{kind}--{}", pacific_node::new_uuid())))
            })
            .collect();
        all.extend(objects.iter().map(|o| renamed(o, &fresh)));
    }
    all
}

/// `value` with every string that is a key of `fresh` replaced by its value.
fn renamed(value: &Value, fresh: &HashMap<&str, String>) -> Value {
    match value {
        Value::String(s) => fresh
            .get(s.as_str())
            .map_or_else(|| value.clone(), |new| Value::String(new.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|v| renamed(v, fresh)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), renamed(v, fresh)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// How many distinct objects (ids) a GET of the collection returns after posting `objects`.
fn distinct_ids(objects: &[Value]) -> usize {
    objects
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect::<HashSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_get_fresh_ids_and_keep_their_references_and_markings() {
        let original = vec![
            json!({"type": "marking-definition", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}),
            json!({"type": "malware", "id": "malware--11111111-1111-4111-8111-111111111111",
                   "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}),
            json!({"type": "relationship", "id": "relationship--22222222-2222-4222-8222-222222222222",
                   "source_ref": "malware--11111111-1111-4111-8111-111111111111",
                   "target_ref": "malware--11111111-1111-4111-8111-111111111111",
                   "description": "malware--11111111-1111-4111-8111-111111111111 uses itself"}),
        ];
        let all = with_copies(&original, 3);
        assert_eq!(all.len(), 9);
        assert_eq!(&all[..3], &original[..]);
        // Three malware and three relationships, one marking definition posted three times.
        assert_eq!(distinct_ids(&all), 7);
        for copy in all[3..].chunks(3) {
            assert_eq!(copy[0], original[0], "marking definitions keep their ids");
            let malware = copy[1]["id"].as_str().unwrap();
            assert!(malware.starts_with("malware--") && malware != original[1]["id"]);
            assert_eq!(
                copy[1]["object_marking_refs"],
                original[1]["object_marking_refs"]
            );
            assert_eq!(copy[2]["source_ref"], malware);
            assert_eq!(copy[2]["target_ref"], malware);
            // Only whole ids are references; text that mentions one is left as it is.
            assert_eq!(copy[2]["description"], original[2]["description"]);
        }
    }
}
