//! The sample bundle shipped in `samples/` must be valid STIX 2.1 as this node sees it.

use std::path::PathBuf;

use pacific_core::bundle::{BundleItem, read_objects};
use pacific_core::tlp::Tlp;

#[test]
fn sample_bundle_is_valid() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/sample-bundle.json");
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut invalid = Vec::new();
    let mut types = Vec::new();
    let mut tlp_marked = 0;
    let summary = read_objects(file, |item| {
        match item {
            BundleItem::Valid(o) => {
                types.push(o.type_name().to_owned());
                if Tlp::strictest(o.object_marking_refs()).is_some() {
                    tlp_marked += 1;
                }
            }
            BundleItem::Invalid { index, error } => invalid.push(format!("#{index}: {error}")),
        }
        Ok::<_, std::convert::Infallible>(())
    })
    .expect("the sample reads");
    assert!(
        invalid.is_empty(),
        "invalid objects in the sample: {invalid:#?}"
    );
    assert_eq!(summary.invalid, 0);
    assert!(summary.valid >= 15, "only {} objects", summary.valid);
    for t in [
        "identity",
        "indicator",
        "malware",
        "attack-pattern",
        "intrusion-set",
        "relationship",
        "sighting",
        "observed-data",
        "report",
        "ipv4-addr",
        "domain-name",
    ] {
        assert!(types.iter().any(|x| x == t), "sample lacks a {t}");
    }
    // Every object but the two observables carries a TLP 2.0 marking.
    assert_eq!(tlp_marked, summary.valid - 2);
}
