//! `bench coop`: cooperation on two nodes on loopback: latency of emergency requests, then
//! requests/s through the whole state machine.

use pacific_node::client::CoopClient;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_node::{Node, NodeError};
use pacific_store::LOCAL_ACTOR;
use pacific_testkit::setup::{self, Servers, Spec};
use serde_json::{Value, json};

/// `bench coop`'s options.
pub struct CoopOptions {
    /// Emergency requests timed one by one.
    pub requests: usize,
    /// Requests taken through the whole state machine in the throughput run.
    pub flows: usize,
    /// Concurrent flows.
    pub concurrency: usize,
}

/// Two nodes (alpha, bravo) under `root` on loopback, peers of each other, with a liaison
/// each: emergency requests sent by alpha until visible on bravo (latency), then concurrent
/// requests taken through draft → send → ack → start → answer (requests/s).
pub async fn coop(root: &Path, options: &CoopOptions) -> Result<(), NodeError> {
    let CoopOptions {
        requests,
        flows,
        concurrency,
    } = *options;
    let names = ["ALPHA", "BRAVO"];
    let mut parties = Vec::new();
    for (id, name) in ["alpha", "bravo"].into_iter().zip(names) {
        let spec = Spec {
            id,
            name,
            kind: StakeholderType::State,
            jurisdiction: Some("XA"),
            policy: setup::OPEN_POLICY,
        };
        parties.push((spec, setup::free_addr()?));
    }
    let configure = |_: &Spec<'_>, c: &mut pacific_node::config::Config| {
        c.log.level = "error".into();
    };
    let created = setup::create_mesh(root, &parties, configure, LOCAL_ACTOR).await?;
    let mut servers = Servers::new();
    let mut clients = Vec::new();
    for ((_, addr), (dir, _)) in parties.iter().zip(&created) {
        let node = Node::open(dir).await?;
        let token =
            pacific_node::auth::add_user(node.state().store().as_ref(), "liaison", Role::Liaison)
                .await?
                .token;
        clients.push(Arc::new(CoopClient::new(&format!("http://{addr}"), &token)));
        servers.serve(node, *addr)?;
    }
    let (alpha, bravo) = (Arc::clone(&clients[0]), Arc::clone(&clients[1]));
    let spec = |urgency: &str, n: usize| {
        json!({
            "recipient": "bravo",
            "urgency": urgency,
            "title": format!("grid incident {n}"),
            "details": {
                "kind": "incident-assistance",
                "description": "wiper on a power grid's control network",
                "sector": "energy",
                "affected_systems": "SCADA servers",
                "assistance_sought": "block the C2 servers"
            }
        })
    };
    async fn until_state(
        client: &CoopClient,
        id: &str,
        state: &str,
        within: Duration,
    ) -> Result<(), NodeError> {
        let start = Instant::now();
        loop {
            if let Ok(v) = client.get(&format!("/coop/requests/{id}")).await
                && v["record"]["state"] == state
            {
                return Ok(());
            }
            if start.elapsed() > within {
                return Err(NodeError::Remote(format!("{id} never became {state}")));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let id_of = |v: &Value| v["record"]["id"].as_str().unwrap_or_default().to_owned();

    eprintln!(
        "2 nodes on loopback (outbox back-off from 100 ms); latency = POST send of an emergency on alpha -> GET on bravo shows it sent"
    );
    let mut latencies = Vec::with_capacity(requests);
    for n in 0..requests {
        let id = id_of(&alpha.post("/coop/requests", spec("emergency", n)).await?);
        let start = Instant::now();
        alpha
            .post(&format!("/coop/requests/{id}/send"), json!({}))
            .await?;
        until_state(&bravo, &id, "sent", Duration::from_secs(30)).await?;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "emergency sent on alpha -> shown on bravo: {requests} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );

    // Throughput: `concurrency` flows at a time, each draft → send (alpha) → ack → start →
    // answer (bravo, once it sees the request) → alpha sees it answered.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (alpha, bravo, next) = (Arc::clone(&alpha), Arc::clone(&bravo), Arc::clone(&next));
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= flows {
                    return Ok::<(), NodeError>(());
                }
                let id = id_of(&alpha.post("/coop/requests", spec("urgent", n)).await?);
                let path = format!("/coop/requests/{id}");
                alpha.post(&format!("{path}/send"), json!({})).await?;
                until_state(&bravo, &id, "sent", Duration::from_secs(60)).await?;
                for step in ["ack", "start"] {
                    bravo.post(&format!("{path}/{step}"), json!({})).await?;
                }
                bravo
                    .post(
                        &format!("{path}/answer"),
                        json!({"completeness": "full", "note": "C2 servers blocked"}),
                    )
                    .await?;
                until_state(&alpha, &id, "answered", Duration::from_secs(60)).await?;
            }
        }));
    }
    for w in workers {
        w.await.map_err(|e| NodeError::Remote(e.to_string()))??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "full state machine across both nodes: {flows} requests (5 acts each) in {elapsed:.1} s = {:.0} requests/s, {:.0} acts/s, {concurrency} concurrent",
        flows as f64 / elapsed,
        flows as f64 * 5.0 / elapsed
    );
    servers.stop().await;
    Ok(())
}
