//! A cache-resident prefilter in front of the index's exact-value hash maps.
//!
//! Why: with a million indicators the exact maps hold tens of megabytes, so every probe of an
//! observable is a cache miss into main memory — and almost every probe misses (events seldom
//! carry a known-bad value). A filter of about one byte per key answers "certainly not there"
//! from cache for nearly all of those probes; only the rare "maybe" goes on to the map.
//!
//! The structure is a split-block Bloom filter: the filter is an array of 256-bit blocks,
//! each of eight 32-bit lanes; a key's fingerprint picks one block and sets (or tests) one bit
//! in every lane of it. A lookup reads one block — half a cache line — whatever the number of
//! keys, and a key can be inserted at any time, which a static filter (xor, binary fuse) does
//! not allow; the index upserts indicators one by one while it matches.
//!
//! Keeping it current: it never gives a false negative for a key inserted since it was built,
//! and it only ever grows. The index inserts every key it attaches to an exact map, builds a
//! bigger filter from its maps when more keys were inserted than the filter was sized for, and
//! rebuilds it when it purges removed postings (the only time keys leave the maps), so stale
//! bits of removed keys cost at most a quarter more probes, never a wrong answer.

use std::hash::{BuildHasher, Hash};

/// Bits of filter per key it is sized for: with the split-block layout about 2 % of absent
/// keys pass at full load (fewer until then), at one byte per key.
const BITS_PER_KEY: usize = 8;

/// The smallest number of keys a filter is sized for.
const MIN_KEYS: usize = 1024;

/// One odd multiplier per lane: each lane's bit comes from a different multiplicative hash of
/// the fingerprint's low half, so the eight bits of a key are independent enough.
const SALT: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];

/// Which exact map a key belongs to: keys of different maps get independent fingerprints, so
/// an IPv4 address never passes for a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    V4 = 1,
    V6,
    Domain,
    DomainSuffix,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
}

/// The 64-bit fingerprint of `key` in `table`. A map key and the borrowed form it is probed
/// with (`Box<str>` and `&str`) hash alike, so both give the same fingerprint.
pub(crate) fn fingerprint<K: Hash + ?Sized>(table: Table, key: &K) -> u64 {
    // A seed far from every other table's (the hasher folds the seed into the key's bits, so
    // seeds 1 and 5 would make key `x` of one table collide with key `x ^ 4` of the other).
    let seed = (table as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let h = foldhash::fast::FixedState::with_seed(seed).hash_one(key);
    // A final avalanche, so that both halves used below depend on every input bit.
    let h = (h ^ (h >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    h ^ (h >> 32)
}

/// The split-block Bloom filter. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    blocks: Vec<[u32; 8]>,
    /// Keys inserted since it was built (some may have left the maps since).
    inserted: usize,
    /// Keys it was sized for.
    capacity: usize,
}

impl Prefilter {
    /// An empty filter sized for `keys` keys (at least [`MIN_KEYS`]).
    pub(crate) fn with_capacity(keys: usize) -> Self {
        let capacity = keys.max(MIN_KEYS);
        let blocks = (capacity * BITS_PER_KEY).div_ceil(256);
        Self {
            blocks: vec![[0; 8]; blocks],
            inserted: 0,
            capacity,
        }
    }

    /// The block and the per-lane bit masks of a fingerprint.
    fn place(&self, fingerprint: u64) -> (usize, [u32; 8]) {
        // The high half picks the block (multiply-shift maps it onto 0..len without a
        // division), the low half the bit in each lane.
        let block = ((fingerprint >> 32) * self.blocks.len() as u64) >> 32;
        let low = fingerprint as u32;
        let masks = SALT.map(|salt| 1u32 << (low.wrapping_mul(salt) >> 27));
        (block as usize, masks)
    }

    pub(crate) fn insert(&mut self, fingerprint: u64) {
        let (block, masks) = self.place(fingerprint);
        for (lane, mask) in self.blocks[block].iter_mut().zip(masks) {
            *lane |= mask;
        }
        self.inserted += 1;
    }

    /// False only if no key of this fingerprint was inserted.
    pub(crate) fn may_contain(&self, fingerprint: u64) -> bool {
        let (block, masks) = self.place(fingerprint);
        let lanes = &self.blocks[block];
        lanes.iter().zip(masks).all(|(lane, mask)| lane & mask != 0)
    }

    /// More keys were inserted than it was sized for: time to build a bigger one.
    pub(crate) fn is_overfull(&self) -> bool {
        self.inserted > self.capacity
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.blocks.capacity() * std::mem::size_of::<[u32; 8]>()
    }
}

/// The size to build a filter for `keys` keys at: room for half as many again before it is
/// rebuilt, so growing one key at a time costs amortised O(1) rebuilding per key.
pub(crate) fn planned_capacity(keys: usize) -> usize {
    keys + keys / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprints(table: Table, range: std::ops::Range<u32>) -> Vec<u64> {
        range.map(|k| fingerprint(table, &k)).collect()
    }

    #[test]
    fn every_inserted_key_passes_even_past_capacity() {
        let mut filter = Prefilter::with_capacity(10_000);
        let keys = fingerprints(Table::V4, 0..30_000);
        for &k in &keys {
            filter.insert(k);
        }
        assert!(filter.is_overfull());
        assert!(keys.iter().all(|&k| filter.may_contain(k)));
    }

    #[test]
    fn few_absent_keys_pass_at_full_load() {
        let n = 100_000u32;
        let mut filter = Prefilter::with_capacity(n as usize);
        for k in fingerprints(Table::V4, 0..n) {
            filter.insert(k);
        }
        assert!(!filter.is_overfull());
        let passed = fingerprints(Table::V4, n..2 * n)
            .into_iter()
            .filter(|&k| filter.may_contain(k))
            .count();
        let rate = passed as f64 / f64::from(n);
        assert!(rate < 0.04, "{:.2} % of absent keys passed", rate * 100.0);
        // The same values in another table are other keys.
        let other = fingerprints(Table::Url, 0..n)
            .into_iter()
            .filter(|&k| filter.may_contain(k))
            .count();
        assert!((other as f64 / f64::from(n)) < 0.04);
    }

    #[test]
    fn a_boxed_key_and_its_borrowed_form_have_one_fingerprint() {
        let boxed: Box<str> = "c2.example".into();
        assert_eq!(
            fingerprint(Table::Domain, &boxed),
            fingerprint(Table::Domain, "c2.example")
        );
        assert_ne!(
            fingerprint(Table::Domain, "c2.example"),
            fingerprint(Table::DomainSuffix, "c2.example")
        );
    }
}
