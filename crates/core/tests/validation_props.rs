//! Property tests of STIX validation through the public API: custom properties round-trip
//! unchanged, versioning order is enforced, and identifiers must carry the right type.

use pacific_core::StixObject;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn indicator() -> Map<String, Value> {
    let v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--96072a14-c559-4e68-bb8b-5c06210c5a02",
        "created": "2024-03-01T10:00:00.000Z",
        "modified": "2024-03-02T10:00:00.000Z",
        "pattern": "[domain-name:value = 'example.org']",
        "pattern_type": "stix",
        "valid_from": "2024-03-01T10:00:00Z",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

/// Arbitrary JSON. Floats are multiples of 1/1024 so they are exact in binary and text.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1_000_000i32..1_000_000).prop_map(|n| Value::from(f64::from(n) / 1024.0)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn type_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,8})?"
}

proptest! {
    #[test]
    fn custom_properties_round_trip(props in prop::collection::btree_map("x_[a-z0-9_]{1,20}", json_value(), 0..8)) {
        let mut map = indicator();
        for (k, v) in props {
            map.insert(k, v);
        }
        let original = Value::Object(map);
        let text = serde_json::to_string(&original).expect("serialises");
        let object = StixObject::from_json(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again: Value = serde_json::from_str(&object.to_json()).expect("own output parses");
        prop_assert_eq!(again, original);
    }

    #[test]
    fn modified_before_created_is_rejected(created in 0i64..4_000_000_000, back in 1i64..1_000_000_000) {
        let mut map = indicator();
        let c = pacific_core::Timestamp::from_unix(created, 0);
        let m = pacific_core::Timestamp::from_unix(created - back, 0);
        map.insert("created".into(), json!(c.as_str()));
        map.insert("modified".into(), json!(m.as_str()));
        let e = StixObject::from_map(map).expect_err("modified before created");
        prop_assert_eq!(e.property, "modified");
    }

    #[test]
    fn ids_of_the_wrong_type_are_rejected(prefix in type_name()) {
        prop_assume!(prefix != "indicator");
        let mut map = indicator();
        map.insert("id".into(), json!(format!("{prefix}--96072a14-c559-4e68-bb8b-5c06210c5a02")));
        let e = StixObject::from_map(map).expect_err("id of another type");
        prop_assert_eq!(e.property, "id");

        // Reference properties check the referenced type too.
        prop_assume!(prefix != "identity");
        let mut map = indicator();
        map.insert("created_by_ref".into(), json!(format!("{prefix}--979c725c-d8ed-4c84-9dc3-a09a61fe32ba")));
        let e = StixObject::from_map(map).expect_err("created_by_ref of another type");
        prop_assert_eq!(e.property, "created_by_ref");
    }
}
