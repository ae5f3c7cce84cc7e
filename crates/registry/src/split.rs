//! Address ranges (first and last address, inclusive) split into CIDR prefixes, exactly: the
//! prefixes cover the range and nothing else, never overlap, come sorted, and are as few as
//! possible (each is the largest aligned block that starts where the previous one ended and
//! fits in what is left).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::resource::{Ipv4Prefix, Ipv6Prefix, ResourceError};

/// The fewest CIDR blocks covering `first..=last` in an address space of `width` bits (32 or
/// 128), as (first address, prefix length), sorted. `first <= last` and both fit in `width`.
fn split(first: u128, last: u128, width: u32) -> Vec<(u128, u8)> {
    debug_assert!(first <= last && (width == 128 || last >> width == 0));
    let mut out = Vec::new();
    let mut cur = first;
    loop {
        // The block may be no larger than the alignment of `cur` allows …
        let aligned = if cur == 0 {
            width
        } else {
            cur.trailing_zeros().min(width)
        };
        // … nor than what is left: host bits h with 2^h <= last - cur + 1.
        let left = last - cur;
        let fits = match left.checked_add(1) {
            Some(n) => 127 - n.leading_zeros(),
            None => 128,
        };
        let host = aligned.min(fits);
        out.push((cur, (width - host) as u8));
        let block_last = match 1u128.checked_shl(host) {
            Some(size) => cur + (size - 1),
            None => u128::MAX,
        };
        if block_last >= last {
            return out;
        }
        cur = block_last + 1;
    }
}

fn reversed(first: impl ToString, last: impl ToString) -> ResourceError {
    ResourceError::Reversed {
        first: first.to_string(),
        last: last.to_string(),
    }
}

/// `first..=last` as the fewest IPv4 prefixes, sorted; refused if the range runs backwards.
pub fn ipv4_range(first: Ipv4Addr, last: Ipv4Addr) -> Result<Vec<Ipv4Prefix>, ResourceError> {
    if first > last {
        return Err(reversed(first, last));
    }
    split(u32::from(first).into(), u32::from(last).into(), 32)
        .into_iter()
        .map(|(a, len)| Ipv4Prefix::new(Ipv4Addr::from(a as u32), len))
        .collect()
}

/// `first..=last` as the fewest IPv6 prefixes, sorted; refused if the range runs backwards.
pub fn ipv6_range(first: Ipv6Addr, last: Ipv6Addr) -> Result<Vec<Ipv6Prefix>, ResourceError> {
    if first > last {
        return Err(reversed(first, last));
    }
    split(first.into(), last.into(), 128)
        .into_iter()
        .map(|(a, len)| Ipv6Prefix::new(Ipv6Addr::from(a), len))
        .collect()
}

/// `count` IPv4 addresses from `first` (an RIR delegation line) as the fewest prefixes;
/// refused if `count` is zero or runs past `255.255.255.255`.
pub fn ipv4_count(first: Ipv4Addr, count: u64) -> Result<Vec<Ipv4Prefix>, ResourceError> {
    let start = u64::from(u32::from(first));
    let bad = |reason: String| ResourceError::BadPrefix {
        text: format!("{first}+{count}"),
        reason,
    };
    if count == 0 {
        return Err(bad("a count of zero addresses".into()));
    }
    let last = start
        .checked_add(count - 1)
        .filter(|l| *l <= u64::from(u32::MAX))
        .ok_or_else(|| bad("the range runs past 255.255.255.255".into()))?;
    ipv4_range(first, Ipv4Addr::from(last as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks the split of `first..=last` (width bits) against the properties the module
    /// promises, by arithmetic independent of the algorithm.
    fn check(first: u128, last: u128, width: u32) {
        let blocks = split(first, last, width);
        assert!(!blocks.is_empty());
        let mut expect = first;
        for (i, &(start, len)) in blocks.iter().enumerate() {
            let host = width - u32::from(len);
            let mask = 1u128.checked_shl(host).map_or(u128::MAX, |s| s - 1);
            assert_eq!(start & mask, 0, "block {i} has host bits set");
            // Sorted and contiguous: no gap, no overlap.
            assert_eq!(
                start, expect,
                "block {i} does not start where the last ended"
            );
            let end = start | mask;
            assert!(end <= last, "block {i} runs past the range");
            if end == last {
                assert_eq!(i, blocks.len() - 1, "blocks after the range's end");
            }
            expect = end.wrapping_add(1);
            // Minimal: no two neighbours are the halves of one larger aligned block.
            if let Some(&(next, next_len)) = blocks.get(i + 1)
                && next_len == len
                && len > 0
            {
                let parent_mask = (mask << 1) | 1;
                assert!(
                    start & parent_mask != 0 || next != end + 1,
                    "blocks {i} and {} make one /{}",
                    i + 1,
                    len - 1
                );
            }
        }
        let (last_start, last_len) = blocks[blocks.len() - 1];
        let host = width - u32::from(last_len);
        let mask = 1u128.checked_shl(host).map_or(u128::MAX, |s| s - 1);
        assert_eq!(
            last_start | mask,
            last,
            "the blocks stop short of the range's end"
        );
    }

    #[test]
    fn known_splits() {
        let v4 = |a: &str, b: &str| -> Vec<String> {
            ipv4_range(a.parse().unwrap(), b.parse().unwrap())
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(v4("10.0.0.0", "10.0.0.255"), ["10.0.0.0/24"]);
        assert_eq!(
            v4("10.0.0.1", "10.0.0.6"),
            ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
        );
        assert_eq!(v4("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
        assert_eq!(
            v4("255.255.255.255", "255.255.255.255"),
            ["255.255.255.255/32"]
        );
        let all6 = ipv6_range(Ipv6Addr::UNSPECIFIED, Ipv6Addr::from(u128::MAX)).unwrap();
        assert_eq!(all6.len(), 1);
        assert_eq!(all6[0].to_string(), "::/0");
        // 1.0.0.0 + 768 addresses (a /23 and a /24: three /24s do not make one block).
        let d: Vec<String> = ipv4_count("1.0.0.0".parse().unwrap(), 768)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(d, ["1.0.0.0/23", "1.0.2.0/24"]);
        assert!(ipv4_range("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap()).is_err());
        assert!(ipv4_count("255.255.255.0".parse().unwrap(), 257).is_err());
        assert!(ipv4_count("10.0.0.0".parse().unwrap(), 0).is_err());
    }

    proptest! {
        #[test]
        fn ipv4_splits_cover_exactly_without_overlap_in_the_fewest_sorted_blocks(
            a in any::<u32>(), b in any::<u32>()
        ) {
            let (first, last) = if a <= b { (a, b) } else { (b, a) };
            check(first.into(), last.into(), 32);
        }

        #[test]
        fn ipv4_small_ranges_split_the_same(a in any::<u32>(), n in 0u32..5000) {
            let last = a.saturating_add(n);
            check(a.into(), last.into(), 32);
        }

        #[test]
        fn ipv6_splits_cover_exactly_without_overlap_in_the_fewest_sorted_blocks(
            a in any::<u128>(), b in any::<u128>()
        ) {
            let (first, last) = if a <= b { (a, b) } else { (b, a) };
            check(first, last, 128);
        }

        #[test]
        fn ipv6_aligned_ranges_split_the_same(a in any::<u128>(), shift in 0u32..128, n in 0u128..4096) {
            let first = a >> shift << shift;
            check(first, first.saturating_add(n << shift.min(100)), 128);
        }
    }

    #[test]
    fn brute_force_minimum_on_a_small_space() {
        // In an 8-bit space, compare with the number of maximal aligned blocks found by
        // trying every block.
        for first in 0u128..256 {
            for last in first..256 {
                let blocks = split(first, last, 8);
                let maximal = (0..=8u32)
                    .flat_map(|host| {
                        (0u128..256 >> host)
                            .map(move |k| (k << host, (k << host) + (1 << host) - 1, host))
                    })
                    .filter(|&(s, e, host)| {
                        s >= first
                            && e <= last
                            && (host == 8 || {
                                let ps = s >> (host + 1) << (host + 1);
                                let pe = ps + (1 << (host + 1)) - 1;
                                ps < first || pe > last
                            })
                    })
                    .count();
                assert_eq!(blocks.len(), maximal, "{first}..={last}");
                check(first, last, 8);
            }
        }
    }
}
