//! A TAXII request's query string (`added_after`, `limit`, `next`, `match[id]`, `match[type]`,
//! `match[version]`, `match[spec_version]`), split as axum's `Query` does and read by
//! `ObjectQuery::from_pairs`, for each endpoint's set of filters. An accepted query must keep
//! its bounds, and its cursor and timestamps must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::Timestamp;
use pacific_core::taxii::{ObjectQuery, PageCursor, VersionSelector};

const OBJECTS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];
const OBJECT: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[version]",
    "match[spec_version]",
];
const VERSIONS: &[&str] = &["added_after", "limit", "next", "match[spec_version]"];

fn check_timestamp(t: &Timestamp) {
    let (secs, nanos) = t.unix();
    assert!(nanos < 1_000_000_000);
    let again = Timestamp::parse(t.as_str()).expect("a parsed timestamp parses again");
    assert_eq!(&again, t);
    // The node keeps `date_added` in microseconds; the conversion must not overflow.
    let micros = t.unix_micros();
    assert_eq!(micros.div_euclid(1_000_000), secs);
    let _ = Timestamp::from_unix_micros(micros);
}

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    for (_, value) in &pairs {
        if let Some(cursor) = PageCursor::decode(value) {
            assert!(cursor.0 >= 0);
            assert_eq!(PageCursor::decode(&cursor.encode()), Some(cursor));
        }
        if let Ok(t) = Timestamp::parse(value) {
            check_timestamp(&t);
        }
    }
    for allowed in [OBJECTS, OBJECT, VERSIONS] {
        let Ok(q) = ObjectQuery::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            allowed,
            100,
            1000,
        ) else {
            continue;
        };
        assert!(
            q.limit >= 1 && q.limit <= 1000,
            "limit {} out of bounds",
            q.limit
        );
        assert!(!q.versions.is_empty());
        if q.versions.contains(&VersionSelector::All) {
            assert_eq!(q.versions, vec![VersionSelector::All]);
        }
        if let Some(t) = &q.added_after {
            check_timestamp(t);
        }
        for v in &q.versions {
            if let VersionSelector::At(t) = v {
                check_timestamp(t);
            }
        }
        if let Some(next) = q.next {
            assert_eq!(PageCursor::decode(&next.encode()), Some(next));
        }
    }
});
