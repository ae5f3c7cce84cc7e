//! The registry on real delegation data: the `start,end,country` files of the npm package
//! `@ip-location-db/asn-country` (RIR-derived, CC BY 4.0 by the NRO), installed by
//! `scripts/test.sh` into `scripts/registry-data/node_modules` and named by
//! `PACIFIC_ASN_COUNTRY_DIR`. Three countries' IPv4 and IPv6 ranges become the jurisdiction
//! claims of three parties, through the importer and the claim draft as an operator would make
//! them; the index's answers for a few thousand addresses are then checked against the CSV
//! itself, by a plain look at every range.
//!
//! Without the directory the test says it skipped, unless `PACIFIC_REQUIRE_DATA=1` (set by
//! `scripts/test.sh`), where a missing data set is a failure.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use pacific_core::policy::PartyId;
use pacific_registry::import::{self, ImportOptions, Imported};
use pacific_registry::{ClaimSet, Index, IpPrefix, Query, Resource, Role};

use crate::common::{contact, identity, t0, uuid};

/// The countries claimed: among the most ranges in both families.
const COUNTRIES: [&str; 3] = ["DE", "FR", "BR"];
/// Addresses looked up per family and per kind (in a claimed country's range, in another
/// country's range, outside every range), besides the boundaries.
const PER_KIND: usize = 1_000;

/// One line of a range file, as the test reads it: first and last address as integers.
#[derive(Clone, Debug)]
struct Range {
    first: u128,
    last: u128,
    country: String,
}

/// xorshift64*: a fixed, seeded sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn next128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A point of `first..=last`.
    fn within(&mut self, first: u128, last: u128) -> u128 {
        match (last - first).checked_add(1) {
            Some(size) => first + self.next128() % size,
            None => self.next128(),
        }
    }
}

/// The package's directory, or `None` (after saying so) when the test is to be skipped.
fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("PACIFIC_ASN_COUNTRY_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var("PACIFIC_REQUIRE_DATA").as_deref() == Ok("1") => panic!(
            "PACIFIC_REQUIRE_DATA=1 but PACIFIC_ASN_COUNTRY_DIR is not set: scripts/test.sh \
             installs @ip-location-db/asn-country into scripts/registry-data and names it"
        ),
        None => {
            eprintln!(
                "skipped: PACIFIC_ASN_COUNTRY_DIR is not set (scripts/test.sh sets it; or \
                 `npm ci` in scripts/registry-data and point it at \
                 node_modules/@ip-location-db/asn-country)"
            );
            None
        }
    }
}

fn read(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every line of a range file, parsed here without the crate's importer.
fn parse(text: &str) -> Vec<Range> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "not start,end,country: {l:?}");
            let bits = |s: &str| match s.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) => u128::from(u32::from(a)),
                Ok(IpAddr::V6(a)) => u128::from(a),
                Err(_) => panic!("not an address: {s:?} in {l:?}"),
            };
            Range {
                first: bits(f[0]),
                last: bits(f[1]),
                country: f[2].to_owned(),
            }
        })
        .collect()
}

/// The country whose range holds `addr`, by a look at every range.
fn country_of(ranges: &[Range], addr: u128) -> Option<&str> {
    ranges
        .iter()
        .find(|r| r.first <= addr && addr <= r.last)
        .map(|r| r.country.as_str())
}

/// Addresses to look up: the boundaries of some claimed ranges and their neighbours, then
/// `PER_KIND` each in claimed ranges, in other countries' ranges and in the gaps between
/// ranges (every range sorted; the space below the first and above the last included).
fn addresses(ranges: &[Range], top: u128, rng: &mut Rng) -> Vec<u128> {
    let claimed: Vec<&Range> = ranges
        .iter()
        .filter(|r| COUNTRIES.contains(&r.country.as_str()))
        .collect();
    let others: Vec<&Range> = ranges
        .iter()
        .filter(|r| !COUNTRIES.contains(&r.country.as_str()))
        .collect();
    let mut sorted: Vec<(u128, u128)> = ranges.iter().map(|r| (r.first, r.last)).collect();
    sorted.sort_unstable();
    let mut gaps = Vec::new();
    let mut next = 0u128;
    for &(first, last) in &sorted {
        if first > next {
            gaps.push((next, first - 1));
        }
        next = last.saturating_add(1);
    }
    if sorted.last().is_some_and(|&(_, last)| last < top) {
        gaps.push((next, top));
    }
    assert!(!claimed.is_empty() && !others.is_empty() && !gaps.is_empty());

    let mut out = Vec::new();
    for _ in 0..PER_KIND / 10 {
        let r = claimed[rng.below(claimed.len())];
        out.extend([
            r.first,
            r.last,
            r.first.wrapping_sub(1),
            r.last.wrapping_add(1),
        ]);
    }
    out.retain(|&a| a <= top);
    for _ in 0..PER_KIND {
        let r = claimed[rng.below(claimed.len())];
        out.push(rng.within(r.first, r.last));
        let r = others[rng.below(others.len())];
        out.push(rng.within(r.first, r.last));
        let (first, last) = gaps[rng.below(gaps.len())];
        out.push(rng.within(first, last));
    }
    out
}

/// One country's file imported as a jurisdiction claim would be, checked against the CSV:
/// every line of the country used, none refused, the totals the sum of its ranges' sizes.
fn import_checked(text: &str, ranges: &[Range], country: &str, family: &str) -> Imported {
    let imported = import::ranges(text, &ImportOptions::jurisdiction(country));
    let mine: Vec<&Range> = ranges.iter().filter(|r| r.country == country).collect();
    assert!(
        imported.errors.is_empty(),
        "{country} {family}: {:?}",
        &imported.errors[..imported.errors.len().min(5)]
    );
    assert_eq!(
        imported.summary.used,
        mine.len(),
        "{country} {family}: lines used"
    );
    assert_eq!(
        imported.evidence.len(),
        mine.len(),
        "{country} {family}: evidence lines"
    );
    assert_eq!(
        imported.summary.skipped,
        ranges.len() - mine.len(),
        "{country} {family}: lines skipped"
    );
    let size: u128 = mine.iter().map(|r| r.last - r.first + 1).sum();
    let totals = imported.summary.totals;
    if family == "IPv4" {
        assert_eq!(
            u128::from(totals.ipv4_addresses),
            size,
            "{country} IPv4 total"
        );
        assert_eq!(totals.ipv6_addresses, 0);
        assert!(totals.ipv4_prefixes >= mine.len());
    } else {
        assert_eq!(totals.ipv6_addresses, size, "{country} IPv6 total");
        assert_eq!(totals.ipv4_addresses, 0);
        assert!(totals.ipv6_prefixes >= mine.len());
    }
    imported
}

#[test]
fn three_countries_of_the_real_delegations_answer_as_the_csv_says() {
    let Some(dir) = data_dir() else {
        return;
    };
    let (text4, text6) = (
        read(&dir, "asn-country-ipv4.csv"),
        read(&dir, "asn-country-ipv6.csv"),
    );
    let (ranges4, ranges6) = (parse(&text4), parse(&text6));
    assert!(
        ranges4.len() > 10_000 && ranges6.len() > 10_000,
        "{} IPv4 and {} IPv6 ranges: not the whole data set",
        ranges4.len(),
        ranges6.len()
    );

    let at = t0();
    let mut set = ClaimSet::new();
    let mut party_of: BTreeMap<&str, PartyId> = BTreeMap::new();
    for (n, cc) in COUNTRIES.into_iter().enumerate() {
        let v4 = import_checked(&text4, &ranges4, cc, "IPv4");
        let v6 = import_checked(&text6, &ranges6, cc, "IPv6");
        let party = PartyId::new(format!("cert-{}", cc.to_ascii_lowercase()));
        let mut draft = v4.into_draft(
            party.clone(),
            identity(party.as_str()),
            Role::Jurisdiction,
            contact(),
            at.clone(),
        );
        draft.resources.extend(v6.resources);
        draft.evidence.extend(v6.evidence);
        let claim = draft
            .into_claim(&uuid(n as u32), &at)
            .unwrap_or_else(|e| panic!("{cc}: {e}"));
        set.insert(claim).unwrap();
        party_of.insert(cc, party);
    }
    let index = Index::build(&set, &at);
    assert_eq!(index.stats().claims, 3);
    assert!(index.conflicts().is_empty(), "{:?}", index.conflicts());

    // The claimed countries' ranges: an address in none of them is answered by no one.
    let claimed4: Vec<Range> = ranges4
        .iter()
        .filter(|r| party_of.contains_key(r.country.as_str()))
        .cloned()
        .collect();
    let claimed6: Vec<Range> = ranges6
        .iter()
        .filter(|r| party_of.contains_key(r.country.as_str()))
        .cloned()
        .collect();
    let expected = |ranges: &[Range], addr: u128| -> Option<PartyId> {
        country_of(ranges, addr).and_then(|cc| party_of.get(cc).cloned())
    };
    let answered = |hits: &[pacific_registry::index::Hit]| -> Vec<PartyId> {
        hits.iter()
            .filter(|h| h.role == Role::Jurisdiction)
            .map(|h| index.claims()[h.claim as usize].party.clone())
            .collect()
    };

    let mut rng = Rng(0x5eed_f00d_7e57_da7a);
    let mut seen = BTreeMap::<(&str, bool), usize>::new();

    let addrs4 = addresses(&ranges4, u128::from(u32::MAX), &mut rng);
    let mut expected_answered = 0;
    for &a in &addrs4 {
        let addr = Ipv4Addr::from(a as u32);
        let want = expected(&claimed4, a);
        let got = answered(index.lookup_ipv4(addr));
        assert_eq!(got, Vec::from_iter(want.clone()), "{addr}");
        *seen.entry(("IPv4", want.is_some())).or_default() += 1;
        expected_answered += usize::from(want.is_some());
        if want.is_some() && a.is_multiple_of(7) {
            // The full answer names a prefix of the claim that holds the address.
            let m = index.lookup(&Query::Ip(addr.into()));
            assert_eq!(m.len(), 1, "{addr}");
            match &m[0].resource {
                Resource::Ip(IpPrefix::V4(p)) => assert!(p.contains(addr), "{addr} not in {p}"),
                other => panic!("{addr}: answered by {other}"),
            }
        }
    }
    let bits: Vec<u32> = addrs4.iter().map(|&a| a as u32).collect();
    assert_eq!(index.count_answered_ipv4(&bits), expected_answered);

    let addrs6 = addresses(&ranges6, u128::MAX, &mut rng);
    for &a in &addrs6 {
        let addr = Ipv6Addr::from(a);
        let want = expected(&claimed6, a);
        let got = answered(index.lookup_ipv6(addr));
        assert_eq!(got, Vec::from_iter(want.clone()), "{addr}");
        *seen.entry(("IPv6", want.is_some())).or_default() += 1;
        if want.is_some() && a.is_multiple_of(7) {
            let m = index.lookup(&Query::Ip(addr.into()));
            assert_eq!(m.len(), 1, "{addr}");
            match &m[0].resource {
                Resource::Ip(IpPrefix::V6(p)) => assert!(p.contains(addr), "{addr} not in {p}"),
                other => panic!("{addr}: answered by {other}"),
            }
        }
    }
    // Both answers were asked for in both families, so the comparison above compared something.
    for family in ["IPv4", "IPv6"] {
        for claimed in [true, false] {
            let n = seen.get(&(family, claimed)).copied().unwrap_or(0);
            assert!(
                n >= PER_KIND,
                "{family}, claimed {claimed}: only {n} addresses"
            );
        }
    }
    eprintln!(
        "{} IPv4 and {} IPv6 addresses checked against the CSV: {seen:?}",
        addrs4.len(),
        addrs6.len()
    );
}
