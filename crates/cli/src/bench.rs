//! `pacific bench`: throughput figures on generated, realistic data, in a temporary data
//! directory. Benchmarks print figures; they assert nothing.
//!
//! - `bench ingest`: objects/s for parse + validate + store of a generated bundle.
//! - `bench taxii`: TAXII GET pages/s (1,000 objects per page) at several collection sizes,
//!   with pages taken from everywhere in the collection, so a slow deep page would show.
//! - `bench federation`: propagation latency to peers on loopback under a creation rate, and
//!   envelope signature verification throughput.

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
    for (i, dir) in dirs.iter().enumerate() {
        for (j, other) in dirs.iter().enumerate() {
            if i != j {
                let key = hex::encode(other.load_identity()?.verifying_key().to_bytes());
                let id = format!("node{j}");
                crate::federation::add_peer(
                    dir,
                    &id,
                    Some(&id),
                    &format!("http://{}", addrs[j]),
                    &key,
                    StakeholderType::State,
                    Some("XA".into()),
                    None,
                )
                .await?;
            }
        }
    }
    bench_verify(verify, &dirs[0])?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = Vec::new();
    let mut source = None;
    for (i, dir) in dirs.iter().enumerate() {
        let node = Node::open(dir).await?;
        if i == 0 {
            let fed = node
                .state()
                .federation()
                .cloned()
                .ok_or_else(|| NodeError::Setup("no federation".into()))?;
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
                let mut r = results.lock().expect("lock");
                match event {
                    Ok(Event::Sent { object_id, .. }) => {
                        if let Some(t0) = started.lock().expect("lock").get(&object_id) {
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
            let mut map = started.lock().expect("lock");
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
    let (mut latencies, lagged, held) = std::mem::take(&mut *results.lock().expect("lock"));
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
