//! Marking what arrives unmarked: `pacific ingest --tlp` and `pacific taxii pull --tlp` give
//! objects without a TLP marking the level the user names (public data such as ATT&CK is
//! unmarked, and the policy gate treats unmarked objects as TLP:AMBER).

use pacific_core::StixObject;
use pacific_core::tlp::{self, Tlp};
use serde_json::json;

fn indicator(markings: Option<Vec<&str>>) -> StixObject {
    let mut v = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a",
        "created": "2025-06-01T00:00:00.000Z", "modified": "2025-06-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
        "valid_from": "2025-06-01T00:00:00Z"
    });
    if let Some(m) = markings {
        v["object_marking_refs"] = json!(m);
    }
    StixObject::from_value(v).unwrap()
}

#[test]
fn an_unmarked_object_gets_the_level_and_stays_valid() {
    let marked = indicator(None).with_default_tlp(Tlp::Clear);
    assert_eq!(
        marked.object_marking_refs().collect::<Vec<_>>(),
        [tlp::TLP2_CLEAR]
    );
    // Still a valid object, read back the same.
    assert_eq!(StixObject::from_json(&marked.to_json()).unwrap(), marked);
    // Other markings are kept, the level added beside them.
    let statement = "marking-definition--0c9a3e1b-5d2f-4a7e-8b6c-2d1e0f9a8b7c";
    let both = indicator(Some(vec![statement])).with_default_tlp(Tlp::Green);
    assert_eq!(
        both.object_marking_refs().collect::<Vec<_>>(),
        [statement, tlp::TLP2_GREEN]
    );
}

#[test]
fn a_marked_object_and_a_marking_definition_are_left_alone() {
    let red = indicator(Some(vec![tlp::TLP2_RED]));
    assert_eq!(red.clone().with_default_tlp(Tlp::Clear), red);
    let tlp1 = indicator(Some(vec![tlp::TLP1_AMBER]));
    assert_eq!(tlp1.clone().with_default_tlp(Tlp::Clear), tlp1);
    let definition = StixObject::from_value(json!({
        "type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--0c9a3e1b-5d2f-4a7e-8b6c-2d1e0f9a8b7c",
        "created": "2025-06-01T00:00:00.000Z",
        "definition_type": "statement", "definition": {"statement": "Copyright Example"}
    }))
    .unwrap();
    assert_eq!(definition.clone().with_default_tlp(Tlp::Green), definition);
}

#[test]
fn levels_are_read_as_users_write_them() {
    for (text, level) in [
        ("clear", Tlp::Clear),
        ("WHITE", Tlp::Clear),
        ("TLP:GREEN", Tlp::Green),
        ("amber", Tlp::Amber),
        ("amber+strict", Tlp::AmberStrict),
        ("Red", Tlp::Red),
    ] {
        assert_eq!(Tlp::parse(text), Ok(level), "{text}");
    }
    let e = Tlp::parse("purple").unwrap_err();
    assert!(
        e.contains("clear, green, amber, amber+strict or red"),
        "{e}"
    );
}
