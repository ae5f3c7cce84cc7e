//! One STIX object as the node receives it (TAXII POST, an envelope's object text, a peer's
//! page): `StixObject::from_json` runs every validation rule. An accepted object must then go
//! through everything the node does with it (`pacific_fuzz::use_object`) and read back equal;
//! the same text through `from_value` must give the same answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::StixObject;

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    let parsed = StixObject::from_json(text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let via_value = StixObject::from_value(value);
        assert_eq!(
            parsed.as_ref().ok(),
            via_value.as_ref().ok(),
            "from_json and from_value disagree"
        );
    }
    if let Ok(object) = parsed {
        pacific_fuzz::use_object(&object);
    }
});
