//! `pacific bench`: throughput figures on generated, realistic data, in a temporary data
//! directory. Benchmarks print figures; they assert nothing.
//!
//! - `bench ingest`: objects/s for parse + validate + store of a generated bundle.
//! - `bench taxii`: TAXII GET pages/s (1,000 objects per page) at several collection sizes,
//!   with pages taken from everywhere in the collection, so a slow deep page would show.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;
use pacific_core::access::Role;
use pacific_core::taxii::PageCursor;
use pacific_core::StixObject;
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
}

pub async fn run(cmd: BenchCommand) -> Result<ExitCode, NodeError> {
    let tmp = std::env::temp_dir().join(format!("pacific-bench-{}", pacific_node::new_uuid()));
    let result = match cmd {
        BenchCommand::Ingest { count, parse_only } => bench_ingest(&tmp, count, parse_only).await,
        BenchCommand::Taxii { sizes, pages, connections } => bench_taxii(&tmp, &sizes, pages, connections).await,
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

async fn bench_ingest(root: &std::path::Path, count: usize, parse_only: bool) -> Result<(), NodeError> {
    let (_, store, collection) = bench_dir(root).await?;
    // The bundle goes to a file, so the peak RSS below is the ingest's, not the generator's.
    let path = root.join("bench-bundle.json");
    eprintln!("Generating a bundle of {count} objects in {}…", path.display());
    let io = |e: std::io::Error| NodeError::Setup(format!("cannot write the generated bundle: {e}"));
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
        println!("bench ingest (parse + validate only): {} objects in {took:.2} s, {:.0} objects/s", summary.valid, summary.valid as f64 / took);
    }
    eprintln!("Ingesting {:.1} MB…", bytes as f64 / 1e6);
    let reader = std::fs::File::open(&path).map_err(io)?;
    let report = pacific_node::ingest::ingest_reader(store, &collection, reader, |_| {}).await?;
    println!("bench ingest: {count} objects ({:.1} MB)", bytes as f64 / 1e6);
    println!("  stored {} (invalid {})", report.stored, report.invalid.len());
    println!("  {:.2} s, {:.0} objects/s (parse + validate + store)", report.took.as_secs_f64(), report.objects_per_second());
    println!("  peak RSS {}", peak_rss());
    Ok(())
}

async fn bench_taxii(root: &std::path::Path, sizes: &[usize], pages: usize, connections: usize) -> Result<(), NodeError> {
    let (dir, store, collection) = bench_dir(root).await?;
    let token = pacific_node::auth::add_user(store.as_ref(), "bench", Role::Reader).await?.token;
    let node = Node::open(&dir).await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| NodeError::Setup(e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| NodeError::Setup(e.to_string()))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(node.serve(listener, async {
        let _ = stop_rx.await;
    }));
    pacific_node::install_crypto_provider();
    let http = reqwest::Client::builder().pool_max_idle_per_host(connections).build().map_err(|e| NodeError::Setup(e.to_string()))?;
    let url = format!("http://{addr}/taxii2/root/collections/{collection}/objects/");

    let mut generator = Generator::new(7);
    let mut stored = 0usize;
    let mut sizes = sizes.to_vec();
    sizes.sort_unstable();
    println!("bench taxii: pages of 1000 objects, {pages} pages per size, {connections} connections");
    for size in sizes {
        let started = Instant::now();
        while stored < size {
            let n = (size - stored).min(5000);
            let batch: Vec<StixObject> = (0..n)
                .map(|_| StixObject::from_json(&generator.object()).expect("generated objects are valid"))
                .collect();
            store.add_objects(&collection, &batch).await?;
            stored += n;
        }
        eprintln!("  grew the collection to {size} objects in {:.1} s", started.elapsed().as_secs_f64());
        // Page starts spread evenly over the whole collection.
        let first_seq = store.query_objects(&collection, &pacific_core::taxii::ObjectQuery::all(1), false).await?;
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
            bytes += t.await.map_err(|e| NodeError::Setup(e.to_string()))?.map_err(NodeError::Remote)?;
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

/// The process's peak resident set size, from /proc (Linux).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l["VmHWM:".len()..].trim().to_owned()))
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
        Self { state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, n: 0, malware: Vec::new(), indicators: Vec::new() }
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
        format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    }

    fn object(&mut self) -> String {
        self.n += 1;
        let day = 1 + self.next() % 28;
        let created = format!("2026-{:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", 1 + self.next() % 11, self.next() % 24, self.next() % 60, self.next() % 60, self.next() % 1000);
        let tlp = [pacific_core::tlp::TLP2_CLEAR, pacific_core::tlp::TLP2_GREEN, pacific_core::tlp::TLP2_AMBER][(self.next() % 3) as usize];
        let roll = self.next() % 10;
        if roll == 0 || self.malware.is_empty() {
            let id = format!("malware--{}", self.uuid());
            let family = ["Industroyer", "BlackEnergy", "Triton", "Havex", "PipeDream"][(self.next() % 5) as usize];
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
            0 => format!("[ipv4-addr:value = '{}.{}.{}.{}']", 1 + r % 223, (r >> 8) % 256, (r >> 16) % 256, (r >> 24) % 256),
            1 => format!("[domain-name:value = 'c2-{:x}.example-threat.net']", r >> 20),
            2 => format!("[url:value = 'https://login-{:x}.example-phish.org/session']", r >> 24),
            _ => format!("[file:hashes.'SHA-256' = '{:016x}{:016x}{:016x}{:016x}']", self.next(), self.next(), self.next(), self.next()),
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
