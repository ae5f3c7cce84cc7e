//! `bench match --cold`: how long `pacific match` takes to start on a data directory holding N
//! stored indicators — from opening the directory to the index ready, then to the first event
//! matched — and a whole run over generated JSON-lines events. It opens the directory as the
//! CLI does (configuration, store, federation store, [`MatchService::open`]), twice: first with
//! no index snapshot (loading from the store), then from the snapshot that start wrote
//! (`<data>/match-index.snap`); both runs must match alike.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use pacific_match::InputOptions;
use pacific_node::matching::MatchService;
use pacific_node::{DataDir, NodeError};
use pacific_store::{FederationStore, SqliteFederationStore};

use crate::generate::Generator;
use crate::ingest::bench_dir;

/// `bench match --cold`'s options.
pub struct ColdMatchOptions {
    /// Stored indicators, one data directory per count.
    pub sizes: Vec<usize>,
    /// JSON-lines events matched in the whole run after start-up.
    pub events: usize,
    /// Keep the data directories here, and reuse those found here (indicators stored once
    /// for several runs); by default they are made in a temporary directory and removed.
    pub keep: Option<std::path::PathBuf>,
}

/// The value the last stored indicator looks for, and the event line the start-up is timed to.
const PROBE_IP: &str = "203.0.113.77";

/// The indicator stored last (so loading must be complete for the first event to match it).
fn probe_indicator() -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--0b4c0e47-52d6-4d8e-9a1c-6f0f1f2a3b4c","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"probe","pattern":"[ipv4-addr:value = '{PROBE_IP}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#
    )
}

/// A bundle of generated objects (indicators, malware, relationships) holding `indicators`
/// indicators, the probe last, produced as it is read.
struct GeneratedBundle {
    generator: Generator,
    indicators_left: usize,
    buf: Vec<u8>,
    pos: usize,
    started: bool,
    done: bool,
}

impl GeneratedBundle {
    fn new(indicators: usize) -> Self {
        Self {
            generator: Generator::new(7),
            indicators_left: indicators.saturating_sub(1),
            buf: Vec::new(),
            pos: 0,
            started: false,
            done: false,
        }
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        if !self.started {
            self.started = true;
            self.buf.extend_from_slice(
                b"{\"type\":\"bundle\",\"id\":\"bundle--6c1f3a2e-0d4b-4e7a-8b1c-2d3e4f5a6b7c\",\"objects\":[",
            );
        }
        while self.buf.len() < 64 * 1024 {
            if self.indicators_left == 0 {
                if !self.done {
                    self.done = true;
                    self.buf.extend_from_slice(probe_indicator().as_bytes());
                    self.buf.extend_from_slice(b"]}");
                }
                return;
            }
            let object = self.generator.object();
            if object.starts_with(r#"{"type":"indicator""#) {
                self.indicators_left -= 1;
            }
            self.buf.extend_from_slice(object.as_bytes());
            self.buf.push(b',');
        }
    }
}

impl Read for GeneratedBundle {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.refill();
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Generated JSON-lines events: the first carries the probe's address, the others mostly miss.
fn events_text(count: usize) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(count * 160);
    let _ = writeln!(
        out,
        r#"{{"event":"flow","src_ip":"10.0.0.1","dst_ip":"{PROBE_IP}","domain":"www.example.org"}}"#
    );
    for e in 1..count as u64 {
        // splitmix64 of the event number: varied, deterministic values.
        let mut r = e.wrapping_add(0x9E37_79B9_7F4A_7C15);
        r = (r ^ (r >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        r = (r ^ (r >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        r ^= r >> 31;
        let _ = writeln!(
            out,
            r#"{{"ts":{}.{:03},"event":"flow","src_ip":"10.{}.{}.{}","dst_ip":"{}.{}.{}.{}","domain":"www.site{}.org","url":"https://cdn{}.example.net/a/{}.js"}}"#,
            1_750_000_000 + e / 1000,
            e % 1000,
            (r >> 8) % 256,
            (r >> 16) % 256,
            (r >> 24) % 256,
            1 + (r >> 32) % 223,
            (r >> 40) % 256,
            (r >> 48) % 256,
            (r >> 56) % 256,
            r % 1_000_003,
            r % 7919,
            r % 100_000
        );
    }
    out.into_bytes()
}

/// For each size: a data directory under `root` with that many stored indicators, then the
/// start-up timed as `pacific match` does it.
pub async fn matching_cold(root: &Path, options: &ColdMatchOptions) -> Result<(), NodeError> {
    let events = events_text(options.events.max(1));
    for &size in &options.sizes {
        let dir_root = options
            .keep
            .as_deref()
            .unwrap_or(root)
            .join(format!("cold-{size}"));
        if options.keep.is_some() && DataDir::new(&dir_root).is_initialised() {
            eprintln!("Reusing {}", dir_root.display());
        } else {
            let (_, store, collection) = bench_dir(&dir_root).await?;
            eprintln!("Storing {size} generated indicators (with malware and relationships)…");
            let report = pacific_node::ingest::ingest_reader(
                store,
                &collection,
                GeneratedBundle::new(size),
                None,
                |_| {},
            )
            .await?;
            eprintln!(
                "  stored {} objects in {:.1} s",
                report.stored,
                report.took.as_secs_f64()
            );
        }
        // From the store (no snapshot yet), as the first start on a data directory does; then
        // the snapshot that start writes, and a start from it.
        let _ = std::fs::remove_file(dir_root.join(pacific_node::matching::SNAPSHOT_FILE));
        let scratch = start(&dir_root, &events).await?;
        scratch.print(size, "from the store");
        let written = Instant::now();
        let bytes = scratch.service.save_snapshot().await?.unwrap_or(0);
        println!(
            "  snapshot written in {:.3} s ({:.1} MB)",
            written.elapsed().as_secs_f64(),
            bytes as f64 / 1e6
        );
        let scratch_matches = scratch.matches;
        drop(scratch);
        let snap = start(&dir_root, &events).await?;
        snap.print(size, "from the snapshot");
        if snap.matches != scratch_matches {
            return Err(NodeError::Input(format!(
                "the start from the snapshot matched {} times, the one from the store {scratch_matches}",
                snap.matches
            )));
        }
        println!("  peak RSS {}", crate::peak_rss());
        drop(snap);
        if options.keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir_root);
        }
    }
    Ok(())
}

/// The CPU time this process has used (user and system, every thread), from /proc (Linux,
/// at the usual 100 ticks a second; 0 elsewhere). On a machine shared with other work the
/// wall-clock times wait for a core; this does not.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The fields after the command name (which is in parentheses and may hold spaces):
            // utime and stime are the 12th and 13th.
            let rest = &s[s.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// One timed start of `pacific match` on a data directory and its run over `events`.
struct Start {
    service: Arc<MatchService>,
    ready: std::time::Duration,
    /// CPU time of the process (every thread) to the index ready.
    ready_cpu: f64,
    first: Option<std::time::Duration>,
    total: std::time::Duration,
    events: u64,
    matches: u64,
}

impl Start {
    fn print(&self, size: usize, how: &str) {
        println!(
            "bench match --cold: {size} stored indicators, {how} [{}] ({}); index ready in {:.3} s ({:.3} s CPU), first event matched at {}, {} events matched end to end in {:.3} s ({} matches)",
            self.service.load_source(),
            self.service.report(),
            self.ready.as_secs_f64(),
            self.ready_cpu,
            self.first.map_or_else(
                || "never".to_owned(),
                |t| format!("{:.3} s", t.as_secs_f64())
            ),
            self.events,
            self.total.as_secs_f64(),
            self.matches
        );
    }
}

async fn start(dir_root: &Path, events: &[u8]) -> Result<Start, NodeError> {
    let started = Instant::now();
    let cpu = cpu_seconds();
    let dir = DataDir::new(dir_root);
    let config = dir.load_config()?;
    let store = dir.open_store().await?;
    let origins: Arc<dyn FederationStore> =
        Arc::new(SqliteFederationStore::open(&dir.db_path()).await?);
    let service = MatchService::open(dir.root(), &config, store, Some(origins)).await?;
    let ready = started.elapsed();
    let ready_cpu = cpu_seconds() - cpu;
    let now = pacific_core::Timestamp::now().unix_micros();
    let mut first = None;
    let mut matches = 0u64;
    let stats = {
        let mut run = service.run(now, 0);
        service
            .match_reader(
                events,
                &InputOptions::default(),
                &mut run,
                |_, _| {
                    matches += 1;
                    first.get_or_insert_with(|| started.elapsed());
                },
                |_| {},
            )
            .map_err(|e| NodeError::Input(e.to_string()))?
    };
    Ok(Start {
        total: started.elapsed(),
        service,
        ready,
        ready_cpu,
        first,
        events: stats.events,
        matches,
    })
}
