//! What a peer sends to `POST /federation/inbox` (an `Envelope`) and answers to a delivery (an
//! `Ack`, its receipt): parsed with serde as `Federation::receive_envelope` and the outbox do,
//! then checked as the node checks them before touching the store — the sender's key, the
//! signature (alpha's key: the golden envelope's sender), the time, every object's origin
//! signature and STIX text; an ack's signature (bravo's), receipt entries and their inclusion
//! in a checkpoint. Both must serialise back to what was parsed, with the same signed bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pacific_core::{StixObject, Timestamp};
use pacific_node::federation::envelope::{
    Ack, Envelope, MAX_SEQ, verify_origin, verify_receipt_entry,
};
use pacific_node::federation::parse_public_key;
use pacific_tlog::checkpoint::Checkpoint;

fuzz_target!(|data: &[u8]| {
    let alpha = pacific_fuzz::public_key(0x00);
    let bravo = pacific_fuzz::public_key(0x80);
    let charlie = pacific_fuzz::public_key(0x40);
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(data) {
        let json = serde_json::to_string(&envelope).expect("an envelope serialises");
        let again: Envelope = serde_json::from_str(&json).expect("an envelope reads back");
        assert_eq!(again, envelope);
        assert_eq!(again.signed_bytes(), envelope.signed_bytes());
        let _ = envelope.seq == 0 || envelope.seq > MAX_SEQ;
        // One signature check, as the node makes it: with the sender's registered key (alpha's
        // for any sender here), after the key in the envelope is found to be that key.
        let registered = hex::encode(alpha.to_bytes());
        if envelope.sender_key.trim().eq_ignore_ascii_case(&registered) {
            let key = parse_public_key(&envelope.sender_key).expect("alpha's key parses");
            let _ = envelope.verify_signature(&key);
        } else {
            let _ = parse_public_key(&envelope.sender_key);
        }
        if let Ok(t) = Timestamp::parse(&envelope.time) {
            let _ = (Timestamp::now().unix().0 - t.unix().0).abs() > 300;
        }
        for o in &envelope.objects {
            // The origin's registered key: charlie's for charlie, alpha's for anyone else.
            let key = if o.origin == "charlie" {
                charlie
            } else {
                alpha
            };
            let _ = verify_origin(key, &o.origin, &o.object, &o.origin_signature);
            if let Ok(object) = StixObject::from_json(&o.object) {
                pacific_fuzz::use_object(&object);
            }
        }
    }
    if let Ok(ack) = serde_json::from_slice::<Ack>(data) {
        let json = serde_json::to_string(&ack).expect("an ack serialises");
        let again: Ack = serde_json::from_str(&json).expect("an ack reads back");
        assert_eq!(again, ack);
        assert_eq!(again.signed_bytes(), ack.signed_bytes());
        let _ = ack.verify_signature(bravo);
        if let Ok(objects) = ack.receipt_objects() {
            assert_eq!(objects.len(), ack.received.len());
            for (index, _) in &objects {
                assert!(*index < ack.log_size);
            }
        }
        if let Ok(checkpoint) = Checkpoint::new(ack.log_origin.clone(), ack.log_size, [7; 32]) {
            for entry in &ack.received {
                let _ = verify_receipt_entry(&ack, entry, &checkpoint, &[]);
                let _ = verify_receipt_entry(&ack, entry, &checkpoint, &[[1; 32], [2; 32]]);
            }
        }
    }
});
