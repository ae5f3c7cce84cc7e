//! Claims: what a claim must hold, special-purpose space refused as jurisdiction, versions and
//! revocation, validity dates.

use pacific_core::policy::PartyId;
use pacific_registry::claim::Inserted;
use pacific_registry::{ClaimError, ClaimSet, Contact, Index, Query, Resources, Role};

use crate::common::*;

#[test]
fn private_reserved_and_documentation_space_is_refused_as_jurisdiction() {
    for (resource, block) in [
        ("10.1.0.0/16", "10.0.0.0/8"),
        ("192.168.7.0/24", "192.168.0.0/16"),
        ("172.20.0.0/16", "172.16.0.0/12"),
        ("100.64.0.0/12", "100.64.0.0/10"),
        ("127.0.0.1/32", "127.0.0.0/8"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("198.51.100.128/25", "198.51.100.0/24"),
        ("192.0.2.0/24", "192.0.2.0/24"),
        ("224.0.0.0/8", "224.0.0.0/4"),
        ("255.255.255.255/32", "240.0.0.0/4"),
        // A supernet of special space is refused too: it would hold it.
        ("192.0.0.0/8", "192.0.0.0/24"),
        ("0.0.0.0/0", "0.0.0.0/8"),
        ("2001:db8:1::/48", "2001:db8::/32"),
        ("fd12:3456::/32", "fc00::/7"),
        ("fe80::/64", "fe80::/10"),
        ("::ffff:0:0/96", "::ffff:0:0/96"),
        ("3fff:1::/32", "3fff::/20"),
        ("8000::/3", "outside 2000::/3"),
        ("AS64500", "AS64496-AS64511"),
        ("AS65000-AS65010", "AS64512-AS65534"),
        ("AS4200000001", "AS4200000000-AS4294967294"),
        ("AS0", "AS0"),
        ("AS23456", "AS23456"),
        ("example.com", "example.com"),
        ("host.test", "test"),
        ("printer.local", "local"),
        ("router.home.arpa", "home.arpa"),
    ] {
        let refused = draft("xa", Role::Jurisdiction, &[resource])
            .into_claim(&uuid(1), &t0())
            .expect_err(resource);
        match refused {
            ClaimError::SpecialPurpose { special, .. } => {
                assert_eq!(special.block, block, "{resource}")
            }
            other => panic!("{resource}: {other:?}"),
        }
        // An operator or a contact may name such space (a network's own documentation or
        // private ranges): only jurisdiction is refused.
        draft("xa", Role::Operator, &[resource])
            .into_claim(&uuid(1), &t0())
            .unwrap_or_else(|e| panic!("{resource} as operator: {e}"));
    }
}

#[test]
fn ordinary_public_space_is_accepted_as_jurisdiction() {
    let c = claim(
        1,
        "xa",
        Role::Jurisdiction,
        &[
            "41.0.0.0/11",
            "2c0f:f000::/20",
            "AS37000-AS37010",
            "xa",
            "com",
        ],
    );
    assert_eq!(c.resources.len(), 5);
}

#[test]
fn a_claim_holds_a_resource_a_reachable_contact_and_a_validity_that_runs_forwards() {
    let mut d = draft("xa", Role::Operator, &[]);
    assert_eq!(
        d.clone().into_claim(&uuid(1), &t0()),
        Err(ClaimError::NoResources)
    );
    d.resources = resources(&["41.0.0.0/16"]);
    d.valid_until = Some(t("2025-12-31T00:00:00Z"));
    assert!(matches!(
        d.clone().into_claim(&uuid(1), &t0()),
        Err(ClaimError::ValidityReversed { .. })
    ));
    d.valid_until = None;
    for contact in [
        Contact {
            name: "desk".into(),
            email: None,
            phone: None,
        },
        Contact {
            name: " ".into(),
            email: Some("a@b.xa".into()),
            phone: None,
        },
        Contact {
            name: "desk".into(),
            email: Some("nobody".into()),
            phone: None,
        },
        Contact {
            name: "desk".into(),
            email: None,
            phone: Some("555-0100".into()),
        },
    ] {
        let mut d = d.clone();
        d.contact = contact.clone();
        assert!(
            matches!(d.into_claim(&uuid(1), &t0()), Err(ClaimError::Contact(_))),
            "{contact:?}"
        );
    }
    let mut e = d.clone();
    e.evidence = vec![
        "afrinic|XA|ipv4|41.0.0.0|65536|20100101|allocated".into(),
        "two\nlines".into(),
    ];
    assert_eq!(
        e.into_claim(&uuid(1), &t0()),
        Err(ClaimError::Evidence { line: 2 })
    );
    assert!(matches!(
        d.clone().into_claim("not-a-uuid", &t0()),
        Err(ClaimError::BadId(_))
    ));
    let mut wrong = d.clone();
    wrong.party_identity = "organization--0b1c2d3e-4f50-4a61-8b72-c3d4e5f60718".into();
    assert!(matches!(
        wrong.into_claim(&uuid(1), &t0()),
        Err(ClaimError::BadIdentity(_))
    ));
    for party in ["", "x a", "x\u{7}"] {
        let mut nobody = d.clone();
        nobody.party = PartyId::new(party);
        assert!(matches!(
            nobody.into_claim(&uuid(1), &t0()),
            Err(ClaimError::BadParty(_))
        ));
    }
    assert!(d.into_claim(&uuid(1), &t0()).is_ok());
}

#[test]
fn roles_read_and_write_their_names() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
    }
    assert_eq!(
        "owner".parse::<Role>(),
        Err(ClaimError::UnknownRole("owner".into()))
    );
}

#[test]
fn a_later_version_replaces_an_earlier_one_and_never_changes_hands() {
    let mut set = ClaimSet::new();
    let first = claim(1, "xa", Role::Operator, &["41.0.0.0/16"]);
    assert_eq!(set.insert(first.clone()), Ok(Inserted::New));
    let mut second = first.next_version(&t("2026-03-02T00:00:00Z"));
    second.resources = resources(&["41.0.0.0/15"]);
    assert_eq!(set.insert(second.clone()), Ok(Inserted::Replaced));
    assert_eq!(
        set.insert(first.clone()),
        Ok(Inserted::Stale),
        "an older version"
    );
    assert_eq!(
        set.insert(second.clone()),
        Ok(Inserted::Stale),
        "the same version again"
    );
    assert_eq!(set.get(&first.id), Some(&second));
    let mut taken = second.next_version(&t("2026-03-03T00:00:00Z"));
    taken.party = PartyId::new("xb");
    taken.party_identity = identity("xb");
    assert!(matches!(
        set.insert(taken),
        Err(ClaimError::PartyChanged { .. })
    ));
    assert_eq!(
        set.get(&first.id),
        Some(&second),
        "the refused version changed nothing"
    );
    // A version made "before" the last one is still later: versions only move forwards.
    let late = second.next_version(&t0());
    assert!(late.modified > second.modified);
}

#[test]
fn a_revoked_claim_answers_for_nothing() {
    let mut set = ClaimSet::new();
    let c = claim(1, "xa", Role::Operator, &["41.0.0.0/16"]);
    set.insert(c.clone()).unwrap();
    let q: Query = "41.0.1.1".parse().unwrap();
    let now = t("2026-03-05T00:00:00Z");
    assert_eq!(Index::build(&set, &now).lookup(&q).len(), 1);
    let revoked = c.revoke(&t("2026-03-04T00:00:00Z"));
    set.insert(revoked.clone()).unwrap();
    let index = Index::build(&set, &now);
    assert!(index.lookup(&q).is_empty());
    assert_eq!(index.stats().not_in_force, 1);
    // Revocation is final: a later version does not bring the claim back.
    let mut again = revoked.next_version(&t("2026-03-04T12:00:00Z"));
    again.revoked = false;
    assert!(matches!(set.insert(again), Err(ClaimError::Revoked { .. })));
    assert!(set.get(&c.id).unwrap().revoked);
}

#[test]
fn a_claim_answers_only_within_its_validity_dates_and_the_index_says_when_to_rebuild() {
    let mut d = draft("xa", Role::Operator, &["41.0.0.0/16"]);
    d.valid_from = t("2026-02-01T00:00:00Z");
    d.valid_until = Some(t("2026-04-01T00:00:00Z"));
    let c = d.into_claim(&uuid(1), &t0()).unwrap();
    let mut later = draft("xb", Role::Contact, &["41.0.0.0/24"]);
    later.valid_from = t("2026-05-01T00:00:00Z");
    let l = later.into_claim(&uuid(2), &t0()).unwrap();
    let mut set = ClaimSet::new();
    set.insert(c).unwrap();
    set.insert(l).unwrap();
    let q: Query = "41.0.0.9".parse().unwrap();
    let at = |s: &str| Index::build(&set, &t(s));

    let before = at("2026-01-15T00:00:00Z");
    assert!(before.lookup(&q).is_empty());
    assert_eq!(before.next_change(), Some(&t("2026-02-01T00:00:00Z")));

    let during = at("2026-02-01T00:00:00Z");
    let found = during.lookup(&q);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].claim.party.as_str(), "xa");
    assert_eq!(during.next_change(), Some(&t("2026-04-01T00:00:00Z")));

    let lapsed = at("2026-04-01T00:00:00Z");
    assert!(lapsed.lookup(&q).is_empty(), "valid_until is exclusive");
    assert_eq!(lapsed.next_change(), Some(&t("2026-05-01T00:00:00Z")));

    let contact = at("2026-06-01T00:00:00Z");
    let found = contact.lookup(&q);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].role, Role::Contact);
    assert_eq!(contact.next_change(), None);
}

#[test]
fn totals_count_the_union_of_what_a_claim_covers() {
    let r: Resources = resources(&[
        "41.0.0.0/24",
        "41.0.0.128/25",
        "41.0.1.0/24",
        "2c0f:f000::/32",
        "AS1-AS10",
        "AS5-AS20",
        "xa",
    ]);
    let t = r.totals();
    assert_eq!(t.ipv4_prefixes, 3);
    assert_eq!(t.ipv4_addresses, 512, "the /25 inside the /24 counts once");
    assert_eq!(t.ipv6_addresses, 1u128 << 96);
    assert_eq!((t.as_ranges, t.asns), (2, 20));
    assert_eq!(t.domains, 1);
}
