//! Fuzzing of the parsers that read outside input, as property tests that run with the suite:
//! arbitrary bytes, and valid input mutated byte by byte, must give an answer or an error —
//! never a panic — and a valid bundle must keep parsing to the same objects.

use pacific_core::bundle::{BundleItem, read_objects_from_slice};
use pacific_core::taxii::ObjectQuery;
use pacific_core::{StixObject, Timestamp};
use proptest::prelude::*;

const SAMPLE: &str = include_str!("../../../samples/sample-bundle.json");
const FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];

fn count(bytes: &[u8]) -> Result<(u64, u64), String> {
    read_objects_from_slice(bytes, |_item: BundleItem| Ok::<(), String>(()))
        .map(|s| (s.valid, s.invalid))
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn bundle_reader_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = count(&bytes);
    }

    #[test]
    fn bundle_reader_survives_mutations_of_a_real_bundle(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<proptest::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok((valid, invalid)) = count(&bytes) {
            // Whatever still parses accounts for at most the objects that were there.
            prop_assert!(valid + invalid <= 17 + 1, "{valid} + {invalid}");
        }
    }

    #[test]
    fn object_parser_survives_arbitrary_text(text in "\\PC{0,300}") {
        let _ = StixObject::from_json(&text);
    }

    #[test]
    fn timestamp_parser_survives_arbitrary_text(text in "[0-9TZ:.\\-]{0,40}|\\PC{0,40}") {
        if let Ok(t) = Timestamp::parse(&text) {
            prop_assert_eq!(t.as_str(), text.as_str());
        }
    }

    #[test]
    fn query_parser_survives_arbitrary_pairs(pairs in proptest::collection::vec(("\\PC{0,20}", "\\PC{0,60}"), 0..6)) {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Ok(q) = ObjectQuery::from_pairs(refs, FILTERS, 100, 1000) {
            prop_assert!(q.limit >= 1 && q.limit <= 1000);
            prop_assert!(!q.versions.is_empty());
        }
    }
}

#[test]
fn the_unmutated_sample_parses_completely() {
    assert_eq!(count(SAMPLE.as_bytes()), Ok((17, 0)));
}
