//! A cache-resident prefilter in front of the index's exact-value hash maps.
//!
//! Why: with a million indicators the exact maps hold tens of megabytes, so every probe of an
//! observable is a cache miss — and almost every probe misses (events seldom carry a known-bad
//! value). A filter of under a byte per key answers "certainly not there" from a cache line
//! that is far more likely to be cached than the map's own; only the rare "maybe" goes on to
//! the map.
//!
//! The structure is a register-blocked Bloom filter: an array of 64-bit words; a key's
//! fingerprint picks one word and four bits in it. A lookup reads one word whatever the number
//! of keys, and a key can be inserted at any time, which a static filter (xor, binary fuse)
//! does not allow; the index upserts indicators one by one while it matches. Measured on
//! `pacific bench match` (docs/performance.md), this layout at 6 bits per key beat a
//! split-block filter (256-bit blocks, 8 bits per key): the smaller filter stays in cache
//! better, which matters more than its higher false-positive rate.
//!
//! The index keeps one filter per exact map ([`Table`]): a stream that never carries, say,
//! e-mail addresses never brings the e-mail filter into the cache.
//!
//! Keeping it current: it never gives a false negative for a key inserted since it was built,
//! and it only ever grows. The index inserts every key it attaches to an exact map, builds a
//! bigger filter from its maps when more keys were inserted than the filter was sized for, and
//! rebuilds it when it purges removed postings (the only time keys leave the maps), so stale
//! bits of removed keys cost at most a quarter more probes, never a wrong answer.

use std::hash::{BuildHasher, Hash};

/// Bits of filter per key it is sized for: about 6 % of absent keys pass at full load (fewer
/// until then).
const BITS_PER_KEY: usize = 6;

/// The smallest number of keys a filter is sized for.
const MIN_KEYS: usize = 1024;

/// Which exact map a key belongs to: keys of different maps get independent fingerprints, so
/// an IPv4 address never passes for a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Table {
    V4,
    V6,
    Domain,
    DomainSuffix,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
}

/// The number of [`Table`]s.
pub(crate) const TABLES: usize = 9;

impl Table {
    pub(crate) const ALL: [Table; TABLES] = [
        Table::V4,
        Table::V6,
        Table::Domain,
        Table::DomainSuffix,
        Table::Url,
        Table::Email,
        Table::Md5,
        Table::Sha1,
        Table::Sha256,
    ];
}

/// The 64-bit fingerprint of `key` in `table`. A map key and the borrowed form it is probed
/// with (`Box<str>` and `&str`) hash alike, so both give the same fingerprint.
pub(crate) fn fingerprint<K: Hash + ?Sized>(table: Table, key: &K) -> u64 {
    // A seed far from every other table's (the hasher folds the seed into the key's bits, so
    // seeds 1 and 5 would make key `x` of one table collide with key `x ^ 4` of the other).
    let seed = (table as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let h = foldhash::fast::FixedState::with_seed(seed).hash_one(key);
    // A final avalanche, so that both halves used below depend on every input bit.
    let h = (h ^ (h >> 32)).wrapping_mul(0xd6e8_feb8_6659_fd93);
    h ^ (h >> 32)
}

/// The register-blocked Bloom filter. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    words: Vec<u64>,
    /// Keys inserted since it was built (some may have left the maps since).
    inserted: usize,
    /// Keys it was sized for.
    capacity: usize,
}

impl Prefilter {
    /// An empty filter sized for `keys` keys (at least [`MIN_KEYS`]).
    pub(crate) fn with_capacity(keys: usize) -> Self {
        let capacity = keys.max(MIN_KEYS);
        let words = (capacity * BITS_PER_KEY).div_ceil(64);
        Self {
            words: vec![0; words],
            inserted: 0,
            capacity,
        }
    }

    /// The word and the bits in it of a fingerprint: the high half picks the word
    /// (multiply-shift maps it onto `0..len` without a division), four 6-bit slices of the low
    /// half the bits.
    fn place(&self, fingerprint: u64) -> (usize, u64) {
        let word = ((fingerprint >> 32) * self.words.len() as u64) >> 32;
        let mask = (0..4).fold(0u64, |mask, k| mask | 1 << ((fingerprint >> (6 * k)) & 63));
        (word as usize, mask)
    }

    pub(crate) fn insert(&mut self, fingerprint: u64) {
        let (word, mask) = self.place(fingerprint);
        self.words[word] |= mask;
        self.inserted += 1;
    }

    /// False only if no key of this fingerprint was inserted.
    #[inline]
    pub(crate) fn may_contain(&self, fingerprint: u64) -> bool {
        let (word, mask) = self.place(fingerprint);
        self.words[word] & mask == mask
    }

    /// More keys were inserted than it was sized for: time to build a bigger one.
    pub(crate) fn is_overfull(&self) -> bool {
        self.inserted > self.capacity
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// The size to build a filter for `keys` keys at: room for a quarter more before it is
/// rebuilt, so growing one key at a time costs amortised O(1) rebuilding per key.
pub(crate) fn planned_capacity(keys: usize) -> usize {
    keys + keys / 4
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
        assert!(rate < 0.08, "{:.2} % of absent keys passed", rate * 100.0);
        // The same values in another table are other keys.
        let other = fingerprints(Table::Url, 0..n)
            .into_iter()
            .filter(|&k| filter.may_contain(k))
            .count();
        assert!((other as f64 / f64::from(n)) < 0.08);
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
