//! The TAXII 2.1 collections as a service: which collections a principal may see and use,
//! pages of objects through the policy gate for a peer, deleting, and adding objects with a
//! status resource completed in the background (and awaited for a bounded time, so small and
//! medium POSTs are answered complete). It knows nothing of HTTP: the TAXII API
//! (`crate::http::taxii`) parses requests, calls it and renders TAXII JSON.

use std::sync::Arc;
use std::time::Duration;

use pacific_core::access::Right;
use pacific_core::taxii::{ObjectQuery, Status, StatusDetail, StatusState, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_store::search::{ObjectSearch, SearchPage};
use pacific_store::{AddOutcome, Collection, Page, SignedProvenance, Store, StoreError};
use serde_json::Value;

use crate::federation::Federation;
use crate::matching::MatchService;
use crate::metrics::Metrics;
use crate::principal::{Principal, collection_rights};

/// Why a TAXII request was not served.
#[derive(Debug, thiserror::Error)]
pub enum TaxiiError {
    #[error("collection {0} not found")]
    UnknownCollection(String),
    #[error("object {object} in collection {collection} not found")]
    UnknownObject { object: String, collection: String },
    #[error("status {0} not found")]
    UnknownStatus(String),
    /// The principal may not do this with the collection.
    #[error("{who} may not {action}")]
    Forbidden { who: String, action: String },
    /// More objects in one POST than the node takes.
    #[error(
        "{got} objects in one request; this node takes at most {limit} (post them in several requests)"
    )]
    TooManyObjects { got: usize, limit: usize },
    /// Objects of this type are made only by a service of this node (cooperation acts).
    #[error("{0}")]
    ServiceOwned(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of versions as the principal may see it: for a peer, only what the gate lets go,
/// with each kept version's provenance and origin signature.
pub struct GatedPage {
    pub page: Page,
    pub provenance: Option<Vec<Option<SignedProvenance>>>,
}

/// The collections of this node, for TAXII.
pub struct Collections {
    store: Arc<dyn Store>,
    federation: Arc<Federation>,
    matching: Arc<MatchService>,
    metrics: Arc<Metrics>,
}

/// The bounds of one TAXII POST (`[server]` in `pacific.toml`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_objects_per_post: usize,
    pub max_status_failures: usize,
    /// How long a POST waits for its objects to be stored before answering the status as it
    /// stands (zero: answer `pending` at once).
    pub post_wait: Duration,
}

impl From<&crate::config::ServerConfig> for Limits {
    fn from(server: &crate::config::ServerConfig) -> Self {
        Self {
            max_objects_per_post: server.max_objects_per_post,
            max_status_failures: server.max_status_failures,
            post_wait: Duration::from_millis(server.post_wait_millis),
        }
    }
}

impl Collections {
    pub fn new(
        store: Arc<dyn Store>,
        federation: Arc<Federation>,
        matching: Arc<MatchService>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            federation,
            matching,
            metrics,
        }
    }

    /// A status resource.
    pub async fn status(&self, id: &str) -> Result<Status, TaxiiError> {
        self.store
            .status(id)
            .await?
            .ok_or_else(|| TaxiiError::UnknownStatus(id.to_owned()))
    }

    /// The collection `key` (id or alias), if `who` has `right` on it.
    pub async fn collection(
        &self,
        who: &Principal,
        key: &str,
        right: Right,
    ) -> Result<Collection, TaxiiError> {
        let (collection, can_read, can_write) = self.with_rights(who, key).await?;
        let allowed = match right {
            Right::Read => can_read,
            Right::Write => can_write,
        };
        if !allowed {
            let action = match right {
                Right::Read => "read",
                Right::Write => "write to",
            };
            return Err(TaxiiError::Forbidden {
                who: who.actor(),
                action: format!("{action} collection {}", collection.id),
            });
        }
        Ok(collection)
    }

    /// The collection `key` with what `who` may read and write, or `None` when there is none.
    pub async fn lookup(
        &self,
        who: &Principal,
        key: &str,
    ) -> Result<Option<(Collection, bool, bool)>, TaxiiError> {
        match self.with_rights(who, key).await {
            Ok(found) => Ok(Some(found)),
            Err(TaxiiError::UnknownCollection(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The collection `key` with what `who` may do with it, if anything.
    pub async fn visible(
        &self,
        who: &Principal,
        key: &str,
    ) -> Result<(Collection, bool, bool), TaxiiError> {
        let (c, r, w) = self.with_rights(who, key).await?;
        if !(r || w) {
            return Err(TaxiiError::Forbidden {
                who: who.actor(),
                action: format!("see collection {}", c.id),
            });
        }
        Ok((c, r, w))
    }

    /// Every collection `who` may read or write, with its rights.
    pub async fn listed(
        &self,
        who: &Principal,
    ) -> Result<Vec<(Collection, bool, bool)>, TaxiiError> {
        let mut listed = Vec::new();
        for c in self.store.collections().await? {
            let (r, w) = collection_rights(self.store.as_ref(), who, &c.id).await?;
            if r || w {
                listed.push((c, r, w));
            }
        }
        Ok(listed)
    }

    async fn with_rights(
        &self,
        who: &Principal,
        key: &str,
    ) -> Result<(Collection, bool, bool), TaxiiError> {
        let c = crate::find_collection(self.store.as_ref(), key)
            .await?
            .ok_or_else(|| TaxiiError::UnknownCollection(key.to_owned()))?;
        let (r, w) = collection_rights(self.store.as_ref(), who, &c.id).await?;
        Ok((c, r, w))
    }

    /// One page of `query` in `c` as `who` may see it: a peer's pass the policy gate (path
    /// `taxii-get`), and then always carry their JSON, which the gate reads.
    pub async fn page(
        &self,
        who: &Principal,
        c: &Collection,
        query: &ObjectQuery,
        with_json: bool,
    ) -> Result<GatedPage, TaxiiError> {
        let Some(peer) = who.peer() else {
            let page = self.store.query_objects(&c.id, query, with_json).await?;
            return Ok(GatedPage {
                page,
                provenance: None,
            });
        };
        let mut page = self.store.query_objects(&c.id, query, true).await?;
        let kept = self
            .federation
            .filter_for_peer(peer.as_str(), c, std::mem::take(&mut page.items))
            .await?;
        let mut provenance = Vec::with_capacity(kept.len());
        for (item, signed) in kept {
            provenance.push(signed);
            page.items.push(item);
        }
        Ok(GatedPage {
            page,
            provenance: Some(provenance),
        })
    }

    /// A user's search of a collection's latest versions (the dashboard's objects page), the
    /// collection read as `who` may: [`Collections::collection`] with [`Right::Read`] first. A
    /// peer never searches: what a peer reads passes the policy gate page by page.
    pub async fn search(
        &self,
        who: &Principal,
        c: &Collection,
        search: &ObjectSearch,
    ) -> Result<SearchPage, TaxiiError> {
        if who.peer().is_some() {
            return Err(TaxiiError::Forbidden {
                who: who.actor(),
                action: format!("search collection {}", c.id),
            });
        }
        Ok(self.store.search_objects(&c.id, search).await?)
    }

    /// For a peer's page: each version's origin and origin signature (`x_pacific_origins`).
    pub fn origins(&self, gated: &GatedPage) -> Option<Vec<(String, String)>> {
        let provenance = gated.provenance.as_ref()?;
        Some(
            gated
                .page
                .items
                .iter()
                .zip(provenance)
                .map(|(item, signed)| self.federation.origin_for_peer(item, signed.as_ref()))
                .collect(),
        )
    }

    /// A page of `query` for one object in `c` as `who` may see it; 404 when its first page is
    /// empty: always for a peer (it learns nothing of objects the gate holds back, not even
    /// that they exist), otherwise unless the collection holds some version of the object (its
    /// filters merely matched none).
    pub async fn object_page(
        &self,
        who: &Principal,
        c: &Collection,
        object_id: &str,
        query: &ObjectQuery,
        with_json: bool,
    ) -> Result<GatedPage, TaxiiError> {
        let gated = self.page(who, c, query, with_json).await?;
        if !gated.page.items.is_empty() || query.next.is_some() {
            return Ok(gated);
        }
        if who.peer().is_some() {
            return Err(unknown_object(c, object_id));
        }
        self.require_object(c, object_id).await?;
        Ok(gated)
    }

    /// 404 unless the collection holds some version of the object.
    async fn require_object(&self, c: &Collection, object_id: &str) -> Result<(), TaxiiError> {
        let mut any = ObjectQuery::all(1);
        any.ids = vec![object_id.to_owned()];
        any.versions = vec![VersionSelector::All];
        if self
            .store
            .query_objects(&c.id, &any, false)
            .await?
            .items
            .is_empty()
        {
            return Err(unknown_object(c, object_id));
        }
        Ok(())
    }

    /// Deletes the versions of `object_id` in `c` that `query` selects, for `who` (logged as
    /// theirs, one `object-deleted` entry per version); tells the matching index what went. Objects a service owns are never deleted here.
    pub async fn delete(
        &self,
        who: &Principal,
        c: &Collection,
        object_id: &str,
        query: &ObjectQuery,
    ) -> Result<u64, TaxiiError> {
        let object_type = object_id.split_once("--").map_or("", |(t, _)| t);
        if crate::is_service_owned_type(object_type) {
            return Err(TaxiiError::ServiceOwned(service_owned(object_id)));
        }
        self.require_object(c, object_id).await?;
        // One `object-deleted` log entry per deleted version, by `who`, in the same transaction.
        let deleted = self
            .store
            .delete_object_as(&who.actor(), &c.id, object_id, query)
            .await?;
        tracing::info!(user = %who, collection = %c.id, object = %object_id, deleted, "object deleted");
        // The matching index follows new versions only: tell it what went.
        if deleted > 0
            && let Err(e) = self.matching.objects_deleted(&[object_id]).await
        {
            tracing::warn!(error = %e, object = %object_id, "matching index not updated yet after a delete; retried on its next refresh");
        }
        Ok(deleted)
    }

    /// Completes the status resources left `pending` by a node that stopped (or crashed) while
    /// storing their objects: each pending object is a success if its version is stored in some
    /// collection, else a failure to post again. Returns how many statuses were completed.
    pub async fn complete_interrupted(&self) -> Result<usize, TaxiiError> {
        let pending = self.store.pending_statuses().await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let collections = self.store.collections().await?;
        let completed = pending.len();
        for mut status in pending {
            let details = std::mem::take(&mut status.pendings);
            let stored = self.stored_versions(&collections, &details).await?;
            for detail in details {
                let was_stored = stored.contains(&(detail.id.clone(), String::new()))
                    && (detail.version.is_empty()
                        || stored.contains(&(detail.id.clone(), detail.version.clone())));
                if was_stored {
                    status.successes.push(StatusDetail {
                        message: Some("stored before the node stopped".to_owned()),
                        ..detail
                    });
                } else {
                    status.failures.push(StatusDetail {
                        message: Some(
                            "not stored: the node stopped before storing it; post it again"
                                .to_owned(),
                        ),
                        ..detail
                    });
                }
            }
            status.success_count = status.successes.len() as u64;
            status.failure_count = status.total_count.saturating_sub(status.success_count);
            status.pending_count = 0;
            status.status = StatusState::Complete;
            self.store.put_status(&status).await?;
            tracing::warn!(status = %status.id, stored = status.success_count, failed = status.failure_count, "completed a status left pending by a stop");
        }
        Ok(completed)
    }

    /// Which of `details`' objects are stored in any of `collections`: `(id, "")` for each
    /// stored id and `(id, version)` for each stored version, asked a few hundred ids at a time.
    async fn stored_versions(
        &self,
        collections: &[Collection],
        details: &[StatusDetail],
    ) -> Result<std::collections::HashSet<(String, String)>, TaxiiError> {
        let mut stored = std::collections::HashSet::new();
        let ids: Vec<String> = details.iter().map(|d| d.id.clone()).collect();
        for chunk in ids.chunks(500) {
            for c in collections {
                let mut query = ObjectQuery::all(1000);
                query.ids = chunk.to_vec();
                query.versions = vec![VersionSelector::All];
                loop {
                    let page = self.store.query_objects(&c.id, &query, false).await?;
                    for v in page.items {
                        stored.insert((v.id.clone(), String::new()));
                        stored.insert((v.id, v.version.as_str().to_owned()));
                    }
                    match page.next {
                        Some(next) => query.next = Some(next),
                        None => break,
                    }
                }
            }
        }
        Ok(stored)
    }

    /// Adds `items` (a TAXII envelope's objects, at most `limits` allow) to `c` for `who`:
    /// validates each now, records a status resource pending for the valid ones and stores
    /// them in the background; waits up to `limits.post_wait` for that and answers the status
    /// as it then stands: complete with its counts, or still pending (completed in the
    /// background; a node stopped meanwhile completes it at its next start). Objects a service
    /// owns are refused per object; past `limits`, failures are counted, not listed.
    pub async fn add(
        &self,
        who: &Principal,
        c: &Collection,
        items: Vec<Value>,
        limits: Limits,
    ) -> Result<Status, TaxiiError> {
        let Limits {
            max_objects_per_post,
            max_status_failures,
            post_wait,
        } = limits;
        if items.len() > max_objects_per_post {
            return Err(TaxiiError::TooManyObjects {
                got: items.len(),
                limit: max_objects_per_post,
            });
        }
        let mut valid = Vec::with_capacity(items.len());
        let mut failures = Vec::new();
        // Failures past the bound are only counted, from the first one not listed.
        let mut unlisted: Option<(usize, u64)> = None;
        for (index, item) in items.into_iter().enumerate() {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let version = item
                .get("modified")
                .or_else(|| item.get("created"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let owned = crate::is_service_owned(&item);
            let parsed = if owned {
                Err(service_owned(&id))
            } else {
                StixObject::from_value(item).map_err(|e| e.to_string())
            };
            match parsed {
                Ok(object) => valid.push(object),
                Err(_) if failures.len() >= max_status_failures => {
                    unlisted.get_or_insert((index, 0)).1 += 1;
                }
                Err(e) => failures.push(StatusDetail {
                    id: if id.is_empty() {
                        format!("objects[{index}]")
                    } else {
                        id
                    },
                    version,
                    message: Some(e),
                }),
            }
        }
        let failure_count = failures.len() as u64 + unlisted.map_or(0, |(_, n)| n);
        if let Some((first, n)) = unlisted {
            failures.push(StatusDetail {
                id: format!("objects[{first}..]"),
                version: String::new(),
                message: Some(format!(
                    "{n} more objects from index {first} were not valid either (only the first {max_status_failures} failures are listed)"
                )),
            });
        }
        let pendings: Vec<StatusDetail> = valid
            .iter()
            .map(|o| StatusDetail {
                id: o.id().to_owned(),
                version: version_text(o),
                message: None,
            })
            .collect();
        let status = Status {
            id: crate::new_uuid(),
            status: if pendings.is_empty() {
                StatusState::Complete
            } else {
                StatusState::Pending
            },
            request_timestamp: Timestamp::now(),
            total_count: pendings.len() as u64 + failure_count,
            success_count: 0,
            successes: Vec::new(),
            failure_count,
            failures,
            pending_count: pendings.len() as u64,
            pendings,
        };
        // Recorded pending before anything is stored, so a node stopped while storing finds it
        // at its next start (`complete_interrupted`).
        self.store.put_status(&status).await?;
        tracing::info!(user = %who, collection = %c.id, "objects posted");
        if valid.is_empty() {
            return Ok(status);
        }
        // Stored by a task of its own, which goes on if the wait below ends first or the
        // client goes away (dropping its handle detaches it).
        let storing = tokio::spawn(complete_add(
            Arc::clone(&self.store),
            Arc::clone(&self.metrics),
            c.id.clone(),
            valid,
            status.clone(),
        ));
        if post_wait.is_zero() {
            return Ok(status);
        }
        match tokio::time::timeout(post_wait, storing).await {
            Ok(Ok(completed)) => Ok(completed),
            Ok(Err(e)) => {
                tracing::error!(error = %e, status = %status.id, "storing posted objects stopped; the status stays pending until the next start");
                Ok(status)
            }
            Err(_) => Ok(status),
        }
    }
}

fn unknown_object(c: &Collection, object_id: &str) -> TaxiiError {
    TaxiiError::UnknownObject {
        object: object_id.to_owned(),
        collection: c.id.clone(),
    }
}

/// Why an object of a service-owned type (`crate::is_service_owned`) is refused.
fn service_owned(id: &str) -> String {
    format!(
        "{id}: cooperation acts and records, governance acts and compliance reports are made only by the node's services (the /coop and /gov APIs, for a user whose role allows the command), never added or deleted over TAXII"
    )
}

fn version_text(o: &StixObject) -> String {
    o.version()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default()
}

/// Background half of a POST: stores the objects, completes the status resource and returns
/// it as recorded.
async fn complete_add(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    collection_id: String,
    objects: Vec<StixObject>,
    mut status: Status,
) -> Status {
    let started = std::time::Instant::now();
    let result = crate::ingest::store_in_batches(store.as_ref(), &collection_id, &objects).await;
    let pendings = std::mem::take(&mut status.pendings);
    let listed_before = status.failures.len() as u64;
    match result {
        Ok(outcomes) => {
            for (detail, outcome) in pendings.into_iter().zip(outcomes) {
                let message = match outcome {
                    AddOutcome::Added { .. } => None,
                    AddOutcome::AlreadyPresent => {
                        Some("this version was already in the collection".to_owned())
                    }
                };
                status.successes.push(StatusDetail { message, ..detail });
            }
            metrics.record_ingest(objects.len() as u64, started.elapsed());
        }
        Err(e) => {
            tracing::error!(error = %e, collection = %collection_id, "storing posted objects failed");
            for detail in pendings {
                status.failures.push(StatusDetail {
                    message: Some(format!("not stored: {e}")),
                    ..detail
                });
            }
        }
    }
    status.success_count = status.successes.len() as u64;
    // The validation failures counted but not listed stay counted.
    status.failure_count += status.failures.len() as u64 - listed_before;
    status.pending_count = 0;
    status.status = StatusState::Complete;
    if let Err(e) = store.put_status(&status).await {
        tracing::error!(error = %e, status = %status.id, "cannot record a status resource");
    }
    status
}
