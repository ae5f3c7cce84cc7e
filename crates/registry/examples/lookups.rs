//! A measurement of the index on a synthetic registry the size of the real delegations
//! (~200k IPv4 and IPv6 ranges, one jurisdiction claim per country), until `pacific bench
//! registry` does it on the real data: build time, index size, IPv4 lookups per second on one
//! core, and the same lookups by a scan of every claim, for the ratio.
//!
//! `cargo run --release -p pacific-registry --example lookups [RANGES] [LOOKUPS]`

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use pacific_registry::index::scan;
use pacific_registry::{ClaimDraft, ClaimSet, Contact, Index, Query, Resources, Role};
use pacific_registry::{special, split};

/// xorshift64*: a fixed, seeded sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let ranges: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let lookups: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    let countries = 240usize;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Ranges: three quarters IPv4 (in 1.0.0.0–223.255.255.255, on /24 boundaries), the rest
    // IPv6 (in 2001:200::/23 … 2c0f::/16, on /32 boundaries), each to a random country.
    let v4_count = ranges * 3 / 4;
    let mut cuts: Vec<u32> = (0..v4_count * 2)
        .map(|_| (0x0100_0000 + rng.below(0xdf00_0000 - 0x0100_0000) as u32) & !0xff)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut per_country: Vec<Resources> = vec![Resources::default(); countries];
    let mut v4_ranges = 0;
    for pair in cuts.chunks_exact(2) {
        let (first, last) = (pair[0], pair[1] - 1);
        let Ok(prefixes) = split::ipv4_range(Ipv4Addr::from(first), Ipv4Addr::from(last)) else {
            continue;
        };
        // Special-purpose space (10/8, 127/8, …) is no state's: leave it out.
        per_country[rng.below(countries as u64) as usize]
            .ipv4
            .extend(prefixes.into_iter().filter(|p| special::ipv4(p).is_none()));
        v4_ranges += 1;
    }
    let mut v6_ranges = 0;
    let mut v6_firsts = Vec::new();
    for _ in 0..(ranges - v4_count) {
        let block = 0x2400u128 + u128::from(rng.below(0x0a00) as u16);
        let first = (block << 112) | (u128::from(rng.below(1 << 16)) << 96);
        let last = first | ((1u128 << (96 - rng.below(8) as u32)) - 1);
        if let Ok(prefixes) = split::ipv6_range(Ipv6Addr::from(first), Ipv6Addr::from(last)) {
            per_country[rng.below(countries as u64) as usize]
                .ipv6
                .extend(prefixes);
            v6_ranges += 1;
            v6_firsts.push(first);
        }
    }
    let at = Timestamp::parse("2026-03-01T08:00:00Z").unwrap();
    let mut set = ClaimSet::new();
    let mut refused = 0;
    for (i, mut resources) in per_country.into_iter().enumerate() {
        resources.normalise();
        let draft = ClaimDraft {
            party: PartyId::new(format!("state-{i:03}")),
            party_identity: format!("identity--00000000-0000-4000-8000-{i:012x}"),
            role: Role::Jurisdiction,
            resources,
            contact: Contact {
                name: format!("CERT {i}"),
                email: Some(format!("duty@cert{i}.example.xa")),
                phone: None,
            },
            valid_from: at.clone(),
            valid_until: None,
            evidence: Vec::new(),
        };
        match draft.into_claim(&format!("00000000-0000-4000-8000-{i:012x}"), &at) {
            Ok(claim) => {
                set.insert(claim).unwrap();
            }
            Err(_) => refused += 1,
        }
    }
    let claims: Vec<_> = set.iter().cloned().collect();
    let prefixes: usize = claims
        .iter()
        .map(|c| c.resources.ipv4.len() + c.resources.ipv6.len())
        .sum();
    println!(
        "registry: {v4_ranges} IPv4 and {v6_ranges} IPv6 ranges as {prefixes} prefixes in {} claims ({refused} refused: special-purpose space)",
        claims.len()
    );

    let start = Instant::now();
    let index = Index::build(&set, &at);
    let build = start.elapsed();
    let stats = index.stats();
    println!(
        "build: {:.3} s; {} IPv4 and {} IPv6 intervals; index tables {:.1} MB",
        build.as_secs_f64(),
        stats.ipv4_intervals,
        stats.ipv6_intervals,
        stats.heap_bytes as f64 / 1e6
    );

    let addrs: Vec<u32> = (0..lookups).map(|_| rng.next() as u32).collect();
    let start = Instant::now();
    let answered = index.count_answered_ipv4(black_box(&addrs));
    let took = start.elapsed().as_secs_f64();
    let rate = lookups as f64 / took;
    println!(
        "index: {lookups} random IPv4 lookups in {took:.3} s: {:.2} million/s on one core ({answered} answered)",
        rate / 1e6
    );

    // IPv6: addresses in the claimed ranges (a random 64-bit interface id in the first /64 of
    // a random range), so that each is answered.
    let addrs6: Vec<Ipv6Addr> = (0..lookups / 4)
        .map(|_| {
            let first = v6_firsts[rng.below(v6_firsts.len() as u64) as usize];
            Ipv6Addr::from(first | u128::from(rng.next()))
        })
        .collect();
    let start = Instant::now();
    let answered6 = addrs6
        .iter()
        .filter(|a| !index.lookup_ipv6(**black_box(a)).is_empty())
        .count();
    let took = start.elapsed().as_secs_f64();
    println!(
        "index: {} IPv6 lookups in {took:.3} s: {:.2} million/s on one core ({answered6} answered)",
        addrs6.len(),
        addrs6.len() as f64 / took / 1e6
    );

    let sample = 200.min(lookups);
    let start = Instant::now();
    let mut agree = 0;
    for &a in &addrs[..sample] {
        let q = Query::Ip(Ipv4Addr::from(a).into());
        let slow = scan(&claims, &q, &at);
        let fast = index.lookup(&q);
        if slow.len() == fast.len()
            && slow
                .iter()
                .zip(&fast)
                .all(|(s, f)| s.claim.id == f.claim.id && s.resource == f.resource)
        {
            agree += 1;
        }
    }
    let took = start.elapsed().as_secs_f64();
    let scan_rate = sample as f64 / took;
    println!(
        "scan of every claim: {sample} lookups in {took:.3} s: {scan_rate:.0}/s; the index is {:.0}x faster; {agree}/{sample} answers agree",
        rate / scan_rate
    );
}
