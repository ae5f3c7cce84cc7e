//! Log entries as peers send them (receipts in acks, `/log/entries` pages a verifier reads):
//! `Entry::decode` accepts only the canonical bytes `Entry::encode` writes, so an accepted
//! entry must encode back to exactly the input, and rebuild through `Entry::new`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::leaf_hash;

fuzz_target!(|data: &[u8]| {
    let Ok(entry) = Entry::decode(data) else {
        return;
    };
    let bytes = entry.encode().expect("a decoded entry encodes");
    assert_eq!(bytes, data, "decode∘encode is not the identity");
    assert_eq!(
        entry.leaf_hash().expect("a decoded entry hashes"),
        leaf_hash(data)
    );
    let _ = (entry.act.kind(), entry.act.object());
    let rebuilt = Entry::new(entry.time, entry.actor.clone(), entry.act.clone())
        .expect("a decoded entry's parts make an entry");
    assert_eq!(rebuilt, entry);
});
