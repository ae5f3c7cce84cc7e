//! `bench ingest`: parse, validate and store a generated bundle.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use std::sync::Arc;

use pacific_node::{DataDir, NodeError};
use pacific_store::Store;

use crate::generate::Generator;
use crate::peak_rss;

/// `bench ingest`'s options.
pub struct IngestOptions {
    /// Number of objects.
    pub count: usize,
    /// Instead of `count`: generate objects until the bundle is at least this many bytes.
    pub bytes: Option<u64>,
    /// Also time parse + validate alone, without the store.
    pub parse_only: bool,
}

/// A lone node's data directory at `root`, its store and its default collection.
pub(crate) async fn bench_dir(root: &Path) -> Result<(DataDir, Arc<dyn Store>, String), NodeError> {
    let dir = DataDir::new(root);
    let report = pacific_testkit::setup::init_node(&dir, "Bench CERT").await?;
    let store = dir.open_store().await?;
    Ok((dir, store, report.default_collection.id))
}

/// Generates a bundle of `count` objects in `root`, then ingests it into a new node there.
pub async fn ingest(root: &Path, options: &IngestOptions) -> Result<(), NodeError> {
    let IngestOptions {
        count,
        bytes: target_bytes,
        parse_only,
    } = *options;
    let (_, store, collection) = bench_dir(root).await?;
    // The bundle goes to a file, so the peak RSS below is the ingest's, not the generator's.
    let path = root.join("bench-bundle.json");
    match target_bytes {
        Some(b) => eprintln!(
            "Generating a bundle of {:.1} MB in {}…",
            b as f64 / 1e6,
            path.display()
        ),
        None => eprintln!(
            "Generating a bundle of {count} objects in {}…",
            path.display()
        ),
    }
    let io =
        |e: std::io::Error| NodeError::Setup(format!("cannot write the generated bundle: {e}"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
    let mut generator = Generator::new(1);
    file.write_all(b"{\"type\":\"bundle\",\"id\":\"bundle--2f0a5b7e-4c1d-4f7a-9d61-0c8b7e3a5d10\",\"objects\":[").map_err(io)?;
    let mut written = 0u64;
    let mut count_written = 0usize;
    loop {
        let done = match target_bytes {
            Some(b) => written >= b,
            None => count_written == count,
        };
        if done {
            break;
        }
        if count_written > 0 {
            file.write_all(b",").map_err(io)?;
            written += 1;
        }
        let object = generator.object();
        file.write_all(object.as_bytes()).map_err(io)?;
        written += object.len() as u64;
        count_written += 1;
    }
    let count = count_written;
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
    let cpu_before = cpu_seconds();
    let report =
        pacific_node::ingest::ingest_reader(store, &collection, reader, None, |_| {}).await?;
    let cpu = cpu_seconds() - cpu_before;
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
    // On a shared machine the wall time depends on the other load; the CPU time less so.
    println!(
        "  CPU {cpu:.2} s (user + system, every thread), {:.1} µs per object",
        cpu * 1e6 / count.max(1) as f64
    );
    println!("  peak RSS {}", peak_rss());
    Ok(())
}

/// This process's user + system CPU time so far, in seconds (0 if /proc cannot be read).
fn cpu_seconds() -> f64 {
    let ticks = crate::idle::process_sample(std::process::id()).map_or(0, |(t, _)| t);
    ticks as f64 / crate::idle::clock_ticks_per_second() as f64
}
