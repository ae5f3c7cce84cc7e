//! A STIX bundle or TAXII envelope (TAXII POST bodies, `pacific ingest`, pages pulled from a
//! TAXII server), read as a stream by `bundle::read_objects`. The slice and the `Read` forms
//! must agree item by item, every valid item must be usable, and the counts must add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::bundle::{BundleItem, read_objects, read_objects_from_slice};

/// A read's outcome: (valid, invalid, bundle id) or the error's text.
type Outcome = Result<(u64, u64, Option<String>), String>;

fn read_all(data: &[u8], streamed: bool) -> (Outcome, Vec<BundleItem>) {
    let mut items = Vec::new();
    let sink = |item: BundleItem| {
        items.push(item);
        Ok::<(), String>(())
    };
    let result = if streamed {
        read_objects(data, sink)
    } else {
        read_objects_from_slice(data, sink)
    };
    (
        result
            .map(|s| (s.valid, s.invalid, s.bundle_id))
            .map_err(|e| e.to_string()),
        items,
    )
}

fuzz_target!(|data: &[u8]| {
    let (slice, items) = read_all(data, false);
    let (streamed, streamed_items) = read_all(data, true);
    assert_eq!(
        items, streamed_items,
        "the slice and Read forms saw other items"
    );
    assert_eq!(slice.is_ok(), streamed.is_ok(), "{slice:?} vs {streamed:?}");
    if let (Ok(a), Ok(b)) = (&slice, &streamed) {
        assert_eq!(a, b);
        assert_eq!(
            a.0 + a.1,
            items.len() as u64,
            "the summary does not count every item"
        );
    }
    for (n, item) in items.iter().enumerate() {
        match item {
            BundleItem::Valid(object) => pacific_fuzz::use_object(object),
            BundleItem::Invalid { index, error } => {
                assert_eq!(*index, n, "an invalid item's index is not its position");
                let _ = error.to_string();
            }
        }
    }
});
