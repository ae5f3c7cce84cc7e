//! Matching in the node (issue 6): the node's active indicators compiled into one
//! [`SharedIndex`] kept current while it matches, event streams matched against it
//! (`POST /match`, `pacific match`), and what a match leaves behind — a STIX `sighting` per
//! indicator, daily statistics (`GET /match/stats`) and, on a critical-infrastructure asset,
//! an `incident`.
//!
//! - **Loading.** [`MatchService::refresh`] follows the store's versions of `indicator` and
//!   `relationship` objects by `seq` ([`Store::versions_of_types_after`]), all collections,
//!   from 0 at start and from its cursor afterwards: every version is upserted into the index
//!   (a newer version replaces an older one, a revoked version takes the indicator out), and
//!   `indicates` relationships from indicators to `malware`/`campaign` are remembered for the
//!   statistics. The node runs it every 500 ms ([`spawn_follower`]) and before every
//!   `POST /match`, so indicators arriving from peers are matched without a restart; the
//!   writer takes the index's lock per page of 1000 versions, and matchers let it in between
//!   batches of events. Deleting versions does not move that feed, so the TAXII delete hands
//!   the deleted ids to [`MatchService::objects_deleted`]: under the same lock, each id is
//!   forgotten and the latest version left in any collection (if any) applied again, which is
//!   what a restart would load. Ids whose re-reading fails stay pending for the next refresh.
//! - **Snapshot.** A data directory's service starts from `<data>/match-index.snap` (the
//!   index, catalog and report as of a `seq`, see [`snapshot`]) when it is whole and still true
//!   of the store, then follows the feed from that `seq`; otherwise it loads from the store and
//!   [`MatchService::save_snapshot`] writes one (`pacific match` after such a load, the
//!   follower after [`SNAPSHOT_AFTER_VERSIONS`] versions, at most every [`SNAPSHOT_EVERY`]).
//! - **Sightings.** One STIX 2.1 `sighting` per (indicator, this party), with a stable id
//!   derived from both; every batch of matches stores a new version of it in the `sightings`
//!   collection (`count` accumulates, `modified` advances, `first_seen`/`last_seen` widen),
//!   through `Store::add_objects`, so the transparency log records it and the federation
//!   outbox offers it to peers through the policy gate. It carries this party's marking
//!   (`[matching] marking`, TLP:AMBER by default) and, when `share_sightings_with_producer`
//!   is set and the indicator came from a peer, `x_pacific_recipients = [origin]`: the gate then
//!   lets it go back to the indicator's producer and to nobody else.
//! - **Statistics.** Per UTC day of the event (its time, else now): matches by `indicator`,
//!   `kill-chain-phase`, `malware`, `campaign`, `sector` (of the affected asset; `unknown`
//!   without one) and `shared-by` (the indicator's origin party, or `local`).
//! - **Assets and incidents.** `<data>/assets.toml` maps address ranges to sectors
//!   ([`Assets`]). A match of an event with an address in an asset of a critical sector
//!   ([`CRITICAL_SECTORS`]) raises one STIX `incident` per (asset, indicator, day) in the
//!   `incidents` collection, a warning in the log, and a [`MatchEvent::Incident`] on
//!   [`MatchService::subscribe`] (the cooperation hotline follows the stored incident instead, so that one another process records is alerted alike). The incident keeps
//!   what the event carries (`x_pacific_` + `asset`, `sector`, `indicator`, `value`, `day`
//!   and, for a received indicator, `indicator_origin`), so [`MatchEvent::from_incident`]
//!   gives the event back to whoever missed it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use pacific_core::policy::{PartyId, parse_tlp_name};
use pacific_core::taxii::ObjectQuery;
use pacific_core::{StixObject, Timestamp};
use pacific_match::{
    CompileReport, Event, IndicatorId, InputOptions, InputStats, Interrupt, Match, Matcher,
    SharedIndex, Stopped, Validity, Window,
};
use pacific_store::{Collection, FederationStore, MatchInput, MatchStat, Store, StoredVersion};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::NodeError;
use crate::config::Config;

/// The asset inventory's file name in the data directory.
pub const ASSETS_FILE: &str = "assets.toml";
/// Alias of the collection sightings are stored in (created when first needed).
pub const SIGHTINGS_ALIAS: &str = "sightings";
/// Alias of the collection incidents are stored in (created when first needed).
pub const INCIDENTS_ALIAS: &str = "incidents";
/// Every sector an asset may have: the critical ones, then `other`.
pub const SECTORS: [&str; 8] = [
    "energy",
    "finance",
    "telecom",
    "transport",
    "health",
    "water",
    "government",
    "other",
];
/// Sectors whose assets raise an incident when matched: all but `other`.
pub const CRITICAL_SECTORS: &[&str] = SECTORS.split_at(SECTORS.len() - 1).0;
/// The statistics' dimensions.
pub const DIMENSIONS: [&str; 6] = [
    "indicator",
    "kill-chain-phase",
    "malware",
    "campaign",
    "sector",
    "shared-by",
];
/// Versions read per page when following the store.
const PAGE: usize = 1000;
/// The types of the store's versions the index follows.
const FOLLOWED_TYPES: &[&str] = &["indicator", "relationship"];
/// The serving node writes the index snapshot after at least this many versions were applied
/// since the last one (or since loading)…
const SNAPSHOT_AFTER_VERSIONS: usize = 10_000;
/// … and at most this often.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(60);
/// STIX caps `count` at 999 999 999.
const MAX_COUNT: u64 = 999_999_999;

mod assets;
mod catalog;
mod digest;
mod record;
pub use record::{InputRecording, RECORD_LOCK_FILE};
mod run;
mod snapshot;
pub use snapshot::SNAPSHOT_FILE;

pub use digest::{Digesting, InputDigest};

pub use assets::{Asset, Assets};
use catalog::*;
use run::*;
pub use run::{MatchSample, Recorded, Run, Tally};

// ---------------------------------------------------------------------------------------------
// Settings, events

/// What the service needs from the configuration.
#[derive(Clone, Debug)]
pub struct MatchSettings {
    /// This party's id.
    pub party: PartyId,
    /// The marking-definition id put on sightings and incidents.
    pub marking: &'static str,
    pub share_sightings_with_producer: bool,
    /// Send an abuse notice to whoever the registry names for an incident's address.
    pub abuse_notices: bool,
    pub max_line_bytes: usize,
}

impl MatchSettings {
    pub fn from_config(config: &Config) -> Result<Self, NodeError> {
        let tlp = parse_tlp_name(&config.matching.marking).ok_or_else(|| {
            NodeError::Setup(format!(
                "matching.marking {:?} is not a TLP level",
                config.matching.marking
            ))
        })?;
        Ok(Self {
            party: crate::federation::local_party(config).id,
            marking: tlp.marking_id(),
            share_sightings_with_producer: config.matching.share_sightings_with_producer,
            abuse_notices: config.matching.abuse_notices,
            max_line_bytes: config.matching.max_line_bytes,
        })
    }
}

/// Something matching did that others may act on (e.g. the cooperation hotline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchEvent {
    /// A match on a critical-infrastructure asset raised an incident (once per asset,
    /// indicator and day).
    Incident {
        /// The STIX `incident` object's id, in the `incidents` collection.
        incident_id: String,
        asset: String,
        sector: String,
        indicator_id: String,
        /// The party the indicator came from, if it was received.
        indicator_origin: Option<String>,
        /// The observed value that matched.
        value: String,
        day: String,
    },
}

impl MatchEvent {
    /// The STIX `incident` object's id.
    pub fn incident_id(&self) -> &str {
        let MatchEvent::Incident { incident_id, .. } = self;
        incident_id
    }

    /// The [`MatchEvent::Incident`] a stored `incident` (as [`MatchService::record`] writes it)
    /// was raised with, so that one stored while nobody listened can still be acted on.
    /// Incidents written before `x_pacific_value`, `x_pacific_day` and
    /// `x_pacific_indicator_origin` existed read with the value unknown, the day of their
    /// creation and no origin (the caller may look up the indicator's provenance). `None` for
    /// an object that is not such an incident.
    pub fn from_incident(object: &Value) -> Option<Self> {
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        if object.get("type").and_then(Value::as_str) != Some("incident") {
            return None;
        }
        let day = text("x_pacific_day")
            .or_else(|| text("created").and_then(|c| c.get(..10).map(str::to_owned)))?;
        Some(MatchEvent::Incident {
            incident_id: text("id")?,
            asset: text("x_pacific_asset")?,
            sector: text("x_pacific_sector")?,
            indicator_id: text("x_pacific_indicator")?,
            indicator_origin: text("x_pacific_indicator_origin"),
            value: text("x_pacific_value").unwrap_or_else(|| "an observed value".to_owned()),
            day,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The service

/// The node's matching: the index, what is known of each indicator, the asset inventory, and
/// the recording of sightings, statistics and incidents.
pub struct MatchService {
    store: Arc<dyn Store>,
    federation: Option<Arc<dyn FederationStore>>,
    index: SharedIndex,
    catalog: RwLock<Catalog>,
    assets: Assets,
    settings: MatchSettings,
    /// The last `seq` applied, behind the lock that serialises refreshes.
    cursor: tokio::sync::Mutex<i64>,
    /// Ids of indicators and relationships some of whose versions were deleted, not yet
    /// re-read (taken out under the cursor's lock).
    deleted: Mutex<HashSet<String>>,
    /// What loading did, cumulatively.
    report: Mutex<CompileReport>,
    /// Serialises recording, so concurrent runs never lose a sighting's count.
    record: tokio::sync::Mutex<Option<(String, String)>>,
    /// A file locked while recording (`<data>/match-record.lock`), so that another process
    /// recording into the same data directory (`pacific match --record` beside a running
    /// node) waits too: a sighting's count is read, added to and written back.
    record_lock: Option<std::path::PathBuf>,
    /// Incidents known to exist (asset, indicator, day).
    incidents: Mutex<HashSet<String>>,
    /// `<data>/match-index.snap` when the service belongs to a data directory.
    snapshot_path: Option<std::path::PathBuf>,
    /// What the index snapshot needs to know of the state held.
    snap: Mutex<SnapState>,
    events: tokio::sync::broadcast::Sender<MatchEvent>,
    /// What became of the runs over streams ([`MatchService::match_stream`]), for /metrics.
    runs: RunCounters,
    /// Who answers for a matched address or domain, named in incidents and abuse notices: set
    /// by [`MatchService::open`] when there is a federation store (claims count by who
    /// published them), with this node's marks file. The node serves the same registry.
    registry: Option<Arc<crate::registry::Registry>>,
}

/// Where the state held stands against the index snapshot.
#[derive(Default)]
struct SnapState {
    /// The store's count of deleted versions when the state was loaded (from the store or a
    /// snapshot): a snapshot is written only while the store's count is still this, since a
    /// deletion after it may not be reflected yet. `None`: unknown, no snapshot is written.
    versions_deleted: Option<i64>,
    /// Versions applied since the state was last the same as a snapshot's.
    applied_since: usize,
    /// Whether some snapshot holds the state as loaded (it was loaded from one, or written).
    covered: bool,
    /// When this service last wrote one.
    saved_at: Option<Instant>,
    /// How the index was loaded at open, said by [`MatchService::load_source`].
    source: String,
}

/// Runs over streams: running now, and how many ended on a bound or a client gone.
#[derive(Default)]
struct RunCounters {
    active: AtomicU64,
    cancelled: AtomicU64,
    timed_out: AtomicU64,
    too_large: AtomicU64,
}

/// Why a run's [`Interrupt`] was raised.
const CAUSE_NONE: u8 = 0;
const CAUSE_CANCELLED: u8 = 1;
const CAUSE_TIMED_OUT: u8 = 2;

/// Raises a run's interrupt as cancelled when dropped (the caller went away) unless a cause was
/// given before, and stops the run's deadline.
struct StopOnDrop {
    interrupt: Interrupt,
    cause: Arc<AtomicU8>,
    deadline: tokio::task::JoinHandle<()>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.deadline.abort();
        let _ = self.cause.compare_exchange(
            CAUSE_NONE,
            CAUSE_CANCELLED,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        self.interrupt.interrupt();
    }
}

impl MatchService {
    /// A service with an empty index; [`MatchService::refresh`] loads it.
    pub fn new(
        store: Arc<dyn Store>,
        federation: Option<Arc<dyn FederationStore>>,
        assets: Assets,
        settings: MatchSettings,
    ) -> Self {
        let (events, _) = tokio::sync::broadcast::channel(1024);
        Self {
            store,
            federation,
            registry: None,
            index: SharedIndex::default(),
            catalog: RwLock::default(),
            assets,
            settings,
            cursor: tokio::sync::Mutex::new(0),
            deleted: Mutex::default(),
            report: Mutex::default(),
            record: tokio::sync::Mutex::new(None),
            record_lock: None,
            incidents: Mutex::default(),
            snapshot_path: None,
            snap: Mutex::default(),
            events,
            runs: RunCounters::default(),
        }
    }

    /// Runs over streams (`POST /match`), in the Prometheus text format: running now, and
    /// those stopped because their client went away, their time ran out or their input was too
    /// large.
    pub fn render_metrics(&self) -> String {
        let r = &self.runs;
        let mut out = String::new();
        for (name, help, kind, value) in [
            (
                "pacific_match_runs_active",
                "Match runs over a stream in progress.",
                "gauge",
                &r.active,
            ),
            (
                "pacific_match_runs_cancelled_total",
                "Match runs stopped because their client went away.",
                "counter",
                &r.cancelled,
            ),
            (
                "pacific_match_runs_timed_out_total",
                "Match runs stopped at matching.max_run_secs.",
                "counter",
                &r.timed_out,
            ),
            (
                "pacific_match_runs_too_large_total",
                "Match runs stopped at matching.max_input_bytes.",
                "counter",
                &r.too_large,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }

    /// The service of a node: settings from `config`, assets from `<root>/assets.toml`, every
    /// indicator in the store loaded.
    pub async fn open(
        root: &Path,
        config: &Config,
        store: Arc<dyn Store>,
        federation: Option<Arc<dyn FederationStore>>,
    ) -> Result<Arc<Self>, NodeError> {
        Self::open_with_progress(root, config, store, federation, |_| {}).await
    }

    /// [`MatchService::open`], calling `progress` with the number of versions read so far as
    /// the index loads ([`MatchService::refresh_with_progress`]).
    pub async fn open_with_progress(
        root: &Path,
        config: &Config,
        store: Arc<dyn Store>,
        federation: Option<Arc<dyn FederationStore>>,
        progress: impl FnMut(usize),
    ) -> Result<Arc<Self>, NodeError> {
        let mut service = Self::new(
            store,
            federation,
            Assets::load(root)?,
            MatchSettings::from_config(config)?,
        );
        service.record_lock = Some(root.join(RECORD_LOCK_FILE));
        if let Some(federation) = &service.federation {
            service.registry = Some(crate::registry::Registry::with_marks_file(
                service.settings.party.clone(),
                Arc::clone(federation),
                Arc::clone(&service.store),
                root.join(crate::registry::MARKS_FILE),
            )?);
        }
        service.snapshot_path = Some(root.join(SNAPSHOT_FILE));
        let service = Arc::new(service);
        service.load_snapshot().await;
        service.refresh_with_progress(progress).await?;
        Ok(service)
    }

    /// How the index was loaded at open: from the snapshot (and at which `seq`), or from the
    /// store and why the snapshot was not used.
    pub fn load_source(&self) -> String {
        self.snap_state().source.clone()
    }

    fn snap_state(&self) -> std::sync::MutexGuard<'_, SnapState> {
        self.snap
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads the index, catalog and report from `<data>/match-index.snap` when it is usable
    /// (see [`snapshot`]); otherwise logs why, and the refresh that follows loads from the
    /// store. Either way, notes the store's count of deleted versions the state reflects.
    async fn load_snapshot(&self) {
        let Some(path) = &self.snapshot_path else {
            return;
        };
        let started = Instant::now();
        let refused = match self.read_snapshot(path).await {
            Ok((cursor, phases)) => {
                let mut snap = self.snap_state();
                snap.source = format!(
                    "snapshot at seq {cursor}, taken in {:.3} s: {phases}",
                    started.elapsed().as_secs_f64()
                );
                tracing::debug!(source = %snap.source, "matching index loaded from its snapshot");
                return;
            }
            Err(snapshot::Refused::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                "store (no snapshot)".to_owned()
            }
            Err(e @ snapshot::Refused::Stale(_)) => {
                tracing::debug!(path = %path.display(), reason = %e, "index snapshot not used");
                format!("store (snapshot not used: {e})")
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), reason = %e, "index snapshot ignored");
                format!("store (snapshot ignored: {e})")
            }
        };
        let deleted = self.store.feed_state(0).await.map(|s| s.versions_deleted);
        let mut snap = self.snap_state();
        snap.source = refused;
        snap.versions_deleted = deleted.ok();
    }

    /// Reads the snapshot and, when it is usable, takes its state; returns its cursor and
    /// how long each step took.
    async fn read_snapshot(&self, path: &Path) -> Result<(i64, String), snapshot::Refused> {
        use snapshot::Refused::Stale;
        let mut t = Instant::now();
        let mut lap = || {
            let s = t.elapsed().as_secs_f64();
            t = Instant::now();
            s
        };
        let bytes = tokio::fs::read(path).await?;
        let read = lap();
        let (header, body) = snapshot::open(&bytes)?;
        let checked = lap();
        let state = self
            .store
            .feed_state(header.cursor)
            .await
            .map_err(|e| Stale(format!("the store's state cannot be read: {e}")))?;
        if state.instance != header.instance {
            return Err(Stale("taken of another database".into()));
        }
        if state.versions_deleted != header.versions_deleted {
            return Err(Stale(format!(
                "versions were deleted since it was taken ({} then, {} now)",
                header.versions_deleted, state.versions_deleted
            )));
        }
        if header.cursor > state.last_seq || state.at_seq != header.at_cursor {
            return Err(Stale(format!(
                "the store's version at seq {} is not the one it was taken at",
                header.cursor
            )));
        }
        if header.party != self.settings.party.as_str()
            || header.federation != self.federation.is_some()
        {
            return Err(Stale(
                "taken for another party or federation setting".into(),
            ));
        }
        let versions_deleted = header.versions_deleted;
        let store = lap();
        let (snap, index_secs) = snapshot::read_body(header, body)?;
        let decoded = lap();
        let mut cursor = self.cursor.lock().await;
        *self.index.write() = snap.index;
        *self
            .catalog
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = snap.catalog;
        *self
            .report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = snap.report;
        *cursor = snap.header.cursor;
        let mut state = self.snap_state();
        state.versions_deleted = Some(versions_deleted);
        state.applied_since = 0;
        state.covered = true;
        let phases = format!(
            "{:.1} MB read in {read:.3} s, checksum {checked:.3} s, store checked {store:.3} s, \
             index built {index_secs:.3} s, the rest {:.3} s",
            bytes.len() as f64 / 1e6,
            decoded - index_secs
        );
        Ok((*cursor, phases))
    }

    /// Whether writing the snapshot is worth it: the state is known, and no snapshot holds it
    /// yet or `min_versions` were applied since one did.
    pub fn snapshot_due(&self, min_versions: usize) -> bool {
        let s = self.snap_state();
        self.snapshot_path.is_some()
            && s.versions_deleted.is_some()
            && ((!s.covered && s.applied_since > 0) || s.applied_since >= min_versions.max(1))
    }

    /// Writes the snapshot of the state held (atomically: a reader sees the old file or the new
    /// one) and returns its size in bytes; `None` when it would not be exact: versions were
    /// deleted since the state was loaded (the next load from the store writes one), or the
    /// service has no data directory.
    pub async fn save_snapshot(&self) -> Result<Option<usize>, NodeError> {
        let Some(path) = self.snapshot_path.clone() else {
            return Ok(None);
        };
        let bytes = {
            let cursor = self.cursor.lock().await;
            let Some(deleted) = self.snap_state().versions_deleted else {
                return Ok(None);
            };
            let state = self.store.feed_state(*cursor).await?;
            if state.versions_deleted != deleted {
                tracing::debug!(
                    "index snapshot not written: versions were deleted since the index loaded"
                );
                return Ok(None);
            }
            let header = snapshot::Header {
                instance: state.instance,
                versions_deleted: deleted,
                cursor: *cursor,
                at_cursor: state.at_seq,
                party: self.settings.party.as_str().to_owned(),
                federation: self.federation.is_some(),
            };
            let report = self.report();
            let index = self.index.read();
            let catalog = self
                .catalog
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let bytes = snapshot::encode(&header, &report, &index, &catalog);
            let mut s = self.snap_state();
            s.applied_since = 0;
            s.covered = true;
            s.saved_at = Some(Instant::now());
            bytes
        };
        let len = bytes.len();
        tokio::task::spawn_blocking(move || snapshot::write_atomically(&path, &bytes))
            .await
            .map_err(|e| NodeError::Setup(format!("writing the index snapshot stopped: {e}")))?
            .map_err(|e| NodeError::Setup(format!("writing the index snapshot: {e}")))?;
        Ok(Some(len))
    }

    pub fn index(&self) -> &SharedIndex {
        &self.index
    }

    /// The jurisdiction registry matching consults (none without a federation store).
    pub fn registry(&self) -> Option<&Arc<crate::registry::Registry>> {
        self.registry.as_ref()
    }

    pub fn assets(&self) -> &Assets {
        &self.assets
    }

    pub fn settings(&self) -> &MatchSettings {
        &self.settings
    }

    /// What loading indicators did since start (compiled, replaced, revoked, not compiled).
    pub fn report(&self) -> CompileReport {
        self.report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Matches from now on that others in this process may act on ([`MatchEvent::Incident`]).
    /// The cooperation hotline reads the stored incidents instead, which another process's
    /// recording (`pacific match --record`) also writes.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<MatchEvent> {
        self.events.subscribe()
    }

    /// Applies every indicator and relationship version stored since the last call; returns
    /// how many versions were read.
    pub async fn refresh(&self) -> Result<usize, NodeError> {
        self.refresh_with_progress(|_| {}).await
    }

    /// [`MatchService::refresh`], calling `progress` with the number of versions read so far
    /// after each page (for a caller showing a long load).
    ///
    /// Versions are read in one ordered scan of the store's feed with their origin joined
    /// ([`Store::match_feed_after`]), the next page read while this one is compiled.
    pub async fn refresh_with_progress(
        &self,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, NodeError> {
        let mut cursor = self.cursor.lock().await;
        // Deletions first; if they cannot be re-read now, new versions are still followed.
        let deleted = self.apply_deleted().await;
        let mut read = 0;
        let fetch = |after: i64| {
            let store = Arc::clone(&self.store);
            tokio::spawn(async move { store.match_feed_after(FOLLOWED_TYPES, after, PAGE).await })
        };
        let mut next = Some(fetch(*cursor));
        let local = self.settings.party.as_str();
        // One shared name per origin party, not one per indicator.
        let mut parties: HashMap<String, Arc<str>> = HashMap::new();
        while let Some(pending) = next.take() {
            let page = pending
                .await
                .map_err(|e| NodeError::Setup(format!("reading indicators stopped: {e}")))??;
            let Some(last) = page.last() else { break };
            let last_seq = last.seq;
            let full = page.len() == PAGE;
            if full {
                next = Some(fetch(last_seq));
            }
            read += page.len();
            let mut report = CompileReport::default();
            {
                let mut index = self.index.write();
                let mut catalog = self
                    .catalog
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for v in &page {
                    let origin = match (&self.federation, &v.origin) {
                        (Some(_), Some(o)) if o.as_str() != local && v.type_name == "indicator" => {
                            Some(Arc::clone(
                                parties
                                    .entry(o.clone())
                                    .or_insert_with(|| Arc::from(o.as_str())),
                            ))
                        }
                        _ => None,
                    };
                    apply_version(
                        &mut index,
                        &mut catalog,
                        VersionToApply {
                            id: &v.id,
                            type_name: &v.type_name,
                            version_us: v.version_us,
                            json: &v.json,
                            origin,
                        },
                        &mut report,
                    );
                }
            }
            self.add_report(report);
            *cursor = last_seq;
            self.snap_state().applied_since += page.len();
            progress(read);
        }
        deleted.map(|()| read)
    }

    /// The origin party of each indicator among `versions` that came from a peer (none
    /// without federation; a local indicator has no origin entry).
    async fn peer_origins<'v>(
        &self,
        versions: impl Iterator<Item = &'v StoredVersion>,
    ) -> Result<HashMap<String, Arc<str>>, NodeError> {
        let Some(f) = &self.federation else {
            return Ok(HashMap::new());
        };
        let ids: Vec<&str> = versions
            .filter(|v| v.type_name == "indicator")
            .map(|v| v.id.as_str())
            .collect();
        let local = self.settings.party.as_str();
        Ok(f.origins_and_held(&ids)
            .await?
            .origins
            .into_iter()
            .filter(|(_, o)| o.as_str() != local)
            .map(|(id, o)| (id, Arc::from(o.as_str())))
            .collect())
    }

    /// Tells the index that some versions of these objects were deleted from the store (the
    /// feed [`MatchService::refresh`] follows only grows, so it never shows a deletion). Each
    /// indicator or relationship among them is forgotten and its latest remaining version, in
    /// any collection, applied again; other types are ignored. Done before this returns,
    /// serialised with refreshes; on an error the ids stay pending and the next refresh (the
    /// follower's, or a `POST /match`'s) takes them up again.
    pub async fn objects_deleted(&self, ids: &[&str]) -> Result<(), NodeError> {
        let followed: Vec<String> = ids
            .iter()
            .filter(|id| id.starts_with("indicator--") || id.starts_with("relationship--"))
            .map(|id| (*id).to_owned())
            .collect();
        if followed.is_empty() {
            return Ok(());
        }
        self.deleted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(followed);
        let _cursor = self.cursor.lock().await;
        self.apply_deleted().await
    }

    /// Re-reads the pending deleted ids. Called with the cursor's lock held, so that no
    /// refresh applies an older read of the store after this one.
    async fn apply_deleted(&self) -> Result<(), NodeError> {
        let ids: Vec<String> = std::mem::take(
            &mut *self
                .deleted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let outcome = self.reload(&ids).await;
        if outcome.is_err() {
            self.deleted
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(ids);
        }
        outcome
    }

    /// Forgets `ids` and applies the latest version of each left in any collection, in
    /// `seq` order, as loading from scratch would.
    async fn reload(&self, ids: &[String]) -> Result<(), NodeError> {
        let mut remaining: Vec<StoredVersion> = Vec::new();
        for collection in self.store.collections().await? {
            for chunk in ids.chunks(100) {
                let mut q = ObjectQuery::all(PAGE);
                q.ids = chunk.to_vec();
                loop {
                    let page = self.store.query_objects(&collection.id, &q, true).await?;
                    remaining.extend(page.items);
                    match page.next {
                        Some(next) => q.next = Some(next),
                        None => break,
                    }
                }
            }
        }
        remaining.sort_by_key(|v| v.seq);
        let origins = self.peer_origins(remaining.iter()).await?;
        let mut report = CompileReport::default();
        {
            let mut index = self.index.write();
            let mut catalog = self
                .catalog
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in ids {
                if id.starts_with("relationship--") {
                    catalog.forget_relationship(id);
                } else if let Some(uuid) = IndicatorId::parse(id) {
                    index.forget(id);
                    catalog.meta.remove(&uuid.0);
                }
            }
            for v in &remaining {
                let Ok(value) = serde_json::from_str::<Value>(&v.json) else {
                    continue;
                };
                if v.type_name == "relationship" {
                    catalog.relationship(&value, v.version.unix_micros());
                } else if v.type_name == "indicator" {
                    let origin = origins.get(&v.id).cloned();
                    apply_indicator(&mut index, &mut catalog, v, &value, origin, &mut report);
                }
            }
        }
        self.add_report(report);
        Ok(())
    }

    fn add_report(&self, report: CompileReport) {
        for r in &report.rejected {
            tracing::debug!(indicator = %r.id, reason = %r.reason, "indicator not compiled");
        }
        let mut total = self
            .report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        total.added += report.added;
        total.replaced += report.replaced;
        total.unchanged += report.unchanged;
        total.revoked += report.revoked;
        total.rejected.extend(report.rejected);
        let excess = total.rejected.len().saturating_sub(1000);
        total.rejected.drain(..excess);
    }

    /// A run over one input, matched at `now` (Unix microseconds) when events have no time.
    pub fn run(&self, now: i64, sample_limit: usize) -> Run<'_> {
        Run {
            service: self,
            now,
            tally: Tally::default(),
            last_take: Instant::now(),
            matched_events: 0,
            matches: 0,
            samples: Vec::new(),
            sample_limit,
            window: Window::Valid,
            validity: Validity::default(),
        }
    }

    /// Reads `input` to the end on this thread, matching every event: `on_match` sees each
    /// match, `on_tally` each batch of them summed (the last one included). Index updates get
    /// in before every read from `input` (which may block) and between batches of events.
    pub fn match_reader<R: Read>(
        &self,
        input: R,
        opts: &InputOptions,
        run: &mut Run<'_>,
        mut on_match: impl FnMut(&Event<'_>, &Match),
        mut on_tally: impl FnMut(Tally),
    ) -> std::io::Result<InputStats> {
        let matcher = RefCell::new(self.index.matcher());
        let reader = Releasing {
            inner: input,
            matcher: &matcher,
        };
        let mut out = Vec::new();
        let (now, window) = (run.now, run.window);
        let stats = pacific_match::read_events(reader, opts, |event| {
            out.clear();
            matcher.borrow_mut().match_event_counted(
                event,
                now,
                window,
                &mut out,
                &mut run.validity,
            );
            for m in &out {
                on_match(event, m);
            }
            run.observe(event, &out);
            if let Some(t) = run.take_if_due() {
                matcher.borrow_mut().release();
                on_tally(t);
            }
        });
        matcher.borrow_mut().release();
        let last = run.finish();
        if !last.is_empty() {
            on_tally(last);
        }
        stats
    }
}

/// A reader that lets index writers in before a read that may block.
struct Releasing<'a, 'i, R> {
    inner: R,
    matcher: &'a RefCell<Matcher<'i>>,
}

impl<R: Read> Read for Releasing<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Ok(mut m) = self.matcher.try_borrow_mut() {
            m.release();
        }
        self.inner.read(buf)
    }
}

/// Follows the store while the node serves, so indicators arriving from peers or over TAXII
/// are matched without a restart: when the database changed, at most every 500 ms (a failed
/// refresh is tried again 500 ms later without waiting for a change).
pub fn spawn_follower(service: Arc<MatchService>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failing = false;
        let mut changes = service.store.changes();
        loop {
            changes.borrow_and_update();
            match service.refresh().await {
                Ok(_) => {
                    failing = false;
                    let due = service.snapshot_due(SNAPSHOT_AFTER_VERSIONS)
                        && service
                            .snap_state()
                            .saved_at
                            .is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY);
                    if due && let Err(e) = service.save_snapshot().await {
                        tracing::warn!(error = %e, "cannot write the index snapshot");
                    }
                }
                Err(e) if !failing => {
                    failing = true;
                    tracing::error!(error = %e, "cannot follow new indicators");
                }
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if !failing {
                crate::changed_or(&mut changes, Duration::from_secs(60)).await;
            }
        }
    })
}

/// The day part of a STIX timestamp or `YYYY-MM-DD`, checked.
pub fn parse_day(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    ok.then(|| s.to_owned())
}

/// Today (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    day_of(Timestamp::now().unix_micros())
}

/// Why a match run over a stream failed.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The indicators could not be loaded.
    #[error("loading indicators: {0}")]
    Indicators(String),
    /// The input could not be read at all (a bad gzip stream, say).
    #[error("cannot read the input: {0}")]
    Input(String),
    /// The input has more than `limit` bytes after decompression (`matching.max_input_bytes`).
    #[error(
        "the input is larger than {limit} bytes (after decompression); matches before that were recorded"
    )]
    InputTooLarge { limit: u64 },
    /// The run took longer than `secs` seconds (`matching.max_run_secs`).
    #[error(
        "matching took longer than {secs} s and was stopped; matches before that were recorded"
    )]
    TimeExceeded { secs: u64 },
    /// The matching task died, or recording its results failed.
    #[error("{0}")]
    Internal(String),
}

/// What one match run over a stream found and recorded (`POST /match` answers it as JSON).
#[derive(Debug, Serialize)]
pub struct MatchReport {
    pub format: Option<String>,
    pub gzip: bool,
    pub lines: u64,
    pub bytes: u64,
    pub events: u64,
    pub observables: u64,
    pub matched_events: u64,
    pub matches: u64,
    pub malformed: u64,
    pub oversized: u64,
    pub errors: Vec<Value>,
    pub read_error: Option<String>,
    pub indicators: usize,
    /// `valid` (events matched within each indicator's validity) or `retro` (also before its
    /// `valid_from`).
    pub window: &'static str,
    /// Candidate matches not made, by reason: `before_valid_from`, `after_valid_until`,
    /// `revoked`.
    pub skipped: Value,
    /// Matches of events dated before the indicator's `valid_from` (retro only).
    pub retro_matches: u64,
    pub sightings: Value,
    pub incidents: u64,
    /// The input's SHA-256, whether this run recorded it, and when it was recorded before.
    pub input: Value,
    pub sample: Vec<MatchSample>,
}

/// How a run over a stream matches and records ([`MatchService::match_stream`]).
#[derive(Clone, Debug)]
pub struct StreamRun {
    /// Matches listed in the report.
    pub sample_limit: usize,
    /// The run is stopped after this long.
    pub max_run: Duration,
    pub window: Window,
    /// Record an input recorded before all the same.
    pub force: bool,
}

/// The JSON of a run's [`Validity`] skips.
pub fn skipped_json(v: &Validity) -> Value {
    json!({
        "before_valid_from": v.before_valid_from,
        "after_valid_until": v.after_valid_until,
        "revoked": v.revoked,
    })
}

impl MatchService {
    /// The daily statistics of days `from..=to` (`YYYY-MM-DD`), of one dimension or all, and
    /// how many indicators the index holds now.
    pub async fn stats(
        &self,
        from: &str,
        to: &str,
        dimension: Option<&str>,
    ) -> Result<(Vec<MatchStat>, usize), pacific_store::StoreError> {
        let stats = self.store.match_stats(from, to, dimension).await?;
        Ok((stats, self.index().read().len()))
    }

    /// Matches what `reader` yields (read on a blocking thread) against the indicators,
    /// refreshed first, recording sightings, statistics and incidents in batches as it goes.
    ///
    /// Bounded: reading stops at `opts.max_bytes` (after decompression; `InputTooLarge`) and
    /// after `max_run` (`TimeExceeded`), and when this future is dropped (its caller went away)
    /// the run stops within a buffer of input. `opts.interrupt`, if given, is the one raised
    /// (so a reader waiting for input can watch it too).
    pub async fn match_stream(
        self: &Arc<Self>,
        reader: impl Read + Send + 'static,
        mut opts: InputOptions,
        settings: StreamRun,
    ) -> Result<MatchReport, MatchError> {
        let StreamRun {
            sample_limit,
            max_run,
            window,
            force,
        } = settings;
        let interrupt = opts
            .interrupt
            .get_or_insert_with(Interrupt::default)
            .clone();
        let cause = Arc::new(AtomicU8::new(CAUSE_NONE));
        let _stop = StopOnDrop {
            interrupt: interrupt.clone(),
            cause: Arc::clone(&cause),
            deadline: tokio::spawn({
                let (interrupt, cause) = (interrupt.clone(), Arc::clone(&cause));
                async move {
                    tokio::time::sleep(max_run).await;
                    let _ = cause.compare_exchange(
                        CAUSE_NONE,
                        CAUSE_TIMED_OUT,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                    interrupt.interrupt();
                }
            }),
        };
        self.refresh()
            .await
            .map_err(|e| MatchError::Indicators(e.to_string()))?;
        let (tally_tx, mut tally_rx) = tokio::sync::mpsc::channel::<Tally>(4);
        let service = Arc::clone(self);
        let now = Timestamp::now().unix_micros();
        let worker_cause = Arc::clone(&cause);
        let worker = tokio::task::spawn_blocking(move || {
            let runs = &service.runs;
            runs.active.fetch_add(1, Ordering::Relaxed);
            let mut run = service.run(now, sample_limit);
            run.window = window;
            let mut reader = Digesting::new(reader);
            let stats = service.match_reader(
                &mut reader,
                &opts,
                &mut run,
                |_, _| {},
                |t| {
                    let _ = tally_tx.blocking_send(t);
                },
            );
            let stopped = stats.as_ref().ok().and_then(|s| s.stopped);
            let counter = match stopped {
                Some(Stopped::TooLarge { .. }) => Some(&runs.too_large),
                Some(Stopped::Interrupted) => match worker_cause.load(Ordering::Relaxed) {
                    CAUSE_TIMED_OUT => Some(&runs.timed_out),
                    _ => Some(&runs.cancelled),
                },
                None => None,
            };
            if let Some(counter) = counter {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            runs.active.fetch_sub(1, Ordering::Relaxed);
            (
                stats,
                run.matched_events,
                run.matches,
                std::mem::take(&mut run.samples),
                run.validity,
                reader.digest(),
            )
        });
        // The input's matches add up here and are recorded once it is read whole, when its
        // digest is known: the same input is recorded once unless forced.
        let mut tally = Tally::default();
        while let Some(t) = tally_rx.recv().await {
            tally.merge(t);
        }
        let (stats, matched_events, matches, samples, validity, digest) = worker
            .await
            .map_err(|e| MatchError::Internal(format!("matching stopped: {e}")))?;
        let whole = matches!(&stats, Ok(s) if s.stopped.is_none() && s.read_error.is_none());
        let recording = if whole {
            self.record_input(&digest, tally, force)
                .await
                .map_err(|e| MatchError::Internal(format!("recording matches: {e}")))?
        } else {
            // Stopped part way: what was matched is recorded, as the error says, but the input
            // is not noted (its digest is not the whole input's).
            let recorded = self
                .record(tally)
                .await
                .map_err(|e| MatchError::Internal(format!("recording matches: {e}")))?;
            InputRecording {
                sha256: digest.sha256.clone(),
                recorded: Some(recorded),
                previous: None,
            }
        };
        let stats = stats.map_err(|e| MatchError::Input(e.to_string()))?;
        match stats.stopped {
            Some(Stopped::TooLarge { limit }) => return Err(MatchError::InputTooLarge { limit }),
            Some(Stopped::Interrupted) => {
                return Err(MatchError::TimeExceeded {
                    secs: max_run.as_secs(),
                });
            }
            None => {}
        }
        let recorded = recording.recorded.clone().unwrap_or_default();
        Ok(MatchReport {
            format: stats.format.map(|f| f.to_string()),
            gzip: stats.gzip,
            lines: stats.lines,
            bytes: stats.bytes,
            events: stats.events,
            observables: stats.observables,
            matched_events,
            matches,
            malformed: stats.malformed,
            oversized: stats.oversized,
            errors: stats
                .errors
                .iter()
                .map(|e| json!({"line": e.line, "reason": e.reason}))
                .collect(),
            read_error: stats.read_error,
            indicators: self.index().read().len(),
            window: match window {
                Window::Valid => "valid",
                Window::Retro => "retro",
            },
            skipped: skipped_json(&validity),
            retro_matches: validity.retro_matches,
            sightings: json!({
                "created": recorded.sightings_created,
                "updated": recorded.sightings_updated,
            }),
            incidents: recorded.incidents,
            input: json!({
                "sha256": recording.sha256,
                "bytes": digest.bytes,
                "recorded": recording.recorded.is_some(),
                "recorded_before": recording.previous.as_ref().map(|p| p.recorded_at.as_str()),
            }),
            sample: samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacific_match::Index;

    #[test]
    fn the_critical_sectors_are_the_issues_seven() {
        assert_eq!(
            CRITICAL_SECTORS,
            [
                "energy",
                "finance",
                "telecom",
                "transport",
                "health",
                "water",
                "government"
            ]
        );
        assert!(!CRITICAL_SECTORS.contains(&"other"));
    }

    fn indicator_version(modified: &str, name: &str, phase: &str) -> (StoredVersion, Value) {
        let value = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--0e8b6d4a-3d52-4f0e-9c1a-6a2f3b4c5d6e",
            "created": "2026-01-01T00:00:00Z", "modified": modified, "name": name,
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": phase}]
        });
        let version = StoredVersion {
            seq: 1,
            id: value["id"].as_str().unwrap_or_default().to_owned(),
            version: Timestamp::parse(modified).expect("a timestamp"),
            date_added: Timestamp::parse(modified).expect("a timestamp"),
            spec_version: "2.1".into(),
            type_name: "indicator".into(),
            json: value.to_string(),
        };
        (version, value)
    }

    /// Loads `versions` in order through the single-pass path and through the whole-JSON one
    /// (what loading was before), and says what differs: compile reports, the catalog (names,
    /// phases, origins, targets) and the matches of `events` (JSON lines).
    fn both_paths_agree(versions: &[(String, &str, i64)], events: &str) {
        let now = Timestamp::parse("2026-06-01T00:00:00Z")
            .expect("a time")
            .unix_micros();
        let origin: Arc<str> = Arc::from("bravo");
        let mut fast = (Index::new(), Catalog::default(), CompileReport::default());
        let mut whole = (Index::new(), Catalog::default(), CompileReport::default());
        for (n, (json, type_name, version_us)) in versions.iter().enumerate() {
            let id = serde_json::from_str::<Value>(json)
                .ok()
                .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            let origin = (n % 3 == 0).then(|| Arc::clone(&origin));
            apply_version(
                &mut fast.0,
                &mut fast.1,
                VersionToApply {
                    id: &id,
                    type_name,
                    version_us: *version_us,
                    json,
                    origin: origin.clone(),
                },
                &mut fast.2,
            );
            let Ok(value) = serde_json::from_str::<Value>(json) else {
                continue;
            };
            if *type_name == "relationship" {
                whole.1.relationship(&value, *version_us);
                continue;
            }
            let stored = StoredVersion {
                seq: n as i64,
                id,
                version: Timestamp::now(),
                date_added: Timestamp::now(),
                spec_version: "2.1".into(),
                type_name: (*type_name).into(),
                json: json.clone(),
            };
            apply_indicator(
                &mut whole.0,
                &mut whole.1,
                &stored,
                &value,
                origin,
                &mut whole.2,
            );
        }
        assert_eq!(fast.2, whole.2, "the compile reports");
        assert_eq!(fast.0.len(), whole.0.len(), "indicators in the index");
        let sorted = |m: &catalog::FastMap<u128, IndicatorMeta>| {
            let mut v: Vec<_> = m.iter().map(|(k, m)| (*k, format!("{m:?}"))).collect();
            v.sort();
            v
        };
        assert_eq!(
            sorted(&fast.1.meta),
            sorted(&whole.1.meta),
            "the catalog's details"
        );
        assert_eq!(
            fast.1.targets, whole.1.targets,
            "the relationships' targets"
        );
        let matches = |index: &Index| {
            let mut all = Vec::new();
            let mut validity = Validity::default();
            pacific_match::read_events(events.as_bytes(), &InputOptions::default(), |event| {
                let mut out = Vec::new();
                index.match_event_counted(event, now, Window::Valid, &mut out, &mut validity);
                all.extend(out.into_iter().map(|m| (event.line, m.indicator)));
            })
            .expect("events read");
            (all, validity)
        };
        assert_eq!(matches(&fast.0), matches(&whole.0), "the matches");
    }

    /// Versions of a few indicators in a mixed order: newer, older and equal versions, revoked
    /// ones, patterns that do not parse or are not supported, fields of unexpected types,
    /// repeated fields, escaped strings, text that is not JSON, and relationships.
    fn mixed_versions(seed: u64) -> Vec<(String, &'static str, i64)> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |n: u64| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        };
        let patterns = [
            "[ipv4-addr:value = '198.51.100.1']",
            "[ipv4-addr:value = '198.51.100.2'] OR [domain-name:value = 'c2.example.net']",
            "[domain-name:value LIKE '%.example.org']",
            "[process:name = 'evil.exe']",
            "[ipv4-addr:value = ",
            "[url:value = 'https://a.example.com/\\u0041']",
        ];
        let mut out = Vec::new();
        for _ in 0..300 {
            let ind = next(6);
            let id = format!("indicator--00000000-0000-4000-8000-00000000000{ind}");
            let day = 1 + next(9);
            let pattern = serde_json::to_string(patterns[next(6) as usize]).expect("a string");
            let extra = match next(12) {
                0 => r#","revoked":true"#.to_owned(),
                1 => r#","revoked":"yes""#.to_owned(),
                2 => r#","name":"first","name":"second""#.to_owned(),
                3 => r#","name":"Grid \"C2\" \u00e9","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"discovery"},{"kill_chain_name":1}]"#.to_owned(),
                4 => r#","name":7,"kill_chain_phases":"none""#.to_owned(),
                5 => r#","valid_until":"2026-03-01T00:00:00Z""#.to_owned(),
                6 => r#","pattern_type":"sigma""#.to_owned(),
                7 => r#","modified":"not a time""#.to_owned(),
                _ => format!(r#","name":"v{day}","kill_chain_phases":[{{"kill_chain_name":"k","phase_name":"p{day}"}}]"#),
            };
            let json = match next(20) {
                0 => format!(r#"{{"type":"indicator","id":"{id}""#),
                1 => format!(
                    r#"{{"type":"relationship","id":"relationship--00000000-0000-4000-8000-00000000000{}","modified":"2026-01-0{day}T00:00:00Z","relationship_type":"indicates","source_ref":"{id}","target_ref":"malware--00000000-0000-4000-8000-000000000001"{}}}"#,
                    next(3),
                    if next(4) == 0 {
                        r#","revoked":true"#
                    } else {
                        ""
                    }
                ),
                2 => format!(r#"{{"type":"malware","id":"{id}","pattern":{pattern}}}"#),
                _ => format!(
                    r#"{{"type":"indicator","spec_version":"2.1","id":"{id}","created":"2026-01-01T00:00:00Z","modified":"2026-01-0{day}T00:00:00Z","pattern":{pattern},"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"{extra}}}"#
                ),
            };
            let type_name = if json.contains(r#""type":"relationship""#) {
                "relationship"
            } else {
                "indicator"
            };
            let version_us = Timestamp::parse(&format!("2026-01-0{day}T00:00:00Z"))
                .expect("a time")
                .unix_micros();
            out.push((json, type_name, version_us));
        }
        out
    }

    #[test]
    fn loading_in_one_pass_gives_the_index_and_catalog_that_parsing_whole_json_gave() {
        let events = [
            r#"{"dst_ip":"198.51.100.1"}"#,
            r#"{"dst_ip":"198.51.100.2","ts":"2026-05-01T00:00:00Z"}"#,
            r#"{"domain":"c2.example.net","ts":"2026-02-01T00:00:00Z"}"#,
            r#"{"domain":"a.example.org"}"#,
            r#"{"url":"https://a.example.com/A"}"#,
        ]
        .join("\n");
        for seed in 1..=40 {
            both_paths_agree(&mixed_versions(seed), &events);
        }
    }

    #[test]
    fn an_older_version_arriving_late_keeps_the_newer_ones_details() {
        let (mut index, mut catalog) = (Index::new(), Catalog::default());
        let mut report = CompileReport::default();
        let (newer, newer_value) =
            indicator_version("2026-03-01T00:00:00Z", "Grid C2 v2", "command-and-control");
        let (older, older_value) =
            indicator_version("2026-02-01T00:00:00Z", "Grid C2 v1", "discovery");
        apply_indicator(
            &mut index,
            &mut catalog,
            &newer,
            &newer_value,
            None,
            &mut report,
        );
        apply_indicator(
            &mut index,
            &mut catalog,
            &older,
            &older_value,
            None,
            &mut report,
        );
        let id = IndicatorId::parse(&newer.id)
            .map(|i| i.0)
            .unwrap_or_default();
        let meta = &catalog.meta[&id];
        assert_eq!(meta.name.as_deref(), Some("Grid C2 v2"));
        assert_eq!(&*meta.phases, ["mitre-attack:command-and-control".into()]);
    }

    #[test]
    fn a_stored_incident_gives_back_its_match_event_also_when_written_before_its_details() {
        let mut incident = json!({
            "type": "incident", "spec_version": "2.1", "id": "incident--1",
            "created": "2026-03-04T05:06:07.000Z", "modified": "2026-03-04T05:06:07.000Z",
            "name": "n", "x_pacific_asset": "grid", "x_pacific_sector": "energy",
            "x_pacific_indicator": "indicator--2",
        });
        let old = MatchEvent::from_incident(&incident);
        assert_eq!(
            old,
            Some(MatchEvent::Incident {
                incident_id: "incident--1".into(),
                asset: "grid".into(),
                sector: "energy".into(),
                indicator_id: "indicator--2".into(),
                indicator_origin: None,
                value: "an observed value".into(),
                day: "2026-03-04".into(),
            })
        );
        incident["x_pacific_value"] = json!("203.0.113.7");
        incident["x_pacific_day"] = json!("2026-03-03");
        incident["x_pacific_indicator_origin"] = json!("alpha");
        let Some(MatchEvent::Incident {
            value,
            day,
            indicator_origin,
            ..
        }) = MatchEvent::from_incident(&incident)
        else {
            panic!("not read");
        };
        assert_eq!(
            (value.as_str(), day.as_str(), indicator_origin.as_deref()),
            ("203.0.113.7", "2026-03-03", Some("alpha"))
        );
        incident.as_object_mut().unwrap().remove("x_pacific_asset");
        assert_eq!(MatchEvent::from_incident(&incident), None);
    }

    #[test]
    fn assets_pick_the_most_specific_range() {
        let a = Assets::parse(
            "[[assets]]\nname = \"grid\"\ncidr = \"10.0.0.0/8\"\nsector = \"energy\"\n\
             [[assets]]\nname = \"scada\"\ncidr = \"10.1.0.0/16\"\nsector = \"water\"\n\
             [[assets]]\nname = \"v6\"\ncidr = \"2001:db8::/32\"\nsector = \"other\"\n",
        )
        .unwrap();
        let name = |ip: &str| {
            a.lookup(ip.parse().unwrap())
                .map(|i| a.get(i).unwrap().name.clone())
        };
        assert_eq!(name("10.1.2.3").as_deref(), Some("scada"));
        assert_eq!(name("10.2.2.3").as_deref(), Some("grid"));
        assert_eq!(name("2001:db8::1").as_deref(), Some("v6"));
        assert_eq!(name("192.0.2.1"), None);
        assert!(
            Assets::parse("[[assets]]\nname = \"x\"\ncidr = \"10.0.0.0/8\"\nsector = \"bank\"\n")
                .is_err()
        );
        assert!(
            Assets::parse("[[assets]]\nname = \"x\"\ncidr = \"10.0.0.0/33\"\nsector = \"other\"\n")
                .is_err()
        );
    }

    #[test]
    fn days() {
        assert_eq!(parse_day("2026-03-01").as_deref(), Some("2026-03-01"));
        assert!(parse_day("2026-3-01").is_none());
        assert_eq!(day_of(0), "1970-01-01");
    }
}
