//! What the fuzz targets share: the keys of the golden files (so seeds made from them verify
//! and the fuzzer starts past the signature checks), and what every target does with an input
//! a parser accepted — use it the way the node would next, which must not panic either.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use ed25519_dalek::{SigningKey, VerifyingKey};
use pacific_core::StixObject;
use pacific_core::party::StakeholderType;
use pacific_core::policy::{self, ExportPolicy, GateContext, OutboundPath, Party, PartyId};
use pacific_core::{Timestamp, tlp};

/// The key with seed bytes `start, start + 1, …` (the golden files' convention): 0x00 is
/// alpha's identity and log key, 0x80 bravo's identity key (and the tlog golden files'
/// witness), 0x40 charlie's, 0xc0 bravo's witness cosigning key.
pub fn key(start: u8) -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| start.wrapping_add(i as u8)))
}

/// The public half of [`key`]`(start)`, computed once: a scalar multiplication per input
/// would be most of a target's time.
pub fn public_key(start: u8) -> &'static VerifyingKey {
    static KEYS: [OnceLock<VerifyingKey>; 4] = [const { OnceLock::new() }; 4];
    let slot = match start {
        0x00 => 0,
        0x40 => 1,
        0x80 => 2,
        0xc0 => 3,
        _ => panic!("no golden key starts at {start:#04x}"),
    };
    KEYS[slot].get_or_init(|| key(start).verifying_key())
}

/// The input as text, if it is UTF-8 (every parser here takes `&str` or checks UTF-8 first).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Everything the node does with a validated object before storing or sending it: its
/// accessors, its markings, the policy gate for a peer, and its JSON text, which must read
/// back to the same object (the store keeps `to_json()` and serves it as is).
pub fn use_object(object: &StixObject) {
    let _ = (
        object.id(),
        object.type_name(),
        object.category(),
        object.spec_version(),
        object.created(),
        object.modified(),
        object.version().map(Timestamp::unix_micros),
        object.is_revoked(),
    );
    let _ = object.object_marking_refs().count();
    let _ = policy::Markings::read(object, tlp::Tlp::Amber);
    let _ = policy::is_tlp_definition(object);
    let local = party("alpha");
    let peer = party("bravo");
    let peers: BTreeSet<PartyId> = [peer.id.clone()].into();
    let now = Timestamp::from_unix(1_772_352_000, 0);
    let policy = ExportPolicy::default();
    for path in [OutboundPath::TaxiiGet, OutboundPath::FederationPush] {
        let ctx = GateContext::new(&policy, &local, &peers, &now, path);
        let _ = policy::decide(object, &peer, &ctx);
    }
    let json = object.to_json();
    let again = StixObject::from_json(&json)
        .unwrap_or_else(|e| panic!("an accepted object's JSON does not read back: {e}\n{json}"));
    assert_eq!(&again, object, "an accepted object changed on the way back");
    assert_eq!(again.to_json(), json, "to_json is not stable");
}

fn party(id: &str) -> Party {
    Party {
        id: PartyId::from(id),
        name: id.to_owned(),
        stakeholder_type: StakeholderType::State,
        jurisdiction: Some("AA".into()),
        organisation: None,
    }
}
