//! Rough performance figures, not run by default (no timing is asserted):
//!
//! ```text
//! PACIFIC_BENCH_VERSIONS=1000000 cargo test -p pacific-store --test integration throughput:: -- --ignored --nocapture
//! ```
//!
//! Adds batches of 1,000 small indicators to a file database (a fifth of them later get a
//! second version), then times pages at the start, middle and end of the collection.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use pacific_core::taxii::{ObjectQuery, PageCursor, VersionSelector};
use pacific_store::Store;

const BATCH: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn add_and_page_throughput() {
    let total: usize = std::env::var("PACIFIC_BENCH_VERSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
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
        "add_objects (each version also appended to the log): {added} versions in {:.2?}: {:.0} objects/s (batches of {BATCH})",
        add_time,
        added as f64 / add_time.as_secs_f64()
    );
    let stats = store.stats().await.unwrap();
    println!(
        "stats: {stats:?} ({:.0} bytes/version)",
        stats.size_bytes as f64 / stats.object_versions as f64
    );

    let seqs = store
        .query_objects(
            COLLECTION,
            &ObjectQuery {
                versions: vec![VersionSelector::All],
                ..ObjectQuery::all(1)
            },
            false,
        )
        .await
        .unwrap();
    let first_seq = seqs.items[0].seq;
    for (what, versions, types, with_json, limit) in [
        (
            "last, metadata",
            vec![VersionSelector::Last],
            vec![],
            false,
            100,
        ),
        ("last, json", vec![VersionSelector::Last], vec![], true, 100),
        (
            "last, json",
            vec![VersionSelector::Last],
            vec![],
            true,
            1000,
        ),
        ("all, json", vec![VersionSelector::All], vec![], true, 1000),
        (
            "first, metadata",
            vec![VersionSelector::First],
            vec![],
            false,
            1000,
        ),
        (
            "first+last, json",
            vec![VersionSelector::First, VersionSelector::Last],
            vec![],
            true,
            1000,
        ),
        (
            "type indicator, last, json",
            vec![VersionSelector::Last],
            vec!["indicator".to_owned()],
            true,
            1000,
        ),
    ] {
        let mut line = format!("{what:28} limit {limit:5}:");
        for (place, offset) in [
            ("start", 0),
            ("middle", total / 2),
            ("end", total - total / 100),
        ] {
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
                items = store
                    .query_objects(COLLECTION, &q, with_json)
                    .await
                    .unwrap()
                    .items
                    .len();
            }
            line += &format!(
                "  {place} {:>9.2?} ({items} items)",
                start.elapsed() / rounds
            );
        }
        println!("{line}");
    }

    // added_after in the middle of the collection.
    let middle = store
        .query_objects(
            COLLECTION,
            &ObjectQuery {
                next: Some(PageCursor(first_seq + (total / 2) as i64)),
                ..ObjectQuery::all(1)
            },
            false,
        )
        .await
        .unwrap();
    let q = ObjectQuery {
        added_after: Some(middle.items[0].date_added.clone()),
        ..ObjectQuery::all(1000)
    };
    let start = Instant::now();
    let got = store.query_objects(COLLECTION, &q, true).await.unwrap();
    println!(
        "added_after middle, last, json, limit 1000: {:.2?} ({} items)",
        start.elapsed(),
        got.items.len()
    );
    // Every version above was appended to the transparency log in its add_objects transaction.
    assert_eq!(store.log_size().await.unwrap(), total as u64);
    drop(dir);
}

/// Log appends alone, batched in transactions of 1,000 (`append_log_entries`), then one per
/// transaction; then proof times at that size.
///
/// ```text
/// PACIFIC_BENCH_APPENDS=1000000 cargo test -p pacific-store --release --test integration throughput::log_append -- --ignored --nocapture
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn log_append_throughput() {
    use pacific_tlog::entry::{Act, Entry};
    let (dir, store) = store().await;
    let total: u64 = std::env::var("PACIFIC_BENCH_APPENDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500_000);
    let entry = |i: u64| {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&i.to_be_bytes());
        Entry::new(
            1_700_000_000_000 + i,
            "bench",
            Act::PolicyChanged { policy_sha256: h },
        )
        .unwrap()
    };
    let mut el = Duration::ZERO;
    let mut i = 0;
    while i < total {
        let batch: Vec<_> = (i..(i + BATCH as u64).min(total)).map(entry).collect();
        let start = Instant::now();
        store.append_log_entries(&batch).await.unwrap();
        el += start.elapsed();
        i += batch.len() as u64;
    }
    println!(
        "append_log_entries: {total} entries in {el:.2?}: {:.0} appends/s (batches of {BATCH})",
        total as f64 / el.as_secs_f64()
    );
    let n = 2_000u64;
    let start = Instant::now();
    for j in 0..n {
        store.append_log_entry(&entry(total + j)).await.unwrap();
    }
    let el = start.elapsed();
    println!(
        "append_log_entry: {n} single-entry transactions in {el:.2?}: {:.0} appends/s",
        n as f64 / el.as_secs_f64()
    );
    let size = store.log_size().await.unwrap();
    let rounds = 1000u64;
    let start = Instant::now();
    for k in 0..rounds {
        store
            .log_inclusion_proof(k * (size / rounds), size)
            .await
            .unwrap();
    }
    println!(
        "log inclusion proof at {size} entries: {:.2?} each",
        start.elapsed() / rounds as u32
    );
    let start = Instant::now();
    for k in 1..=rounds {
        store
            .log_consistency_proof(k * (size / rounds) - 1, size)
            .await
            .unwrap();
    }
    println!(
        "log consistency proof at {size} entries: {:.2?} each",
        start.elapsed() / rounds as u32
    );
    drop(dir);
}
