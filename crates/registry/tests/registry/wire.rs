//! Claims on the wire: the `x-pacific-resource-claim` object, golden files, and what a node
//! refuses when it reads one.

use pacific_core::StixObject;
use pacific_core::policy::PartyId;
use pacific_golden::{assert_folder_holds_only, assert_golden, read_golden_text};
use pacific_registry::wire::{
    self, CLAIM_EXTENSION_ID, WireError, claim_extension_definition, claim_schema,
};
use pacific_registry::{Claim, ClaimError, Role};
use serde_json::Value;

use crate::common::*;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn pretty(object: &StixObject) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(object).unwrap();
    text.push('\n');
    text.into_bytes()
}

fn jurisdiction() -> Claim {
    let mut d = draft(
        "xa",
        Role::Jurisdiction,
        &[
            "41.0.0.0/11",
            "41.32.0.0/12",
            "2c0f:f000::/20",
            "AS37000-AS37010",
            "xa",
        ],
    );
    d.valid_until = Some(t("2027-01-01T00:00:00Z"));
    d.evidence = vec![
        "afrinic|XA|ipv4|41.0.0.0|3145728|20100101|allocated|F36B1A01".into(),
        "afrinic|XA|ipv6|2c0f:f000::|20|20100101|allocated|F36B1A01".into(),
    ];
    d.into_claim(&uuid(1), &t0()).unwrap()
}

fn revoked_contact() -> Claim {
    let c = claim(2, "cert-xb", Role::Contact, &["AS64500", "example.xa"]);
    c.revoke(&t("2026-04-01T00:00:00Z"))
}

/// Checks a claim's golden file both ways: built → file, file → claim → same bytes.
fn check_golden(name: &str, claim: &Claim) {
    let object = wire::to_stix(claim).unwrap();
    assert_golden(GOLDEN, name, &pretty(&object));
    let text = read_golden_text(GOLDEN, name);
    let compact: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string(&compact).unwrap(),
        object.to_json(),
        "{name}, compacted"
    );
    let back = wire::from_stix(&StixObject::from_json(&text).unwrap()).unwrap();
    assert_eq!(&back, claim, "{name}");
    assert_eq!(
        pretty(&wire::to_stix(&back).unwrap()),
        pretty(&object),
        "{name}"
    );
}

#[test]
fn golden_a_jurisdiction_claim() {
    check_golden("claim-jurisdiction.json", &jurisdiction());
}

#[test]
fn golden_a_revoked_contact_claim() {
    let c = revoked_contact();
    check_golden("claim-revoked.json", &c);
    assert!(wire::to_stix(&c).unwrap().is_revoked());
}

#[test]
fn golden_the_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, &["claim-jurisdiction.json", "claim-revoked.json"]);
}

#[test]
fn the_object_carries_every_member_its_schema_requires_and_no_other() {
    let schema: Value = serde_json::from_str(claim_schema()).unwrap();
    let object = wire::to_stix(&jurisdiction()).unwrap();
    for key in schema["required"].as_array().unwrap() {
        let key = key.as_str().unwrap();
        assert!(object.get(key).is_some(), "{key} is required by the schema");
    }
    let properties = schema["properties"].as_object().unwrap();
    for key in object.as_map().keys() {
        assert!(properties.contains_key(key), "{key} is not in the schema");
    }
    let definition = claim_extension_definition();
    assert_eq!(definition.id(), CLAIM_EXTENSION_ID);
    assert_eq!(
        object.get("extensions").unwrap()[CLAIM_EXTENSION_ID]["extension_type"],
        "new-sdo"
    );
}

/// The jurisdiction claim's object with `edit` applied to its JSON.
fn edited(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> StixObject {
    let mut map = wire::to_stix(&jurisdiction()).unwrap().into_map();
    edit(&mut map);
    StixObject::from_map(map).unwrap()
}

#[test]
fn a_claim_not_created_by_its_claiming_party_is_refused() {
    let forged = edited(|m| {
        m.insert("created_by_ref".into(), identity("xb").into());
    });
    assert!(matches!(
        wire::from_stix(&forged),
        Err(WireError::NotItsCreator { .. })
    ));
}

#[test]
fn a_claim_from_another_partys_node_is_refused() {
    let object = wire::to_stix(&jurisdiction()).unwrap();
    assert!(wire::from_peer(&object, &PartyId::new("xa")).is_ok());
    assert!(matches!(
        wire::from_peer(&object, &PartyId::new("xb")),
        Err(WireError::Claim(ClaimError::NotItsPublisher { .. }))
    ));
}

#[test]
fn malformed_claims_are_refused_with_the_field_at_fault() {
    let bad_prefix = edited(|m| {
        m.insert("ipv4_prefixes".into(), serde_json::json!(["41.0.0.1/11"]));
    });
    match wire::from_stix(&bad_prefix) {
        Err(WireError::Resource { field, .. }) => assert_eq!(field, "ipv4_prefixes"),
        other => panic!("{other:?}"),
    }
    let private = edited(|m| {
        m.insert("ipv4_prefixes".into(), serde_json::json!(["10.0.0.0/8"]));
    });
    assert!(matches!(
        wire::from_stix(&private),
        Err(WireError::Claim(ClaimError::SpecialPurpose { .. }))
    ));
    let no_role = edited(|m| {
        m.remove("role");
    });
    assert_eq!(wire::from_stix(&no_role), Err(WireError::Missing("role")));
    let role = edited(|m| {
        m.insert("role".into(), "owner".into());
    });
    assert!(matches!(
        wire::from_stix(&role),
        Err(WireError::Claim(ClaimError::UnknownRole(_)))
    ));
    let no_ext = edited(|m| {
        m.remove("extensions");
    });
    assert_eq!(wire::from_stix(&no_ext), Err(WireError::Extension));
    let bad_name = edited(|m| {
        m.insert("domain_suffixes".into(), serde_json::json!(["bücher.xa"]));
    });
    assert!(matches!(
        wire::from_stix(&bad_name),
        Err(WireError::Resource {
            field: "domain_suffixes",
            ..
        })
    ));
    let nothing = edited(|m| {
        for k in [
            "ipv4_prefixes",
            "ipv6_prefixes",
            "as_numbers",
            "domain_suffixes",
        ] {
            m.remove(k);
        }
    });
    assert_eq!(
        wire::from_stix(&nothing),
        Err(WireError::Claim(ClaimError::NoResources))
    );
    let contact = edited(|m| {
        m.insert(
            "contact".into(),
            serde_json::json!({"name": "desk", "fax": "1"}),
        );
    });
    assert!(matches!(
        wire::from_stix(&contact),
        Err(WireError::Field {
            field: "contact",
            ..
        })
    ));
    let indicator = StixObject::from_json(
        r#"{"type":"indicator","spec_version":"2.1","id":"indicator--3f8e2a1c-6b4d-4e7f-8a9b-0c1d2e3f0001","created":"2026-03-01T08:00:00Z","modified":"2026-03-01T08:00:00Z","pattern":"[ipv4-addr:value = '41.0.0.1']","pattern_type":"stix","valid_from":"2026-03-01T08:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(
        wire::from_stix(&indicator),
        Err(WireError::Type("indicator".into()))
    );
}
