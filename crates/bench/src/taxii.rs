//! `bench taxii`: pages of 1,000 objects served over TAXII at growing collection sizes.

use std::path::Path;
use std::time::{Duration, Instant};

use pacific_core::StixObject;
use pacific_core::access::Role;
use pacific_core::taxii::PageCursor;
use pacific_node::{Node, NodeError};
use pacific_testkit::Servers;

use crate::generate::Generator;
use crate::ingest::bench_dir;
use crate::peak_rss;

/// `bench taxii`'s options.
pub struct TaxiiOptions {
    /// Collection sizes to measure at.
    pub sizes: Vec<usize>,
    /// Pages fetched at each size.
    pub pages: usize,
    /// Concurrent client connections.
    pub connections: usize,
}

/// Serves a node at `root` on loopback and fetches pages from it as its collection grows.
pub async fn taxii(root: &Path, options: &TaxiiOptions) -> Result<(), NodeError> {
    let TaxiiOptions {
        ref sizes,
        pages,
        connections,
    } = *options;
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
    let mut servers = Servers::new();
    servers.serve_on(node, listener);
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
    let _ = tokio::time::timeout(Duration::from_secs(10), servers.stop()).await;
    Ok(())
}
