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
    let IngestOptions { count, parse_only } = *options;
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
    let report =
        pacific_node::ingest::ingest_reader(store, &collection, reader, None, |_| {}).await?;
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
