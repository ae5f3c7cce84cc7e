//! `bench federation`: nodes federating on loopback, and envelope signature verification.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::StixObject;
use pacific_core::party::StakeholderType;
use pacific_node::federation::Event;
use pacific_node::{DataDir, Node, NodeError};
use pacific_store::LOCAL_ACTOR;
use pacific_testkit::setup::{self, Servers, Spec};

use crate::generate::green_indicator;

/// `bench federation`'s options.
pub struct FederationOptions {
    /// Nodes in the federation (one creates objects; the others are its peers).
    pub nodes: usize,
    /// Let the peers re-push what they received to each other too (a flooding full mesh).
    pub reshare: bool,
    /// Objects created per second on the first node.
    pub rate: u64,
    /// Seconds of object creation.
    pub seconds: u64,
    /// Envelopes verified per size in the signature benchmark.
    pub verify: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Nodes federating on loopback under `root`: propagation latency of new objects to every peer
/// while objects are created at a rate, and envelope signature verification throughput.
pub async fn federation(root: &Path, options: &FederationOptions) -> Result<(), NodeError> {
    let FederationOptions {
        nodes,
        reshare,
        rate,
        seconds,
        verify,
    } = *options;
    if nodes < 2 || rate == 0 {
        return Err(NodeError::Setup(
            "bench federation needs at least 2 nodes and a rate above 0".into(),
        ));
    }
    // N nodes on loopback, each the peer of every other, policies that let go what the
    // markings allow (the objects are TLP:GREEN); unless `reshare`, the peers do not push on
    // what they received (node0 is everyone's peer and sends it to each of them itself).
    let ids: Vec<String> = (0..nodes).map(|i| format!("node{i}")).collect();
    let names: Vec<String> = (0..nodes).map(|i| format!("Node {i}")).collect();
    let mut parties = Vec::new();
    for i in 0..nodes {
        let policy = if i == 0 || reshare {
            setup::OPEN_POLICY
        } else {
            "default = \"allow\"\n\n[[rules]]\nname = \"no-reshare-push\"\naction = \"deny\"\nreceived = true\npaths = [\"federation-push\"]\n"
        };
        let spec = Spec {
            id: &ids[i],
            name: &names[i],
            kind: StakeholderType::State,
            jurisdiction: Some("XA"),
            policy,
        };
        parties.push((spec, setup::free_addr()?));
    }
    let configure = |_: &Spec<'_>, c: &mut pacific_node::config::Config| {
        c.log.level = "error".into();
    };
    let created = setup::create_mesh(root, &parties, configure, LOCAL_ACTOR).await?;
    let dirs: Vec<DataDir> = created.into_iter().map(|(dir, _)| dir).collect();
    verify_signatures(verify, &dirs[0])?;

    let mut servers = Servers::new();
    let mut source = None;
    for ((_, addr), dir) in parties.iter().zip(&dirs) {
        let node = Node::open(dir).await?;
        if source.is_none() {
            let fed = Arc::clone(node.state().federation());
            let store = Arc::clone(node.state().store());
            let collection = pacific_node::find_collection(store.as_ref(), "default")
                .await?
                .ok_or_else(|| NodeError::Setup("no default collection".into()))?;
            source = Some((fed, store, collection.id));
        }
        servers.serve(node, *addr)?;
    }
    let (fed, store, collection) = source.expect("node 0 exists");
    let peers = nodes - 1;
    eprintln!(
        "{nodes} nodes on loopback; node0 creates {rate} objects/s for {seconds} s; latency = add on node0 -> acknowledged by the peer (after it stored the object)"
    );
    eprintln!(
        "peers {} what they received (each object crosses {} links)",
        if reshare { "re-push" } else { "do not re-push" },
        if reshare { peers * peers } else { peers }
    );

    // Latency: from just before `add_objects` on node0 to the peer's signed ack (the peer
    // stored the object before acking), per object and peer, from node0's border events.
    let started: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut events = fed.subscribe();
    // (latencies, events lost to lag, held back)
    let results: Arc<std::sync::Mutex<(Vec<Duration>, u64, u64)>> = Arc::default();
    let collector = {
        let started = Arc::clone(&started);
        let results = Arc::clone(&results);
        tokio::spawn(async move {
            loop {
                let event = events.recv().await;
                let now = Instant::now();
                let mut r = results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match event {
                    Ok(Event::Sent { object_id, .. }) => {
                        if let Some(t0) = started
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .get(&object_id)
                        {
                            r.0.push(now - *t0);
                        }
                    }
                    Ok(Event::HeldBack { .. }) => r.2 += 1,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => r.1 += n,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };

    let total = rate * seconds;
    let per_batch = (rate / 100).max(1); // a batch every 10 ms at 1,000/s
    let batches = total.div_ceil(per_batch);
    let interval = Duration::from_secs_f64(per_batch as f64 / rate as f64);
    let begin = Instant::now();
    let mut created = 0u64;
    for b in 0..batches {
        tokio::time::sleep_until((begin + interval * b as u32).into()).await;
        let n = per_batch.min(total - created);
        let objects: Vec<StixObject> = (created..created + n)
            .map(|k| {
                StixObject::from_json(&green_indicator(k))
                    .map_err(|e| NodeError::Input(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let t0 = Instant::now();
        {
            let mut map = started
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for o in &objects {
                map.insert(o.id().to_owned(), t0);
            }
        }
        store.add_objects(&collection, &objects).await?;
        created += n;
    }
    let creating = begin.elapsed();
    eprintln!(
        "created {created} objects in {:.2} s ({:.0}/s); waiting for delivery…",
        creating.as_secs_f64(),
        created as f64 / creating.as_secs_f64()
    );
    // Wait until every peer acknowledged everything (or 60 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    let max = pacific_store::FederationStore::max_seq(fed.store().as_ref()).await?;
    loop {
        let mut done = true;
        for j in 1..nodes {
            let cursor = fed
                .store()
                .link(&format!("node{j}"))
                .await?
                .unwrap_or_default()
                .out_cursor;
            done &= cursor >= max;
        }
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    collector.abort();
    drop(fed);
    servers.stop().await;
    let (mut latencies, lagged, held) = std::mem::take(
        &mut *results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    latencies.sort();
    let expected = created * peers as u64;
    println!(
        "federation propagation ({nodes} nodes, {peers} peers, {rate} objects/s for {seconds} s):"
    );
    println!(
        "  deliveries measured: {} of {expected} (events lost: {lagged}, held back: {held})",
        latencies.len()
    );
    println!(
        "  latency p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    Ok(())
}

/// Envelope signature verification on one core (this thread): canonical (RFC 8785) encoding
/// of the envelope without its signature, then Ed25519 verification.
fn verify_signatures(n: usize, dir: &DataDir) -> Result<(), NodeError> {
    use pacific_node::federation::envelope::{Envelope, EnvelopeObject};
    let key = dir.load_identity()?;
    let public = key.verifying_key();
    println!("envelope signature verification (one core):");
    for per_envelope in [1usize, 10, 100] {
        let count = (n / per_envelope).max(100);
        let envelopes: Vec<Envelope> = (0..count)
            .map(|i| {
                let objects = (0..per_envelope)
                    .map(|k| {
                        EnvelopeObject::signed(
                            &key,
                            "node0",
                            green_indicator((i * per_envelope + k) as u64),
                        )
                    })
                    .collect();
                Envelope::sign(
                    &key,
                    "node0",
                    "node1",
                    i as u64 + 1,
                    pacific_core::Timestamp::now().as_str(),
                    objects,
                )
            })
            .collect();
        let bytes: usize = envelopes
            .iter()
            .map(|e| serde_json::to_string(e).map(|s| s.len()).unwrap_or(0))
            .sum::<usize>()
            / count;
        let start = Instant::now();
        let mut ok = 0usize;
        for e in &envelopes {
            ok += usize::from(e.verify_signature(&public));
        }
        let took = start.elapsed();
        assert_eq!(ok, count, "every generated envelope verifies");
        println!(
            "  {per_envelope:>3} object(s)/envelope (~{bytes} bytes): {:>8.0} envelopes/s  ({:.1} µs each, {:.0} objects/s)",
            count as f64 / took.as_secs_f64(),
            took.as_secs_f64() * 1e6 / count as f64,
            (count * per_envelope) as f64 / took.as_secs_f64()
        );
    }
    Ok(())
}
