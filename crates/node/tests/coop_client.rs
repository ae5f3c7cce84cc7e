//! `pacific_node::client::CoopClient` against nodes on 127.0.0.1: a request drafted, refused
//! to the wrong roles with the node's label reaching the caller, sent by a liaison, listed and
//! shown on both sides, acknowledged and answered through the typed actions; the hotline,
//! consultations and disputes through their calls; a refusal's `NodeError` message; a node
//! that does not answer.

use std::time::Duration;

use pacific_core::access::Role;
use pacific_node::NodeError;
use pacific_node::client::coop::{ConsultationAction, RequestAction};
use pacific_node::client::{ClientError, CoopClient};
use serde_json::{Value, json};

use crate::coop_api::preservation_spec;
use pacific_testkit::federation::*;

const WITHIN: Duration = Duration::from_secs(20);

fn state(v: &Value) -> &str {
    v["record"]["state"].as_str().unwrap_or("")
}

/// Waits until `id` shows on `client`'s node in `expected` state.
async fn until_state(client: &CoopClient, id: &str, expected: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        if let Ok(v) = client.request(id).await
            && state(&v) == expected
        {
            return v;
        }
        assert!(start.elapsed() < WITHIN, "{id} never became {expected}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The refusal's status and label, or a panic naming what came back instead.
fn refused(result: Result<Value, ClientError>) -> (u16, String) {
    match result {
        Err(e) => (
            e.status().expect("the node answered"),
            e.label().expect("with a label").to_owned(),
        ),
        Ok(v) => panic!("accepted: {v}"),
    }
}

#[tokio::test]
async fn a_request_round_trip_and_the_refusals_keep_the_nodes_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], |c| {
        c.coop.tick_millis = 100;
    })
    .await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let a_analyst = CoopClient::new(&alpha.url(), &alpha.user("ana", Role::Analyst).await);
    let a_liaison = CoopClient::new(&alpha.url(), &alpha.user("lia", Role::Liaison).await);
    let a_reader = CoopClient::new(&alpha.url(), &alpha.user("rea", Role::Reader).await);
    // A trailing slash on the base URL is the same node.
    let b_liaison = CoopClient::new(
        &format!("{}/", bravo.url()),
        &bravo.user("bli", Role::Liaison).await,
    );

    // An incomplete draft names the missing field, with the label and status.
    let mut incomplete = preservation_spec();
    incomplete["details"]["necessity"] = json!("");
    let e = a_analyst.new_request(incomplete).await.unwrap_err();
    assert_eq!((e.status(), e.label()), (Some(422), Some("coop-invalid")));
    let refusal = e.refusal().unwrap();
    assert!(
        refusal
            .description
            .as_deref()
            .unwrap()
            .contains("necessity")
    );
    assert_eq!(
        refusal.title.as_deref(),
        Some("Cooperation command refused")
    );
    assert!(refusal.url.ends_with("/coop/requests"), "{}", refusal.url);

    // An analyst drafts.
    let draft = a_analyst.new_request(preservation_spec()).await.unwrap();
    assert_eq!(state(&draft), "draft");
    let id = draft["record"]["id"].as_str().unwrap().to_owned();

    // A reader may not write at all; an analyst may not commit the party.
    assert_eq!(
        refused(a_reader.act_on_request(&id, &RequestAction::Send).await),
        (403, "auth-forbidden".to_owned())
    );
    let e = a_analyst
        .act_on_request(&id, &RequestAction::Send)
        .await
        .unwrap_err();
    assert_eq!(e.label(), Some("coop-role-not-allowed"));
    // What the command line prints: the description, the status and the label.
    let printed = NodeError::from(e).to_string();
    assert!(
        printed.ends_with("(403, coop-role-not-allowed)"),
        "{printed}"
    );

    // A liaison sends; the list on Alpha and on Bravo shows it.
    let sent = a_liaison
        .act_on_request(&id, &RequestAction::Send)
        .await
        .unwrap();
    assert_eq!(state(&sent), "sent");
    assert!(sent["record"]["deadline"].is_string());
    let listed = a_reader.requests().await.unwrap();
    let mine: Vec<&Value> = listed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{listed}");
    assert_eq!(mine[0]["state"], "sent");
    assert_eq!(mine[0]["kind"], "preservation");
    until_state(&b_liaison, &id, "sent").await;
    let on_bravo = b_liaison.requests().await.unwrap();
    assert!(
        on_bravo["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{on_bravo}"
    );

    // Only the recipient acknowledges; it answers a preservation with a date.
    assert_eq!(
        refused(
            a_liaison
                .act_on_request(&id, &RequestAction::Acknowledge)
                .await
        ),
        (403, "coop-wrong-party".to_owned())
    );
    for action in [RequestAction::Acknowledge, RequestAction::Start] {
        b_liaison.act_on_request(&id, &action).await.unwrap();
    }
    let no_date = RequestAction::Answer {
        partial: false,
        note: "preserved".into(),
        preserved_until: None,
    };
    assert_eq!(
        refused(b_liaison.act_on_request(&id, &no_date).await),
        (422, "coop-invalid".to_owned())
    );
    let until = pacific_coop::common::plus(
        &pacific_core::Timestamp::now(),
        Duration::from_secs(90 * 86_400),
    )
    .to_string();
    let answered = b_liaison
        .act_on_request(
            &id,
            &RequestAction::Answer {
                partial: false,
                note: "mailbox frozen".into(),
                preserved_until: Some(until),
            },
        )
        .await
        .unwrap();
    assert_eq!(state(&answered), "answered");
    assert_eq!(
        refused(b_liaison.act_on_request(&id, &RequestAction::Start).await),
        (409, "coop-illegal-transition".to_owned())
    );
    let seen = until_state(&a_reader, &id, "answered").await;
    assert_eq!(seen["record"]["answer"]["completeness"], "full");

    // An unknown record is not found.
    assert_eq!(
        refused(a_reader.request("x-pacific-assistance-request--nope").await),
        (404, "not-found".to_owned())
    );
}

#[tokio::test]
async fn the_hotline_consultations_and_disputes_through_the_client() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], |c| {
        c.coop.tick_millis = 100;
    })
    .await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let a = CoopClient::new(&alpha.url(), &alpha.user("lia", Role::Liaison).await);
    let a_reader = CoopClient::new(&alpha.url(), &alpha.user("rea", Role::Reader).await);
    let b = CoopClient::new(&bravo.url(), &bravo.user("bli", Role::Liaison).await);

    // Hotline: a contact declared, then updated; a ping sent and listed.
    let declared = b
        .declare_contact("duty officer", "phone", "+99 555 0100")
        .await
        .unwrap();
    assert_eq!(declared["record"]["party"], "bravo");
    let updated = b
        .declare_contact("night officer", "phone", "+99 555 0101")
        .await
        .unwrap();
    assert_eq!(updated["record"]["name"], "night officer");
    let contacts = b.contacts().await.unwrap();
    assert_eq!(
        contacts["contacts"].as_array().unwrap().len(),
        1,
        "{contacts}"
    );
    assert_eq!(
        refused(a_reader.declare_contact("x", "phone", "1").await),
        (403, "auth-forbidden".to_owned())
    );
    let ping = a.ping("bravo").await.unwrap();
    let ping_id = ping["ping"]["id"].as_str().unwrap().to_owned();
    assert_eq!(ping["ping"]["party"], "bravo");
    let pings = a.pings().await.unwrap();
    assert!(
        pings["pings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == ping_id.as_str()),
        "{pings}"
    );
    assert!(a.hotline().await.unwrap()["escalations"].is_array());

    // A consultation: opened, an agenda item, a message, minutes signed.
    let opened = a
        .open_consultation("GRIDLOCK", &["bravo".to_owned()], &["one".to_owned()])
        .await
        .unwrap();
    let cid = opened["record"]["id"].as_str().unwrap().to_owned();
    for action in [
        ConsultationAction::Agenda { item: "two".into() },
        ConsultationAction::Post {
            text: "hello".into(),
            object_refs: vec![],
        },
        ConsultationAction::ProposeMinutes {
            text: "we agreed".into(),
        },
        ConsultationAction::SignMinutes { version: None },
    ] {
        a.act_on_consultation(&cid, &action).await.unwrap();
    }
    let shown = a.consultation(&cid).await.unwrap();
    assert_eq!(shown["record"]["agenda"], json!(["one", "two"]));
    assert_eq!(
        shown["record"]["minutes"]["signatures"][0]["party"], "alpha",
        "{shown}"
    );
    assert_eq!(
        refused(
            a.act_on_consultation(&cid, &ConsultationAction::SignMinutes { version: Some(9) })
                .await
        ),
        (422, "coop-invalid".to_owned())
    );
    assert!(
        a.consultations().await.unwrap()["consultations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == cid.as_str())
    );

    // A dispute: opened, a claim added, an unknown step not found.
    let dispute = a
        .open_dispute("bravo", "due diligence", "servers used against us", &[])
        .await
        .unwrap();
    let did = dispute["record"]["id"].as_str().unwrap().to_owned();
    assert_eq!(dispute["record"]["stage"], "negotiation");
    let claimed = a
        .act_on_dispute(&did, "claim", json!({"text": "more"}))
        .await
        .unwrap();
    assert_eq!(claimed["record"]["claims"].as_array().unwrap().len(), 2);
    assert_eq!(
        refused(a.act_on_dispute(&did, "frobnicate", json!({})).await),
        (404, "not-found".to_owned())
    );
    assert_eq!(a.dispute(&did).await.unwrap()["record"]["id"], did.as_str());
    assert!(
        a.disputes().await.unwrap()["disputes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == did.as_str())
    );
}

#[tokio::test]
async fn a_node_that_does_not_answer_is_a_transport_error_without_a_label() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = CoopClient::new(&format!("http://{addr}"), "pac_nobody");
    let e = client.requests().await.unwrap_err();
    assert!(matches!(e, ClientError::Transport(_)), "{e:?}");
    assert_eq!((e.status(), e.label()), (None, None));
    assert_eq!(
        e.to_string(),
        format!(
            "connection refused at http://{addr}: is the node running, and is that its address?"
        ),
    );
}
