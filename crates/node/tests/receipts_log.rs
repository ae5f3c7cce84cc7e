//! What crosses a border is in the log: the sender logs `object-sent` (after the ack) and
//! `object-withheld`; the receiver attributes what it stored to the sending peer.

use std::time::Duration;

use pacific_core::party::StakeholderType::State;
use pacific_core::tlp::Tlp;
use pacific_store::Store;
use pacific_testkit::federation::*;
use pacific_tlog::entry::{Act, Entry};
use serde_json::{Value, json};

async fn entries(store: &dyn Store) -> Vec<Entry> {
    let size = store.log_size().await.unwrap();
    store
        .log_entries(0, size)
        .await
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sent_withheld_and_received_objects_are_logged_by_id_and_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = alpha_and_bravo(tmp.path()).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    // Bravo sends nothing here; without an outbox it also does not catch up from Alpha over
    // TAXII, which could fetch the object before Alpha's envelope brings it (then, held
    // already, it would not be received again, and the receipt would name nothing).
    bravo.configure(|c| c.federation.outbox = false);
    alpha.start().await;
    bravo.start().await;

    let green = indicator(Some(Tlp::Green), json!({}));
    let red = indicator(Some(Tlp::Red), json!({}));
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    alpha.add(&[green.clone(), red.clone()]).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            bravo.has(&id(&green)).await
        })
        .await
        .is_some()
    );
    assert!(alpha.drained_to("bravo", Duration::from_secs(10)).await);

    let a = entries(alpha.store().as_ref()).await;
    let sent: Vec<_> = a
        .iter()
        .filter(|e| matches!(&e.act, Act::ObjectSent { peer, .. } if peer == "bravo"))
        .collect();
    let withheld: Vec<_> = a
        .iter()
        .filter(|e| matches!(&e.act, Act::ObjectWithheld { peer, .. } if peer == "bravo"))
        .collect();
    assert_eq!(sent.len(), 1, "{a:?}");
    assert_eq!(sent[0].act.object().unwrap().id, id(&green));
    assert_eq!(withheld.len(), 1, "{a:?}");
    assert_eq!(withheld[0].act.object().unwrap().id, id(&red));
    assert!(matches!(&withheld[0].act, Act::ObjectWithheld { reason, .. } if !reason.is_empty()));
    // The sender keeps the peer's receipt (by hash, bound to the peer's log size).
    assert!(a.iter().any(|e| matches!(&e.act, Act::ReceiptReceived { peer, log_size, .. } if peer == "bravo" && *log_size > 0)), "{a:?}");
    // ... and the receipt itself, signed by the peer and naming the object sent.
    let receipts = alpha.fed().store().receipts("bravo").await.unwrap();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let kept: pacific_node::federation::envelope::Ack =
        serde_json::from_str(&receipts[0].receipt).unwrap();
    assert!(kept.verify_signature(&bravo.dir.load_identity().unwrap().verifying_key()));
    assert_eq!(kept.log_size, receipts[0].log_size);
    assert!(
        kept.receipt_objects()
            .unwrap()
            .iter()
            .any(|(_, r)| r.id == id(&green))
    );
    assert!(a.iter().any(
        |e| matches!(&e.act, Act::ReceiptReceived { receipt_sha256, .. }
        if *receipt_sha256 == pacific_tlog::entry::sha256(receipts[0].receipt.as_bytes()))
    ));
    // Named by hash only: the stored entry's hash is the sent entry's.
    let stored_sha = a
        .iter()
        .find_map(|e| match &e.act {
            Act::ObjectStored { object } if object.id == id(&green) => Some(object.sha256),
            _ => None,
        })
        .unwrap();
    assert_eq!(sent[0].act.object().unwrap().sha256, stored_sha);
    let raw = alpha
        .store()
        .log_entries(0, alpha.store().log_size().await.unwrap())
        .await
        .unwrap();
    assert!(
        raw.iter()
            .all(|e| !String::from_utf8_lossy(&e.entry).contains("203.0.113.5")),
        "the log leaks no content"
    );

    // The receiver attributes the stored object to the sending peer.
    let b = entries(bravo.store().as_ref()).await;
    let stored = b
        .iter()
        .find(|e| matches!(&e.act, Act::ObjectStored { object } if object.id == id(&green)))
        .expect("bravo logged the stored object");
    assert_eq!(stored.actor, "peer:alpha");
    assert_eq!(stored.act.object().unwrap().sha256, stored_sha);
    // ... and logged receiving it from that peer (the entry a receipt names).
    assert!(b.iter().any(|e| matches!(&e.act, Act::ObjectReceived { object, peer } if peer == "alpha" && object.sha256 == stored_sha)));
    alpha.stop().await;
    bravo.stop().await;
}

/// A signed (`Pacific-Peer`) GET from alpha to `to`.
async fn peer_get(
    key: &ed25519_dalek::SigningKey,
    to: &FedNode,
    path: &str,
    query: &str,
) -> String {
    let auth = pacific_node::federation::peer_auth::authorization(
        key,
        "alpha",
        &to.id,
        "GET",
        path,
        query,
        pacific_core::Timestamp::now().unix().0,
    );
    let url = if query.is_empty() {
        format!("{}{path}", to.url())
    } else {
        format!("{}{path}?{query}", to.url())
    };
    let r = pacific_node::http_client()
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}?{query}: {}", r.status());
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ack_is_a_receipt_that_verifies_against_the_receivers_later_checkpoint() {
    use pacific_node::federation::envelope::{Ack, Envelope, EnvelopeObject, verify_receipt_entry};
    use pacific_node::wire::InclusionProofView;
    use pacific_tlog::checkpoint::open_checkpoint;

    let tmp = tempfile::tempdir().unwrap();
    let (alpha, mut bravo) = alpha_and_bravo(tmp.path()).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    // Alpha's own outbox is not needed: the test posts the envelope itself.
    bravo.start().await;
    let key = alpha.dir.load_identity().unwrap();
    let objects: Vec<String> = (0..3)
        .map(|_| {
            pacific_core::StixObject::from_value(indicator(Some(Tlp::Green), json!({})))
                .unwrap()
                .to_json()
        })
        .collect();
    let envelope = Envelope::sign(
        &key,
        "alpha",
        "bravo",
        1 << 40,
        pacific_core::Timestamp::now().as_str(),
        objects
            .iter()
            .map(|o| EnvelopeObject::signed(&key, "alpha", o.clone()))
            .collect(),
    );
    let r = pacific_node::http_client()
        .post(format!("{}/federation/inbox", bravo.url()))
        .body(serde_json::to_string(&envelope).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ack: Ack = r.json().await.unwrap();
    let bravo_key = bravo.dir.load_identity().unwrap();
    assert!(ack.verify_signature(&bravo_key.verifying_key()));
    let peer = bravo_as_peer(&alpha, &bravo).await;
    pacific_node::federation::outbox::check_receipt(&ack, &peer, &envelope).unwrap();
    let listed = ack.receipt_objects().unwrap();
    assert_eq!(listed.len(), 3);
    for o in &objects {
        assert!(
            listed
                .iter()
                .any(|(_, r)| r.sha256 == pacific_tlog::entry::sha256(o.as_bytes()))
        );
    }

    // Later: more happens in Bravo's log, a checkpoint is published; the receipt still proves.
    bravo.add(&[indicator(Some(Tlp::Red), json!({}))]).await;
    let mut note = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut ok = None;
    while std::time::Instant::now() < deadline {
        note = peer_get(&key, &bravo, "/log/checkpoint", "").await;
        let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if size > ack.log_size {
            ok = Some(());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok.is_some(), "bravo published no later checkpoint");
    let verifier = pacific_tlog::signed_note::Ed25519Verifier::new(
        ack.log_origin.clone(),
        bravo_key.verifying_key(),
    )
    .unwrap();
    let (cp, _) = open_checkpoint(&note, &ack.log_origin, &verifier).unwrap();
    assert!(cp.size() > ack.log_size);
    let proof_of = |p: InclusionProofView| {
        p.hashes
            .iter()
            .map(|h| <[u8; 32]>::try_from(hex::decode(h).unwrap()).unwrap())
            .collect::<Vec<_>>()
    };
    for entry in &ack.received {
        let p: InclusionProofView = serde_json::from_str(
            &peer_get(
                &key,
                &bravo,
                "/log/proof/inclusion",
                &format!("index={}&size={}", entry.index, cp.size()),
            )
            .await,
        )
        .unwrap();
        verify_receipt_entry(&ack, entry, &cp, &proof_of(p)).unwrap();
    }
    // A receipt entry altered after the fact does not verify; nor against an older checkpoint.
    let mut altered = ack.received[0].clone();
    altered.entry = altered.entry.replace("peer:alpha", "peer:alphb");
    let p: InclusionProofView = serde_json::from_str(
        &peer_get(
            &key,
            &bravo,
            "/log/proof/inclusion",
            &format!("index={}&size={}", altered.index, cp.size()),
        )
        .await,
    )
    .unwrap();
    assert!(verify_receipt_entry(&ack, &altered, &cp, &proof_of(p)).is_err());
    let old = pacific_tlog::checkpoint::Checkpoint::new(
        ack.log_origin.clone(),
        ack.log_size - 1,
        [0; 32],
    )
    .unwrap();
    assert!(verify_receipt_entry(&ack, &ack.received[0], &old, &[]).is_err());
    bravo.stop().await;
}

async fn bravo_as_peer(alpha: &FedNode, bravo: &FedNode) -> pacific_store::Peer {
    let s = pacific_store::SqliteFederationStore::open(&alpha.dir.db_path())
        .await
        .unwrap();
    use pacific_store::FederationStore;
    let p = s.peer(&bravo.id).await.unwrap().unwrap();
    s.close().await;
    p
}
