//! Rough performance figures, not run by default (no timing is asserted):
//!
//! ```text
//! PACIFIC_BENCH_VERSIONS=1000000 cargo test -p pacific-store --test throughput -- --ignored --nocapture
//! ```
//!
//! Adds batches of 1,000 small indicators to a file database (a fifth of them later get a
//! second version), then times pages at the start, middle and end of the collection.

mod common;

use std::time::{Duration, Instant};

use common::*;
use pacific_core::taxii::{ObjectQuery, PageCursor, VersionSelector};
use pacific_store::Store;

const BATCH: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn add_and_page_throughput() {
    let total: usize = std::env::var("PACIFIC_BENCH_VERSIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let (dir, store) = store().await;
    let firsts = total * 5 / 6;

    let mut add_time = Duration::ZERO;
    let mut added = 0usize;
    let mut n = 0u64;
    while added < total {
        // Build the batch outside the timing: parsing and validation are not the store's work.
        let batch: Vec<_> = (0..BATCH.min(total - added))
            .map(|_| {
                let i = n;
                n += 1;
                if (i as usize) < firsts {
                    indicator(i, "2021-01-01T00:00:00.000Z")
                } else {
                    // Second versions of earlier objects, spread over the collection.
                    indicator((i - firsts as u64) * 5, "2021-06-01T00:00:00.000Z")
                }
            })
            .collect();
        let start = Instant::now();
        store.add_objects(COLLECTION, &batch).await.unwrap();
        add_time += start.elapsed();
        added += batch.len();
    }
    println!(
        "add_objects: {added} versions in {:.2?}: {:.0} objects/s (batches of {BATCH})",
        add_time,
        added as f64 / add_time.as_secs_f64()
    );
    let stats = store.stats().await.unwrap();
    println!("stats: {stats:?} ({:.0} bytes/version)", stats.size_bytes as f64 / stats.object_versions as f64);

    let seqs = store.query_objects(COLLECTION, &ObjectQuery { versions: vec![VersionSelector::All], ..ObjectQuery::all(1) }, false).await.unwrap();
    let first_seq = seqs.items[0].seq;
    for (what, versions, types, with_json, limit) in [
        ("last, metadata", vec![VersionSelector::Last], vec![], false, 100),
        ("last, json", vec![VersionSelector::Last], vec![], true, 100),
        ("last, json", vec![VersionSelector::Last], vec![], true, 1000),
        ("all, json", vec![VersionSelector::All], vec![], true, 1000),
        ("first, metadata", vec![VersionSelector::First], vec![], false, 1000),
        ("first+last, json", vec![VersionSelector::First, VersionSelector::Last], vec![], true, 1000),
        ("type indicator, last, json", vec![VersionSelector::Last], vec!["indicator".to_owned()], true, 1000),
    ] {
        let mut line = format!("{what:28} limit {limit:5}:");
        for (place, offset) in [("start", 0), ("middle", total / 2), ("end", total - total / 100)] {
            let q = ObjectQuery {
                versions: versions.clone(),
                types: types.clone(),
                limit,
                next: Some(PageCursor(first_seq + offset as i64)),
                ..ObjectQuery::all(limit)
            };
            let rounds = 20;
            let start = Instant::now();
            let mut items = 0;
            for _ in 0..rounds {
                items = store.query_objects(COLLECTION, &q, with_json).await.unwrap().items.len();
            }
            line += &format!("  {place} {:>9.2?} ({items} items)", start.elapsed() / rounds);
        }
        println!("{line}");
    }

    // added_after in the middle of the collection.
    let middle = store
        .query_objects(COLLECTION, &ObjectQuery { next: Some(PageCursor(first_seq + (total / 2) as i64)), ..ObjectQuery::all(1) }, false)
        .await
        .unwrap();
    let q = ObjectQuery { added_after: Some(middle.items[0].date_added.clone()), ..ObjectQuery::all(1000) };
    let start = Instant::now();
    let got = store.query_objects(COLLECTION, &q, true).await.unwrap();
    println!("added_after middle, last, json, limit 1000: {:.2?} ({} items)", start.elapsed(), got.items.len());
    drop(dir);
}
