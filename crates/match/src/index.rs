//! The compiled index of active indicators, and matching events against it.
//!
//! Layout (aimed at < 300 bytes per indicator at a million indicators, and at a miss — by far
//! the common case — costing one hash probe per observable):
//! - Every indicator gets a `u32` *slot* holding its id (as a 128-bit UUID), version and
//!   validity window. Values are stored once, in per-kind hash maps (IPv4 as `u32`, IPv6 as
//!   `u128`, hashes as bytes, names as boxed strings) whose value is one packed `u64`
//!   *posting*: either a single atom (slot, alternative, conjunct, conjunct count) inline, or
//!   the index of a shared list when several indicators name the same value.
//! - CIDRs live in a binary prefix trie per address family (one node per prefix bit, nodes in
//!   one `Vec`), walked once per address: the walk finds every enclosing network.
//! - Subdomain patterns (`LIKE '%.example.com'`) live in a hash map of suffixes, probed with
//!   each proper parent of the observed name (`a.b.example.com` → `b.example.com`,
//!   `example.com`, `com`).
//! - An `AND` inside one observation is one alternative of several conjuncts: a hit on a
//!   conjunct sets its bit in a per-event scratch mask and the indicator matches when every
//!   bit of that alternative is set. A single comparison (or an `OR` of them) matches on the
//!   first hit with no scratch at all.
//!
//! Updates: [`Index::upsert`] replaces an older version of the same id (a same or older version
//! is ignored); revoked versions (kept, never matched, to count what revocation withholds) and
//! [`Index::remove`] take the indicator out, and
//! [`Index::forget`] also forgets its versions (its versions were deleted). A removed
//! indicator's slot is marked dead at once (matching skips it) and its postings are purged in
//! one pass once dead postings exceed a quarter of the live ones, so removal is O(1)
//! amortised and needs no second copy of every value.
//!
//! Concurrency: see [`SharedIndex`].

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use pacific_core::Timestamp;

use crate::compile::{Terms, Unsupported};
use crate::observable::{
    Event, Kind, Observable, decode_hex, lower, normalise_domain, parse_ipv4, parse_ipv6, trim,
};
use crate::pattern::PatternError;
use crate::prefilter::{Prefilter, TABLES, Table, fingerprint, planned_capacity};

mod snapshot;

type Map<K> = HashMap<K, u64, foldhash::fast::RandomState>;

/// A key the index stores (the normal form of one value of a pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    V4(u32),
    V4Net(u32, u8),
    V6(u128),
    V6Net(u128, u8),
    Domain(Box<str>),
    /// Matches names strictly below this one.
    DomainSuffix(Box<str>),
    Url(Box<str>),
    Email(Box<str>),
    Md5([u8; 16]),
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

/// An indicator's id, kept as its UUID (`indicator--<uuid>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndicatorId(pub u128);

impl IndicatorId {
    /// Parses `indicator--xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex of either case).
    pub fn parse(s: &str) -> Option<Self> {
        let u = s.strip_prefix("indicator--")?.as_bytes();
        if u.len() != 36 {
            return None;
        }
        let mut v: u128 = 0;
        for (i, &b) in u.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if b != b'-' {
                    return None;
                }
                continue;
            }
            let d = (b as char).to_digit(16)?;
            v = (v << 4) | u128::from(d);
        }
        Some(Self(v))
    }
}

impl fmt::Display for IndicatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "indicator--{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (v >> 96) as u32,
            (v >> 80) as u16,
            (v >> 64) as u16,
            (v >> 48) as u16,
            v & 0xffff_ffff_ffff
        )
    }
}

/// The parts of a STIX `indicator` the engine uses. Times are Unix microseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indicator {
    pub id: String,
    /// `modified`, else `created`: newer versions replace older ones.
    pub modified: i64,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub revoked: bool,
}

/// What of an indicator's STIX JSON a caller may keep beside the index (the engine does not
/// compile it): its `name` and `kill_chain_phases`, left as raw JSON text so that reading them
/// costs nothing unless wanted, and a value of any type reads (the caller decides).
#[derive(Clone, Copy, Debug, Default)]
pub struct IndicatorDetails<'a> {
    pub name: Option<&'a serde_json::value::RawValue>,
    pub kill_chain_phases: Option<&'a serde_json::value::RawValue>,
}

/// The fields of an indicator's JSON the engine reads, borrowed from the text where it has no
/// escapes (most do not), so reading one allocates only what the [`Indicator`] keeps.
#[derive(serde::Deserialize)]
struct RawIndicator<'a> {
    #[serde(rename = "type", borrow)]
    type_name: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    created: Option<Cow<'a, str>>,
    #[serde(borrow)]
    modified: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pattern_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    valid_from: Option<Cow<'a, str>>,
    #[serde(borrow)]
    valid_until: Option<Cow<'a, str>>,
    #[serde(default)]
    revoked: bool,
}

/// [`RawIndicator`] with the [`IndicatorDetails`] read in the same pass.
#[derive(serde::Deserialize)]
struct RawDetailed<'a> {
    #[serde(rename = "type", borrow)]
    type_name: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    created: Option<Cow<'a, str>>,
    #[serde(borrow)]
    modified: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pattern_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    valid_from: Option<Cow<'a, str>>,
    #[serde(borrow)]
    valid_until: Option<Cow<'a, str>>,
    #[serde(default)]
    revoked: bool,
    #[serde(borrow)]
    name: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    kill_chain_phases: Option<&'a serde_json::value::RawValue>,
}

impl Indicator {
    /// Reads an indicator from its STIX JSON text.
    pub fn from_json(json: &str) -> Result<Self, CompileError> {
        let raw: RawIndicator<'_> =
            serde_json::from_str(json).map_err(|e| CompileError::Invalid(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// [`Indicator::from_json`] that also hands back the indicator's [`IndicatorDetails`], in
    /// one pass over the text. Fails where [`Indicator::from_json`] fails, and also on JSON
    /// that repeats `name` or `kill_chain_phases` (a caller wanting the exact outcome of
    /// [`Indicator::from_json`] for such text falls back to it on error).
    pub fn from_json_with_details(
        json: &str,
    ) -> Result<(Self, IndicatorDetails<'_>), CompileError> {
        let raw: RawDetailed<'_> =
            serde_json::from_str(json).map_err(|e| CompileError::Invalid(e.to_string()))?;
        let details = IndicatorDetails {
            name: raw.name,
            kill_chain_phases: raw.kill_chain_phases,
        };
        let indicator = Self::from_raw(RawIndicator {
            type_name: raw.type_name,
            id: raw.id,
            created: raw.created,
            modified: raw.modified,
            pattern: raw.pattern,
            pattern_type: raw.pattern_type,
            valid_from: raw.valid_from,
            valid_until: raw.valid_until,
            revoked: raw.revoked,
        })?;
        Ok((indicator, details))
    }

    fn from_raw(raw: RawIndicator<'_>) -> Result<Self, CompileError> {
        if raw.type_name != "indicator" {
            return Err(CompileError::Invalid(format!(
                "{} is a {}, not an indicator",
                raw.id, raw.type_name
            )));
        }
        let time = |s: &Option<Cow<'_, str>>| -> Result<Option<i64>, CompileError> {
            s.as_deref()
                .map(|s| {
                    Timestamp::parse(s)
                        .map(|t| t.unix_micros())
                        .map_err(|e| CompileError::Invalid(e.to_string()))
                })
                .transpose()
        };
        Ok(Indicator {
            modified: time(&raw.modified)?
                .or(time(&raw.created)?)
                .unwrap_or(i64::MIN),
            valid_from: time(&raw.valid_from)?,
            valid_until: time(&raw.valid_until)?,
            pattern: raw
                .pattern
                .ok_or_else(|| CompileError::Invalid(format!("{} has no pattern", raw.id)))?
                .into_owned(),
            pattern_type: raw
                .pattern_type
                .map_or_else(|| "stix".into(), Cow::into_owned),
            revoked: raw.revoked,
            id: raw.id.into_owned(),
        })
    }
}

/// Why an indicator was not compiled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompileError {
    #[error("not a usable indicator: {0}")]
    Invalid(String),
    #[error("pattern_type {0:?} is not evaluated (only \"stix\")")]
    PatternType(String),
    #[error("the pattern does not parse: {0}")]
    Parse(#[from] PatternError),
    #[error("the pattern is not supported: {0}")]
    Unsupported(#[from] Unsupported),
    /// A reason given by an earlier load, as it was worded then (read back from a snapshot
    /// of the index, which keeps reasons as text).
    #[error("{0}")]
    Earlier(String),
}

/// What [`Index::upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Added,
    /// Replaced an older version of the same indicator.
    Replaced,
    /// This version or a newer one was already known; nothing changed.
    Unchanged,
    /// The version is revoked: the indicator no longer matches (its values are kept, when they
    /// compile, only to count what revocation withholds: [`Validity`]).
    Revoked,
}

/// How an event's time is held against an indicator's validity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Window {
    /// STIX semantics: an indicator matches events dated in `[valid_from, valid_until)`.
    #[default]
    Valid,
    /// Retro-hunting (old logs against newly shared indicators): events dated before
    /// `valid_from` match too; `valid_until` and revocation still hold.
    Retro,
}

/// What validity did to a run's candidate matches (an indicator whose values an event has):
/// how many it skipped and why, and how many [`Window::Retro`] let through. Each counts once
/// per event and indicator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Validity {
    /// Events dated before the indicator's `valid_from` (not counted under [`Window::Retro`]).
    pub before_valid_from: u64,
    /// Events dated at or after the indicator's `valid_until`.
    pub after_valid_until: u64,
    /// The indicator's latest version is revoked.
    pub revoked: u64,
    /// Matches of events dated before the indicator's `valid_from` ([`Window::Retro`] only).
    pub retro_matches: u64,
}

impl Validity {
    pub fn add(&mut self, o: &Validity) {
        self.before_valid_from += o.before_valid_from;
        self.after_valid_until += o.after_valid_until;
        self.revoked += o.revoked;
        self.retro_matches += o.retro_matches;
    }

    /// Candidate matches skipped, whatever the reason.
    pub fn skipped(&self) -> u64 {
        self.before_valid_from + self.after_valid_until + self.revoked
    }
}

/// One indicator that was not compiled, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    pub id: String,
    pub reason: CompileError,
}

/// What happened to a batch of indicators: counts, and every one not compiled with its reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompileReport {
    pub added: usize,
    pub replaced: usize,
    pub unchanged: usize,
    pub revoked: usize,
    pub rejected: Vec<Rejected>,
}

impl CompileReport {
    pub fn record(&mut self, id: &str, outcome: Result<Upserted, CompileError>) {
        match outcome {
            Ok(Upserted::Added) => self.added += 1,
            Ok(Upserted::Replaced) => self.replaced += 1,
            Ok(Upserted::Unchanged) => self.unchanged += 1,
            Ok(Upserted::Revoked) => self.revoked += 1,
            Err(reason) => self.rejected.push(Rejected {
                id: id.to_owned(),
                reason,
            }),
        }
    }
}

impl fmt::Display for CompileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} compiled, {} replaced, {} unchanged, {} revoked, {} not compiled",
            self.added,
            self.replaced,
            self.unchanged,
            self.revoked,
            self.rejected.len()
        )
    }
}

/// One indicator matched by one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub indicator: IndicatorId,
    /// The position in `Event::observables` of the observable whose hit completed the match.
    pub observable: usize,
}

const LIST: u64 = 1 << 63;
const NONE: u64 = u64::MAX;

fn atom(slot: u32, term: usize, conj: usize, nconj: usize) -> u64 {
    u64::from(slot) | (term as u64) << 32 | (conj as u64) << 40 | (nconj as u64) << 48
}
fn atom_slot(a: u64) -> u32 {
    a as u32
}
fn atom_term(a: u64) -> u8 {
    (a >> 32) as u8
}
fn atom_conj(a: u64) -> u8 {
    (a >> 40) as u8
}
fn atom_nconj(a: u64) -> u8 {
    (a >> 48) as u8
}

#[derive(Clone, Debug)]
struct Slot {
    uuid: u128,
    modified: i64,
    valid_from: i64,
    valid_until: i64,
    atoms: u32,
    live: bool,
    /// A revoked version: kept so that a run can say how many matches revocation withheld,
    /// never matched.
    revoked: bool,
}

/// Postings shared by several indicators.
#[derive(Default)]
struct Lists {
    items: Vec<Vec<u64>>,
    free: Vec<u32>,
}

impl Lists {
    fn push(&mut self, post: &mut u64, a: u64) {
        if *post == NONE {
            *post = a;
        } else if *post & LIST != 0 {
            self.items[(*post & 0xffff_ffff) as usize].push(a);
        } else {
            let v = vec![*post, a];
            let idx = match self.free.pop() {
                Some(i) => {
                    self.items[i as usize] = v;
                    i
                }
                None => {
                    self.items.push(v);
                    (self.items.len() - 1) as u32
                }
            };
            *post = LIST | u64::from(idx);
        }
    }

    fn atoms<'a>(&'a self, post: &'a u64) -> &'a [u64] {
        if *post & LIST != 0 {
            &self.items[(*post & 0xffff_ffff) as usize]
        } else {
            std::slice::from_ref(post)
        }
    }

    /// Drops dead atoms; false when nothing is left.
    fn retain(&mut self, post: &mut u64, live: &impl Fn(u64) -> bool) -> bool {
        if *post == NONE {
            return false;
        }
        if *post & LIST == 0 {
            return live(*post);
        }
        let idx = (*post & 0xffff_ffff) as usize;
        let v = &mut self.items[idx];
        v.retain(|&a| live(a));
        let keep = match v.len() {
            0 => false,
            1 => {
                *post = v[0];
                true
            }
            _ => return true,
        };
        self.items[idx] = Vec::new();
        self.free.push(idx as u32);
        keep
    }
}

/// A binary prefix trie over left-aligned 128-bit addresses (IPv4 is shifted up by 96).
struct Trie {
    /// Node 0 is the root; a child index of 0 means "none".
    nodes: Vec<Node>,
}

#[derive(Clone, Copy)]
struct Node {
    child: [u32; 2],
    post: u64,
}

impl Trie {
    fn new() -> Self {
        Self {
            nodes: vec![Node {
                child: [0, 0],
                post: NONE,
            }],
        }
    }

    fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[0].post == NONE
    }

    fn node_for(&mut self, bits: u128, len: u8) -> &mut u64 {
        let mut n = 0usize;
        for i in 0..len {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            let next = self.nodes[n].child[bit];
            n = if next == 0 {
                self.nodes.push(Node {
                    child: [0, 0],
                    post: NONE,
                });
                let new = (self.nodes.len() - 1) as u32;
                self.nodes[n].child[bit] = new;
                new as usize
            } else {
                next as usize
            };
        }
        &mut self.nodes[n].post
    }

    /// Calls `f` with the posting of every prefix of `bits` (up to `width` bits).
    fn walk(&self, bits: u128, width: u8, mut f: impl FnMut(&u64)) {
        let mut n = 0usize;
        if self.nodes[0].post != NONE {
            f(&self.nodes[0].post);
        }
        for i in 0..width {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            let next = self.nodes[n].child[bit];
            if next == 0 {
                return;
            }
            n = next as usize;
            if self.nodes[n].post != NONE {
                f(&self.nodes[n].post);
            }
        }
    }
}

/// The compiled index. See the module documentation.
pub struct Index {
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    dead_slots: Vec<u32>,
    by_id: HashMap<u128, u32, foldhash::fast::RandomState>,
    /// Ids out of the index (revoked, removed, not compilable) and their latest version, so
    /// an older version arriving later does not bring them back.
    gone: HashMap<u128, i64, foldhash::fast::RandomState>,
    v4: Map<u32>,
    v6: Map<u128>,
    v4net: Trie,
    v6net: Trie,
    domains: Map<Box<str>>,
    suffixes: Map<Box<str>>,
    /// Bit `n` is set when some suffix has `n` labels (63: that many or more), so a probe
    /// skips the parents of a name no suffix can be. Only ever grows: a stale bit costs a
    /// probe, never a match.
    suffix_labels: u64,
    urls: Map<Box<str>>,
    emails: Map<Box<str>>,
    md5: Map<[u8; 16]>,
    sha1: Map<[u8; 20]>,
    sha256: Map<[u8; 32]>,
    lists: Lists,
    live_atoms: usize,
    dead_atoms: usize,
    /// Slots of revoked versions among `by_id`.
    revoked: usize,
    /// One per exact map (`v4` … `sha256`, and `suffixes`), indexed by [`Table`], holding
    /// every key of its map, so a probe it rejects skips the map (a cache miss) altogether.
    /// One per map rather than one for all, so that the filters of maps a stream never probes
    /// (no e-mail addresses, say) take no room in the cache.
    prefilters: [Prefilter; TABLES],
    /// Whether probes consult `prefilters` (they are kept current either way).
    prefilter_on: bool,
}

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

fn attach<K: Hash + Eq>(
    map: &mut Map<K>,
    lists: &mut Lists,
    prefilters: &mut [Prefilter; TABLES],
    table: Table,
    k: K,
    a: u64,
) {
    let post = map.entry(k).or_insert_with_key(|k| {
        prefilters[table as usize].insert(fingerprint(table, k));
        NONE
    });
    lists.push(post, a);
}

/// The number of dot-separated labels in a domain name.
fn labels(d: &str) -> u32 {
    d.bytes().filter(|&b| b == b'.').count() as u32 + 1
}

impl Index {
    pub fn new() -> Self {
        Self {
            slots: Vec::new(),
            free_slots: Vec::new(),
            dead_slots: Vec::new(),
            by_id: HashMap::default(),
            gone: HashMap::default(),
            v4: Map::default(),
            v6: Map::default(),
            v4net: Trie::new(),
            v6net: Trie::new(),
            domains: Map::default(),
            suffixes: Map::default(),
            suffix_labels: 0,
            urls: Map::default(),
            emails: Map::default(),
            md5: Map::default(),
            sha1: Map::default(),
            sha256: Map::default(),
            lists: Lists::default(),
            live_atoms: 0,
            dead_atoms: 0,
            revoked: 0,
            prefilters: std::array::from_fn(|_| Prefilter::with_capacity(0)),
            prefilter_on: true,
        }
    }

    /// Turns the prefilter in front of the exact maps on (the default) or off; matches are the
    /// same either way, only slower without it. For measuring and testing the prefilter.
    pub fn set_prefilter(&mut self, on: bool) {
        self.prefilter_on = on;
    }

    /// Compiles a batch of indicators given as STIX JSON texts.
    pub fn build<'a>(jsons: impl IntoIterator<Item = &'a str>) -> (Self, CompileReport) {
        let mut index = Self::new();
        let mut report = CompileReport::default();
        for json in jsons {
            index.upsert_json(json, &mut report);
        }
        (index, report)
    }

    /// Upserts one indicator given as STIX JSON text, recording the outcome in `report`;
    /// returns what [`Index::upsert`] did, or `None` if the indicator did not compile.
    pub fn upsert_json(&mut self, json: &str, report: &mut CompileReport) -> Option<Upserted> {
        match Indicator::from_json(json) {
            Ok(ind) => {
                let outcome = self.upsert(&ind);
                report.record(&ind.id, outcome.clone());
                outcome.ok()
            }
            Err(e) => {
                let id = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| "(no id)".into());
                report.record(&id, Err(e));
                None
            }
        }
    }

    /// Number of indicators in the index that match (revoked ones are not counted).
    pub fn len(&self) -> usize {
        self.by_id.len() - self.revoked
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an indicator, or replaces an older version of it; a revoked version removes it.
    /// A newer version that does not compile also takes the older one out (its pattern is no
    /// longer what the producer asserts) and is returned as the error.
    pub fn upsert(&mut self, ind: &Indicator) -> Result<Upserted, CompileError> {
        let id = IndicatorId::parse(&ind.id).ok_or_else(|| {
            CompileError::Invalid(format!("{:?} is not indicator--<uuid>", ind.id))
        })?;
        if let Some(&slot) = self.by_id.get(&id.0) {
            if self.slots[slot as usize].modified >= ind.modified {
                return Ok(Upserted::Unchanged);
            }
        } else if let Some(&m) = self.gone.get(&id.0)
            && m > ind.modified
        {
            return Ok(Upserted::Unchanged);
        }
        let compiled = compile_indicator(ind);
        let existed = self.remove_uuid(id.0).is_some();
        match compiled {
            // A revoked version is kept (never matched) to count what it withholds.
            Ok(terms) if ind.revoked => {
                self.gone.remove(&id.0);
                self.insert(id.0, ind, &terms);
                Ok(Upserted::Revoked)
            }
            Err(_) if ind.revoked => {
                self.gone.insert(id.0, ind.modified);
                Ok(Upserted::Revoked)
            }
            Err(e) => {
                self.gone.insert(id.0, ind.modified);
                Err(e)
            }
            Ok(terms) => {
                self.gone.remove(&id.0);
                self.insert(id.0, ind, &terms);
                Ok(if existed {
                    Upserted::Replaced
                } else {
                    Upserted::Added
                })
            }
        }
    }

    /// Takes an indicator out of the index; false if it was not in it.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(id) = IndicatorId::parse(id) else {
            return false;
        };
        match self.remove_uuid(id.0) {
            Some(modified) => {
                self.gone.insert(id.0, modified);
                true
            }
            None => false,
        }
    }

    /// Takes an indicator out and forgets every version of it seen, as if it had never been
    /// upserted: for when its versions are deleted from the source, so that a remaining older
    /// version can be upserted again (after [`Index::remove`] or a revoked version it would be
    /// ignored). Costs what [`Index::remove`] costs. False if nothing was known of it.
    pub fn forget(&mut self, id: &str) -> bool {
        let Some(id) = IndicatorId::parse(id) else {
            return false;
        };
        let removed = self.remove_uuid(id.0).is_some();
        let was_gone = self.gone.remove(&id.0).is_some();
        removed || was_gone
    }

    fn remove_uuid(&mut self, uuid: u128) -> Option<i64> {
        let slot = self.by_id.remove(&uuid)?;
        let s = &mut self.slots[slot as usize];
        s.live = false;
        if s.revoked {
            self.revoked -= 1;
        }
        self.live_atoms -= s.atoms as usize;
        self.dead_atoms += s.atoms as usize;
        let modified = s.modified;
        self.dead_slots.push(slot);
        if self.dead_atoms > 1024 && self.dead_atoms * 4 > self.live_atoms {
            self.purge();
        }
        Some(modified)
    }

    fn insert(&mut self, uuid: u128, ind: &Indicator, terms: &Terms) {
        let slot_data = Slot {
            uuid,
            modified: ind.modified,
            valid_from: ind.valid_from.unwrap_or(i64::MIN),
            valid_until: ind.valid_until.unwrap_or(i64::MAX),
            atoms: 0,
            live: true,
            revoked: ind.revoked,
        };
        if ind.revoked {
            self.revoked += 1;
        }
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slots[s as usize] = slot_data;
                s
            }
            None => {
                self.slots.push(slot_data);
                (self.slots.len() - 1) as u32
            }
        };
        let mut count = 0u32;
        for (ti, term) in terms.iter().enumerate() {
            for (ci, conj) in term.iter().enumerate() {
                let a = atom(slot, ti, ci, term.len());
                for key in conj {
                    self.attach_key(key.clone(), a);
                    count += 1;
                }
            }
        }
        self.slots[slot as usize].atoms = count;
        self.live_atoms += count as usize;
        self.by_id.insert(uuid, slot);
    }

    fn attach_key(&mut self, key: Key, a: u64) {
        let lists = &mut self.lists;
        let pf = &mut self.prefilters;
        match key {
            Key::V4(v) => attach(&mut self.v4, lists, pf, Table::V4, v, a),
            Key::V6(v) => attach(&mut self.v6, lists, pf, Table::V6, v, a),
            Key::V4Net(v, len) => lists.push(self.v4net.node_for(u128::from(v) << 96, len), a),
            Key::V6Net(v, len) => lists.push(self.v6net.node_for(v, len), a),
            Key::Domain(d) => attach(&mut self.domains, lists, pf, Table::Domain, d, a),
            Key::DomainSuffix(d) => {
                self.suffix_labels |= 1 << labels(&d).min(63);
                attach(&mut self.suffixes, lists, pf, Table::DomainSuffix, d, a)
            }
            Key::Url(u) => attach(&mut self.urls, lists, pf, Table::Url, u, a),
            Key::Email(e) => attach(&mut self.emails, lists, pf, Table::Email, e, a),
            Key::Md5(h) => attach(&mut self.md5, lists, pf, Table::Md5, h, a),
            Key::Sha1(h) => attach(&mut self.sha1, lists, pf, Table::Sha1, h, a),
            Key::Sha256(h) => attach(&mut self.sha256, lists, pf, Table::Sha256, h, a),
        }
        if let Some(table) = Table::ALL
            .into_iter()
            .find(|&t| self.prefilters[t as usize].is_overfull())
        {
            self.rebuild_prefilter(table);
        }
    }

    /// Builds `table`'s prefilter anew from its map's keys, sized for them with room to grow:
    /// when it has taken more keys than it was sized for, and after a purge (which is when keys
    /// leave the maps).
    fn rebuild_prefilter(&mut self, table: Table) {
        fn build<K: Hash>(table: Table, map: &Map<K>) -> Prefilter {
            let mut pf = Prefilter::with_capacity(planned_capacity(map.len()));
            for k in map.keys() {
                pf.insert(fingerprint(table, k));
            }
            pf
        }
        self.prefilters[table as usize] = match table {
            Table::V4 => build(table, &self.v4),
            Table::V6 => build(table, &self.v6),
            Table::Domain => build(table, &self.domains),
            Table::DomainSuffix => build(table, &self.suffixes),
            Table::Url => build(table, &self.urls),
            Table::Email => build(table, &self.emails),
            Table::Md5 => build(table, &self.md5),
            Table::Sha1 => build(table, &self.sha1),
            Table::Sha256 => build(table, &self.sha256),
        };
    }

    /// `map.get(key)`, unless the prefilter says `key` is not among the map's keys.
    fn lookup<'m, K, Q>(&self, table: Table, map: &'m Map<K>, key: &Q) -> Option<&'m u64>
    where
        K: Borrow<Q> + Hash + Eq,
        Q: Hash + Eq + ?Sized,
    {
        if map.is_empty()
            || (self.prefilter_on
                && !self.prefilters[table as usize].may_contain(fingerprint(table, key)))
        {
            return None;
        }
        map.get(key)
    }

    /// Drops every posting of a dead slot and frees the slots for reuse: one pass over the
    /// index, run when dead postings exceed a quarter of the live ones.
    fn purge(&mut self) {
        let slots = &self.slots;
        let live = |a: u64| slots[atom_slot(a) as usize].live;
        let lists = &mut self.lists;
        fn purge_map<K>(map: &mut Map<K>, lists: &mut Lists, live: &impl Fn(u64) -> bool) {
            map.retain(|_, post| lists.retain(post, live));
        }
        purge_map(&mut self.v4, lists, &live);
        purge_map(&mut self.v6, lists, &live);
        purge_map(&mut self.domains, lists, &live);
        purge_map(&mut self.suffixes, lists, &live);
        purge_map(&mut self.urls, lists, &live);
        purge_map(&mut self.emails, lists, &live);
        purge_map(&mut self.md5, lists, &live);
        purge_map(&mut self.sha1, lists, &live);
        purge_map(&mut self.sha256, lists, &live);
        for trie in [&mut self.v4net, &mut self.v6net] {
            for node in &mut trie.nodes {
                if node.post != NONE && !lists.retain(&mut node.post, &live) {
                    node.post = NONE;
                }
            }
        }
        self.free_slots.append(&mut self.dead_slots);
        self.dead_atoms = 0;
        for table in Table::ALL {
            self.rebuild_prefilter(table);
        }
    }

    /// The indicators an event matches, checked for validity at the event's time or `now`
    /// (Unix microseconds). Allocates only when something matches.
    pub fn match_event(&self, event: &Event<'_>, now: i64) -> impl Iterator<Item = Match> {
        let mut out = Vec::new();
        self.match_event_into(event, now, &mut out);
        out.into_iter()
    }

    /// Appends the matches of `event` to `out` (each indicator at most once per event).
    pub fn match_event_into(&self, event: &Event<'_>, now: i64, out: &mut Vec<Match>) {
        self.match_event_counted(event, now, Window::Valid, out, &mut Validity::default());
    }

    /// Appends the matches of `event` to `out` with validity applied as `window` says, and
    /// adds to `validity` the candidate matches it skipped (or let through retroactively).
    pub fn match_event_counted(
        &self,
        event: &Event<'_>,
        now: i64,
        window: Window,
        out: &mut Vec<Match>,
        validity: &mut Validity,
    ) {
        let mut probe = Probe {
            t: event.time.unwrap_or(now),
            retro: window == Window::Retro,
            start: out.len(),
            partial: Vec::new(),
            skipped: Vec::new(),
            validity,
        };
        for (i, o) in event.observables.iter().enumerate() {
            self.probe(o, &mut |post: &u64| {
                self.hit(post, i, &mut probe, out);
            });
        }
    }

    fn hit(&self, post: &u64, observable: usize, p: &mut Probe<'_>, out: &mut Vec<Match>) {
        let t = p.t;
        for &a in self.lists.atoms(post) {
            let slot = atom_slot(a);
            let s = &self.slots[slot as usize];
            if !s.live {
                continue;
            }
            let early = t < s.valid_from;
            let skip = if s.revoked {
                Some(Skip::Revoked)
            } else if t >= s.valid_until {
                Some(Skip::AfterValidUntil)
            } else if early && !p.retro {
                Some(Skip::BeforeValidFrom)
            } else {
                None
            };
            let partial = &mut p.partial;
            let n = atom_nconj(a);
            let done = if n <= 1 {
                true
            } else {
                let (term, bit) = (atom_term(a), 1u16 << atom_conj(a));
                match partial.iter_mut().find(|p| p.0 == slot && p.1 == term) {
                    Some(p) => {
                        p.2 |= bit;
                        p.2.count_ones() == u32::from(n)
                    }
                    None => {
                        partial.push((slot, term, bit));
                        false
                    }
                }
            };
            if !done {
                continue;
            }
            let indicator = IndicatorId(s.uuid);
            match skip {
                None => {
                    if !out[p.start..].iter().any(|m| m.indicator == indicator) {
                        out.push(Match {
                            indicator,
                            observable,
                        });
                        if early {
                            p.validity.retro_matches += 1;
                        }
                    }
                }
                Some(why) => {
                    if !p.skipped.contains(&slot) {
                        p.skipped.push(slot);
                        match why {
                            Skip::Revoked => p.validity.revoked += 1,
                            Skip::AfterValidUntil => p.validity.after_valid_until += 1,
                            Skip::BeforeValidFrom => p.validity.before_valid_from += 1,
                        }
                    }
                }
            }
        }
    }

    fn probe(&self, o: &Observable<'_>, f: &mut dyn FnMut(&u64)) {
        let v: &str = &o.value;
        match o.kind {
            Kind::Ip => {
                self.probe_ip(v, f);
            }
            Kind::Domain => self.probe_domain(v, f),
            Kind::Host => {
                if !self.probe_ip(v, f) {
                    self.probe_domain(v, f);
                }
            }
            Kind::Url => {
                if let Some(p) = self.lookup(Table::Url, &self.urls, trim(v)) {
                    f(p);
                }
            }
            Kind::Email => {
                if self.emails.is_empty() {
                    return;
                }
                if let Some(p) = self.lookup(Table::Email, &self.emails, &*lower(trim(v))) {
                    f(p);
                }
            }
            Kind::Hash => {
                let v = trim(v);
                let p = match v.len() {
                    32 if !self.md5.is_empty() => {
                        decode_hex(v).and_then(|h| self.lookup(Table::Md5, &self.md5, &h))
                    }
                    40 if !self.sha1.is_empty() => {
                        decode_hex(v).and_then(|h| self.lookup(Table::Sha1, &self.sha1, &h))
                    }
                    64 if !self.sha256.is_empty() => {
                        decode_hex(v).and_then(|h| self.lookup(Table::Sha256, &self.sha256, &h))
                    }
                    _ => None,
                };
                if let Some(p) = p {
                    f(p);
                }
            }
        }
    }

    /// True if `v` is an IP address (whether or not anything matched).
    fn probe_ip(&self, v: &str, f: &mut dyn FnMut(&u64)) -> bool {
        let v = trim(v);
        // IPv4 first: the common case, and its parser gives up at the first `:`.
        if let Some(a) = parse_ipv4(v) {
            if let Some(p) = self.lookup(Table::V4, &self.v4, &a) {
                f(p);
            }
            if !self.v4net.is_empty() {
                self.v4net.walk(u128::from(a) << 96, 32, |p| f(p));
            }
        } else {
            let Some(a) = parse_ipv6(v) else { return false };
            if let Some(p) = self.lookup(Table::V6, &self.v6, &a) {
                f(p);
            }
            if !self.v6net.is_empty() {
                self.v6net.walk(a, 128, |p| f(p));
            }
        }
        true
    }

    fn probe_domain(&self, v: &str, f: &mut dyn FnMut(&u64)) {
        let Some(d) = normalise_domain(v) else { return };
        if let Some(p) = self.lookup(Table::Domain, &self.domains, &*d) {
            f(p);
        }
        if self.suffixes.is_empty() {
            return;
        }
        let mut rest: &str = &d;
        let mut n = labels(rest);
        while let Some((_, parent)) = rest.split_once('.') {
            n -= 1;
            if self.suffix_labels & (1 << n.min(63)) != 0
                && let Some(p) = self.lookup(Table::DomainSuffix, &self.suffixes, parent)
            {
                f(p);
            }
            rest = parent;
        }
    }

    /// An estimate of the heap the index holds, in bytes: hash tables at their capacity,
    /// boxed strings at their length rounded up to the allocator's 16-byte granule, the
    /// tries, slots and shared lists. (The `bench match` command also measures RSS.)
    pub fn heap_bytes(&self) -> usize {
        fn table<K, V>(m: &HashMap<K, V, foldhash::fast::RandomState>) -> usize {
            let buckets = if m.capacity() == 0 {
                0
            } else {
                (m.capacity() * 8 / 7).next_power_of_two()
            };
            buckets * (std::mem::size_of::<(K, V)>() + 1)
        }
        fn strings(m: &Map<Box<str>>) -> usize {
            table(m)
                + m.keys()
                    .map(|k| (k.len() + 8).div_ceil(16) * 16)
                    .sum::<usize>()
        }
        table(&self.v4)
            + table(&self.v6)
            + table(&self.md5)
            + table(&self.sha1)
            + table(&self.sha256)
            + table(&self.by_id)
            + table(&self.gone)
            + strings(&self.domains)
            + strings(&self.suffixes)
            + strings(&self.urls)
            + strings(&self.emails)
            + (self.v4net.nodes.capacity() + self.v6net.nodes.capacity())
                * std::mem::size_of::<Node>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self
                .prefilters
                .iter()
                .map(Prefilter::heap_bytes)
                .sum::<usize>()
            + self.lists.items.capacity() * std::mem::size_of::<Vec<u64>>()
            + self
                .lists
                .items
                .iter()
                .map(|v| v.capacity() * 8)
                .sum::<usize>()
    }
}

fn compile_indicator(ind: &Indicator) -> Result<Terms, CompileError> {
    if ind.pattern_type != "stix" {
        return Err(CompileError::PatternType(ind.pattern_type.clone()));
    }
    let pattern = crate::pattern::parse(&ind.pattern)?;
    Ok(crate::compile::compile(&pattern)?)
}

/// The index shared by many matching threads and one updating thread.
///
/// Why an `RwLock` around one mutable index rather than swapping immutable snapshots
/// (`arc-swap`): an update touches a handful of hash entries, so the write section is
/// microseconds, whereas a snapshot scheme needs either a full copy of a million-indicator
/// index per update or a second "delta" index probed on every lookup (doubling the cost of
/// the common miss). Readers ([`Matcher`]) hold the read lock across a batch of events and
/// release it between batches, so lock traffic is amortised and the writer (std's lock does
/// not let new readers starve a waiting writer) gets in within one batch. The one long write
/// section is the purge of removed postings, which runs only after removals amounting to a
/// quarter of the index.
#[derive(Default)]
pub struct SharedIndex {
    inner: RwLock<Index>,
}

impl SharedIndex {
    pub fn new(index: Index) -> Self {
        Self {
            inner: RwLock::new(index),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn upsert(&self, ind: &Indicator) -> Result<Upserted, CompileError> {
        self.write().upsert(ind)
    }

    pub fn remove(&self, id: &str) -> bool {
        self.write().remove(id)
    }

    /// A matcher for one thread.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            shared: self,
            guard: None,
            since: 0,
        }
    }
}

/// Why a candidate match was skipped.
#[derive(Clone, Copy)]
enum Skip {
    Revoked,
    AfterValidUntil,
    BeforeValidFrom,
}

/// One event's matching scratch.
struct Probe<'v> {
    /// The event's time.
    t: i64,
    retro: bool,
    /// Where this event's matches start in the output.
    start: usize,
    /// (slot, alternative, conjunct bits hit) of `AND`s partly hit.
    partial: Vec<(u32, u8, u16)>,
    /// Slots whose skip was counted for this event.
    skipped: Vec<u32>,
    validity: &'v mut Validity,
}

/// Events matched per read-lock acquisition.
pub const BATCH: u32 = 1024;

/// Matches events for one thread against a [`SharedIndex`], re-taking the read lock every
/// [`BATCH`] events so updates get in (call [`Matcher::release`] when idle).
pub struct Matcher<'a> {
    shared: &'a SharedIndex,
    guard: Option<RwLockReadGuard<'a, Index>>,
    since: u32,
}

impl Matcher<'_> {
    fn index(&mut self) -> &Index {
        if self.since >= BATCH {
            self.guard = None;
            self.since = 0;
        }
        self.since += 1;
        self.guard.get_or_insert_with(|| self.shared.read())
    }

    /// The indicators `event` matches (validity at the event's time, else `now`).
    pub fn match_event(&mut self, event: &Event<'_>, now: i64) -> impl Iterator<Item = Match> {
        self.index().match_event(event, now)
    }

    /// Appends the matches of `event` to `out`.
    pub fn match_event_into(&mut self, event: &Event<'_>, now: i64, out: &mut Vec<Match>) {
        self.index().match_event_into(event, now, out)
    }

    /// [`Index::match_event_counted`].
    pub fn match_event_counted(
        &mut self,
        event: &Event<'_>,
        now: i64,
        window: Window,
        out: &mut Vec<Match>,
        validity: &mut Validity,
    ) {
        self.index()
            .match_event_counted(event, now, window, out, validity)
    }

    /// Lets writers in now (e.g. while waiting for input).
    pub fn release(&mut self) {
        self.guard = None;
        self.since = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000_000;

    fn ind(n: u32, modified: i64, pattern: &str) -> Indicator {
        Indicator {
            id: format!("indicator--00000000-0000-4000-8000-{n:012x}"),
            modified,
            pattern: pattern.into(),
            pattern_type: "stix".into(),
            valid_from: None,
            valid_until: None,
            revoked: false,
        }
    }

    fn hits(index: &Index, ip: &str) -> Vec<u32> {
        let event = Event {
            line: 1,
            time: None,
            observables: vec![Observable::new(Kind::Ip, ip)],
        };
        let mut v: Vec<u32> = index
            .match_event(&event, NOW)
            .map(|m| m.indicator.0 as u32)
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn forget_takes_an_indicator_out_and_lets_an_older_version_back() {
        let mut index = Index::new();
        let old = ind(1, 1, "[ipv4-addr:value = '192.0.2.1']");
        let new = ind(1, 2, "[ipv4-addr:value = '192.0.2.2']");
        assert_eq!(index.upsert(&old), Ok(Upserted::Added));
        assert_eq!(index.upsert(&new), Ok(Upserted::Replaced));
        assert_eq!(
            index.upsert(&ind(2, 1, "[ipv4-addr:value = '192.0.2.2']")),
            Ok(Upserted::Added)
        );
        assert_eq!(hits(&index, "192.0.2.2"), [1, 2]);

        // Every version deleted: it no longer matches, the others still do.
        assert!(index.forget(&new.id));
        assert_eq!(index.len(), 1);
        assert_eq!(hits(&index, "192.0.2.2"), [2]);
        assert!(hits(&index, "192.0.2.1").is_empty());
        assert!(!index.forget(&new.id), "nothing is known of it any more");
        assert!(!index.forget("indicator--not-a-uuid"));

        // The newest version deleted: the remaining older one comes back, which neither a
        // plain remove nor a revocation allows.
        assert_eq!(index.upsert(&new), Ok(Upserted::Added));
        assert!(index.remove(&new.id));
        assert_eq!(index.upsert(&old), Ok(Upserted::Unchanged));
        assert!(hits(&index, "192.0.2.1").is_empty());
        assert!(
            index.forget(&new.id),
            "a removed indicator is still remembered"
        );
        assert_eq!(index.upsert(&old), Ok(Upserted::Added));
        assert_eq!(hits(&index, "192.0.2.1"), [1]);
        assert_eq!(hits(&index, "192.0.2.2"), [2]);

        let mut revoked = ind(1, 3, "[ipv4-addr:value = '192.0.2.1']");
        revoked.revoked = true;
        assert_eq!(index.upsert(&revoked), Ok(Upserted::Revoked));
        assert_eq!(index.upsert(&old), Ok(Upserted::Unchanged));
        assert!(
            index.forget(&revoked.id),
            "a revoked indicator is remembered"
        );
        assert_eq!(index.upsert(&old), Ok(Upserted::Added));
        assert_eq!(hits(&index, "192.0.2.1"), [1]);
    }

    /// Issue 12, item 6: an event dated before an indicator's `valid_from`, at or after its
    /// `valid_until`, or matching a revoked indicator is a candidate match that is skipped and
    /// counted (once per event and indicator, `AND`s only when whole); `Window::Retro` matches
    /// the first kind and counts it as retroactive.
    #[test]
    fn skipped_candidates_are_counted_by_reason_and_retro_matches_old_events() {
        let mut index = Index::new();
        let day = 86_400_000_000;
        let mut from = ind(1, 1, "[ipv4-addr:value = '192.0.2.1']");
        from.valid_from = Some(NOW);
        let mut until = ind(2, 1, "[ipv4-addr:value = '192.0.2.1']");
        until.valid_until = Some(NOW - day);
        let mut revoked = ind(3, 1, "[ipv4-addr:value = '192.0.2.1']");
        revoked.revoked = true;
        let mut both = ind(
            4,
            1,
            "[ipv4-addr:value = '192.0.2.2' AND domain-name:value = 'c2.example']",
        );
        both.valid_from = Some(NOW);
        for i in [&from, &until, &revoked, &both] {
            index.upsert(i).unwrap();
        }
        assert_eq!(index.len(), 3, "a revoked indicator is not counted");
        let at = |time: i64, obs: Vec<Observable<'static>>| Event {
            line: 1,
            time: Some(time),
            observables: obs,
        };
        let old = at(
            NOW - 2 * day,
            vec![
                Observable::new(Kind::Ip, "192.0.2.1"),
                Observable::new(Kind::Host, "192.0.2.1"),
                Observable::new(Kind::Ip, "192.0.2.2"),
            ],
        );
        let ids = |out: &[Match]| {
            let mut v: Vec<u32> = out.iter().map(|m| m.indicator.0 as u32).collect();
            v.sort_unstable();
            v
        };
        // Two days ago: 2 was valid then; 1 was not valid yet; 3 is revoked; 4's AND is not
        // whole, so no candidate.
        let mut out = Vec::new();
        let mut v = Validity::default();
        index.match_event_counted(&old, NOW, Window::Valid, &mut out, &mut v);
        assert_eq!(ids(&out), [2]);
        assert_eq!(
            v,
            Validity {
                before_valid_from: 1,
                after_valid_until: 0,
                revoked: 1,
                retro_matches: 0
            }
        );
        // Tomorrow: 1 matches, 2 expired, 3 revoked.
        let recent = at(NOW + day, vec![Observable::new(Kind::Ip, "192.0.2.1")]);
        let mut v = Validity::default();
        out.clear();
        index.match_event_counted(&recent, NOW, Window::Valid, &mut out, &mut v);
        assert_eq!(ids(&out), [1]);
        assert_eq!((v.after_valid_until, v.revoked, v.skipped()), (1, 1, 2));

        let whole = at(
            NOW - 2 * day,
            vec![
                Observable::new(Kind::Ip, "192.0.2.2"),
                Observable::new(Kind::Domain, "c2.example"),
            ],
        );
        let mut v = Validity::default();
        out.clear();
        index.match_event_counted(&whole, NOW, Window::Valid, &mut out, &mut v);
        assert!(out.is_empty());
        assert_eq!(v.before_valid_from, 1);
        // Retro: the old events match 1 and 4 besides 2; revocation still holds.
        let mut v = Validity::default();
        for e in [&old, &whole] {
            index.match_event_counted(e, NOW, Window::Retro, &mut out, &mut v);
        }
        assert_eq!(ids(&out), [1, 2, 4]);
        assert_eq!(
            v,
            Validity {
                before_valid_from: 0,
                after_valid_until: 0,
                revoked: 1,
                retro_matches: 2
            }
        );
    }

    #[test]
    fn forgetting_and_adding_again_reuses_the_space() {
        let mut index = Index::new();
        let all: Vec<Indicator> = (0..4000u32)
            .map(|n| {
                ind(
                    n,
                    1,
                    &format!("[ipv4-addr:value = '10.{}.{}.1']", n / 250, n % 250),
                )
            })
            .collect();
        for i in &all {
            index.upsert(i).unwrap();
        }
        let first = index.heap_bytes();
        for _ in 0..5 {
            for i in &all {
                assert!(index.forget(&i.id));
            }
            assert!(index.is_empty());
            assert!(hits(&index, "10.3.7.1").is_empty());
            for i in &all {
                assert_eq!(index.upsert(i), Ok(Upserted::Added));
            }
        }
        assert_eq!(index.len(), 4000);
        assert_eq!(hits(&index, "10.3.7.1"), [757]);
        let after = index.heap_bytes();
        assert!(
            after <= first * 2,
            "the heap grew from {first} to {after} bytes over forget/add cycles"
        );
    }
}
