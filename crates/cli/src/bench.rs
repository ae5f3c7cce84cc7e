//! `pacific bench`: throughput figures on generated, realistic data, in a temporary data
//! directory. Benchmarks print figures; they assert nothing.
//!
//! - `bench ingest`: objects/s for parse + validate + store of a generated bundle.
//! - `bench taxii`: TAXII GET pages/s (1,000 objects per page) at several collection sizes,
//!   with pages taken from everywhere in the collection, so a slow deep page would show.
//! - `bench federation`: propagation latency to peers on loopback under a creation rate, and
//!   envelope signature verification throughput.
//! - `bench coop`: two nodes on loopback: time from an `emergency` request sent on one to
//!   shown on the other (p50/p99), and requests/s through the whole state machine.
//! - `bench match`: the matching engine's build time, memory per indicator and events/s on
//!   JSON lines, against a naive linear scan.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;
use pacific_core::StixObject;
use pacific_core::access::Role;
use pacific_core::taxii::PageCursor;
use pacific_node::{DataDir, Node, NodeError};
use pacific_store::Store;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Parse, validate and store a generated bundle of N objects.
    Ingest {
        /// Number of objects.
        #[arg(long, default_value_t = 200_000)]
        count: usize,
        /// Also time parse + validate alone, without the store.
        #[arg(long)]
        parse_only: bool,
    },
    /// Serve pages of 1,000 objects over TAXII at growing collection sizes.
    Taxii {
        /// Collection sizes to measure at (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000, 1_000_000])]
        sizes: Vec<usize>,
        /// Pages fetched at each size.
        #[arg(long, default_value_t = 500)]
        pages: usize,
        /// Concurrent client connections.
        #[arg(long, default_value_t = 4)]
        connections: usize,
    },
    /// Nodes federating on loopback: propagation latency of new objects to every peer while
    /// objects are created at a target rate, and envelope signature verification throughput.
    Federation {
        /// Nodes in the federation (one creates objects; the others are its peers).
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Let the peers re-push what they received to each other too (a flooding full mesh:
        /// each object then crosses (n-1)^2 links instead of n-1). Without it, the peers'
        /// policies keep received objects off federation push (they still serve them over TAXII).
        #[arg(long)]
        reshare: bool,
        /// Objects created per second on the first node.
        #[arg(long, default_value_t = 1_000)]
        rate: u64,
        /// Seconds of object creation.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Envelopes verified per size in the signature benchmark.
        #[arg(long, default_value_t = 20_000)]
        verify: usize,
    },
    /// The matching engine: compile generated indicators (build time, memory per indicator),
    /// then match generated JSON-lines events (events/s, MB/s per thread count), against a
    /// naive linear scan.
    /// Cooperation on two nodes on loopback: emergency requests sent by Alpha until visible
    /// on Bravo (latency), then concurrent requests taken through draft → send → ack → start →
    /// answer (requests/s).
    Coop {
        /// Emergency requests timed one by one.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Requests taken through the whole state machine in the throughput run.
        #[arg(long, default_value_t = 400)]
        flows: usize,
        /// Concurrent flows.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    Match {
        /// Indicators compiled (mixed types).
        #[arg(long, default_value_t = 1_000_000)]
        indicators: usize,
        /// Events matched.
        #[arg(long, default_value_t = 2_000_000)]
        events: usize,
        /// Thread counts to measure (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
        threads: Vec<usize>,
        /// Skip the reference loop and the naive baseline (e.g. to profile the engine alone).
        #[arg(long)]
        no_baselines: bool,
    },
}

pub async fn run(cmd: BenchCommand) -> Result<ExitCode, NodeError> {
    let tmp = std::env::temp_dir().join(format!("pacific-bench-{}", pacific_node::new_uuid()));
    let result = match cmd {
        BenchCommand::Ingest { count, parse_only } => bench_ingest(&tmp, count, parse_only).await,
        BenchCommand::Taxii {
            sizes,
            pages,
            connections,
        } => bench_taxii(&tmp, &sizes, pages, connections).await,
        BenchCommand::Federation {
            nodes,
            rate,
            seconds,
            verify,
            reshare,
        } => bench_federation(&tmp, nodes, rate, seconds, verify, reshare).await,
        BenchCommand::Coop {
            requests,
            flows,
            concurrency,
        } => bench_coop(&tmp, requests, flows, concurrency).await,
        BenchCommand::Match {
            indicators,
            events,
            threads,
            no_baselines,
        } => bench_match(indicators, events, &threads, no_baselines),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    result.map(|()| ExitCode::SUCCESS)
}

async fn bench_dir(root: &std::path::Path) -> Result<(DataDir, Arc<dyn Store>, String), NodeError> {
    let dir = DataDir::new(root);
    let report = dir
        .init(&pacific_node::datadir::InitOptions {
            name: "Bench CERT".into(),
            stakeholder_type: pacific_core::party::StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: None,
        })
        .await?;
    let store = dir.open_store().await?;
    Ok((dir, store, report.default_collection.id))
}

async fn bench_ingest(
    root: &std::path::Path,
    count: usize,
    parse_only: bool,
) -> Result<(), NodeError> {
    let (_, store, collection) = bench_dir(root).await?;
    // The bundle goes to a file, so the peak RSS below is the ingest's, not the generator's.
    let path = root.join("bench-bundle.json");
    eprintln!(
        "Generating a bundle of {count} objects in {}…",
        path.display()
    );
    let io =
        |e: std::io::Error| NodeError::Setup(format!("cannot write the generated bundle: {e}"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
    let mut generator = Generator::new(1);
    file.write_all(b"{\"type\":\"bundle\",\"id\":\"bundle--2f0a5b7e-4c1d-4f7a-9d61-0c8b7e3a5d10\",\"objects\":[").map_err(io)?;
    for i in 0..count {
        if i > 0 {
            file.write_all(b",").map_err(io)?;
        }
        file.write_all(generator.object().as_bytes()).map_err(io)?;
    }
    file.write_all(b"]}").map_err(io)?;
    file.flush().map_err(io)?;
    drop(file);
    let bytes = std::fs::metadata(&path).map_err(io)?.len();
    if parse_only {
        let started = Instant::now();
        let reader = std::fs::File::open(&path).map_err(io)?;
        let summary = pacific_core::bundle::read_objects(reader, |_| Ok::<(), &str>(()))
            .map_err(|e| NodeError::Input(e.to_string()))?;
        let took = started.elapsed().as_secs_f64();
        println!(
            "bench ingest (parse + validate only): {} objects in {took:.2} s, {:.0} objects/s",
            summary.valid,
            summary.valid as f64 / took
        );
    }
    eprintln!("Ingesting {:.1} MB…", bytes as f64 / 1e6);
    let reader = std::fs::File::open(&path).map_err(io)?;
    let report = pacific_node::ingest::ingest_reader(store, &collection, reader, |_| {}).await?;
    println!(
        "bench ingest: {count} objects ({:.1} MB)",
        bytes as f64 / 1e6
    );
    println!(
        "  stored {} (invalid {})",
        report.stored,
        report.invalid.len()
    );
    println!(
        "  {:.2} s, {:.0} objects/s (parse + validate + store)",
        report.took.as_secs_f64(),
        report.objects_per_second()
    );
    println!("  peak RSS {}", peak_rss());
    Ok(())
}

async fn bench_taxii(
    root: &std::path::Path,
    sizes: &[usize],
    pages: usize,
    connections: usize,
) -> Result<(), NodeError> {
    let (dir, store, collection) = bench_dir(root).await?;
    let token = pacific_node::auth::add_user(store.as_ref(), "bench", Role::Reader)
        .await?
        .token;
    let node = Node::open(&dir).await?;
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| NodeError::Setup(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(node.serve(listener, async {
        let _ = stop_rx.await;
    }));
    pacific_node::install_crypto_provider();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    let url = format!("http://{addr}/taxii2/root/collections/{collection}/objects/");

    let mut generator = Generator::new(7);
    let mut stored = 0usize;
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    println!(
        "bench taxii: pages of 1000 objects, {pages} pages per size, {connections} connections"
    );
    for size in sizes {
        let started = Instant::now();
        while stored < size {
            let n = (size - stored).min(5000);
            let batch: Vec<StixObject> = (0..n)
                .map(|_| {
                    StixObject::from_json(&generator.object()).expect("generated objects are valid")
                })
                .collect();
            store.add_objects(&collection, &batch).await?;
            stored += n;
        }
        eprintln!(
            "  grew the collection to {size} objects in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // Page starts spread evenly over the whole collection.
        let first_seq = store
            .query_objects(
                &collection,
                &pacific_core::taxii::ObjectQuery::all(1),
                false,
            )
            .await?;
        let base = first_seq.items.first().map_or(0, |i| i.seq - 1);
        let span = size.saturating_sub(1000).max(1) as i64;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..connections {
            let http = http.clone();
            let url = url.clone();
            let token = token.clone();
            let share = pages / connections + usize::from(c < pages % connections);
            tasks.push(tokio::spawn(async move {
                let mut bytes = 0usize;
                for p in 0..share {
                    let k = (p * connections + c) as i64;
                    let cursor = PageCursor(base + (k * 7919) % span);
                    let response = http
                        .get(&url)
                        .bearer_auth(&token)
                        .query(&[("limit", "1000"), ("next", &cursor.encode())])
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    if !response.status().is_success() {
                        return Err(format!("page request answered {}", response.status()));
                    }
                    bytes += response.bytes().await.map_err(|e| e.to_string())?.len();
                }
                Ok::<usize, String>(bytes)
            }));
        }
        let mut bytes = 0;
        for t in tasks {
            bytes += t
                .await
                .map_err(|e| NodeError::Setup(e.to_string()))?
                .map_err(NodeError::Remote)?;
        }
        let took = started.elapsed();
        println!(
            "  {size:>9} objects: {:.0} pages/s ({:.1} ms/page, {:.0} MB/s)",
            pages as f64 / took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / pages as f64 * connections as f64,
            bytes as f64 / 1e6 / took.as_secs_f64()
        );
    }
    println!("  peak RSS {}", peak_rss());
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    Ok(())
}

/// A GREEN indicator of typical size (~550 bytes of JSON), unique per call.
fn green_indicator(n: u64) -> String {
    let now = pacific_core::Timestamp::now();
    let id = pacific_node::new_uuid();
    format!(
        concat!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{id}","created":"{now}","modified":"{now}","#,
            r#""name":"C2 server {n}","description":"Command-and-control server seen in intrusions against power operators.","#,
            r#""indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.{a}.{b}']","pattern_type":"stix","#,
            r#""valid_from":"{now}","labels":["ics","c2"],"object_marking_refs":["{tlp}"]}}"#
        ),
        id = id,
        now = now.as_str(),
        n = n,
        a = (n / 256) % 256,
        b = n % 256,
        tlp = pacific_core::tlp::TLP2_GREEN,
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn bench_federation(
    root: &std::path::Path,
    nodes: usize,
    rate: u64,
    seconds: u64,
    verify: usize,
    reshare: bool,
) -> Result<(), NodeError> {
    use pacific_core::party::StakeholderType;
    use pacific_node::federation::Event;
    use std::collections::HashMap;
    if nodes < 2 || rate == 0 {
        return Err(NodeError::Setup(
            "bench federation needs at least 2 nodes and a rate above 0".into(),
        ));
    }
    // N nodes on loopback, each the peer of every other, policies that let go what the
    // markings allow (the objects are TLP:GREEN); unless `reshare`, the peers do not push on
    // what they received (node0 is everyone's peer and sends it to each of them itself).
    let mut dirs = Vec::new();
    let mut addrs = Vec::new();
    for i in 0..nodes {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        drop(listener);
        let dir = DataDir::new(root.join(format!("node{i}")));
        dir.init(&pacific_node::datadir::InitOptions {
            name: format!("Node {i}"),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: Some(addr),
        })
        .await?;
        let mut config = dir.load_config()?;
        config.federation.party_id = Some(format!("node{i}"));
        config.log.level = "error".into();
        let setup = |e: std::io::Error| NodeError::Setup(e.to_string());
        std::fs::write(
            dir.root().join(pacific_node::config::CONFIG_FILE),
            config.to_toml(),
        )
        .map_err(setup)?;
        let policy = if i == 0 || reshare {
            "default = \"allow\"\n"
        } else {
            "default = \"allow\"\n\n[[rules]]\nname = \"no-reshare-push\"\naction = \"deny\"\nreceived = true\npaths = [\"federation-push\"]\n"
        };
        std::fs::write(
            dir.root().join(pacific_node::federation::POLICY_FILE),
            policy,
        )
        .map_err(setup)?;
        dirs.push(dir);
        addrs.push(addr);
    }
    let names: Vec<String> = (0..dirs.len()).map(|j| format!("node{j}")).collect();
    add_every_peer(&dirs, &addrs, &names).await?;
    bench_verify(verify, &dirs[0])?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = Vec::new();
    let mut source = None;
    for (i, dir) in dirs.iter().enumerate() {
        let node = Node::open(dir).await?;
        if i == 0 {
            let fed = Arc::clone(node.state().federation());
            let store = Arc::clone(node.state().store());
            let collection = pacific_node::find_collection(store.as_ref(), "default")
                .await?
                .ok_or_else(|| NodeError::Setup("no default collection".into()))?;
            source = Some((fed, store, collection.id));
        }
        let listener =
            std::net::TcpListener::bind(addrs[i]).map_err(|e| NodeError::Setup(e.to_string()))?;
        let mut stop = stop_rx.clone();
        servers.push(tokio::spawn(node.serve(listener, async move {
            let _ = stop.wait_for(|s| *s).await;
        })));
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
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
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
fn bench_verify(n: usize, dir: &DataDir) -> Result<(), NodeError> {
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

/// The process's peak resident set size, from /proc (Linux).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Generates realistic STIX objects: indicators (IP, domain, URL and file-hash patterns),
/// malware families and relationships, with TLP markings and references, ~600 bytes each.
struct Generator {
    state: u64,
    n: u64,
    malware: Vec<String>,
    indicators: Vec<String>,
}

impl Generator {
    fn new(seed: u64) -> Self {
        Self {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            n: 0,
            malware: Vec::new(),
            indicators: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*: fast and good enough to vary generated data.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let h = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    fn object(&mut self) -> String {
        self.n += 1;
        let day = 1 + self.next() % 28;
        let created = format!(
            "2026-{:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + self.next() % 11,
            self.next() % 24,
            self.next() % 60,
            self.next() % 60,
            self.next() % 1000
        );
        let tlp = [
            pacific_core::tlp::TLP2_CLEAR,
            pacific_core::tlp::TLP2_GREEN,
            pacific_core::tlp::TLP2_AMBER,
        ][(self.next() % 3) as usize];
        let roll = self.next() % 10;
        if roll == 0 || self.malware.is_empty() {
            let id = format!("malware--{}", self.uuid());
            let family = ["Industroyer", "BlackEnergy", "Triton", "Havex", "PipeDream"]
                [(self.next() % 5) as usize];
            self.malware.push(id.clone());
            if self.malware.len() > 64 {
                self.malware.remove(0);
            }
            return format!(
                r#"{{"type":"malware","spec_version":"2.1","id":"{id}","created":"{created}","modified":"{created}","name":"{family} variant {}","is_family":true,"malware_types":["trojan","backdoor"],"description":"Variant observed against electricity operators.","object_marking_refs":["{tlp}"],"x_pacific_bench":true}}"#,
                self.n
            );
        }
        if roll <= 2 && !self.indicators.is_empty() {
            let (a, b) = (self.next() as usize, self.next() as usize);
            let source = self.indicators[a % self.indicators.len()].clone();
            let target = self.malware[b % self.malware.len()].clone();
            return format!(
                r#"{{"type":"relationship","spec_version":"2.1","id":"relationship--{}","created":"{created}","modified":"{created}","relationship_type":"indicates","source_ref":"{source}","target_ref":"{target}","object_marking_refs":["{tlp}"]}}"#,
                self.uuid()
            );
        }
        let id = format!("indicator--{}", self.uuid());
        let r = self.next();
        let pattern = match r % 4 {
            0 => format!(
                "[ipv4-addr:value = '{}.{}.{}.{}']",
                1 + r % 223,
                (r >> 8) % 256,
                (r >> 16) % 256,
                (r >> 24) % 256
            ),
            1 => format!(
                "[domain-name:value = 'c2-{:x}.example-threat.net']",
                r >> 20
            ),
            2 => format!(
                "[url:value = 'https://login-{:x}.example-phish.org/session']",
                r >> 24
            ),
            _ => format!(
                "[file:hashes.'SHA-256' = '{:016x}{:016x}{:016x}{:016x}']",
                self.next(),
                self.next(),
                self.next(),
                self.next()
            ),
        };
        self.indicators.push(id.clone());
        if self.indicators.len() > 256 {
            self.indicators.remove(0);
        }
        format!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"{id}","created":"{created}","modified":"{created}","name":"Infrastructure seen in the grid intrusion","description":"Observed in traffic from a compromised engineering workstation.","indicator_types":["malicious-activity"],"pattern":"{pattern}","pattern_type":"stix","valid_from":"{created}","labels":["energy","ics"],"confidence":{},"object_marking_refs":["{tlp}"],"external_references":[{{"source_name":"pacific-bench","external_id":"B-{}"}}]}}"#,
            50 + r % 50,
            self.n
        )
    }
}

// ---------------------------------------------------------------------------------------
// bench match

/// A deterministic 64-bit mixer (splitmix64): the generator of every value below.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hex_of(seed: u64, bytes: usize) -> String {
    (0..bytes.div_ceil(8) as u64)
        .map(|k| format!("{:016x}", mix(seed ^ (k << 56))))
        .collect::<String>()[..bytes * 2]
        .to_owned()
}

/// The pattern of generated indicator `j`, and a value an event can carry to hit it (with
/// the JSON field that carries it). The mix: 30% IPv4, 5% IPv4 CIDR, 5% IPv6 CIDR, 10% IPv6,
/// 15% domains, 5% subdomain patterns, 10% URLs, 10% hashes, 10% e-mail addresses.
fn match_indicator(j: u64) -> (String, &'static str, String) {
    let r = mix(j);
    match j % 20 {
        0..=5 => {
            let ip = std::net::Ipv4Addr::from(r as u32);
            (
                format!("[ipv4-addr:value = '{ip}']"),
                "dst_ip",
                ip.to_string(),
            )
        }
        6 => {
            let len = 22 + (r % 9) as u32;
            let net = (100u32 << 24 | (r >> 8) as u32 & 0x00ff_ffff) & (u32::MAX << (32 - len));
            let ip = std::net::Ipv4Addr::from(net);
            let hit = std::net::Ipv4Addr::from(net + 1);
            (
                format!("[ipv4-addr:value ISSUBSET '{ip}/{len}']"),
                "dst_ip",
                hit.to_string(),
            )
        }
        7 => {
            let len = 56 + (r % 9) as u32;
            let net = (0x2001_0db8u128 << 96 | u128::from(r) << 32) & (u128::MAX << (128 - len));
            let ip = std::net::Ipv6Addr::from(net);
            let hit = std::net::Ipv6Addr::from(net + 1);
            (
                format!("[ipv6-addr:value = '{ip}/{len}']"),
                "dst_ip",
                hit.to_string(),
            )
        }
        8 | 9 => {
            let ip = std::net::Ipv6Addr::from(0x2a00u128 << 112 | u128::from(r));
            (
                format!("[ipv6-addr:value = '{ip}']"),
                "dst_ip",
                ip.to_string(),
            )
        }
        10..=12 => {
            let d = format!("h{:x}.example{}.com", r >> 20, r % 97);
            (format!("[domain-name:value = '{d}']"), "domain", d.clone())
        }
        13 => {
            let d = format!("evil{:x}.net", r >> 24);
            (
                format!("[domain-name:value LIKE '%.{d}']"),
                "domain",
                format!("cdn.{d}"),
            )
        }
        14 | 15 => {
            let u = format!("http://u{:x}.test/p/{}?q=1", r >> 16, r % 1000);
            (format!("[url:value = '{u}']"), "url", u.clone())
        }
        16 | 17 => {
            let (name, bytes) = [("'SHA-256'", 32), ("MD5", 16), ("'SHA-1'", 20)][(r % 3) as usize];
            let h = hex_of(r, bytes);
            (format!("[file:hashes.{name} = '{h}']"), "sha256", h.clone())
        }
        _ => {
            let e = format!("user{:x}@mail{}.test", r >> 20, r % 1000);
            (format!("[email-addr:value = '{e}']"), "email", e.clone())
        }
    }
}

fn match_indicator_json(j: u64) -> String {
    let (pattern, _, _) = match_indicator(j);
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-{:012x}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"generated","pattern":{},"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#,
        (j >> 48) as u32,
        j & 0xffff_ffff_ffff,
        serde_json::Value::String(pattern)
    )
}

/// One JSON-lines event of about 220 bytes with 4–5 observables; `hit` puts the value of a
/// random indicator in its field.
fn match_event_line(e: u64, indicators: u64, hit: bool, out: &mut String) {
    use std::fmt::Write as _;
    let r = mix(e ^ 0x5eed);
    let src = std::net::Ipv4Addr::from(0x0a00_0000 | (r as u32 & 0x00ff_ffff));
    let mut dst = std::net::Ipv4Addr::from((r >> 32) as u32).to_string();
    let mut domain = format!("www.site{}.org", r % 1_000_003);
    let mut url = format!("https://cdn{}.example.net/a/{}.js", r % 7919, r % 100_000);
    let mut hash = r.is_multiple_of(2).then(|| hex_of(r, 32));
    let mut email = None;
    if hit {
        let (_, field, value) = match_indicator(mix(r) % indicators);
        match field {
            "dst_ip" => dst = value,
            "domain" => domain = value,
            "url" => url = value,
            "sha256" => hash = Some(value),
            _ => email = Some(value),
        }
    }
    let _ = write!(
        out,
        r#"{{"ts":{}.{:03},"event":"flow","src_ip":"{src}","src_port":{},"dst_ip":"{dst}","domain":"{domain}","url":"{url}""#,
        1_750_000_000 + e / 1000,
        e % 1000,
        1024 + r % 60000
    );
    if let Some(h) = hash {
        let _ = write!(out, r#","sha256":"{h}""#);
    }
    if let Some(m) = email {
        let _ = write!(out, r#","email":"{m}""#);
    }
    out.push_str("}\n");
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Splits `data` into `n` parts at line ends.
fn split_lines(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for k in 1..=n {
        let mut end = if k == n {
            data.len()
        } else {
            data.len() * k / n
        };
        while end < data.len() && end > start && data[end - 1] != b'\n' {
            end += 1;
        }
        parts.push(&data[start..end]);
        start = end;
    }
    parts
}

/// Makes every bench node a peer of every other: a state in XA, named `names[j]`.
async fn add_every_peer(
    dirs: &[DataDir],
    addrs: &[std::net::SocketAddr],
    names: &[impl AsRef<str>],
) -> Result<(), NodeError> {
    for (i, dir) in dirs.iter().enumerate() {
        for (j, other) in dirs.iter().enumerate() {
            if i != j {
                let key = hex::encode(other.load_identity()?.verifying_key().to_bytes());
                let name = names[j].as_ref();
                crate::federation::add_peer(
                    dir,
                    name,
                    Some(name),
                    &format!("http://{}", addrs[j]),
                    &key,
                    pacific_core::party::StakeholderType::State,
                    Some("XA".into()),
                    None,
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn bench_match(
    indicators: usize,
    events: usize,
    threads: &[usize],
    no_baselines: bool,
) -> Result<(), NodeError> {
    use pacific_match::{Index, InputOptions, SharedIndex};
    let now = pacific_core::Timestamp::now().unix_micros();
    let n = indicators as u64;

    // Build: generate the indicators' STIX JSON, then compile them (only the compile is timed).
    let rss_before = rss_bytes();
    let mut index = Index::new();
    let mut report = pacific_match::CompileReport::default();
    let mut build_time = Duration::ZERO;
    let mut json_bytes = 0usize;
    let chunk = 100_000u64;
    for c in (0..n).step_by(chunk as usize) {
        let jsons: Vec<String> = (c..(c + chunk).min(n)).map(match_indicator_json).collect();
        json_bytes += jsons.iter().map(String::len).sum::<usize>();
        let started = Instant::now();
        for json in &jsons {
            index.upsert_json(json, &mut report);
        }
        build_time += started.elapsed();
    }
    let rss_after = rss_bytes();
    let heap = index.heap_bytes();
    println!(
        "bench match: {indicators} indicators ({} MB of STIX JSON) compiled in {:.2} s ({:.0} indicators/s): {report}",
        json_bytes / 1_000_000,
        build_time.as_secs_f64(),
        indicators as f64 / build_time.as_secs_f64()
    );
    for r in report.rejected.iter().take(3) {
        println!("  not compiled: {} — {}", r.id, r.reason);
    }
    println!(
        "  memory: {:.0} bytes/indicator by the index's own accounting, {:.0} bytes/indicator by RSS growth",
        heap as f64 / indicators.max(1) as f64,
        rss_after.saturating_sub(rss_before) as f64 / indicators.max(1) as f64
    );

    // Events: 3% carry a value of some indicator.
    let mut data = String::with_capacity(events * 240);
    for e in 0..events as u64 {
        match_event_line(e, n, mix(e ^ 0xbeef) % 100 < 3, &mut data);
    }
    let data = data.into_bytes();
    println!(
        "  {events} JSON-lines events, {:.0} bytes each on average",
        data.len() as f64 / events.max(1) as f64
    );
    let shared = SharedIndex::new(index);
    let opts = InputOptions::default();
    // Reading alone, to show how the time splits between reading events and probing the index.
    {
        let started = Instant::now();
        let mut observables = 0u64;
        let stats = pacific_match::read_events(&data[..], &opts, |ev| {
            observables += ev.observables.len() as u64;
        })
        .unwrap_or_default();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  reading only (no index), 1 thread: {:.0} events/s, {:.0} MB/s ({observables} observables)",
            stats.events as f64 / secs,
            data.len() as f64 / secs / 1e6
        );
    }
    let mut indexed_rate = 0.0;
    for &t in threads {
        let parts = split_lines(&data, t.max(1));
        let started = Instant::now();
        let (matched, read): (u64, u64) = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .map(|part| {
                    let shared = &shared;
                    let opts = &opts;
                    s.spawn(move || {
                        let mut matcher = shared.matcher();
                        let mut out = Vec::new();
                        let mut matched = 0u64;
                        let stats = pacific_match::read_events(*part, opts, |ev| {
                            matcher.match_event_into(ev, now, &mut out);
                            matched += out.len() as u64;
                            out.clear();
                        })
                        .unwrap_or_default();
                        (matched, stats.events)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or((0, 0)))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        });
        let secs = started.elapsed().as_secs_f64();
        let rate = read as f64 / secs;
        if t == 1 {
            indexed_rate = rate;
        }
        println!(
            "  {t} thread(s): {read} events in {secs:.2} s: {rate:.0} events/s, {:.0} MB/s, {matched} matches ({:.2}% of events)",
            data.len() as f64 / secs / 1e6,
            matched as f64 * 100.0 / read.max(1) as f64
        );
    }

    if no_baselines {
        return Ok(());
    }

    // The reference ceiling, in this same run: a bare loop parsing each line with serde_json
    // (borrowed strings) and probing 5 values in a hash set of as many keys as indicators.
    {
        #[derive(serde::Deserialize)]
        struct Bare<'a> {
            src_ip: &'a str,
            dst_ip: &'a str,
            domain: &'a str,
            url: &'a str,
            sha256: Option<&'a str>,
        }
        let set: std::collections::HashSet<String> = (0..n).map(|j| match_indicator(j).2).collect();
        let started = Instant::now();
        let (mut lines, mut found) = (0u64, 0u64);
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if let Ok(b) = serde_json::from_slice::<Bare>(line) {
                for v in [b.src_ip, b.dst_ip, b.domain, b.url, b.sha256.unwrap_or("")] {
                    found += u64::from(set.contains(v));
                }
            }
            lines += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  reference bare loop (serde_json borrowed + 5 probes in a {}-key hash set), 1 thread: {:.0} events/s ({found} found)",
            set.len(),
            lines as f64 / secs
        );
    }

    // The naive baseline: every observable compared with every indicator's value.
    let naive_n = (indicators / 100).clamp(1, 10_000);
    let naive_events = (events / 100).clamp(1, 20_000);
    let keys: Vec<(usize, NaiveKey)> = (0..naive_n as u64)
        .flat_map(|j| {
            let (pattern, _, _) = match_indicator(j);
            let terms = pacific_match::pattern::parse(&pattern)
                .ok()
                .and_then(|p| pacific_match::compile::compile(&p).ok())
                .unwrap_or_default();
            terms
                .into_iter()
                .flatten()
                .flatten()
                .map(move |k| (j as usize, NaiveKey::from(k)))
        })
        .collect();
    let sample = split_lines(&data, events.div_ceil(naive_events))[0];
    let started = Instant::now();
    let mut naive_matched = 0u64;
    let naive_read = pacific_match::read_events(sample, &opts, |ev| {
        for o in &ev.observables {
            for (_, k) in &keys {
                if k.matches(o.kind, &o.value) {
                    naive_matched += 1;
                }
            }
        }
    })
    .unwrap_or_default()
    .events;
    let secs = started.elapsed().as_secs_f64();
    let naive_rate = naive_read as f64 / secs;
    let scaled = naive_rate * naive_n as f64 / indicators as f64;
    println!(
        "  naive linear scan: {naive_n} indicators, {naive_read} events in {secs:.2} s: {naive_rate:.0} events/s ({naive_matched} matches); scaled to {indicators} indicators: {scaled:.1} events/s; the index is {:.0}× faster on 1 thread",
        indexed_rate / scaled.max(f64::MIN_POSITIVE)
    );
    Ok(())
}

/// An indicator value for the naive baseline, compared as text or integers.
enum NaiveKey {
    V4(u32, u32),
    V6(u128, u128),
    Text(pacific_match::Kind, String),
    Suffix(String),
}

impl From<pacific_match::index::Key> for NaiveKey {
    fn from(k: pacific_match::index::Key) -> Self {
        use pacific_match::Kind;
        use pacific_match::index::Key;
        match k {
            Key::V4(a) => NaiveKey::V4(a, u32::MAX),
            Key::V4Net(a, l) => {
                NaiveKey::V4(a, u32::MAX.checked_shl(32 - u32::from(l)).unwrap_or(0))
            }
            Key::V6(a) => NaiveKey::V6(a, u128::MAX),
            Key::V6Net(a, l) => {
                NaiveKey::V6(a, u128::MAX.checked_shl(128 - u32::from(l)).unwrap_or(0))
            }
            Key::Domain(d) => NaiveKey::Text(Kind::Domain, d.into()),
            Key::DomainSuffix(d) => NaiveKey::Suffix(format!(".{d}")),
            Key::Url(u) => NaiveKey::Text(Kind::Url, u.into()),
            Key::Email(e) => NaiveKey::Text(Kind::Email, e.into()),
            Key::Md5(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
            Key::Sha1(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
            Key::Sha256(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
        }
    }
}

impl NaiveKey {
    fn matches(&self, kind: pacific_match::Kind, value: &str) -> bool {
        use pacific_match::Kind;
        match self {
            NaiveKey::V4(net, mask) => value
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| u32::from(a) & mask == *net),
            NaiveKey::V6(net, mask) => value
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|a| u128::from(a) & mask == *net),
            NaiveKey::Text(k, s) => *k == kind && value.eq_ignore_ascii_case(s),
            NaiveKey::Suffix(s) => {
                kind == Kind::Domain
                    && value.len() > s.len()
                    && value.to_ascii_lowercase().ends_with(s.as_str())
            }
        }
    }
}

/// Two nodes (alpha, bravo) on loopback, peers of each other, with a liaison each.
async fn bench_coop(
    root: &std::path::Path,
    requests: usize,
    flows: usize,
    concurrency: usize,
) -> Result<(), NodeError> {
    use crate::coop::CoopClient;
    use pacific_core::party::StakeholderType;
    use serde_json::{Value, json};

    let setup = |e: std::io::Error| NodeError::Setup(e.to_string());
    let names = ["alpha", "bravo"];
    let mut dirs = Vec::new();
    let mut addrs = Vec::new();
    for name in names {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(setup)?;
        let addr = listener.local_addr().map_err(setup)?;
        drop(listener);
        let dir = DataDir::new(root.join(name));
        dir.init(&pacific_node::datadir::InitOptions {
            name: name.to_uppercase(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XA".into()),
            listen: Some(addr),
        })
        .await?;
        let mut config = dir.load_config()?;
        config.federation.party_id = Some(name.into());
        config.log.level = "error".into();
        std::fs::write(
            dir.root().join(pacific_node::config::CONFIG_FILE),
            config.to_toml(),
        )
        .map_err(setup)?;
        std::fs::write(
            dir.root().join(pacific_node::federation::POLICY_FILE),
            "default = \"allow\"\n",
        )
        .map_err(setup)?;
        dirs.push(dir);
        addrs.push(addr);
    }
    add_every_peer(&dirs, &addrs, &names).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let node = Node::open(dir).await?;
        let token =
            pacific_node::auth::add_user(node.state().store().as_ref(), "liaison", Role::Liaison)
                .await?
                .token;
        clients.push(Arc::new(CoopClient::new(
            &format!("http://{}", addrs[i]),
            &token,
        )));
        let listener = std::net::TcpListener::bind(addrs[i]).map_err(setup)?;
        let mut stop = stop_rx.clone();
        servers.push(tokio::spawn(node.serve(listener, async move {
            let _ = stop.wait_for(|s| *s).await;
        })));
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
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = s.await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_objects_are_valid_stix() {
        let mut g = Generator::new(3);
        for _ in 0..2000 {
            let text = g.object();
            if let Err(e) = StixObject::from_json(&text) {
                panic!("{e}: {text}");
            }
        }
    }
}
