//! Ingest: storing a stream of STIX objects (a bundle file of any size, or the objects of a
//! TAXII POST) into a collection, in batches, each batch one transaction.
//!
//! Reading and validating run on a blocking thread while the previous batch is being written,
//! so parsing and storage overlap; memory holds at most a few batches, whatever the input size.
//! That thread also serialises each object to the text the store keeps and hashes it
//! ([`PreparedObject`]), and frees the batches once stored, so the writer's thread does
//! little but the database's work.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::bundle::{BundleError, BundleItem, read_objects};
use pacific_core::{StixObject, ValidationError};
use pacific_store::{AddOutcome, PreparedObject, Store};

use crate::NodeError;

/// Objects per store transaction. Larger transactions write each touched index page (object
/// ids are random, so a batch touches pages all over the id index) and commit once per batch;
/// 5,000 measured cheaper than 1,000 (less WAL written and checkpointed), but doubled peak
/// memory; 2,000 keeps most of the gain. Memory holds
/// at most a few batches (the channel below), so this bounds it too.
pub const BATCH_SIZE: usize = 2000;

/// How an ingest went.
#[derive(Clone, Debug, Default)]
pub struct IngestReport {
    pub bundle_id: Option<String>,
    /// New versions stored.
    pub stored: u64,
    /// Versions the collection already held (nothing changed).
    pub already_present: u64,
    /// Objects rejected, with their position in the input and the reason.
    pub invalid: Vec<(usize, ValidationError)>,
    pub took: Duration,
}

impl IngestReport {
    pub fn objects_per_second(&self) -> f64 {
        let n = (self.stored + self.already_present + self.invalid.len() as u64) as f64;
        if self.took.is_zero() {
            0.0
        } else {
            n / self.took.as_secs_f64()
        }
    }

    fn count(&mut self, outcomes: &[AddOutcome]) {
        for outcome in outcomes {
            match outcome {
                AddOutcome::Added { .. } => self.stored += 1,
                AddOutcome::AlreadyPresent => self.already_present += 1,
            }
        }
    }
}

/// Progress of a running ingest, reported after each batch.
#[derive(Clone, Copy, Debug)]
pub struct IngestProgress {
    pub objects_read: u64,
    pub invalid: u64,
}

/// The parser's sink error when the writer side has stopped (after a store error).
const STOPPED: &str = "ingest stopped";

enum Message {
    Batch(Vec<PreparedObject>),
    Invalid(usize, ValidationError),
}

/// Streams a STIX bundle (or TAXII envelope) from `reader` into a collection.
///
/// Valid objects are stored even when others are invalid; each invalid one is reported.
/// Malformed JSON stops the ingest with an error, after storing the objects before it. With
/// `default_tlp`, objects that arrive without a TLP marking are marked that level
/// ([`StixObject::with_default_tlp`]).
pub async fn ingest_reader<R: Read + Send + 'static>(
    store: Arc<dyn Store>,
    collection_id: &str,
    reader: R,
    default_tlp: Option<pacific_core::tlp::Tlp>,
    mut progress: impl FnMut(IngestProgress) + Send,
) -> Result<IngestReport, NodeError> {
    if store.collection(collection_id).await?.is_none() {
        return Err(NodeError::Setup(format!(
            "no collection with id {collection_id:?} (see `pacific collection list`)"
        )));
    }
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Message>(4);
    // Stored batches go back to the parsing thread, which frees them (and reuses their
    // allocation): freeing thousands of parsed objects is not the writer's work.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<PreparedObject>>();
    let parser = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        let result = read_objects(reader, |item| {
            match item {
                BundleItem::Valid(object) => {
                    let object = match default_tlp {
                        Some(tlp) => object.with_default_tlp(tlp),
                        None => object,
                    };
                    // The stored text and its hash, computed here rather than by the writer.
                    batch.push(PreparedObject::new(object));
                    if batch.len() == BATCH_SIZE {
                        let mut next = None;
                        while let Ok(mut stored) = done_rx.try_recv() {
                            stored.clear();
                            next = Some(stored);
                        }
                        let next = next.unwrap_or_else(|| Vec::with_capacity(BATCH_SIZE));
                        let full = std::mem::replace(&mut batch, next);
                        tx.blocking_send(Message::Batch(full))
                            .map_err(|_| STOPPED)?;
                    }
                }
                BundleItem::Invalid { index, error } => tx
                    .blocking_send(Message::Invalid(index, error))
                    .map_err(|_| STOPPED)?,
            }
            Ok::<(), &'static str>(())
        });
        if !batch.is_empty() {
            let _ = tx.blocking_send(Message::Batch(batch));
        }
        result
    });

    let mut report = IngestReport::default();
    let mut read = 0u64;
    let mut store_error = None;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(objects) => {
                read += objects.len() as u64;
                let added = store.add_prepared_objects(collection_id, &objects).await;
                // Back to the parser to be freed; if it has finished, freed here.
                let _ = done_tx.send(objects);
                match added {
                    Ok(outcomes) => report.count(&outcomes),
                    Err(e) => {
                        store_error = Some(e);
                        break;
                    }
                }
            }
            Message::Invalid(index, error) => {
                read += 1;
                report.invalid.push((index, error));
            }
        }
        progress(IngestProgress {
            objects_read: read,
            invalid: report.invalid.len() as u64,
        });
    }
    drop(rx);
    let parsed = parser
        .await
        .map_err(|e| NodeError::Setup(format!("the bundle reader failed: {e}")))?;
    if let Some(e) = store_error {
        return Err(e.into());
    }
    match parsed {
        Ok(summary) => report.bundle_id = summary.bundle_id,
        Err(BundleError::Sink(_)) => {}
        Err(e) => {
            return Err(NodeError::Input(format!(
                "{e} (after {read} objects; {} stored before the error are kept)",
                report.stored
            )));
        }
    }
    report.took = started.elapsed();
    Ok(report)
}

/// Stores already-validated objects in batches; returns one outcome per object, in order.
pub async fn store_in_batches(
    store: &dyn Store,
    collection_id: &str,
    objects: &[StixObject],
) -> Result<Vec<AddOutcome>, NodeError> {
    let mut outcomes = Vec::with_capacity(objects.len());
    for chunk in objects.chunks(BATCH_SIZE) {
        outcomes.extend(store.add_objects(collection_id, chunk).await?);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacific_core::taxii::{ObjectQuery, VersionSelector};
    use pacific_store::{Collection, SqliteStore};

    const COLLECTION: &str = "6a2b7a3c-8f0e-4d51-9b1c-2f4e5d6a7b8c";

    fn ipv4(n: usize) -> String {
        format!(
            r#"{{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-{n:012x}","value":"10.{}.{}.{}"}}"#,
            (n >> 16) & 255,
            (n >> 8) & 255,
            n & 255
        )
    }

    async fn store() -> Arc<dyn Store> {
        let store = SqliteStore::open_in_memory().await.unwrap();
        store
            .create_collection(&Collection {
                id: COLLECTION.into(),
                title: "t".into(),
                description: None,
                alias: None,
            })
            .await
            .unwrap();
        Arc::new(store)
    }

    async fn stored_ids(store: &dyn Store) -> Vec<String> {
        let mut ids = Vec::new();
        let mut query = ObjectQuery {
            versions: vec![VersionSelector::All],
            ..ObjectQuery::all(1000)
        };
        loop {
            let page = store
                .query_objects(COLLECTION, &query, false)
                .await
                .unwrap();
            ids.extend(page.items.into_iter().map(|v| v.id));
            match page.next {
                Some(next) => query.next = Some(next),
                None => return ids,
            }
        }
    }

    /// Several batches (so stored batches go back to the parser and are reused), invalid
    /// objects among them, then malformed JSON: every valid object before it is stored, once
    /// and logged, each invalid one is reported at its position, and the error says so.
    #[tokio::test]
    async fn objects_before_malformed_json_are_kept_across_batches() {
        let store = store().await;
        let valid = 3 * BATCH_SIZE + 7;
        let mut elements: Vec<String> = (0..valid).map(ipv4).collect();
        elements.insert(5, r#"{"type":"ipv4-addr","id":"ipv4-addr--bad"}"#.into());
        elements.insert(BATCH_SIZE + 11, "42".into());
        let text = format!(
            r#"{{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{},{{"type":"#,
            elements.join(",")
        );
        let mut progress = Vec::new();
        let result = ingest_reader(
            Arc::clone(&store),
            COLLECTION,
            std::io::Cursor::new(text.into_bytes()),
            None,
            |p| progress.push(p.objects_read),
        )
        .await;
        match result {
            Err(NodeError::Input(message)) => {
                assert!(message.contains("malformed JSON"), "{message}");
                assert!(message.contains(&format!("{valid} stored")), "{message}");
            }
            other => panic!("expected malformed JSON, got {other:?}"),
        }
        let mut ids = stored_ids(store.as_ref()).await;
        assert_eq!(ids.len(), valid);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), valid);
        assert_eq!(store.log_size().await.unwrap(), valid as u64);
        assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
        assert_eq!(progress.last().copied(), Some(valid as u64 + 2));
    }

    /// A complete bundle: counts, positions of the invalid objects, and a second ingest of the
    /// same bundle stores nothing new.
    #[tokio::test]
    async fn a_bundle_ingested_twice_is_stored_once() {
        let store = store().await;
        let mut elements: Vec<String> = (0..BATCH_SIZE + 3).map(ipv4).collect();
        elements.insert(BATCH_SIZE, "[]".into());
        let text = format!(r#"{{"objects":[{}]}}"#, elements.join(","));
        for round in 0..2 {
            let report = ingest_reader(
                Arc::clone(&store),
                COLLECTION,
                std::io::Cursor::new(text.clone().into_bytes()),
                None,
                |_| {},
            )
            .await
            .unwrap();
            let (stored, present) = if round == 0 {
                (BATCH_SIZE as u64 + 3, 0)
            } else {
                (0, BATCH_SIZE as u64 + 3)
            };
            assert_eq!((report.stored, report.already_present), (stored, present));
            let positions: Vec<usize> = report.invalid.iter().map(|(i, _)| *i).collect();
            assert_eq!(positions, [BATCH_SIZE]);
        }
        assert_eq!(store.log_size().await.unwrap(), BATCH_SIZE as u64 + 3);
    }
}
