//! Real-world data nobody in this project wrote: MITRE ATT&CK for ICS v18.1 (shared test data).
//! Every object must validate and come back JSON-equal.

use std::path::PathBuf;

use pacific_core::StixObject;
use pacific_core::bundle::{BundleItem, read_objects};
use serde_json::Value;

/// `../shared/data` beside the repository. The manifest directory is read at run time (cargo
/// and nextest set it) so a test binary built in another checkout still looks beside this one.
fn data_path() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest.join("../../../shared/data/ics-attack-18.1.json")
}

#[test]
fn attack_ics_streams_valid_and_round_trips() {
    let path = data_path();
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "ATT&CK test data missing at {}: {e} (this test must not pass without it)",
            path.display()
        )
    });
    let mut invalid = Vec::new();
    let summary = read_objects(file, |item| {
        if let BundleItem::Invalid { index, error } = item {
            invalid.push(format!("#{index}: {error}"));
        }
        Ok::<_, std::convert::Infallible>(())
    })
    .expect("the bundle reads");
    assert!(
        invalid.is_empty(),
        "{} invalid objects, first: {:?}",
        invalid.len(),
        &invalid[..invalid.len().min(5)]
    );
    assert_eq!(summary.valid, 1826);
    assert_eq!(
        summary.bundle_id.as_deref(),
        Some("bundle--e4f0febd-b8cf-4272-b892-71049d272c40")
    );

    // Round trip: each original element against from_map().to_json(), reparsed.
    let text = std::fs::read_to_string(&path).expect("readable");
    let bundle: Value = serde_json::from_str(&text).expect("well-formed");
    let objects = bundle["objects"].as_array().expect("objects array");
    assert_eq!(objects.len(), 1826);
    for original in objects {
        let map = original.as_object().expect("object").clone();
        let object = StixObject::from_map(map).unwrap_or_else(|e| panic!("{e}"));
        let again: Value = serde_json::from_str(&object.to_json()).expect("own output parses");
        assert_eq!(&again, original, "{} changed in a round trip", object.id());
    }
}
