//! Export to a file for a peer goes through the gate (path `export`), with the provenance of
//! received objects: RED, AMBER not addressed to the peer, personal data and laundered AMBER
//! never appear in the file; rules on the `export` path apply.

use pacific_core::party::StakeholderType::{Company, State};
use pacific_core::policy::{PartyId, Provenance};
use pacific_core::tlp::Tlp;
use pacific_core::{StixObject, Timestamp};
use pacific_node::Node;
use pacific_node::federation::export::export_for_peer;
use pacific_store::ProvenanceRecord;
use pacific_testkit::federation::*;
use serde_json::{Value, json};

const POLICY: &str = r#"default = "allow"
[[sharing_groups]]
name = "g"
members = ["bravo"]
[[rules]]
name = "no-file-exports-of-reports"
action = "deny"
paths = ["export"]
types = ["report"]
"#;

fn exported_ids(bytes: &[u8]) -> Vec<String> {
    let bundle: Value = serde_json::from_slice(bytes).expect("the export is JSON");
    assert_eq!(bundle["type"], "bundle");
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_for_a_peer_holds_back_what_the_gate_denies() {
    let tmp = tempfile::tempdir().unwrap();
    let alpha = FedNode::create(
        tmp.path(),
        &Spec {
            id: "alpha",
            name: "Alpha CERT",
            kind: State,
            jurisdiction: Some("XA"),
            policy: POLICY,
        },
    )
    .await;
    let bravo = FedNode::create(
        tmp.path(),
        &Spec {
            id: "bravo",
            name: "Bravo Police",
            kind: State,
            jurisdiction: Some("XB"),
            policy: OPEN_POLICY,
        },
    )
    .await;
    let charlie = FedNode::create(
        tmp.path(),
        &Spec {
            id: "charlie",
            name: "Charlie Hosting",
            kind: Company,
            jurisdiction: Some("XB"),
            policy: OPEN_POLICY,
        },
    )
    .await;
    alpha.add_peer(&bravo, State, Some("XB")).await;
    alpha.add_peer(&charlie, Company, Some("XB")).await;

    let node = Node::open(&alpha.dir).await.unwrap();
    let store = node.state().store();
    let fed = node.state().federation();
    let collection = pacific_node::find_collection(store.as_ref(), "default")
        .await
        .unwrap()
        .unwrap();

    let green = indicator(Some(Tlp::Green), json!({}));
    let red = indicator(Some(Tlp::Red), json!({}));
    let amber_for_charlie = indicator(
        Some(Tlp::Amber),
        json!({"x_pacific_recipients": ["charlie"]}),
    );
    let amber_for_bravo = indicator(Some(Tlp::Amber), json!({"x_pacific_recipients": ["bravo"]}));
    let personal_xa = indicator(
        Some(Tlp::Green),
        json!({"x_pacific_personal_data": {"subjects_resident_in": ["XA"]}}),
    );
    let now = Timestamp::now();
    let report = json!({
        "type": "report", "spec_version": "2.1", "id": format!("report--{}", uuid()),
        "created": now.as_str(), "modified": now.as_str(), "name": "Weekly", "published": now.as_str(),
        "object_refs": [green["id"].clone()], "object_marking_refs": [Tlp::Green.marking_id()],
    });
    // Received from "delta": one naming bravo individually (re-share allowed),
    // and one reaching bravo through a group only (received AMBER is not re-shared by group).
    let received_named = indicator(
        Some(Tlp::Amber),
        json!({"x_pacific_recipients": ["alpha", "bravo"]}),
    );
    let received_grouped = indicator(
        Some(Tlp::Amber),
        json!({"x_pacific_recipients": ["alpha"], "x_pacific_sharing_groups": ["g"]}),
    );
    let all = [
        &green,
        &red,
        &amber_for_charlie,
        &amber_for_bravo,
        &personal_xa,
        &report,
        &received_named,
        &received_grouped,
    ];
    let objects: Vec<StixObject> = all
        .iter()
        .map(|o| StixObject::from_value((*o).clone()).unwrap())
        .collect();
    let provenance: Vec<ProvenanceRecord> = [&objects[6], &objects[7]]
        .iter()
        .map(|o| ProvenanceRecord {
            collection_id: collection.id.clone(),
            object_id: o.id().to_owned(),
            version_us: pacific_node::federation::version_key(o),
            provenance: Provenance {
                received_from: PartyId::new("delta"),
                received_at: Timestamp::now(),
                origin: PartyId::new("delta"),
            },
            origin_signature: None,
        })
        .collect();
    fed.store().put_provenance(&provenance).await.unwrap();
    store.add_objects(&collection.id, &objects).await.unwrap();
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();

    let mut out = Vec::new();
    let r = export_for_peer(
        fed,
        "bravo",
        &collection,
        pacific_core::taxii::ObjectQuery::all(3),
        &mut out,
    )
    .await
    .unwrap();
    let ids = exported_ids(&out);
    assert_eq!(r.exported as usize, ids.len());
    let mut expected = vec![id(&green), id(&amber_for_bravo), id(&received_named)];
    let mut got = ids.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "held back: {:?}", r.held_back);
    let label_of = |o: &Value| {
        r.held_back
            .iter()
            .find(|h| h.object_id == id(o))
            .map(|h| h.label)
    };
    assert_eq!(label_of(&red), Some("tlp-red"));
    assert_eq!(
        label_of(&amber_for_charlie),
        Some("amber-not-named-recipient")
    );
    assert_eq!(label_of(&personal_xa), Some("personal-data"));
    assert_eq!(label_of(&report), Some("type-not-shared"));
    assert_eq!(label_of(&received_grouped), Some("reshare-not-allowed"));
    assert_eq!(r.held_back.len() + ids.len(), all.len());

    // The same collection for Charlie (a company in XB): only what is addressed to it or GREEN.
    let mut out = Vec::new();
    export_for_peer(
        fed,
        "charlie",
        &collection,
        pacific_core::taxii::ObjectQuery::all(100),
        &mut out,
    )
    .await
    .unwrap();
    let mut got = exported_ids(&out);
    got.sort();
    let mut expected = vec![id(&green), id(&amber_for_charlie)];
    expected.sort();
    assert_eq!(got, expected);

    // Unknown peers and this node's own party are refused, not exported to.
    assert!(
        export_for_peer(
            fed,
            "nobody",
            &collection,
            pacific_core::taxii::ObjectQuery::all(10),
            &mut Vec::new()
        )
        .await
        .is_err()
    );
    assert!(
        export_for_peer(
            fed,
            "alpha",
            &collection,
            pacific_core::taxii::ObjectQuery::all(10),
            &mut Vec::new()
        )
        .await
        .is_err()
    );
}
