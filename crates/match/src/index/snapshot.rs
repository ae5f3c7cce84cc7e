//! The index written out and read back whole ([`Index::encode`], [`Index::decode`]), so that a
//! caller holding a million indicators can start without compiling them again.
//!
//! What is written is the index's own state, not the indicators: the slots (id, version,
//! validity, revoked) of the indicators it holds, the ids it holds out with their latest
//! version (`gone`), and every map's keys with their postings in order, slots renumbered
//! densely. Reading it back fills maps sized for their keys once, with no pattern parsed and
//! no indicator compiled, and builds the prefilters from the maps. Postings keep their order,
//! so an event matches the same indicators, reported in the same order, as in the index that
//! was written.
//!
//! Everything read is checked (slot numbers, conjunct positions, prefix lengths, repeated
//! keys and ids): a changed or truncated snapshot is a [`DecodeError`], never a panic.

use std::hash::Hash;

use super::*;
use crate::codec::{DecodeError, Decoder, Encoder};
use crate::compile::{MAX_CONJUNCTS, MAX_TERMS};

/// Remaps a posting's atoms to the dense slot numbers, dropping those of dead slots.
fn write_atoms(e: &mut Encoder, lists: &Lists, post: &u64, remap: &[u32]) -> bool {
    let live: Vec<u64> = lists
        .atoms(post)
        .iter()
        .filter_map(|&a| {
            let to = remap[atom_slot(a) as usize];
            (to != u32::MAX).then_some((a & !0xffff_ffff) | u64::from(to))
        })
        .collect();
    if live.is_empty() {
        return false;
    }
    e.u32(live.len() as u32);
    for a in live {
        e.u64(a);
    }
    true
}

fn write_map<K>(
    e: &mut Encoder,
    map: &Map<K>,
    lists: &Lists,
    remap: &[u32],
    key: impl Fn(&mut Encoder, &K),
) {
    let at = e.placeholder();
    let mut n = 0u64;
    for (k, post) in map {
        let mark = e.buf.len();
        key(e, k);
        if write_atoms(e, lists, post, remap) {
            n += 1;
        } else {
            e.buf.truncate(mark);
        }
    }
    e.patch_u64(at, n);
}

fn write_trie(e: &mut Encoder, trie: &Trie, lists: &Lists, remap: &[u32]) {
    let at = e.placeholder();
    let mut n = 0u64;
    let mut stack = vec![(0usize, 0u128, 0u8)];
    while let Some((node, bits, len)) = stack.pop() {
        let Node { child, post } = trie.nodes[node];
        if post != NONE {
            let mark = e.buf.len();
            e.u128(bits);
            e.u8(len);
            if write_atoms(e, lists, &post, remap) {
                n += 1;
            } else {
                e.buf.truncate(mark);
            }
        }
        for (bit, &c) in child.iter().enumerate() {
            if c != 0 && len < 128 {
                stack.push((c as usize, bits | ((bit as u128) << (127 - len)), len + 1));
            }
        }
    }
    e.patch_u64(at, n);
}

/// Reads one posting: its atoms checked, counted against their slots, kept in order.
fn read_posting(
    d: &mut Decoder<'_>,
    slots: &mut [Slot],
    lists: &mut Lists,
    atoms: &mut usize,
) -> Result<u64, DecodeError> {
    let n = d.u32()? as usize;
    if n == 0 || n.saturating_mul(8) > d.remaining() {
        return Err(d.invalid(format!("a posting of {n} atoms")));
    }
    let mut post = NONE;
    for _ in 0..n {
        let a = d.u64()?;
        let (slot, term, conj, nconj) = (atom_slot(a), atom_term(a), atom_conj(a), atom_nconj(a));
        if a >> 56 != 0
            || slot as usize >= slots.len()
            || usize::from(term) >= MAX_TERMS
            || nconj == 0
            || usize::from(nconj) > MAX_CONJUNCTS
            || conj >= nconj
        {
            return Err(d.invalid(format!("atom {a:#x} is not one the index makes")));
        }
        slots[slot as usize].atoms += 1;
        lists.push(&mut post, a);
    }
    *atoms += n;
    Ok(post)
}

fn read_map<K: Hash + Eq>(
    d: &mut Decoder<'_>,
    slots: &mut [Slot],
    lists: &mut Lists,
    atoms: &mut usize,
    min_key: usize,
    mut key: impl FnMut(&mut Decoder<'_>) -> Result<K, DecodeError>,
) -> Result<Map<K>, DecodeError> {
    let n = d.count(min_key + 12)?;
    let mut map = Map::with_capacity_and_hasher(n, Default::default());
    for _ in 0..n {
        let k = key(d)?;
        let post = read_posting(d, slots, lists, atoms)?;
        if map.insert(k, post).is_some() {
            return Err(d.invalid("a key written twice"));
        }
    }
    Ok(map)
}

fn read_trie(
    d: &mut Decoder<'_>,
    width: u8,
    slots: &mut [Slot],
    lists: &mut Lists,
    atoms: &mut usize,
) -> Result<Trie, DecodeError> {
    let n = d.count(16 + 1 + 12)?;
    let mut trie = Trie::new();
    for _ in 0..n {
        let bits = d.u128()?;
        let len = d.u8()?;
        if len > width {
            return Err(d.invalid(format!("a /{len} prefix where at most /{width} fits")));
        }
        let post = read_posting(d, slots, lists, atoms)?;
        let node = trie.node_for(bits, len);
        if *node != NONE {
            return Err(d.invalid("a prefix written twice"));
        }
        *node = post;
    }
    Ok(trie)
}

fn boxed(d: &mut Decoder<'_>) -> Result<Box<str>, DecodeError> {
    d.str().map(Box::from)
}

impl Index {
    /// Appends the index to `e` (see the module documentation): what [`Index::decode`] reads.
    pub fn encode(&self, e: &mut Encoder) {
        let mut remap = vec![u32::MAX; self.slots.len()];
        let live: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].live)
            .collect();
        e.u64(live.len() as u64);
        for (to, &from) in live.iter().enumerate() {
            remap[from] = to as u32;
            let s = &self.slots[from];
            e.u128(s.uuid);
            e.i64(s.modified);
            e.i64(s.valid_from);
            e.i64(s.valid_until);
            e.bool(s.revoked);
        }
        e.u64(self.gone.len() as u64);
        for (&uuid, &modified) in &self.gone {
            e.u128(uuid);
            e.i64(modified);
        }
        let l = &self.lists;
        let r = &remap[..];
        write_map(e, &self.v4, l, r, |e, k| e.u32(*k));
        write_map(e, &self.v6, l, r, |e, k| e.u128(*k));
        write_map(e, &self.domains, l, r, |e, k| e.str(k));
        write_map(e, &self.suffixes, l, r, |e, k| e.str(k));
        write_map(e, &self.urls, l, r, |e, k| e.str(k));
        write_map(e, &self.emails, l, r, |e, k| e.str(k));
        write_map(e, &self.md5, l, r, |e, k| e.buf.extend_from_slice(k));
        write_map(e, &self.sha1, l, r, |e, k| e.buf.extend_from_slice(k));
        write_map(e, &self.sha256, l, r, |e, k| e.buf.extend_from_slice(k));
        write_trie(e, &self.v4net, l, r);
        write_trie(e, &self.v6net, l, r);
    }

    /// Reads an index [`Index::encode`] wrote. It matches every event exactly as the written
    /// one did and takes later upserts, removals and forgets alike.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let mut index = Index::new();
        let n = d.count(16 + 8 * 3 + 1)?;
        index.slots.reserve_exact(n);
        index.by_id.reserve(n);
        for i in 0..n {
            let uuid = d.u128()?;
            let slot = Slot {
                uuid,
                modified: d.i64()?,
                valid_from: d.i64()?,
                valid_until: d.i64()?,
                atoms: 0,
                live: true,
                revoked: d.bool()?,
            };
            index.revoked += usize::from(slot.revoked);
            index.slots.push(slot);
            if index.by_id.insert(uuid, i as u32).is_some() {
                return Err(d.invalid("an indicator written twice"));
            }
        }
        let n = d.count(16 + 8)?;
        index.gone.reserve(n);
        for _ in 0..n {
            let uuid = d.u128()?;
            let modified = d.i64()?;
            if index.by_id.contains_key(&uuid) || index.gone.insert(uuid, modified).is_some() {
                return Err(d.invalid("an indicator both held and held out, or twice"));
            }
        }
        let slots = &mut index.slots[..];
        let lists = &mut index.lists;
        let mut atoms = 0usize;
        let a = &mut atoms;
        index.v4 = read_map(d, slots, lists, a, 4, |d| d.u32())?;
        index.v6 = read_map(d, slots, lists, a, 16, |d| d.u128())?;
        index.domains = read_map(d, slots, lists, a, 4, boxed)?;
        index.suffixes = read_map(d, slots, lists, a, 4, boxed)?;
        index.urls = read_map(d, slots, lists, a, 4, boxed)?;
        index.emails = read_map(d, slots, lists, a, 4, boxed)?;
        index.md5 = read_map(d, slots, lists, a, 16, |d| d.fixed())?;
        index.sha1 = read_map(d, slots, lists, a, 20, |d| d.fixed())?;
        index.sha256 = read_map(d, slots, lists, a, 32, |d| d.fixed())?;
        index.v4net = read_trie(d, 32, slots, lists, a)?;
        index.v6net = read_trie(d, 128, slots, lists, a)?;
        index.live_atoms = atoms;
        for k in index.suffixes.keys() {
            index.suffix_labels |= 1 << labels(k).min(63);
        }
        for table in Table::ALL {
            index.rebuild_prefilter(table);
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small deterministic generator (splitmix64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// One comparison over a small universe of values, so indicators share keys.
    fn comparison(r: &mut Rng) -> String {
        let n = r.below(40);
        match r.below(9) {
            0 => format!("ipv4-addr:value = '198.51.100.{n}'"),
            1 => format!("ipv4-addr:value ISSUBSET '10.{n}.0.0/16'"),
            2 => format!("ipv6-addr:value = '2001:db8::{n:x}'"),
            3 => format!("ipv6-addr:value = '2001:db8:{n:x}::/48'"),
            4 => format!("domain-name:value = 'host{n}.example.org'"),
            5 => format!("domain-name:value LIKE '%.zone{n}.example'"),
            6 => format!("url:value = 'https://example.net/{n}'"),
            7 => format!("email-addr:value = 'user{n}@example.com'"),
            _ => format!("file:hashes.MD5 = '{n:032x}'"),
        }
    }

    fn pattern(r: &mut Rng) -> String {
        match r.below(4) {
            0 => format!("[{} AND {}]", comparison(r), comparison(r)),
            1 => format!("[{}] OR [{}]", comparison(r), comparison(r)),
            2 => format!("[{} OR {}]", comparison(r), comparison(r)),
            _ => format!("[{}]", comparison(r)),
        }
    }

    /// Random upserts (new versions, older ones, revocations, patterns that do not compile),
    /// removals and forgets over `ids` indicators.
    fn churn(index: &mut Index, r: &mut Rng, ids: u64, steps: usize) {
        for _ in 0..steps {
            let id = format!("indicator--00000000-0000-4000-8000-{:012x}", r.below(ids));
            match r.below(20) {
                0 => {
                    index.remove(&id);
                }
                1 => {
                    index.forget(&id);
                }
                k => {
                    let from = r.below(3) as i64 * 1000;
                    let ind = Indicator {
                        id,
                        modified: r.below(50) as i64,
                        pattern: if k == 2 {
                            "[process:name = 'x']".into()
                        } else {
                            pattern(r)
                        },
                        pattern_type: "stix".into(),
                        valid_from: (from > 0).then_some(from),
                        valid_until: (r.below(4) == 0).then_some(from + 1500),
                        revoked: k == 3,
                    };
                    let _ = index.upsert(&ind);
                }
            }
        }
    }

    /// Events carrying values of the universe (and a few others), at several times.
    fn events() -> Vec<Vec<Observable<'static>>> {
        let mut out = Vec::new();
        for n in 0..42u32 {
            out.push(vec![
                Observable::new(Kind::Ip, format!("198.51.100.{n}")),
                Observable::new(Kind::Ip, format!("10.{n}.7.9")),
                Observable::new(Kind::Host, format!("2001:db8:{n:x}::{n:x}")),
                Observable::new(Kind::Domain, format!("a.zone{n}.example")),
                Observable::new(Kind::Domain, format!("host{n}.example.org")),
            ]);
            out.push(vec![
                Observable::new(Kind::Ip, format!("2001:db8::{n:x}")),
                Observable::new(Kind::Url, format!("https://example.net/{n}")),
                Observable::new(Kind::Email, format!("user{n}@example.com")),
                Observable::new(Kind::Hash, format!("{n:032x}")),
                Observable::new(Kind::Ip, format!("198.51.100.{}", (n + 1) % 40)),
            ]);
        }
        out
    }

    /// Every match (in order) and what validity did, of every event at several times and
    /// windows.
    fn outcome(index: &Index) -> Vec<(Vec<Match>, Validity)> {
        let mut all = Vec::new();
        for observables in events() {
            for t in [0, 999, 1000, 2000, 2600, 5000] {
                for window in [Window::Valid, Window::Retro] {
                    let event = Event {
                        line: 1,
                        time: Some(t),
                        observables: observables.clone(),
                    };
                    let (mut out, mut v) = (Vec::new(), Validity::default());
                    index.match_event_counted(&event, 0, window, &mut out, &mut v);
                    all.push((out, v));
                }
            }
        }
        all
    }

    fn round_trip(index: &Index) -> Index {
        let mut e = Encoder::default();
        index.encode(&mut e);
        let mut d = Decoder::new(&e.buf);
        let back = Index::decode(&mut d).expect("decodes");
        assert_eq!(d.remaining(), 0);
        back
    }

    #[test]
    fn a_decoded_index_matches_as_the_written_one_did_and_takes_the_same_updates() {
        for seed in 0..12 {
            let mut r = Rng(seed);
            let mut written = Index::new();
            churn(&mut written, &mut r, 300, 3000);
            let mut read = round_trip(&written);
            let before = outcome(&written);
            assert!(
                before.iter().any(|(m, _)| !m.is_empty()),
                "seed {seed}: something matches"
            );
            assert_eq!(outcome(&read), before, "seed {seed}");
            assert_eq!(read.len(), written.len());
            assert_eq!(read.revoked, written.revoked);
            // The same updates after reading (older versions, forgets, purges) end alike.
            let mut same = Rng(r.0);
            churn(&mut written, &mut r, 300, 2000);
            churn(&mut read, &mut same, 300, 2000);
            assert_eq!(outcome(&read), outcome(&written), "seed {seed} after churn");
        }
    }

    #[test]
    fn an_empty_index_reads_back_empty() {
        let read = round_trip(&Index::new());
        assert!(read.is_empty());
        assert!(outcome(&read).iter().all(|(m, _)| m.is_empty()));
    }

    fn sample() -> Vec<u8> {
        let mut r = Rng(99);
        let mut index = Index::new();
        churn(&mut index, &mut r, 60, 400);
        let mut e = Encoder::default();
        index.encode(&mut e);
        e.buf
    }

    #[test]
    fn every_truncation_is_an_error() {
        let buf = sample();
        for cut in 0..buf.len() {
            assert!(
                Index::decode(&mut Decoder::new(&buf[..cut])).is_err(),
                "cut at {cut}"
            );
        }
    }

    proptest! {
        #[test]
        fn a_changed_snapshot_never_panics(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)
        ) {
            let mut buf = sample();
            for (at, b) in edits {
                let at = at % buf.len();
                buf[at] = b;
            }
            if let Ok(index) = Index::decode(&mut Decoder::new(&buf)) {
                let _ = outcome(&index);
            }
        }
    }
}
