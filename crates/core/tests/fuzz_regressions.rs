//! Inputs the fuzz targets (`fuzz/`, `scripts/fuzz.sh`) found, kept once fixed: every file of
//! `tests/fuzz-regressions/<target>/` goes through what its target checks, as a normal test.

use std::path::PathBuf;

use pacific_core::StixObject;

/// The files a target found, with their names.
fn found(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

/// What the `stix_object` target checks of an accepted object: its JSON text reads back to
/// the same object, and writing that again gives the same text (the store keeps `to_json()`,
/// logs its SHA-256 and serves it; a relay or a re-validation must not change its bytes).
fn reads_back_unchanged(name: &str, object: &StixObject) {
    let json = object.to_json();
    let again = StixObject::from_json(&json)
        .unwrap_or_else(|e| panic!("{name}: the accepted object's JSON is refused: {e}"));
    assert_eq!(&again, object, "{name}: the object changed on the way back");
    assert_eq!(again.to_json(), json, "{name}: to_json is not stable");
}

#[test]
fn every_stix_object_found_is_refused_with_a_validation_error_or_reads_back_unchanged() {
    for (name, bytes) in found("stix_object") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match StixObject::from_json(text) {
            Ok(object) => reads_back_unchanged(&name, &object),
            Err(e) => assert!(!e.to_string().is_empty(), "{name}"),
        }
    }
}

/// Found by `stix_object`: an integer of 114 digits (in a custom object's property) is read
/// as the nearest f64 — without serde_json's `float_roundtrip`, not always the nearest, so the
/// number written back read as another one and the object's text changed at each round trip.
#[test]
fn a_number_beyond_f64_precision_reads_back_as_the_same_number() {
    let (name, bytes) = found("stix_object")
        .into_iter()
        .find(|(name, _)| name == "number-beyond-f64-precision.json")
        .expect("the input is kept");
    let object =
        StixObject::from_json(std::str::from_utf8(&bytes).unwrap()).expect("a valid custom object");
    reads_back_unchanged(&name, &object);
}
