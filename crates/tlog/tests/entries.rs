//! Log entries: canonical round trips, and truncated, tampered or non-canonical bytes rejected.

use pacific_tlog::entry::{Act, Entry, MAX_TIME, ObjectRef, sha256};
use pacific_tlog::merkle::{MemoryTree, leaf_hash, verify_inclusion};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Mostly printable, with quotes, backslashes, control characters and non-ASCII.
    "[a-zA-Z0-9 \"\\\\\n\t\u{1}\u{7f}é–😀:/-]{1,24}"
}

fn object() -> impl Strategy<Value = ObjectRef> {
    (text(), text(), any::<[u8; 32]>()).prop_map(|(id, version, sha256)| ObjectRef {
        id,
        version,
        sha256,
    })
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        object().prop_map(|object| Act::ObjectStored { object }),
        (object(), text()).prop_map(|(object, peer)| Act::ObjectReceived { object, peer }),
        (object(), text(), text()).prop_map(|(object, peer, rule)| Act::ObjectSent {
            object,
            peer,
            rule
        }),
        (object(), text(), text()).prop_map(|(object, peer, reason)| Act::ObjectWithheld {
            object,
            peer,
            reason
        }),
        (text(), any::<[u8; 32]>()).prop_map(|(peer, peer_key)| Act::PeerAdded { peer, peer_key }),
        text().prop_map(|peer| Act::PeerRemoved { peer }),
        any::<[u8; 32]>().prop_map(|policy_sha256| Act::PolicyChanged { policy_sha256 }),
        (text(), text()).prop_map(|(user, role)| Act::UserAdded { user, role }),
        (object(), text())
            .prop_map(|(object, collection)| Act::ObjectDeleted { object, collection }),
        text().prop_map(|user| Act::UserRemoved { user }),
        (text(), text()).prop_map(|(user, role)| Act::UserRoleChanged { user, role }),
        (text(), text()).prop_map(|(user, token_id)| Act::TokenRevoked { user, token_id }),
        (text(), text(), proptest::option::of(text())).prop_map(|(user, token_id, expires)| {
            Act::TokenIssued {
                user,
                token_id,
                expires,
            }
        }),
        (text(), text(), any::<bool>(), any::<bool>()).prop_map(
            |(user, collection, can_read, can_write)| Act::GrantChanged {
                user,
                collection,
                can_read,
                can_write,
            }
        ),
        (text(), any::<u64>(), any::<[u8; 32]>()).prop_map(|(peer, log_size, receipt_sha256)| {
            Act::ReceiptReceived {
                peer,
                log_size,
                receipt_sha256,
            }
        }),
        (text(), any::<u64>(), any::<[u8; 32]>(), any::<[u8; 4]>()).prop_map(
            |(peer, tree_size, root_hash, key_id)| Act::CosignatureReceived {
                peer,
                tree_size,
                root_hash,
                key_id,
            }
        ),
        (text(), any::<u64>(), any::<[u8; 32]>()).prop_map(|(peer, tree_size, root_hash)| {
            Act::CosignatureSent {
                peer,
                tree_size,
                root_hash,
            }
        }),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (0..=MAX_TIME, text(), act())
        .prop_map(|(time, actor, act)| Entry::new(time, actor, act).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn round_trip_and_canonical(e in entry()) {
        let b = e.encode().unwrap();
        prop_assert_eq!(Entry::decode(&b).unwrap(), e.clone());
        // Any JSON re-serialisation with the same data but other layout is rejected unless equal.
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        prop_assert!(Entry::decode(&pretty).is_err());
        prop_assert_eq!(e.leaf_hash().unwrap(), leaf_hash(&b));
    }

    #[test]
    fn truncation_and_tampering_are_detected(e in entry(), cut in any::<usize>(), pos in any::<usize>(), bit in 0u8..8) {
        let b = e.encode().unwrap();
        let cut = cut % b.len();
        prop_assert!(Entry::decode(&b[..cut]).is_err());
        let mut t = b.clone();
        let i = pos % t.len();
        t[i] ^= 1 << bit;
        // A flipped byte either fails to decode, or decodes to a different entry (so its leaf
        // hash differs and inclusion proofs against the original fail).
        if let Ok(d) = Entry::decode(&t) {
            prop_assert_ne!(d, e);
            prop_assert_ne!(leaf_hash(&t), leaf_hash(&b));
        }
    }
}

#[test]
fn non_canonical_or_unknown_entries_are_rejected() {
    let obj = ObjectRef {
        id: "indicator--1".into(),
        version: "2024-01-01T00:00:00Z".into(),
        sha256: sha256(b"x"),
    };
    let e = Entry::new(5, "alice", Act::ObjectStored { object: obj }).unwrap();
    let s = String::from_utf8(e.encode().unwrap()).unwrap();
    let bad = [
        s.replace("\"v\":1", "\"v\":2"),
        s.replace("\"v\":1", "\"v\":1.0"),
        s.replace("object-stored", "object-eaten"),
        s.replace('{', "{ "),
        s.replace("\"time\":5", "\"time\":-5"),
        s.replace("\"time\":5", "\"time\":\"5\""),
        s.replace("\"actor\":\"alice\"", "\"actor\":\"\""),
        s.replace("\"actor\":\"alice\",", ""),
        s.replace(
            "\"actor\":\"alice\",",
            "\"actor\":\"alice\",\"actor\":\"alice\",",
        ),
        s.replace(
            "\"actor\":\"alice\",",
            "\"actor\":\"alice\",\"extra\":\"x\",",
        ),
        s.replace("\"actor\":\"alice\",", "\"actor\":\"\\u0061lice\","),
        s.replace(
            &hex::encode(sha256(b"x")),
            &hex::encode(sha256(b"x")).to_uppercase(),
        ),
        s.replace(&hex::encode(sha256(b"x")), &hex::encode(sha256(b"x"))[..62]),
        format!("{s}\n"),
        format!("[{s}]"),
        "null".into(),
    ];
    for b in &bad {
        assert!(Entry::decode(b.as_bytes()).is_err(), "accepted {b}");
    }
    assert!(Entry::new(MAX_TIME + 1, "a", Act::PeerRemoved { peer: "p".into() }).is_err());
    assert!(Entry::decode(&vec![b' '; 20_000]).is_err());
}

#[test]
fn a_tampered_entry_fails_its_inclusion_proof() {
    let mut t = MemoryTree::new();
    let entries: Vec<Entry> = (0..10)
        .map(|i| {
            Entry::new(
                i,
                "node",
                Act::PeerRemoved {
                    peer: format!("p{i}"),
                },
            )
            .unwrap()
        })
        .collect();
    for e in &entries {
        t.push(&e.encode().unwrap()).unwrap();
    }
    let proof = t.inclusion_proof(4, 10).unwrap();
    let good = entries[4].encode().unwrap();
    assert!(verify_inclusion(&leaf_hash(&good), 4, 10, &proof, &t.root()).is_ok());
    let forged = Entry::new(4, "node", Act::PeerRemoved { peer: "p5".into() }).unwrap();
    let fb = forged.encode().unwrap();
    assert!(Entry::decode(&fb).is_ok());
    assert!(verify_inclusion(&leaf_hash(&fb), 4, 10, &proof, &t.root()).is_err());
}
