//! The transparency log in the store: entries are appended in the same transaction as the
//! change they record, proofs verify with `pacific_tlog`, and a reopened database holds the
//! same tree as one rebuilt from its entries.

use crate::common;

use common::*;
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_store::{
    AddOutcome, CosignatureAdded, PreparedObject, SplitViewEvidence, SqliteStore, Store,
    StoreError, StoredCosignature, User,
};
use pacific_tlog::entry::{Act, Entry};
use pacific_tlog::merkle::{self, MemoryTree};
use pacific_tlog::signed_note::NoteSignature;

fn user(name: &str) -> User {
    User {
        name: name.into(),
        role: Role::Reader,
        token_id: format!("id-{name}"),
        token_hash: "x".into(),
        created: Timestamp::now(),
        expires: None,
        revoked: None,
    }
}

/// A MemoryTree rebuilt from the stored entries.
async fn rebuild(store: &dyn Store) -> MemoryTree {
    let size = store.log_size().await.unwrap();
    let mut tree = MemoryTree::new();
    for e in store.log_entries(0, size).await.unwrap() {
        assert_eq!(tree.push(&e.entry).unwrap(), e.index);
    }
    tree
}

#[tokio::test]
async fn add_objects_logs_each_new_version_in_order() {
    let (_dir, store) = store().await;
    let t = "2021-01-01T00:00:00.000Z";
    let objects = [indicator(1, t), indicator(2, t), ipv4(3, "192.0.2.1")];
    store.add_objects(COLLECTION, &objects).await.unwrap();
    // Resending changes nothing and logs nothing.
    store.add_objects(COLLECTION, &objects).await.unwrap();
    store
        .add_objects_as(
            "ana",
            COLLECTION,
            &[indicator(1, "2021-02-01T00:00:00.000Z")],
        )
        .await
        .unwrap();
    assert_eq!(store.log_size().await.unwrap(), 4);
    let entries = store.log_entries(0, 4).await.unwrap();
    for (i, (e, o)) in entries.iter().zip(objects.iter()).enumerate() {
        let d = Entry::decode(&e.entry).unwrap();
        assert_eq!(e.index, i as u64);
        assert_eq!(d.actor, "local");
        let Act::ObjectStored { object } = d.act else {
            panic!("{d:?}")
        };
        assert_eq!(object.id, o.id());
        assert_eq!(
            object.sha256,
            pacific_tlog::entry::sha256(o.to_json().as_bytes())
        );
    }
    let last = Entry::decode(&entries[3].entry).unwrap();
    assert_eq!(last.actor, "ana");
    assert_eq!(
        last.act.object().unwrap().version,
        "2021-02-01T00:00:00.000Z"
    );
}

/// Prepared objects (text and hash computed before the write) are stored and logged exactly as
/// bare ones: same outcomes, same rows, same entries but for their time.
#[tokio::test]
async fn prepared_objects_are_stored_and_logged_as_bare_ones() {
    let t = "2021-01-01T00:00:00.000Z";
    let t2 = "2021-02-01T00:00:00.000Z";
    // A new version, a resend, an older version, an observable and its resend (which is
    // recognised by content), and one with new content.
    let objects = vec![
        indicator(1, t2),
        indicator(2, t),
        indicator(1, t2),
        indicator(1, t),
        ipv4(3, "192.0.2.1"),
        ipv4(3, "192.0.2.1"),
        ipv4(3, "192.0.2.9"),
    ];
    let prepared: Vec<PreparedObject> = objects.iter().cloned().map(PreparedObject::new).collect();
    for p in &prepared {
        assert_eq!(p.json(), p.object().to_json());
        assert_eq!(
            *p.sha256(),
            pacific_tlog::entry::sha256(p.json().as_bytes())
        );
    }
    let (_a, bare) = store().await;
    let (_b, ready) = store().await;
    let kinds = |outcomes: Vec<AddOutcome>| -> Vec<bool> {
        outcomes
            .iter()
            .map(|o| matches!(o, AddOutcome::Added { .. }))
            .collect()
    };
    let expected = kinds(bare.add_objects(COLLECTION, &objects).await.unwrap());
    assert_eq!(expected, [true, true, false, true, true, false, true]);
    assert_eq!(
        kinds(
            ready
                .add_prepared_objects(COLLECTION, &prepared)
                .await
                .unwrap()
        ),
        expected
    );
    let size = bare.log_size().await.unwrap();
    assert_eq!(size, 5);
    assert_eq!(ready.log_size().await.unwrap(), size);
    // Versions without a timestamp of their own are named by date_added, which differs.
    let acts = |entries: Vec<pacific_store::LogEntry>| -> Vec<(String, String, String, pacific_store::Hash)> {
        entries
            .iter()
            .map(|e| {
                let d = Entry::decode(&e.entry).unwrap();
                let Act::ObjectStored { object } = d.act else {
                    panic!("{d:?}")
                };
                let version = if object.id.starts_with("indicator--") {
                    object.version
                } else {
                    String::new()
                };
                (d.actor, object.id, version, object.sha256)
            })
            .collect()
    };
    assert_eq!(
        acts(ready.log_entries(0, size).await.unwrap()),
        acts(bare.log_entries(0, size).await.unwrap())
    );
    let page = |store: SqliteStore| async move {
        let query = pacific_core::taxii::ObjectQuery {
            versions: vec![pacific_core::taxii::VersionSelector::All],
            ..pacific_core::taxii::ObjectQuery::all(100)
        };
        store
            .query_objects(COLLECTION, &query, true)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|v| (v.id, v.type_name, v.json))
            .collect::<Vec<_>>()
    };
    let stored = page(bare).await;
    assert_eq!(stored.len(), 5);
    assert_eq!(page(ready).await, stored);
    // A prepared write to a missing collection fails and appends nothing, like a bare one.
    let (_c, other) = store().await;
    let missing = "2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa";
    assert!(matches!(
        other.add_prepared_objects(missing, &prepared).await,
        Err(StoreError::UnknownCollection(_))
    ));
    assert_eq!(other.log_size().await.unwrap(), 0);
}

#[tokio::test]
async fn a_failed_write_appends_nothing() {
    let (_dir, store) = store().await;
    let t = "2021-01-01T00:00:00.000Z";
    store
        .add_objects(COLLECTION, &[indicator(1, t)])
        .await
        .unwrap();
    let missing = "2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa";
    assert!(matches!(
        store.add_objects(missing, &[indicator(2, t)]).await,
        Err(StoreError::UnknownCollection(_))
    ));
    assert!(
        store
            .add_objects_as("", COLLECTION, &[indicator(2, t)])
            .await
            .is_err()
    );
    store.add_user(&user("ana")).await.unwrap();
    assert!(matches!(
        store.add_user(&user("ana")).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.log_size().await.unwrap(), 2);
    let d = Entry::decode(&store.log_entries(1, 2).await.unwrap()[0].entry).unwrap();
    assert_eq!(
        d.act,
        Act::UserAdded {
            user: "ana".into(),
            role: "reader".into()
        }
    );
    // The store holds exactly what the log says.
    assert_eq!(store.stats().await.unwrap().object_versions, 1);
}

#[tokio::test]
async fn proofs_verify_and_bad_ranges_are_refused() {
    let (_dir, store) = store().await;
    for batch in 0..5u64 {
        let objects: Vec<_> = (0..(7 * batch + 1))
            .map(|n| indicator(batch * 100 + n, "2021-01-01T00:00:00.000Z"))
            .collect();
        store.add_objects(COLLECTION, &objects).await.unwrap();
    }
    let e = Entry::new(
        5,
        "local",
        Act::PolicyChanged {
            policy_sha256: [1; 32],
        },
    )
    .unwrap();
    let idx = store.append_log_entry(&e).await.unwrap();
    let size = store.log_size().await.unwrap();
    assert_eq!(idx, size - 1);
    let tree = rebuild(&store).await;
    let entries = store.log_entries(0, size).await.unwrap();
    for s in 1..=size {
        let root = store.log_root(s).await.unwrap();
        assert_eq!(root, tree.root_at(s).unwrap());
        for i in (0..s).step_by(3) {
            let proof = store.log_inclusion_proof(i, s).await.unwrap();
            merkle::verify_inclusion(
                &merkle::leaf_hash(&entries[i as usize].entry),
                i,
                s,
                &proof,
                &root,
            )
            .unwrap();
        }
        for old in 0..=s {
            let proof = store.log_consistency_proof(old, s).await.unwrap();
            merkle::verify_consistency(old, s, &tree.root_at(old).unwrap(), &root, &proof).unwrap();
        }
    }
    assert_eq!(store.log_root(0).await.unwrap(), merkle::empty_root());
    for bad in [
        store.log_inclusion_proof(size, size).await,
        store.log_inclusion_proof(0, size + 1).await,
        store.log_consistency_proof(3, 2).await,
        store.log_consistency_proof(1, size + 1).await,
    ] {
        assert!(matches!(bad, Err(StoreError::Log(_))), "{bad:?}");
    }
    assert!(matches!(
        store.log_entries(0, size + 1).await,
        Err(StoreError::Log(_))
    ));
    assert!(matches!(
        store.log_entries(3, 2).await,
        Err(StoreError::Log(_))
    ));
}

#[tokio::test]
async fn reopened_log_matches_a_rebuild_from_its_entries() {
    let (dir, store) = store().await;
    let path = dir.path().join("pacific.db");
    for b in 0..20u64 {
        let objects: Vec<_> = (0..(b % 7 + 1))
            .map(|n| indicator(b * 10 + n, "2021-01-01T00:00:00.000Z"))
            .collect();
        store.add_objects(COLLECTION, &objects).await.unwrap();
    }
    store.close().await;
    drop(store);
    let store = SqliteStore::open(&path).await.unwrap();
    let size = store.log_size().await.unwrap();
    let tree = rebuild(&store).await;
    assert_eq!(tree.len(), size);
    assert_eq!(store.log_root(size).await.unwrap(), tree.root());
    for i in 0..size {
        assert_eq!(
            store.log_inclusion_proof(i, size).await.unwrap(),
            tree.inclusion_proof(i, size).unwrap()
        );
    }
    // Appends continue from the stored frontier.
    store
        .add_objects(COLLECTION, &[indicator(999, "2021-01-01T00:00:00.000Z")])
        .await
        .unwrap();
    let tree = rebuild(&store).await;
    assert_eq!(store.log_root(size + 1).await.unwrap(), tree.root());
}

#[tokio::test]
async fn checkpoints_and_witness_records() {
    let (_dir, store) = store().await;
    assert_eq!(store.latest_checkpoint().await.unwrap(), None);
    store.put_checkpoint(3, "a\n").await.unwrap();
    store.put_checkpoint(3, "a\n").await.unwrap();
    assert!(matches!(
        store.put_checkpoint(3, "b\n").await,
        Err(StoreError::AlreadyExists(_))
    ));
    store.put_checkpoint(5, "c\n").await.unwrap();
    let latest = store.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!((latest.size, latest.note.as_str()), (5, "c\n"));

    assert_eq!(store.witnessed_checkpoint("o").await.unwrap(), None);
    store.put_witnessed_checkpoint("o", 2, "x\n").await.unwrap();
    store.put_witnessed_checkpoint("o", 4, "y\n").await.unwrap();
    assert_eq!(
        store.witnessed_checkpoint("o").await.unwrap().unwrap().note,
        "y\n"
    );
    let ev = SplitViewEvidence {
        id: 0,
        origin: "o".into(),
        detected: Timestamp::now(),
        reason: "two roots".into(),
        kept_note: "y\n".into(),
        new_note: "z\n".into(),
    };
    let id = store.add_split_view_evidence(&ev).await.unwrap();
    let got = store.split_view_evidence("o").await.unwrap();
    assert_eq!(got, vec![SplitViewEvidence { id, ..ev }]);
    assert!(store.split_view_evidence("p").await.unwrap().is_empty());
}

/// `witness`'s cosignature of this log's checkpoint of `size`, made at `timestamp`.
fn cosignature(witness: &str, size: u64, timestamp: u64) -> StoredCosignature {
    let mut signature = vec![7u8; 72];
    signature[..8].copy_from_slice(&timestamp.to_be_bytes());
    StoredCosignature {
        witness: witness.into(),
        cosigner_vkey: format!("{witness}-vkey"),
        key_statement: "c3RtdA==".into(),
        size,
        checkpoint: format!("cp {size}\n"),
        line: NoteSignature {
            name: format!("pacific/{witness}/0011223344556677"),
            key_id: [0xde, 0xad, 0xbe, 0xef],
            signature,
        }
        .to_line(),
        timestamp,
        received: Timestamp::now(),
    }
}

#[tokio::test]
async fn a_kept_cosignature_is_logged_once_in_its_transaction() {
    let (_dir, store) = store().await;
    let t = "2021-01-01T00:00:00.000Z";
    store
        .add_objects(COLLECTION, &[indicator(1, t), indicator(2, t)])
        .await
        .unwrap();
    let root2 = store.log_root(2).await.unwrap();
    let add = |c: StoredCosignature, root| {
        let store = &store;
        async move { store.add_cosignature(&c, root, "peer:bravo").await.unwrap() }
    };

    // The first cosignature is kept and logged: exactly one entry, right after the two.
    let first = add(cosignature("bravo", 2, 100), root2).await;
    assert_eq!(
        first,
        CosignatureAdded {
            kept: true,
            entry: Some(2)
        }
    );
    assert_eq!(store.log_size().await.unwrap(), 3);
    let e = Entry::decode(&store.log_entries(2, 3).await.unwrap()[0].entry).unwrap();
    assert_eq!(e.actor, "peer:bravo");
    assert_eq!(
        e.act,
        Act::CosignatureReceived {
            peer: "bravo".into(),
            tree_size: 2,
            root_hash: root2,
            key_id: [0xde, 0xad, 0xbe, 0xef],
        }
    );

    // The same one handed in again, or the same checkpoint cosigned afresh: no entry.
    for again in [cosignature("bravo", 2, 100), cosignature("bravo", 2, 101)] {
        assert_eq!(add(again, root2).await.entry, None);
    }
    // A larger checkpoint that covers only that entry attests nothing new: kept, not logged
    // (else each cosignature would call for the next one, forever).
    let root3 = store.log_root(3).await.unwrap();
    let meta = add(cosignature("bravo", 3, 102), root3).await;
    assert_eq!(
        meta,
        CosignatureAdded {
            kept: true,
            entry: None
        }
    );
    // An older one is neither kept nor logged.
    let old = add(cosignature("bravo", 1, 200), root2).await;
    assert_eq!(
        old,
        CosignatureAdded {
            kept: false,
            entry: None
        }
    );
    assert_eq!(store.log_size().await.unwrap(), 3);

    // The log grows by an object: the next larger cosignature is logged, once.
    store
        .add_objects(COLLECTION, &[indicator(3, t)])
        .await
        .unwrap();
    let root4 = store.log_root(4).await.unwrap();
    assert_eq!(
        add(cosignature("bravo", 4, 103), root4).await.entry,
        Some(4)
    );
    assert_eq!(add(cosignature("bravo", 4, 103), root4).await.entry, None);
    assert_eq!(store.log_size().await.unwrap(), 5);
    let kinds: Vec<&str> = store
        .log_entries(0, 5)
        .await
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap().act.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "object-stored",
            "object-stored",
            "cosignature-received",
            "object-stored",
            "cosignature-received"
        ]
    );
    let kept = store.cosignatures().await.unwrap();
    assert_eq!((kept.len(), kept[0].size, kept[0].timestamp), (1, 4, 103));

    // Another witness's first cosignature is logged on its own account.
    let root5 = store.log_root(5).await.unwrap();
    let charlie = store
        .add_cosignature(&cosignature("charlie", 5, 1), root5, "peer:charlie")
        .await
        .unwrap();
    assert_eq!(charlie.entry, Some(5));

    // A refused cosignature (a line that does not parse) keeps and logs nothing.
    let mut bad = cosignature("delta", 6, 1);
    bad.line = "— not a line\n".into();
    assert!(
        store
            .add_cosignature(&bad, root5, "peer:delta")
            .await
            .is_err()
    );
    assert_eq!(store.log_size().await.unwrap(), 6);
    assert_eq!(store.cosignatures().await.unwrap().len(), 2);
    // The entries are in the tree like any other.
    assert_eq!(
        rebuild(&store).await.root(),
        store.log_root(6).await.unwrap()
    );
}

#[tokio::test]
async fn a_governance_fact_is_logged_once_and_again_only_when_it_changes() {
    use pacific_store::{FederationStore, GovernanceFact, SqliteFederationStore};
    let (dir, store) = store().await;
    let fed = SqliteFederationStore::open(&dir.path().join("pacific.db"))
        .await
        .unwrap();
    let closed = |sha: u8| GovernanceFact::ProposalClosed {
        proposal: "x-pacific-gov-act--1".into(),
        outcome: "adopted".into(),
        tally_sha256: [sha; 32],
    };
    let charter = GovernanceFact::Charter {
        federation: [7; 32],
    };
    assert!(fed.record_governance(&charter, "local").await.unwrap());
    assert!(!fed.record_governance(&charter, "local").await.unwrap());
    assert!(fed.record_governance(&closed(1), "local").await.unwrap());
    assert!(!fed.record_governance(&closed(1), "local").await.unwrap());
    // A vote delivered late changed the tally: logged again.
    assert!(fed.record_governance(&closed(2), "local").await.unwrap());
    assert_eq!(store.log_size().await.unwrap(), 3);
    let entries = store.log_entries(0, 3).await.unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap().act.kind())
        .collect();
    assert_eq!(
        kinds,
        ["charter-installed", "proposal-closed", "proposal-closed"]
    );
    assert_eq!(
        Entry::decode(&entries[2].entry).unwrap().act,
        closed(2).act()
    );
}
