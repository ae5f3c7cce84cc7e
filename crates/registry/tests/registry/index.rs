//! The index: the most specific claim per role, conflicts, and agreement with a scan of every
//! claim.

use pacific_registry::index::scan;
use pacific_registry::{Claim, ClaimSet, Index, Query, Role};
use proptest::prelude::*;

use crate::common::*;

fn set_of(claims: &[Claim]) -> ClaimSet {
    let mut set = ClaimSet::new();
    for c in claims {
        set.insert(c.clone()).unwrap();
    }
    set
}

fn now() -> pacific_core::Timestamp {
    t("2026-03-05T00:00:00Z")
}

/// The answer to `q`, as (role, party, resource) strings.
fn answer(index: &Index, q: &str) -> Vec<(Role, String, String)> {
    index
        .lookup(&q.parse::<Query>().unwrap())
        .into_iter()
        .map(|m| (m.role, m.claim.party.to_string(), m.resource.to_string()))
        .collect()
}

fn own(role: Role, party: &str, resource: &str) -> (Role, String, String) {
    (role, party.to_owned(), resource.to_owned())
}

#[test]
fn the_most_specific_claim_of_each_role_answers() {
    let claims = [
        claim(
            1,
            "xa",
            Role::Jurisdiction,
            &["41.0.0.0/11", "2c0f:f000::/20", "AS37000-AS37999", "xa"],
        ),
        claim(
            2,
            "net-xa",
            Role::Operator,
            &[
                "41.0.0.0/16",
                "41.0.5.0/24",
                "2c0f:f000:1::/48",
                "AS37001",
                "example.xa",
            ],
        ),
        claim(
            3,
            "cert-xa",
            Role::Contact,
            &["41.0.0.0/11", "AS37000-AS37099", "xa"],
        ),
    ];
    let index = Index::build(&set_of(&claims), &now());
    assert_eq!(
        answer(&index, "41.0.5.9"),
        [
            own(Role::Jurisdiction, "xa", "41.0.0.0/11"),
            own(Role::Operator, "net-xa", "41.0.5.0/24"),
            own(Role::Contact, "cert-xa", "41.0.0.0/11"),
        ]
    );
    assert_eq!(
        answer(&index, "41.0.6.1"),
        [
            own(Role::Jurisdiction, "xa", "41.0.0.0/11"),
            own(Role::Operator, "net-xa", "41.0.0.0/16"),
            own(Role::Contact, "cert-xa", "41.0.0.0/11"),
        ]
    );
    assert_eq!(answer(&index, "41.32.0.0"), [], "past the /11");
    assert_eq!(answer(&index, "40.255.255.255"), []);
    assert_eq!(
        answer(&index, "2c0f:f000:1::5"),
        [
            own(Role::Jurisdiction, "xa", "2c0f:f000::/20"),
            own(Role::Operator, "net-xa", "2c0f:f000:1::/48"),
        ]
    );
    assert_eq!(
        answer(&index, "AS37001"),
        [
            own(Role::Jurisdiction, "xa", "AS37000-AS37999"),
            own(Role::Operator, "net-xa", "AS37001"),
            own(Role::Contact, "cert-xa", "AS37000-AS37099"),
        ]
    );
    assert_eq!(
        answer(&index, "AS37500"),
        [own(Role::Jurisdiction, "xa", "AS37000-AS37999")]
    );
    assert_eq!(
        answer(&index, "www.Example.XA"),
        [
            own(Role::Jurisdiction, "xa", "xa"),
            own(Role::Operator, "net-xa", "example.xa"),
            own(Role::Contact, "cert-xa", "xa"),
        ]
    );
    assert_eq!(answer(&index, "example.xb"), []);
    assert!(index.conflicts().is_empty(), "{:?}", index.conflicts());
    let stats = index.stats();
    assert_eq!(stats.claims, 3);
    assert!(stats.heap_bytes > 0);
}

#[test]
fn two_parties_claiming_overlapping_resources_in_one_role_conflict() {
    let claims = [
        claim(
            1,
            "xa",
            Role::Jurisdiction,
            &["41.0.0.0/11", "AS37000-AS37010"],
        ),
        claim(
            2,
            "xb",
            Role::Jurisdiction,
            &["41.0.5.0/24", "41.1.0.0/16", "AS37010-AS37020"],
        ),
        // The same party twice, and another role, never conflict.
        claim(3, "xa", Role::Jurisdiction, &["41.0.5.0/25"]),
        claim(4, "net-xb", Role::Operator, &["41.0.0.0/11"]),
        claim(5, "xc", Role::Jurisdiction, &["xc", "sub.xc"]),
        claim(6, "xd", Role::Jurisdiction, &["sub.xc"]),
    ];
    let index = Index::build(&set_of(&claims), &now());
    let found: Vec<(String, String, String, usize)> = index
        .conflicts()
        .iter()
        .map(|c| {
            (
                c.parties[0].to_string(),
                c.parties[1].to_string(),
                c.overlap.clone(),
                c.overlaps,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("xa".into(), "xb".into(), "41.0.5.0/24".into(), 3),
            ("xb".into(), "xa".into(), "41.0.5.0/25".into(), 1),
            ("xc".into(), "xd".into(), "sub.xc".into(), 2),
        ],
        "xa/xb: the /24, the /16 and AS37010; xb's /24 and xa's /25; xc's sub.xc and xc over xd's"
    );
    assert_eq!(index.conflicts_of(&claims[3].id).count(), 0);
    assert_eq!(index.conflicts_of(&claims[0].id).count(), 1);
    // Most specific still wins: xa's /25 inside xb's /24 inside xa's /11.
    assert_eq!(
        answer(&index, "41.0.5.1"),
        [
            own(Role::Jurisdiction, "xa", "41.0.5.0/25"),
            own(Role::Operator, "net-xb", "41.0.0.0/11"),
        ]
    );
    assert_eq!(
        answer(&index, "41.0.5.200"),
        [
            own(Role::Jurisdiction, "xb", "41.0.5.0/24"),
            own(Role::Operator, "net-xb", "41.0.0.0/11"),
        ]
    );
}

#[test]
fn claims_tied_at_the_most_specific_range_both_answer() {
    let claims = [
        claim(1, "xa", Role::Jurisdiction, &["41.0.0.0/16"]),
        claim(2, "xb", Role::Jurisdiction, &["41.0.0.0/16"]),
    ];
    let index = Index::build(&set_of(&claims), &now());
    assert_eq!(
        answer(&index, "41.0.1.1"),
        [
            own(Role::Jurisdiction, "xa", "41.0.0.0/16"),
            own(Role::Jurisdiction, "xb", "41.0.0.0/16"),
        ]
    );
    assert_eq!(index.conflicts().len(), 1);
}

#[test]
fn an_index_of_nothing_answers_nothing() {
    let index = Index::build(&ClaimSet::new(), &now());
    assert!(answer(&index, "41.0.0.1").is_empty());
    assert!(answer(&index, "::1").is_empty());
    assert!(answer(&index, "AS1").is_empty());
    assert!(answer(&index, "xa").is_empty());
    assert_eq!(index.count_answered_ipv4(&[0, 1, u32::MAX]), 0);
}

/// Random claims over a small corner of the address and AS space, so that they nest and
/// overlap often.
fn arb_claims() -> impl Strategy<Value = Vec<Claim>> {
    let resource = prop_oneof![
        (0u32..64, 18u8..=32).prop_map(|(a, len)| {
            let addr = 0x2900_0000u32 | (a << 8); // 41.0.0.0 + a·256
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            format!("{}/{len}", std::net::Ipv4Addr::from(addr & mask))
        }),
        (0u128..64, 100u8..=128).prop_map(|(a, len)| {
            let addr = (0x2c0f_f000u128 << 96) | (a << 20);
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            format!("{}/{len}", std::net::Ipv6Addr::from(addr & mask))
        }),
        (37000u32..37040, 0u32..10).prop_map(|(a, n)| format!("AS{a}-AS{}", a + n)),
        prop::sample::select(vec!["xa", "a.xa", "b.xa", "c.a.xa", "xb"]).prop_map(String::from),
    ];
    let one = (
        prop::sample::select(vec!["p1", "p2", "p3"]),
        prop::sample::select(Role::ALL.to_vec()),
        prop::collection::vec(resource, 1..6),
        any::<bool>(),
    );
    prop::collection::vec(one, 0..12).prop_map(|list| {
        list.into_iter()
            .enumerate()
            .map(|(i, (party, role, res, lapsed))| {
                let refs: Vec<&str> = res.iter().map(String::as_str).collect();
                let mut d = draft(party, role, &refs);
                if lapsed {
                    d.valid_until = Some(t("2026-03-02T00:00:00Z"));
                }
                d.into_claim(&uuid(i as u32), &t0()).unwrap()
            })
            .collect()
    })
}

fn arb_query() -> impl Strategy<Value = Query> {
    prop_oneof![
        (0u32..(80 * 256))
            .prop_map(|o| Query::Ip(std::net::Ipv4Addr::from(0x2900_0000u32 + o).into())),
        (0u128..(80 << 20))
            .prop_map(|o| Query::Ip(std::net::Ipv6Addr::from((0x2c0f_f000u128 << 96) + o).into())),
        (36990u32..37060).prop_map(Query::Asn),
        prop::sample::select(vec![
            "xa", "a.xa", "x.a.xa", "c.a.xa", "b.xa", "xb", "xc", "d.c.a.xa"
        ])
        .prop_map(|s| s.parse().unwrap()),
    ]
}

/// Every pair of claims in force of one role, different parties, and overlapping resources,
/// found by comparing every resource with every other.
fn conflicts_by_pairs(claims: &[Claim], now: &pacific_core::Timestamp) -> Vec<[String; 2]> {
    use pacific_registry::IpPrefix as P;
    use pacific_registry::Resource as R;
    let overlap = |a: &R, b: &R| match (a, b) {
        (R::Ip(P::V4(x)), R::Ip(P::V4(y))) => x.overlaps(y),
        (R::Ip(P::V6(x)), R::Ip(P::V6(y))) => x.overlaps(y),
        (R::Asn(x), R::Asn(y)) => x.overlaps(y),
        (R::Domain(x), R::Domain(y)) => x.covers(y) || y.covers(x),
        _ => false,
    };
    let live: Vec<&Claim> = claims.iter().filter(|c| c.in_force(now)).collect();
    let mut out = Vec::new();
    for (i, a) in live.iter().enumerate() {
        for b in &live[i + 1..] {
            if a.role == b.role
                && a.party != b.party
                && a.resources
                    .iter()
                    .any(|x| b.resources.iter().any(|y| overlap(&x, &y)))
            {
                let mut pair = [a.id.clone(), b.id.clone()];
                pair.sort();
                out.push(pair);
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #[test]
    fn the_index_answers_as_a_scan_of_every_claim_does(
        claims in arb_claims(),
        queries in prop::collection::vec(arb_query(), 1..40),
    ) {
        let now = now();
        let index = Index::build(&set_of(&claims), &now);
        for q in &queries {
            let fast: Vec<_> = index.lookup(q).into_iter().map(|m| (m.role, m.claim.id.clone(), m.resource)).collect();
            let slow: Vec<_> = scan(&claims, q, &now).into_iter().map(|m| (m.role, m.claim.id.clone(), m.resource)).collect();
            prop_assert_eq!(fast, slow, "{}", q);
        }
    }

    #[test]
    fn the_index_finds_every_conflict_and_no_other(claims in arb_claims()) {
        let now = now();
        let index = Index::build(&set_of(&claims), &now);
        let mut found: Vec<[String; 2]> = index.conflicts().iter().map(|c| c.claims.clone()).collect();
        found.sort();
        prop_assert_eq!(found, conflicts_by_pairs(&claims, &now));
    }
}
