//! The index of every claim in force: who answers for an address, an AS number or a name, and
//! which claims conflict.
//!
//! Each address family and the AS numbers are held as **sorted disjoint intervals**: the
//! boundaries of every claimed range cut the space into elementary intervals, each carrying its
//! answer (per role, the most specific claims covering it: the smallest range wins; claims
//! tied at the smallest range are all given, which is a conflict). A lookup is one step into a
//! table of 65,536 buckets by the key's top 16 bits and a binary search within the bucket:
//! no allocation and no pointer chasing. Domain suffixes are a map from suffix to claims; a
//! name is looked up by its suffixes, most specific first.
//!
//! Two claims **conflict** when they have the same role, different parties, and overlapping
//! resources (nested ones included: a state claiming a /8 and another a /24 inside it).
//! Conflicts are found while the index is built, each pair once, with the first overlap and
//! how many of their resources overlap.
//!
//! The index is built at a time `now` ([`Index::build`]) from the claims in force then (not
//! revoked, `valid_from <= now < valid_until`); [`Index::next_change`] says when a claim
//! starts or lapses, so the caller knows when to build again. [`scan`] answers the same
//! question by looking at every claim: the reference the tests compare with, and the linear
//! baseline of the benchmark.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::Serialize;

use crate::claim::{Claim, ClaimSet, Role};
use crate::resource::{AsnRange, DomainSuffix, IpPrefix, Ipv4Prefix, Ipv6Prefix, Query, Resource};

/// A key of an interval map: an IPv4 address, an IPv6 address or an AS number.
trait Key: Copy + Ord + Hash + Default + std::fmt::Debug {
    /// The key's top 16 bits.
    fn bucket(self) -> usize;
    /// The key after this one, `None` at the end of the space.
    fn succ(self) -> Option<Self>;
    /// `last - first`, the measure of specificity (smaller is more specific).
    fn span(first: Self, last: Self) -> u128;
}

impl Key for u32 {
    #[inline]
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn span(first: Self, last: Self) -> u128 {
        u128::from(last - first)
    }
}

impl Key for u128 {
    #[inline]
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
    fn succ(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn span(first: Self, last: Self) -> u128 {
        last - first
    }
}

const BUCKETS: usize = 1 << 16;

/// One answer of a raw lookup: a claim of a role, among the most specific covering the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    pub role: Role,
    /// The claim's position in [`Index::claims`].
    pub claim: u32,
}

/// One claimed range, while building.
#[derive(Clone, Copy, Debug)]
struct Entry<K> {
    first: K,
    last: K,
    role: Role,
    claim: u32,
}

/// Conflicts found while building: per pair of claims (in index order), the first overlap
/// (first, last, as a resource) and how many overlaps.
type ConflictAcc = BTreeMap<(u32, u32), (Resource, usize)>;

/// One interval: its first key and where its answer lies in [`IntervalMap::hits`]. The key
/// and the answer's place share a cache line, so a lookup touches the bucket table, a few
/// slots of one bucket, and the answer.
#[derive(Clone, Copy, Debug, Default)]
struct Slot<K> {
    start: K,
    offset: u32,
    len: u32,
}

/// Sorted disjoint intervals, each with its answer.
#[derive(Clone, Debug, Default)]
struct IntervalMap<K> {
    /// The intervals by first key; the first starts at 0 (the key's default).
    slots: Vec<Slot<K>>,
    /// Per bucket (top 16 bits) and one past the last: the first interval starting in it or
    /// later.
    buckets: Vec<u32>,
    /// The answers, one after the other.
    hits: Vec<Hit>,
}

impl<K: Key> IntervalMap<K> {
    fn build(
        mut entries: Vec<Entry<K>>,
        party_of: &[u32],
        conflicts: &mut ConflictAcc,
        overlap: fn(K, K) -> Resource,
    ) -> Self {
        entries.sort_unstable_by_key(|e| (e.first, e.last, e.role, e.claim));
        entries.dedup_by_key(|e| (e.first, e.last, e.role, e.claim));
        let mut points: Vec<K> = Vec::with_capacity(entries.len() * 2 + 1);
        points.push(K::default());
        for e in &entries {
            points.push(e.first);
            if let Some(after) = e.last.succ() {
                points.push(after);
            }
        }
        points.sort_unstable();
        points.dedup();

        let mut map = IntervalMap::default();
        let mut active: Vec<usize> = Vec::new();
        let mut next = 0;
        let mut set: Vec<Hit> = Vec::new();
        for p in points {
            active.retain(|&i| entries[i].last >= p);
            while next < entries.len() && entries[next].first == p {
                let new = &entries[next];
                for &i in &active {
                    let old = &entries[i];
                    if old.role == new.role
                        && party_of[old.claim as usize] != party_of[new.claim as usize]
                    {
                        let pair = (old.claim.min(new.claim), old.claim.max(new.claim));
                        let first = old.first.max(new.first);
                        let last = old.last.min(new.last);
                        conflicts
                            .entry(pair)
                            .or_insert_with(|| (overlap(first, last), 0))
                            .1 += 1;
                    }
                }
                active.push(next);
                next += 1;
            }
            set.clear();
            for role in Role::ALL {
                let best = active
                    .iter()
                    .filter(|&&i| entries[i].role == role)
                    .map(|&i| K::span(entries[i].first, entries[i].last))
                    .min();
                if let Some(best) = best {
                    set.extend(
                        active
                            .iter()
                            .map(|&i| &entries[i])
                            .filter(|e| e.role == role && K::span(e.first, e.last) == best)
                            .map(|e| Hit {
                                role,
                                claim: e.claim,
                            }),
                    );
                }
            }
            set.sort_unstable();
            set.dedup();
            // An interval with the same answer as the one before it extends it.
            if let Some(prev) = map.slots.last() {
                let held = &map.hits[prev.offset as usize..(prev.offset + prev.len) as usize];
                if held == set.as_slice() {
                    continue;
                }
            }
            let offset = map.hits.len() as u32;
            map.hits.extend_from_slice(&set);
            map.slots.push(Slot {
                start: p,
                offset,
                len: set.len() as u32,
            });
        }
        map.buckets = Vec::with_capacity(BUCKETS + 1);
        let mut i = 0;
        for b in 0..=BUCKETS {
            while i < map.slots.len() && map.slots[i].start.bucket() < b {
                i += 1;
            }
            map.buckets.push(i as u32);
        }
        map.slots.shrink_to_fit();
        map.hits.shrink_to_fit();
        map
    }

    /// The answer for `k`: the answer of the interval holding it.
    #[inline]
    fn get(&self, k: K) -> &[Hit] {
        let b = k.bucket();
        let (lo, hi) = match (self.buckets.get(b), self.buckets.get(b + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => return &[],
        };
        let within = self.slots[lo..hi].partition_point(|s| s.start <= k);
        // The first slot starts at the least key, so the one holding `k` is at
        // lo + within - 1 >= 0 (the last slot of an earlier bucket when `within` is 0).
        let Some(slot) = (lo + within).checked_sub(1).and_then(|i| self.slots.get(i)) else {
            return &[];
        };
        let start = slot.offset as usize;
        self.hits
            .get(start..start + slot.len as usize)
            .unwrap_or(&[])
    }

    fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<Slot<K>>()
            + self.buckets.capacity() * 4
            + self.hits.capacity() * size_of::<Hit>()
    }

    fn intervals(&self) -> usize {
        self.slots.len()
    }
}

/// Two claims of the same role, by different parties, over overlapping resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub role: Role,
    /// The two claims' ids, in order.
    pub claims: [String; 2],
    /// Their parties, in the same order.
    pub parties: [PartyId; 2],
    /// The first resource both cover (the smaller of two nested prefixes, the intersection of
    /// two AS ranges, the lower of two nested names).
    pub overlap: String,
    /// How many pairs of their resources overlap.
    pub overlaps: usize,
}

/// One answer of [`Index::lookup`]: a claim of a role, and the resource of it that covers the
/// query (its most specific one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    pub role: Role,
    pub claim: &'a Claim,
    pub resource: Resource,
}

/// Sizes, for a dry run or a benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    pub claims: usize,
    /// Claims held but not in force at the time of the build.
    pub not_in_force: usize,
    pub ipv4_intervals: usize,
    pub ipv6_intervals: usize,
    pub asn_intervals: usize,
    pub domain_suffixes: usize,
    pub conflicts: usize,
    /// Bytes the index's tables take on the heap (claims themselves not counted).
    pub heap_bytes: usize,
}

/// Every claim in force at one time, indexed.
#[derive(Clone, Debug, Default)]
pub struct Index {
    claims: Vec<Claim>,
    v4: IntervalMap<u32>,
    v6: IntervalMap<u128>,
    asn: IntervalMap<u32>,
    domains: HashMap<DomainSuffix, Vec<(Role, u32)>>,
    conflicts: Vec<Conflict>,
    next_change: Option<Timestamp>,
    not_in_force: usize,
}

fn v4_overlap(first: u32, last: u32) -> Resource {
    let p = crate::split::ipv4_range(Ipv4Addr::from(first), Ipv4Addr::from(last))
        .ok()
        .and_then(|v| v.into_iter().next())
        .unwrap_or_else(|| Ipv4Prefix::new(Ipv4Addr::from(first), 32).expect("a /32"));
    Resource::Ip(IpPrefix::V4(p))
}

fn v6_overlap(first: u128, last: u128) -> Resource {
    let p = crate::split::ipv6_range(Ipv6Addr::from(first), Ipv6Addr::from(last))
        .ok()
        .and_then(|v| v.into_iter().next())
        .unwrap_or_else(|| Ipv6Prefix::new(Ipv6Addr::from(first), 128).expect("a /128"));
    Resource::Ip(IpPrefix::V6(p))
}

fn asn_overlap(first: u32, last: u32) -> Resource {
    Resource::Asn(AsnRange::new(first, last).unwrap_or(AsnRange::single(first)))
}

impl Index {
    /// Indexes the claims of `set` in force at `now`.
    pub fn build(set: &ClaimSet, now: &Timestamp) -> Index {
        let mut index = Index::default();
        let mut next_change: Option<&Timestamp> = None;
        let mut claims = Vec::new();
        for claim in set.iter() {
            let change = if claim.revoked {
                None
            } else if claim.in_force(now) {
                claims.push(claim.clone());
                claim.valid_until.as_ref()
            } else {
                Some(&claim.valid_from)
            };
            if !claim.in_force(now) {
                index.not_in_force += 1;
            }
            if let Some(t) = change
                && t > now
                && next_change.is_none_or(|n| t < n)
            {
                next_change = Some(t);
            }
        }
        index.next_change = next_change.cloned();
        index.index(claims);
        index
    }

    fn index(&mut self, claims: Vec<Claim>) {
        let mut party_ids: HashMap<&PartyId, u32> = HashMap::new();
        let party_of: Vec<u32> = claims
            .iter()
            .map(|c| {
                let n = party_ids.len() as u32;
                *party_ids.entry(&c.party).or_insert(n)
            })
            .collect();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut asn = Vec::new();
        for (i, c) in claims.iter().enumerate() {
            let (claim, role) = (i as u32, c.role);
            let r = &c.resources;
            v4.extend(r.ipv4.iter().map(|p| Entry {
                first: p.first(),
                last: p.last(),
                role,
                claim,
            }));
            v6.extend(r.ipv6.iter().map(|p| Entry {
                first: p.first(),
                last: p.last(),
                role,
                claim,
            }));
            asn.extend(r.asns.iter().map(|a| Entry {
                first: a.first(),
                last: a.last(),
                role,
                claim,
            }));
            for d in &r.domains {
                let held = self.domains.entry(d.clone()).or_default();
                if !held.contains(&(role, claim)) {
                    held.push((role, claim));
                }
            }
        }
        let mut acc = ConflictAcc::new();
        self.v4 = IntervalMap::build(v4, &party_of, &mut acc, v4_overlap);
        self.v6 = IntervalMap::build(v6, &party_of, &mut acc, v6_overlap);
        self.asn = IntervalMap::build(asn, &party_of, &mut acc, asn_overlap);
        // Names: the same suffix, or one below another (in name order, so that the first
        // overlap of a pair is the same on every node).
        let mut names: Vec<(&DomainSuffix, &Vec<(Role, u32)>)> = self.domains.iter().collect();
        names.sort_unstable_by_key(|(name, _)| *name);
        for (name, held) in names {
            for above in name.suffixes() {
                let Ok(above_name) = DomainSuffix::parse(above) else {
                    continue;
                };
                let Some(others) = self.domains.get(&above_name) else {
                    continue;
                };
                let same = above == name.as_str();
                for &(role, a) in held {
                    for &(other_role, b) in others {
                        if role != other_role
                            || party_of[a as usize] == party_of[b as usize]
                            || (same && b <= a)
                        {
                            continue;
                        }
                        acc.entry((a.min(b), a.max(b)))
                            .or_insert_with(|| (Resource::Domain(name.clone()), 0))
                            .1 += 1;
                    }
                }
            }
        }
        self.conflicts = acc
            .into_iter()
            .map(|((a, b), (overlap, overlaps))| {
                let (ca, cb) = (&claims[a as usize], &claims[b as usize]);
                let (ca, cb) = if ca.id <= cb.id { (ca, cb) } else { (cb, ca) };
                Conflict {
                    role: ca.role,
                    claims: [ca.id.clone(), cb.id.clone()],
                    parties: [ca.party.clone(), cb.party.clone()],
                    overlap: overlap.to_string(),
                    overlaps,
                }
            })
            .collect();
        self.conflicts
            .sort_by(|x, y| (x.role, &x.claims).cmp(&(y.role, &y.claims)));
        self.claims = claims;
    }

    /// The claims in force, indexed; a [`Hit`]'s `claim` is a position in it.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// Every pair of claims in conflict, by role then ids.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// The conflicts a claim is in.
    pub fn conflicts_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Conflict> + 'a {
        self.conflicts
            .iter()
            .filter(move |c| c.claims.iter().any(|x| x == id))
    }

    /// When a claim held starts or lapses after the build's time: build again then.
    pub fn next_change(&self) -> Option<&Timestamp> {
        self.next_change.as_ref()
    }

    /// The raw answer for an IPv4 address: per role, the most specific claims covering it.
    /// No allocation: the fast path of lookups in bulk.
    #[inline]
    pub fn lookup_ipv4(&self, addr: Ipv4Addr) -> &[Hit] {
        self.v4.get(addr.into())
    }

    /// The raw answer for an IPv6 address.
    #[inline]
    pub fn lookup_ipv6(&self, addr: Ipv6Addr) -> &[Hit] {
        self.v6.get(addr.into())
    }

    /// The raw answer for an AS number.
    #[inline]
    pub fn lookup_asn(&self, asn: u32) -> &[Hit] {
        self.asn.get(asn)
    }

    /// How many of `addrs` some claim answers for: lookups in bulk, as a benchmark times them.
    pub fn count_answered_ipv4(&self, addrs: &[u32]) -> usize {
        addrs
            .iter()
            .filter(|&&a| !self.v4.get(a).is_empty())
            .count()
    }

    /// Per role, the most specific claims answering for `query` (more than one of a role when
    /// claims tie, which is a conflict), by role then claim.
    pub fn lookup(&self, query: &Query) -> Vec<Match<'_>> {
        let claim = |i: u32| &self.claims[i as usize];
        match query {
            Query::Ip(IpAddr::V4(a)) => self
                .lookup_ipv4(*a)
                .iter()
                .filter_map(|h| {
                    let c = claim(h.claim);
                    let bits = u32::from(*a);
                    // The claim's most specific prefix holding `a`: the longest that it lists.
                    (0..=32u8).rev().find_map(|len| {
                        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                        let p = Ipv4Prefix::new(Ipv4Addr::from(bits & mask), len).ok()?;
                        c.resources.ipv4.binary_search(&p).ok().map(|_| Match {
                            role: h.role,
                            claim: c,
                            resource: Resource::Ip(IpPrefix::V4(p)),
                        })
                    })
                })
                .collect(),
            Query::Ip(IpAddr::V6(a)) => self
                .lookup_ipv6(*a)
                .iter()
                .filter_map(|h| {
                    let c = claim(h.claim);
                    let bits = u128::from(*a);
                    (0..=128u8).rev().find_map(|len| {
                        let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                        let p = Ipv6Prefix::new(Ipv6Addr::from(bits & mask), len).ok()?;
                        c.resources.ipv6.binary_search(&p).ok().map(|_| Match {
                            role: h.role,
                            claim: c,
                            resource: Resource::Ip(IpPrefix::V6(p)),
                        })
                    })
                })
                .collect(),
            Query::Asn(n) => self
                .lookup_asn(*n)
                .iter()
                .flat_map(|h| {
                    let c = claim(h.claim);
                    // The claim's smallest ranges holding `n` (two ranges of one claim may
                    // overlap and tie).
                    let covering = || c.resources.asns.iter().filter(|r| r.contains(*n));
                    let best = covering().map(|r| r.last() - r.first()).min();
                    covering()
                        .filter(move |r| Some(r.last() - r.first()) == best)
                        .map(move |r| Match {
                            role: h.role,
                            claim: c,
                            resource: Resource::Asn(*r),
                        })
                        .collect::<Vec<_>>()
                })
                .collect(),
            Query::Domain(name) => {
                let mut out: Vec<Match<'_>> = Vec::new();
                for suffix in name.suffixes() {
                    let Ok(suffix) = DomainSuffix::parse(suffix) else {
                        continue;
                    };
                    let Some(held) = self.domains.get(&suffix) else {
                        continue;
                    };
                    for &(role, c) in held {
                        // A role already answered by a longer suffix stays so.
                        if out.iter().any(|m| {
                            m.role == role && m.resource != Resource::Domain(suffix.clone())
                        }) {
                            continue;
                        }
                        out.push(Match {
                            role,
                            claim: claim(c),
                            resource: Resource::Domain(suffix.clone()),
                        });
                    }
                }
                out.sort_by(|a, b| (a.role, &a.claim.id).cmp(&(b.role, &b.claim.id)));
                out
            }
        }
    }

    /// Sizes of the index.
    pub fn stats(&self) -> IndexStats {
        let domain_bytes: usize = self
            .domains
            .iter()
            .map(|(k, v)| k.as_str().len() + v.capacity() * 8 + 48)
            .sum();
        IndexStats {
            claims: self.claims.len(),
            not_in_force: self.not_in_force,
            ipv4_intervals: self.v4.intervals(),
            ipv6_intervals: self.v6.intervals(),
            asn_intervals: self.asn.intervals(),
            domain_suffixes: self.domains.len(),
            conflicts: self.conflicts.len(),
            heap_bytes: self.v4.heap_bytes()
                + self.v6.heap_bytes()
                + self.asn.heap_bytes()
                + domain_bytes,
        }
    }
}

/// The answer of [`Index::lookup`] found by looking at every resource of every claim in force
/// at `now`: per role, the claims whose covering resource is the most specific, as
/// (role, claim, resource), by role then claim id. Linear in the claims' resources.
pub fn scan<'a>(claims: &'a [Claim], query: &Query, now: &Timestamp) -> Vec<Match<'a>> {
    // Per role: the smallest span seen and the matches at it.
    let mut best: BTreeMap<Role, (u128, Vec<Match<'a>>)> = BTreeMap::new();
    for claim in claims.iter().filter(|c| c.in_force(now)) {
        for resource in claim.resources.iter() {
            let span = match (&resource, query) {
                (Resource::Ip(IpPrefix::V4(p)), Query::Ip(IpAddr::V4(a))) if p.contains(*a) => {
                    u128::from(p.last() - p.first())
                }
                (Resource::Ip(IpPrefix::V6(p)), Query::Ip(IpAddr::V6(a))) if p.contains(*a) => {
                    p.last() - p.first()
                }
                (Resource::Asn(r), Query::Asn(n)) if r.contains(*n) => {
                    u128::from(r.last() - r.first())
                }
                // A longer suffix is more specific: fewer names below it.
                (Resource::Domain(d), Query::Domain(name)) if d.covers(name) => {
                    u128::MAX - d.as_str().len() as u128
                }
                _ => continue,
            };
            let entry = best.entry(claim.role).or_insert((u128::MAX, Vec::new()));
            if span < entry.0 {
                *entry = (span, Vec::new());
            }
            if span == entry.0
                && !entry
                    .1
                    .iter()
                    .any(|m| m.claim.id == claim.id && m.resource == resource)
            {
                entry.1.push(Match {
                    role: claim.role,
                    claim,
                    resource,
                });
            }
        }
    }
    let mut out: Vec<Match<'a>> = best.into_values().flat_map(|(_, m)| m).collect();
    out.sort_by(|a, b| (a.role, &a.claim.id).cmp(&(b.role, &b.claim.id)));
    out
}
