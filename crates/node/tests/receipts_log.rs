//! What crosses a border is in the log: the sender logs `object-sent` (after the ack) and
//! `object-withheld`; the receiver attributes what it stored to the sending peer.

mod federation_common;

use std::time::Duration;

use federation_common::*;
use pacific_core::party::StakeholderType::State;
use pacific_core::tlp::Tlp;
use pacific_store::Store;
use pacific_tlog::entry::{Act, Entry};
use serde_json::{json, Value};

async fn entries(store: &dyn Store) -> Vec<Entry> {
    let size = store.log_size().await.unwrap();
    store.log_entries(0, size).await.unwrap().iter().map(|e| Entry::decode(&e.entry).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sent_withheld_and_received_objects_are_logged_by_id_and_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let mut alpha = FedNode::create(tmp.path(), &Spec { id: "alpha", name: "Alpha CERT", kind: State, jurisdiction: Some("XA"), policy: OPEN_POLICY }).await;
    let mut bravo = FedNode::create(tmp.path(), &Spec { id: "bravo", name: "Bravo Police", kind: State, jurisdiction: Some("XB"), policy: OPEN_POLICY }).await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    alpha.start().await;
    bravo.start().await;

    let green = indicator(Some(Tlp::Green), json!({}));
    let red = indicator(Some(Tlp::Red), json!({}));
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    alpha.add(&[green.clone(), red.clone()]).await;
    assert!(eventually(Duration::from_secs(10), || async { bravo.has(&id(&green)).await }).await.is_some());
    assert!(alpha.drained_to("bravo", Duration::from_secs(10)).await);

    let a = entries(alpha.store().as_ref()).await;
    let sent: Vec<_> = a.iter().filter(|e| matches!(&e.act, Act::ObjectSent { peer, .. } if peer == "bravo")).collect();
    let withheld: Vec<_> = a.iter().filter(|e| matches!(&e.act, Act::ObjectWithheld { peer, .. } if peer == "bravo")).collect();
    assert_eq!(sent.len(), 1, "{a:?}");
    assert_eq!(sent[0].act.object().unwrap().id, id(&green));
    assert_eq!(withheld.len(), 1, "{a:?}");
    assert_eq!(withheld[0].act.object().unwrap().id, id(&red));
    assert!(matches!(&withheld[0].act, Act::ObjectWithheld { reason, .. } if !reason.is_empty()));
    // Named by hash only: the stored entry's hash is the sent entry's.
    let stored_sha = a
        .iter()
        .find_map(|e| match &e.act {
            Act::ObjectStored { object } if object.id == id(&green) => Some(object.sha256),
            _ => None,
        })
        .unwrap();
    assert_eq!(sent[0].act.object().unwrap().sha256, stored_sha);
    let raw = alpha.store().log_entries(0, alpha.store().log_size().await.unwrap()).await.unwrap();
    assert!(raw.iter().all(|e| !String::from_utf8_lossy(&e.entry).contains("203.0.113.5")), "the log leaks no content");

    // The receiver attributes the stored object to the sending peer.
    let b = entries(bravo.store().as_ref()).await;
    let stored = b
        .iter()
        .find(|e| matches!(&e.act, Act::ObjectStored { object } if object.id == id(&green)))
        .expect("bravo logged the stored object");
    assert_eq!(stored.actor, "peer:alpha");
    assert_eq!(stored.act.object().unwrap().sha256, stored_sha);
    alpha.stop().await;
    bravo.stop().await;
}
