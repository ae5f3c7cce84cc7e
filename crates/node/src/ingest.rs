//! Ingest: storing a stream of STIX objects (a bundle file of any size, or the objects of a
//! TAXII POST) into a collection, in batches, each batch one transaction.
//!
//! Reading and validating run on a blocking thread while the previous batch is being written,
//! so parsing and storage overlap; memory holds at most a few batches, whatever the input size.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::bundle::{BundleError, BundleItem, read_objects};
use pacific_core::{StixObject, ValidationError};
use pacific_store::{AddOutcome, Store};

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
    Batch(Vec<StixObject>),
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
    let parser = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        let result = read_objects(reader, |item| {
            match item {
                BundleItem::Valid(object) => {
                    batch.push(match default_tlp {
                        Some(tlp) => object.with_default_tlp(tlp),
                        None => object,
                    });
                    if batch.len() == BATCH_SIZE {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_SIZE));
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
                match store.add_objects(collection_id, &objects).await {
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
