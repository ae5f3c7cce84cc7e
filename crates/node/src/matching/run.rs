//! One run of matches and what it adds up to: per-indicator tallies, samples, sightings,
//! statistics and incidents to record.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use pacific_core::Timestamp;
use pacific_match::{Event, Kind, Match, Validity, Window};
use serde::Serialize;

use super::*;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Seen {
    pub(crate) count: u64,
    pub(crate) first: i64,
    pub(crate) last: i64,
}

impl Seen {
    pub(crate) fn add(&mut self, other: Seen) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// The matches of part of a run, summed: sightings, statistics and incidents to record.
#[derive(Debug, Default)]
pub struct Tally {
    pub(crate) sightings: HashMap<u128, Seen>,
    pub(crate) stats: HashMap<(String, &'static str, String), u64>,
    /// (asset index, indicator, day) → first value seen and its count.
    pub(crate) incidents: HashMap<(usize, u128, String), (String, u64)>,
    pub(crate) matches: u64,
}

impl Tally {
    /// Adds `other` to this tally.
    pub fn merge(&mut self, other: Tally) {
        for (id, seen) in other.sightings {
            self.sightings
                .entry(id)
                .and_modify(|s| s.add(seen))
                .or_insert(seen);
        }
        for (key, n) in other.stats {
            *self.stats.entry(key).or_default() += n;
        }
        for (key, (value, n)) in other.incidents {
            self.incidents.entry(key).or_insert_with(|| (value, 0)).1 += n;
        }
        self.matches += other.matches;
    }

    pub fn is_empty(&self) -> bool {
        self.matches == 0
    }
    pub fn matches(&self) -> u64 {
        self.matches
    }
}

/// One match, as reported to the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchSample {
    pub line: u64,
    pub indicator: String,
    pub kind: &'static str,
    pub value: String,
}

/// Sums the matches of one input, in batches ([`Run::take_if_due`]).
pub struct Run<'s> {
    pub(crate) service: &'s MatchService,
    pub(crate) now: i64,
    pub(crate) tally: Tally,
    pub(crate) last_take: Instant,
    /// Events with at least one match.
    pub matched_events: u64,
    pub matches: u64,
    pub samples: Vec<MatchSample>,
    pub sample_limit: usize,
    /// How events' times are held against indicators' validity.
    pub window: Window,
    /// Candidate matches validity skipped (or let through, retro), by reason.
    pub validity: Validity,
}

pub(crate) fn day_of(micros: i64) -> String {
    Timestamp::from_unix_micros(micros).as_str()[..10].to_owned()
}

impl Run<'_> {
    /// Counts the matches `matches` of `event`.
    pub fn observe(&mut self, event: &Event<'_>, matches: &[Match]) {
        if matches.is_empty() {
            return;
        }
        self.matched_events += 1;
        let at = event.time.unwrap_or(self.now);
        let day = day_of(at);
        // The assets the event touches.
        let mut assets: Vec<usize> = Vec::new();
        if !self.service.assets.is_empty() {
            for o in &event.observables {
                if matches!(o.kind, Kind::Ip | Kind::Host)
                    && let Ok(ip) = o.value.trim().parse::<IpAddr>()
                    && let Some(a) = self.service.assets.lookup(ip)
                    && !assets.contains(&a)
                {
                    assets.push(a);
                }
            }
        }
        let mut sectors: Vec<&str> = assets
            .iter()
            .filter_map(|a| self.service.assets.get(*a))
            .map(|a| a.sector.as_str())
            .collect();
        sectors.sort_unstable();
        sectors.dedup();
        if sectors.is_empty() {
            sectors.push("unknown");
        }
        let catalog = self
            .service
            .catalog
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for m in matches {
            self.matches += 1;
            self.tally.matches += 1;
            let id = m.indicator.0;
            let seen = Seen {
                count: 1,
                first: at,
                last: at,
            };
            self.tally
                .sightings
                .entry(id)
                .and_modify(|s| s.add(seen))
                .or_insert(seen);
            let value = event
                .observables
                .get(m.observable)
                .map(|o| o.value.to_string())
                .unwrap_or_default();
            if self.samples.len() < self.sample_limit {
                self.samples.push(MatchSample {
                    line: event.line,
                    indicator: m.indicator.to_string(),
                    kind: event
                        .observables
                        .get(m.observable)
                        .map_or("", |o| o.kind.name()),
                    value: value.clone(),
                });
            }
            let mut stat = |dimension: &'static str, key: String| {
                *self
                    .tally
                    .stats
                    .entry((day.clone(), dimension, key))
                    .or_default() += 1;
            };
            stat("indicator", m.indicator.to_string());
            let meta = catalog.meta.get(&id);
            for phase in meta.map(|m| m.phases.as_slice()).unwrap_or_default() {
                stat("kill-chain-phase", phase.to_string());
            }
            if let Some(targets) = catalog.targets.get(&id) {
                for target in targets.keys() {
                    let dimension = if target.starts_with("malware--") {
                        "malware"
                    } else {
                        "campaign"
                    };
                    stat(dimension, target.clone());
                }
            }
            for sector in &sectors {
                stat("sector", (*sector).to_owned());
            }
            stat(
                "shared-by",
                meta.and_then(|m| m.origin.as_deref())
                    .unwrap_or("local")
                    .to_owned(),
            );
            for &a in &assets {
                let critical = self
                    .service
                    .assets
                    .get(a)
                    .is_some_and(|a| CRITICAL_SECTORS.contains(&a.sector.as_str()));
                if critical {
                    self.tally
                        .incidents
                        .entry((a, id, day.clone()))
                        .or_insert_with(|| (value.clone(), 0))
                        .1 += 1;
                }
            }
        }
    }

    /// The tally so far, when it is worth recording (many matches, or a few seconds old).
    pub fn take_if_due(&mut self) -> Option<Tally> {
        if self.tally.matches >= 100_000
            || (!self.tally.is_empty() && self.last_take.elapsed() > Duration::from_secs(5))
        {
            self.last_take = Instant::now();
            Some(std::mem::take(&mut self.tally))
        } else {
            None
        }
    }

    /// What is left to record.
    pub fn finish(&mut self) -> Tally {
        std::mem::take(&mut self.tally)
    }
}

/// What recording tallies did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub sightings_created: u64,
    pub sightings_updated: u64,
    pub incidents: u64,
    /// Abuse notices stored for the parties the registry names (`matching.abuse_notices`).
    #[serde(skip_serializing_if = "is_zero")]
    pub abuse_notices: u64,
    /// The incidents raised, as the hotline's alert task reads them back from the store.
    #[serde(skip)]
    pub raised: Vec<MatchEvent>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Recorded {
    pub fn add(&mut self, o: Recorded) {
        self.sightings_created += o.sightings_created;
        self.sightings_updated += o.sightings_updated;
        self.incidents += o.incidents;
        self.abuse_notices += o.abuse_notices;
        self.raised.extend(o.raised);
    }
}
