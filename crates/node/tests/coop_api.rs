//! Cooperation between authorities across nodes on 127.0.0.1: an assistance request drafted on
//! Alpha reaches Bravo, who acknowledges and answers; who may act and who may not; the hotline
//! re-sending an emergency until it is acknowledged; a dispute through mediation to a decision
//! by a panel of three; a forged act that does not count; every endpoint's authentication; a
//! match on a critical asset raising a hotline alert to the indicator's producer, also for
//! incidents stored while the node was down (alerted once it starts, and only once); a
//! consultation of three signed by each and unseen by a fourth; hotline pings answered, timed
//! out, and sent periodically by the clock; and what Alpha observes of the others' hotlines for
//! its compliance report.

use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_testkit::federation::*;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(20);

/// A user of one node's JSON API (`/coop`, `/gov`).
#[derive(Clone)]
pub(crate) struct Api {
    url: String,
    pub(crate) token: Option<String>,
    http: reqwest::Client,
}

impl Api {
    /// A new user `name` with `role` of the running `node`.
    pub(crate) async fn user(node: &FedNode, name: &str, role: Role) -> Self {
        Self::new(node, Some(node.user(name, role).await))
    }

    fn new(node: &FedNode, token: Option<String>) -> Self {
        // The node installs it when it serves; a client built before that would panic.
        pacific_node::install_crypto_provider();
        Self {
            url: node.url(),
            token,
            http: reqwest::Client::new(),
        }
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = &self.token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// POST that must succeed; returns the record.
    async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body).await;
        assert!(status == 200 || status == 201, "{path}: {status} {v}");
        v["record"].clone()
    }

    /// Waits until the record at `path` satisfies `check`.
    pub(crate) async fn until(&self, path: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        let start = std::time::Instant::now();
        while start.elapsed() < WITHIN {
            let (status, v) = self.get(path).await;
            if status == 200 && check(&v) {
                return v;
            }
            last = v;
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{path} never reached the expected state; last: {last}");
    }
}

fn label(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or("")
}

fn fast(config: &mut pacific_node::config::Config) {
    config.coop.tick_millis = 100;
    config.coop.hotline.first_resend_secs = 1;
    config.coop.hotline.max_resend_secs = 1;
}

pub(crate) fn preservation_spec() -> Value {
    json!({
        "recipient": "bravo",
        "urgency": "urgent",
        "title": "mailbox of the phishing campaign",
        "details": {
            "kind": "preservation",
            "requesting_authority": "Alpha national police, cybercrime unit",
            "offence": "computer fraud",
            "summary_of_facts": "phishing against Alpha's banks",
            "data_sought": "mailbox and logs of x@example.org",
            "link_to_offence": "the account sent the phishing mails",
            "custodian_or_location": "Example Mail Ltd, Bravo",
            "necessity": "the provider deletes logs after 30 days",
            "mla_intent": true
        }
    })
}

fn in_days(days: u64) -> String {
    pacific_coop::common::plus(&Timestamp::now(), Duration::from_secs(days * 86_400)).to_string()
}

fn state_is(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["record"]["state"] == s
}

#[tokio::test]
async fn a_preservation_request_goes_from_alpha_to_bravo_and_back_answered() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let a_analyst = Api::new(alpha, Some(alpha.user("ana", Role::Analyst).await));
    let a_liaison = Api::new(alpha, Some(alpha.user("lia", Role::Liaison).await));
    let a_reader = Api::new(alpha, Some(alpha.user("rea", Role::Reader).await));
    let b_liaison = Api::new(bravo, Some(bravo.user("bli", Role::Liaison).await));
    let b_reader = Api::new(bravo, Some(bravo.user("bre", Role::Reader).await));

    // An analyst drafts; a missing field is named.
    let mut incomplete = preservation_spec();
    incomplete["details"]["necessity"] = json!("");
    let (status, v) = a_analyst.post("/coop/requests", incomplete).await;
    assert_eq!((status, label(&v)), (422, "coop-invalid"), "{v}");
    assert!(v["description"].as_str().unwrap().contains("necessity"));
    let draft = a_analyst.ok("/coop/requests", preservation_spec()).await;
    assert_eq!(draft["state"], "draft");
    let id = draft["id"].as_str().unwrap().to_owned();
    let path = format!("/coop/requests/{id}");
    // A draft stays home: Bravo does not get it (the outbox would have pushed it by now).
    assert!(alpha.drained_to("bravo", WITHIN).await);
    assert_eq!(b_liaison.get(&path).await.0, 404);

    // A reader cannot act (the authorisation table refuses it a write route), an analyst
    // cannot commit the party (the domain's rule for this command); a liaison sends.
    let (status, v) = a_reader.post(&format!("{path}/send"), json!({})).await;
    assert_eq!((status, label(&v)), (403, "auth-forbidden"));
    let (status, v) = a_analyst.post(&format!("{path}/send"), json!({})).await;
    assert_eq!((status, label(&v)), (403, "coop-role-not-allowed"));
    let sent = a_liaison.ok(&format!("{path}/send"), json!({})).await;
    assert_eq!(sent["state"], "sent");
    assert!(sent["deadline"].is_string());

    // It shows up on Bravo; Alpha cannot acknowledge its own request.
    let on_bravo = b_liaison.until(&path, state_is("sent")).await;
    assert_eq!(on_bravo["record"]["requester"], "alpha");
    let (status, v) = a_liaison.post(&format!("{path}/ack"), json!({})).await;
    assert_eq!((status, label(&v)), (403, "coop-wrong-party"), "{v}");
    let (status, v) = b_reader.post(&format!("{path}/ack"), json!({})).await;
    assert_eq!((status, label(&v)), (403, "auth-forbidden"));

    // Bravo acknowledges, starts and answers; answering twice is refused.
    b_liaison.ok(&format!("{path}/ack"), json!({})).await;
    let (status, v) = b_liaison
        .post(
            &format!("{path}/answer"),
            json!({"completeness": "full", "note": "x"}),
        )
        .await;
    assert_eq!((status, label(&v)), (409, "coop-illegal-transition"), "{v}");
    b_liaison.ok(&format!("{path}/start"), json!({})).await;
    let (status, v) = b_liaison
        .post(
            &format!("{path}/answer"),
            json!({"completeness": "full", "note": "preserved"}),
        )
        .await;
    assert_eq!((status, label(&v)), (422, "coop-invalid"), "{v}");
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .contains("preserved_until")
    );
    let answer = json!({
        "completeness": "full",
        "note": "mailbox and logs frozen",
        "preserved_until": in_days(90),
    });
    let answered = b_liaison
        .ok(&format!("{path}/answer"), answer.clone())
        .await;
    assert_eq!(answered["state"], "answered");
    let (status, v) = b_liaison.post(&format!("{path}/answer"), answer).await;
    assert_eq!((status, label(&v)), (409, "coop-illegal-transition"));

    // Alpha sees the answer, with every transition and who made it.
    let seen = a_reader.until(&path, state_is("answered")).await;
    let by: Vec<&str> = seen["record"]["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["alpha", "bravo", "bravo", "bravo"]);
    assert_eq!(seen["refused_acts"], json!([]));
    let (_, list) = a_reader.get("/coop/requests").await;
    assert_eq!(list["requests"][0]["state"], "answered");

    // A second request is withdrawn while Bravo works on it: Bravo can no longer answer.
    let second = a_liaison.ok("/coop/requests", preservation_spec()).await;
    let path2 = format!("/coop/requests/{}", second["id"].as_str().unwrap());
    a_liaison.ok(&format!("{path2}/send"), json!({})).await;
    b_liaison.until(&path2, state_is("sent")).await;
    b_liaison.ok(&format!("{path2}/ack"), json!({})).await;
    b_liaison.ok(&format!("{path2}/start"), json!({})).await;
    a_liaison.until(&path2, state_is("in-progress")).await;
    a_liaison
        .ok(
            &format!("{path2}/withdraw"),
            json!({"reason": "suspect arrested"}),
        )
        .await;
    b_liaison.until(&path2, state_is("withdrawn")).await;
    let (status, v) = b_liaison
        .post(
            &format!("{path2}/answer"),
            json!({"completeness": "full", "note": "frozen", "preserved_until": in_days(90)}),
        )
        .await;
    assert_eq!((status, label(&v)), (409, "coop-illegal-transition"), "{v}");
}

#[tokio::test]
async fn an_energy_incident_is_re_sent_to_the_hotline_until_bravo_acknowledges() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let a = Api::new(alpha, Some(alpha.user("lia", Role::Liaison).await));
    let b = Api::new(bravo, Some(bravo.user("bli", Role::Liaison).await));

    b.post(
        "/coop/hotline/contacts",
        json!({"name": "Bravo 24/7 duty officer", "channel": {"medium": "phone", "address": "+99 555 0100"}}),
    )
    .await;
    let incident = json!({
        "recipient": "bravo",
        "urgency": "urgent",
        "title": "grid operator's SCADA hit by wiper",
        "details": {
            "kind": "incident-assistance",
            "description": "wiper on the grid operator's control network",
            "sector": "energy",
            "affected_systems": "SCADA servers of the northern grid",
            "assistance_sought": "block the C2 servers hosted in Bravo"
        }
    });
    let r = a.ok("/coop/requests", incident).await;
    let path = format!("/coop/requests/{}", r["id"].as_str().unwrap());
    let sent = a.ok(&format!("{path}/send"), json!({})).await;
    assert_eq!(sent["escalation"]["attempts"], 1, "{sent}");

    // Nobody answers: Alpha's clock re-sends every second, and Bravo sees each attempt.
    let v = b
        .until(&path, |v| {
            v["record"]["escalation"]["attempts"].as_u64() >= Some(3)
        })
        .await;
    assert!(v["hotline"]["acknowledged_at"].is_null());
    let (_, hotline) = b.get("/coop/hotline").await;
    let open = &hotline["escalations"][0];
    assert_eq!(open["open"], true, "{hotline}");
    assert_eq!(open["sector"], "energy");
    assert!(open["escalation"]["ack_clock_secs"].as_f64().unwrap() >= 2.0);

    // Bravo acknowledges: the clock stops, and so do the re-sends.
    let acked = b.ok(&format!("{path}/ack"), json!({})).await;
    let clock = acked["escalation"]["acknowledged_at"].clone();
    assert!(clock.is_string());
    let seen = a
        .until(&path, |v| v["record"]["state"] == "acknowledged")
        .await;
    let attempts = seen["record"]["escalation"]["attempts"].as_u64().unwrap();
    let ack_clock = seen["hotline"]["ack_clock_secs"].as_f64().unwrap();
    assert!(ack_clock >= 2.0, "{seen}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, later) = a.get(&path).await;
    assert_eq!(
        later["record"]["escalation"]["attempts"].as_u64(),
        Some(attempts)
    );
    assert_eq!(later["hotline"]["ack_clock_secs"].as_f64(), Some(ack_clock));
    let (_, hotline) = a.get("/coop/hotline").await;
    assert_eq!(hotline["escalations"][0]["open"], false);
    // Bravo's contact reached Alpha.
    let (_, contacts) = a.get("/coop/hotline/contacts").await;
    assert_eq!(contacts["contacts"][0]["party"], "bravo", "{contacts}");
}

#[tokio::test]
async fn a_dispute_goes_through_mediation_to_a_panel_of_three_that_decides() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = ["alpha", "bravo", "charlie", "delta", "echo"];
    let nodes = mesh(tmp.path(), &ids, fast).await;
    let mut api = Vec::new();
    for n in &nodes {
        api.push(Api::new(n, Some(n.user("liaison", Role::Liaison).await)));
    }
    let (alpha, bravo, charlie, delta, echo) = (&api[0], &api[1], &api[2], &api[3], &api[4]);
    let d = alpha
        .ok(
            "/coop/disputes",
            json!({"respondent": "bravo", "subject": "unanswered preservation requests",
                   "claim": "bravo let three urgent requests expire"}),
        )
        .await;
    let path = format!("/coop/disputes/{}", d["id"].as_str().unwrap());
    bravo
        .until(&path, |v| v["record"]["stage"] == "negotiation")
        .await;
    // Charlie is not a party yet: it never received the dispute.
    assert_eq!(charlie.get(&path).await.0, 404);

    bravo
        .ok(
            &format!("{path}/propose-mediator"),
            json!({"mediator": "charlie"}),
        )
        .await;
    alpha
        .until(&path, |v| v["record"]["proposed_mediator"].is_object())
        .await;
    let (status, v) = bravo
        .post(&format!("{path}/accept-mediator"), json!({}))
        .await;
    assert_eq!((status, label(&v)), (403, "coop-wrong-party"));
    alpha
        .ok(&format!("{path}/accept-mediator"), json!({}))
        .await;
    // The mediator receives the whole history, re-addressed by each party.
    let at_charlie = charlie
        .until(&path, |v| v["record"]["stage"] == "mediation")
        .await;
    assert_eq!(at_charlie["record"]["mediator"], "charlie");
    assert_eq!(at_charlie["record"]["claims"].as_array().unwrap().len(), 1);

    let (status, v) = alpha
        .post(
            &format!("{path}/propose-panel"),
            json!({"members": ["charlie", "delta"]}),
        )
        .await;
    assert_eq!((status, label(&v)), (422, "coop-invalid"));
    alpha
        .ok(
            &format!("{path}/propose-panel"),
            json!({"members": ["charlie", "delta", "echo"]}),
        )
        .await;
    bravo
        .until(&path, |v| v["record"]["proposed_panel"].is_object())
        .await;
    bravo.ok(&format!("{path}/accept-panel"), json!({})).await;
    for member in [charlie, delta] {
        member
            .until(&path, |v| v["record"]["stage"] == "arbitration")
            .await;
    }
    let (status, v) = alpha
        .post(
            &format!("{path}/vote"),
            json!({"finding": "upheld", "reasons": "mine"}),
        )
        .await;
    assert_eq!((status, label(&v)), (403, "coop-wrong-party"));
    charlie
        .ok(
            &format!("{path}/vote"),
            json!({"finding": "upheld", "reasons": "no ground cited"}),
        )
        .await;
    delta
        .until(&path, |v| {
            v["record"]["votes"]
                .as_array()
                .is_some_and(|a| a.len() == 1)
        })
        .await;
    let decided = delta
        .ok(
            &format!("{path}/vote"),
            json!({"finding": "upheld", "reasons": "deadlines ignored"}),
        )
        .await;
    assert_eq!(decided["stage"], "decided");
    for member in [alpha, bravo, echo] {
        let v = member
            .until(&path, |v| v["record"]["stage"] == "decided")
            .await;
        assert_eq!(v["record"]["decision"]["votes_for"], 2);
        assert_eq!(v["refused_acts"], json!([]), "{v}");
    }
    // Echo came too late to vote.
    let (status, v) = echo
        .post(
            &format!("{path}/vote"),
            json!({"finding": "rejected", "reasons": "late"}),
        )
        .await;
    assert_eq!((status, label(&v)), (409, "coop-illegal-transition"));
}

#[tokio::test]
async fn an_act_forged_by_a_peer_in_another_partys_name_does_not_count() {
    use pacific_coop::request::RequestEventKind;
    use pacific_coop::wire::{self, Act};
    use pacific_coop::{Audience, Event, RecordId};

    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let (alpha, bravo) = (&nodes[0], &nodes[1]);
    let a = Api::new(alpha, Some(alpha.user("lia", Role::Liaison).await));
    let b = Api::new(bravo, Some(bravo.user("bli", Role::Liaison).await));
    let r = a.ok("/coop/requests", preservation_spec()).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let path = format!("/coop/requests/{id}");
    a.ok(&format!("{path}/send"), json!({})).await;
    b.until(&path, state_is("sent")).await;

    // Bravo's node publishes a withdrawal "by alpha", then an answer it may not give yet.
    let record = RecordId::try_from(id.clone()).unwrap();
    let audience = Audience::Only(["alpha".into(), "bravo".into()].into());
    let forged = |by: &str, body: RequestEventKind, n: u64| {
        let at = pacific_coop::common::plus(&Timestamp::now(), Duration::from_millis(n));
        let act = Act::Request(vec![Event {
            record: record.clone(),
            at: at.clone(),
            by: Some(by.into()),
            body,
        }]);
        wire::to_stix(&uuid(), &act, &audience, None, &at).unwrap()
    };
    let withdrawal = forged(
        "alpha",
        RequestEventKind::Withdrawn {
            reason: "forged".into(),
        },
        1,
    );
    let answer: pacific_coop::request::AnswerSpec = serde_json::from_value(json!({
        "completeness": "full", "note": "nothing", "preserved_until": in_days(90)
    }))
    .unwrap();
    let early_answer = forged(
        "bravo",
        RequestEventKind::Answered {
            answer: Box::new(answer),
        },
        2,
    );
    bravo
        .store()
        .add_objects(
            &bravo.collection,
            &[withdrawal.clone(), early_answer.clone()],
        )
        .await
        .unwrap();

    // Alpha receives both and counts neither: the request is still sent.
    let v = a
        .until(&path, |v| {
            v["refused_acts"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
    assert_eq!(v["record"]["state"], "sent");
    let refused: Vec<&str> = v["refused_acts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(refused.contains(&withdrawal.id()) && refused.contains(&early_answer.id()));
    // Bravo's own node does not count them either, and the real flow goes on.
    let (_, on_bravo) = b.get(&path).await;
    assert_eq!(on_bravo["record"]["state"], "sent");
    b.ok(&format!("{path}/ack"), json!({})).await;
    a.until(&path, state_is("acknowledged")).await;
}

#[tokio::test]
async fn every_coop_endpoint_needs_a_token_and_readers_only_read() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha = &nodes[0];
    let anonymous = Api::new(alpha, None);
    let reader = Api::new(alpha, Some(alpha.user("rea", Role::Reader).await));
    let liaison = Api::new(alpha, Some(alpha.user("lia", Role::Liaison).await));
    let r = liaison.ok("/coop/requests", preservation_spec()).await;
    let d = liaison
        .ok(
            "/coop/disputes",
            json!({"respondent": "bravo", "subject": "s", "claim": "c"}),
        )
        .await;
    let c = liaison
        .ok(
            "/coop/consultations",
            json!({"topic": "t", "participants": ["bravo"]}),
        )
        .await;
    let rid = r["id"].as_str().unwrap();
    let did = d["id"].as_str().unwrap();
    let cid = c["id"].as_str().unwrap();
    let reads = [
        "/coop/requests".to_owned(),
        format!("/coop/requests/{rid}"),
        "/coop/hotline".to_owned(),
        "/coop/hotline/contacts".to_owned(),
        "/coop/disputes".to_owned(),
        format!("/coop/disputes/{did}"),
        "/coop/consultations".to_owned(),
        format!("/coop/consultations/{cid}"),
        "/coop/hotline/pings".to_owned(),
    ];
    for path in &reads {
        assert_eq!(anonymous.get(path).await.0, 401, "{path}");
        assert_eq!(reader.get(path).await.0, 200, "{path}");
    }
    let mut writes = vec![
        "/coop/requests".to_owned(),
        "/coop/hotline/contacts".to_owned(),
        "/coop/disputes".to_owned(),
        "/coop/consultations".to_owned(),
        "/coop/hotline/pings".to_owned(),
    ];
    for action in [
        "agenda",
        "post",
        "attach",
        "propose-minutes",
        "sign-minutes",
    ] {
        writes.push(format!("/coop/consultations/{cid}/{action}"));
    }
    for action in [
        "send", "ack", "start", "ask", "provide", "answer", "decline", "withdraw", "custody",
        "extend", "update",
    ] {
        writes.push(format!("/coop/requests/{rid}/{action}"));
    }
    for action in [
        "claim",
        "propose-mediator",
        "accept-mediator",
        "propose-panel",
        "accept-panel",
        "vote",
        "propose-settlement",
        "accept-settlement",
    ] {
        writes.push(format!("/coop/disputes/{did}/{action}"));
    }
    for path in &writes {
        assert_eq!(anonymous.post(path, json!({})).await.0, 401, "{path}");
        let (status, v) = reader.post(path, json!({})).await;
        assert_eq!((status, label(&v)), (403, "auth-forbidden"), "{path}");
    }
    // Unknown records and actions are 404.
    let missing = format!("/coop/requests/x-pacific-assistance-request--{}", uuid());
    assert_eq!(liaison.get(&missing).await.0, 404);
    assert_eq!(
        liaison
            .post(&format!("/coop/requests/{rid}/explode"), json!({}))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_match_on_bravos_power_grid_raises_a_hotline_alert_to_alpha_who_shared_the_indicator() {
    use pacific_core::tlp::Tlp;

    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = fast_peers(tmp.path()).await;
    std::fs::write(
        bravo.dir.root().join("assets.toml"),
        "[[assets]]\nname = \"North grid SCADA\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n",
    )
    .unwrap();
    alpha.start().await;
    bravo.start().await;
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    let b = Api::new(&bravo, Some(bravo.user("bli", Role::Liaison).await));
    let b_analyst = bravo.user("ana", Role::Analyst).await;
    a.ok(
        "/coop/hotline/contacts",
        json!({"name": "Alpha CERT duty desk", "channel": {"medium": "phone", "address": "+99 555 0001"}}),
    )
    .await;

    // Alpha shares an indicator; it reaches Bravo.
    let ind = indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.77']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    alpha.add(&[ind]).await;
    assert!(
        eventually(WITHIN, || bravo.has(&ind_id)).await.is_some(),
        "the indicator never reached Bravo"
    );

    // Bravo's grid talks to it: an incident, and an emergency request to Alpha's hotline.
    let events = "{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.77\"}\n";
    let answer = post_match(&bravo, &b_analyst, events).await;
    assert_eq!(answer["matches"], 1, "{answer}");
    let hotline = a
        .until("/coop/hotline", |v| {
            v["escalations"].as_array().is_some_and(|e| !e.is_empty())
        })
        .await;
    let e = &hotline["escalations"][0];
    assert_eq!(e["requester"], "bravo", "{hotline}");
    assert_eq!(e["recipient"], "alpha");
    assert_eq!(e["urgency"], "emergency");
    assert_eq!(e["sector"], "energy");
    assert_eq!(e["open"], true);
    let path = format!("/coop/requests/{}", e["request"].as_str().unwrap());
    let (_, request) = a.get(&path).await;
    let evidence = request["record"]["evidence_refs"].as_array().unwrap();
    assert!(evidence.iter().any(|r| r == &json!(ind_id)), "{request}");
    assert!(
        evidence
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("incident--"))
    );
    assert_eq!(request["record"]["details"]["kind"], "incident-assistance");

    // Like any escalation: re-sent until Alpha acknowledges.
    a.until(&path, |v| {
        v["record"]["escalation"]["attempts"].as_u64() >= Some(2)
    })
    .await;
    a.ok(&format!("{path}/ack"), json!({})).await;
    b.until(&path, state_is("acknowledged")).await;

    // The same incident again raises no second alert, also after a restart.
    post_match(&bravo, &b_analyst, events).await;
    bravo.stop().await;
    bravo.start().await;
    let b_analyst2 = bravo.user("ana2", Role::Analyst).await;
    post_match(&bravo, &b_analyst2, events).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, list) = b.get("/coop/requests").await;
    assert_eq!(list["requests"].as_array().unwrap().len(), 1, "{list}");
}

/// `POST /match` of `events` (JSON lines) on `node` as the user of `token`: its summary.
async fn post_match(node: &FedNode, token: &str, events: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/match", node.url()))
        .bearer_auth(token)
        .header("content-type", "application/x-ndjson")
        .body(events.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Alpha and Bravo on the fast clock, each the other's peer, not started yet.
async fn fast_peers(root: &std::path::Path) -> (FedNode, FedNode) {
    use pacific_core::party::StakeholderType::State;
    let (alpha, bravo) = alpha_and_bravo(root).await;
    alpha.configure(fast);
    bravo.configure(fast);
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    (alpha, bravo)
}

/// What `pacific match --record` does against a stopped node's data directory: matches
/// `events` (JSON lines) with the indicators stored there and records what they add up to.
/// Returns how many incidents it raised.
async fn record_offline(node: &FedNode, events: &str) -> u64 {
    use pacific_node::matching::MatchService;
    use pacific_store::{FederationStore, SqliteFederationStore};
    let config = node.dir.load_config().unwrap();
    let store = node.dir.open_store().await.unwrap();
    let origins: std::sync::Arc<dyn FederationStore> = std::sync::Arc::new(
        SqliteFederationStore::open(&node.dir.db_path())
            .await
            .unwrap(),
    );
    let service = MatchService::open(node.dir.root(), &config, store, Some(origins))
        .await
        .unwrap();
    let mut run = service.run(Timestamp::now().unix_micros(), 0);
    let mut tallies = Vec::new();
    service
        .match_reader(
            events.as_bytes(),
            &pacific_match::InputOptions::default(),
            &mut run,
            |_, _| {},
            |t| tallies.push(t),
        )
        .unwrap();
    let mut incidents = 0;
    for t in tallies {
        incidents += service.record(t).await.unwrap().incidents;
    }
    incidents
}

#[tokio::test]
async fn incidents_stored_while_bravo_was_down_are_alerted_when_it_starts_and_only_once() {
    use pacific_core::tlp::Tlp;

    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = fast_peers(tmp.path()).await;
    std::fs::write(
        bravo.dir.root().join("assets.toml"),
        "[[assets]]\nname = \"North grid\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n\
         [[assets]]\nname = \"South grid\"\ncidr = \"10.21.0.0/16\"\nsector = \"energy\"\n\
         [[assets]]\nname = \"East grid\"\ncidr = \"10.22.0.0/16\"\nsector = \"energy\"\n",
    )
    .unwrap();
    alpha.start().await;
    bravo.start().await;
    let b = Api::new(&bravo, Some(bravo.user("bli", Role::Liaison).await));
    let b_analyst = bravo.user("ana", Role::Analyst).await;

    // Alpha shares an indicator; it reaches Bravo.
    let ind = indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.88']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    alpha.add(&[ind]).await;
    assert!(
        eventually(WITHIN, || bravo.has(&ind_id)).await.is_some(),
        "the indicator never reached Bravo"
    );

    // While Bravo is down: `pacific match --record` raises an incident on the North grid, and
    // an incident on the South grid as nodes wrote them before they kept the matched value,
    // the day and the indicator's origin (that comes from the indicator's provenance).
    bravo.stop().await;
    let raised = record_offline(
        &bravo,
        "{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.88\"}\n",
    )
    .await;
    assert_eq!(raised, 1);
    {
        let store = bravo.dir.open_store().await.unwrap();
        let incidents = pacific_node::find_collection(store.as_ref(), "incidents")
            .await
            .unwrap()
            .unwrap();
        let now = Timestamp::now();
        let legacy = json!({
            "type": "incident", "spec_version": "2.1", "id": format!("incident--{}", uuid()),
            "created": now.as_str(), "modified": now.as_str(),
            "name": "Indicator matched on South grid (energy)",
            "x_pacific_asset": "South grid", "x_pacific_sector": "energy",
            "x_pacific_indicator": ind_id,
        });
        store
            .add_objects(
                &incidents.id,
                &[pacific_core::StixObject::from_value(legacy).unwrap()],
            )
            .await
            .unwrap();
    }

    // Started again, Bravo alerts Alpha's hotline of both.
    bravo.start().await;
    let titles = |v: &Value| -> Vec<String> {
        let mut t: Vec<String> = v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["title"].as_str().unwrap_or("").to_owned())
            .collect();
        t.sort();
        t
    };
    let list = b.until("/coop/requests", |v| titles(v).len() >= 2).await;
    assert_eq!(
        titles(&list),
        [
            "Incident on critical infrastructure: North grid (energy)",
            "Incident on critical infrastructure: South grid (energy)",
        ],
        "{list}"
    );
    for r in list["requests"].as_array().unwrap() {
        assert_eq!(
            (r["recipient"].as_str(), r["urgency"].as_str()),
            (Some("alpha"), Some("emergency")),
            "{r}"
        );
        let (_, request) = b
            .get(&format!("/coop/requests/{}", r["id"].as_str().unwrap()))
            .await;
        let evidence = request["record"]["evidence_refs"].as_array().unwrap();
        assert!(evidence.iter().any(|e| e == &json!(ind_id)), "{request}");
    }
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    a.until("/coop/hotline", |v| {
        v["escalations"].as_array().is_some_and(|e| e.len() == 2)
    })
    .await;

    // Restarted once more, Bravo alerts neither again. A live incident on the East grid is
    // alerted after the sweep at start (which goes oldest first), so once its alert is there
    // the sweep has passed the other two.
    bravo.stop().await;
    bravo.start().await;
    let answer = post_match(
        &bravo,
        &b_analyst,
        "{\"src_ip\": \"10.22.1.5\", \"dst_ip\": \"203.0.113.88\"}\n",
    )
    .await;
    assert_eq!(answer["matches"], 1, "{answer}");
    let list = b
        .until("/coop/requests", |v| {
            titles(v).iter().any(|t| t.contains("East grid"))
        })
        .await;
    assert_eq!(
        titles(&list),
        [
            "Incident on critical infrastructure: East grid (energy)",
            "Incident on critical infrastructure: North grid (energy)",
            "Incident on critical infrastructure: South grid (energy)",
        ],
        "{list}"
    );
}

/// Issue 12, item 4: `pacific match --record` stores an incident through its own store while
/// Bravo serves. Bravo alerts it as it alerts `POST /match`'s — from the stored incident, at
/// once, not at the next periodic sweep (`INCIDENT_SWEEP_EVERY`, five minutes) — and once.
#[tokio::test]
async fn an_incident_another_process_records_while_the_node_serves_is_alerted_at_once() {
    use pacific_core::tlp::Tlp;

    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = fast_peers(tmp.path()).await;
    std::fs::write(
        bravo.dir.root().join("assets.toml"),
        "[[assets]]\nname = \"North grid\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n",
    )
    .unwrap();
    alpha.start().await;
    bravo.start().await;
    let b = Api::new(&bravo, Some(bravo.user("bli", Role::Liaison).await));
    let ind = indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.89']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    alpha.add(&[ind]).await;
    assert!(
        eventually(WITHIN, || bravo.has(&ind_id)).await.is_some(),
        "the indicator never reached Bravo"
    );
    // Past the sweep at start, so only following the store can alert what comes next.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let raised = record_offline(
        &bravo,
        "{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.89\"}\n",
    )
    .await;
    assert_eq!(raised, 1);
    let list = b
        .until("/coop/requests", |v| {
            v["requests"].as_array().is_some_and(|r| !r.is_empty())
        })
        .await;
    let requests = list["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{list}");
    assert_eq!(
        (
            requests[0]["recipient"].as_str(),
            requests[0]["urgency"].as_str(),
            requests[0]["title"].as_str()
        ),
        (
            Some("alpha"),
            Some("emergency"),
            Some("Incident on critical infrastructure: North grid (energy)")
        ),
        "{list}"
    );
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    a.until("/coop/hotline", |v| {
        v["escalations"].as_array().is_some_and(|e| e.len() == 1)
    })
    .await;
    // Recorded again (another day's run of the same process), nothing new is alerted.
    assert_eq!(
        record_offline(
            &bravo,
            "{\"src_ip\": \"10.20.1.6\", \"dst_ip\": \"203.0.113.89\"}\n",
        )
        .await,
        0
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, list) = b.get("/coop/requests").await;
    assert_eq!(list["requests"].as_array().map(Vec::len), Some(1), "{list}");
}

/// The node stopped after drafting an incident's alert and before sending it: started again,
/// it sends that draft (and raises no second alert for the incident).
#[tokio::test]
async fn an_alert_drafted_but_not_sent_before_a_stop_is_sent_when_the_node_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = fast_peers(tmp.path()).await;
    alpha.start().await;
    bravo.start().await;
    let b = Api::new(&bravo, Some(bravo.user("bli", Role::Liaison).await));

    // What the alert of an incident looks like once drafted, naming it in its evidence.
    let incident_id = format!("incident--{}", uuid());
    let draft = b
        .ok(
            "/coop/requests",
            json!({
                "recipient": "alpha",
                "urgency": "emergency",
                "title": "Incident on critical infrastructure: North grid (energy)",
                "evidence_refs": [incident_id],
                "details": {
                    "kind": "incident-assistance",
                    "description": "an indicator matched on the North grid",
                    "sector": "energy",
                    "affected_systems": "North grid",
                    "assistance_sought": "help to stop it"
                }
            }),
        )
        .await;
    let path = format!("/coop/requests/{}", draft["id"].as_str().unwrap());
    let (_, before) = b.get(&path).await;
    assert_eq!(before["record"]["state"], "draft", "{before}");

    // Down, the incident is stored (as matching writes it); started again, the draft is sent.
    bravo.stop().await;
    {
        let store = bravo.dir.open_store().await.unwrap();
        let incidents = pacific_store::Collection {
            id: uuid(),
            title: "Incidents".into(),
            description: None,
            alias: Some("incidents".into()),
        };
        store.create_collection(&incidents).await.unwrap();
        let now = Timestamp::now();
        let incident = json!({
            "type": "incident", "spec_version": "2.1", "id": incident_id,
            "created": now.as_str(), "modified": now.as_str(),
            "name": "Indicator matched on North grid (energy)",
            "x_pacific_asset": "North grid", "x_pacific_sector": "energy",
            "x_pacific_indicator": format!("indicator--{}", uuid()),
            "x_pacific_indicator_origin": "alpha",
        });
        store
            .add_objects(
                &incidents.id,
                &[pacific_core::StixObject::from_value(incident).unwrap()],
            )
            .await
            .unwrap();
    }
    bravo.start().await;
    let sent = b.until(&path, |v| v["record"]["state"] != "draft").await;
    assert_eq!(sent["record"]["state"], "sent", "{sent}");
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    a.until("/coop/hotline", |v| {
        v["escalations"].as_array().is_some_and(|e| e.len() == 1)
    })
    .await;
    let (_, list) = b.get("/coop/requests").await;
    assert_eq!(list["requests"].as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test]
async fn a_consultation_of_three_reaches_minutes_signed_by_each_and_a_fourth_never_sees_it() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo", "charlie", "delta"], fast).await;
    let mut api = Vec::new();
    for n in &nodes {
        api.push(Api::new(n, Some(n.user("liaison", Role::Liaison).await)));
    }
    let (alpha, bravo, charlie, delta) = (&api[0], &api[1], &api[2], &api[3]);
    let analyst = Api::new(&nodes[1], Some(nodes[1].user("ana", Role::Analyst).await));

    let c = alpha
        .ok(
            "/coop/consultations",
            json!({"topic": "GRIDLOCK C2 hosted in XB", "participants": ["bravo", "charlie"],
                   "agenda": ["what is known of 198.51.100.23"]}),
        )
        .await;
    assert_eq!(c["participants"], json!(["alpha", "bravo", "charlie"]));
    let id = c["id"].as_str().unwrap().to_owned();
    let path = format!("/coop/consultations/{id}");
    for p in [bravo, charlie] {
        p.until(&path, |v| v["record"]["state"] == "open").await;
    }
    bravo
        .ok(
            &format!("{path}/agenda"),
            json!({"item": "takedown timetable"}),
        )
        .await;
    // An analyst posts for Bravo, but may not sign for it.
    analyst
        .ok(
            &format!("{path}/post"),
            json!({"text": "the server is a customer VPS at Charlie"}),
        )
        .await;
    charlie
        .until(&path, |v| {
            v["record"]["messages"]
                .as_array()
                .is_some_and(|m| m.len() == 1)
        })
        .await;
    let held = indicator(None, json!({}));
    nodes[2].add(std::slice::from_ref(&held)).await;
    charlie
        .ok(
            &format!("{path}/attach"),
            json!({"object_refs": [held["id"]]}),
        )
        .await;
    alpha
        .until(&path, |v| {
            v["record"]["object_refs"]
                .as_array()
                .is_some_and(|m| m.len() == 1)
                && v["record"]["agenda"]
                    .as_array()
                    .is_some_and(|a| a.len() == 2)
        })
        .await;
    let m = alpha
        .ok(
            &format!("{path}/propose-minutes"),
            json!({"text": "Charlie null-routes 198.51.100.23 within 24 h; Bravo preserves the image"}),
        )
        .await;
    assert_eq!(m["minutes"]["version"], 1);
    alpha.ok(&format!("{path}/sign-minutes"), json!({})).await;
    for (n, p) in [(2, bravo), (3, charlie)] {
        p.until(&path, |v| {
            v["record"]["minutes"]["signatures"]
                .as_array()
                .is_some_and(|s| s.len() == n - 1)
        })
        .await;
        if n == 2 {
            let (status, v) = analyst
                .post(&format!("{path}/sign-minutes"), json!({"version": 1}))
                .await;
            assert_eq!((status, label(&v)), (403, "coop-role-not-allowed"));
        }
        p.ok(&format!("{path}/sign-minutes"), json!({"version": 1}))
            .await;
    }
    for p in [alpha, bravo, charlie] {
        let v = p.until(&path, |v| v["record"]["state"] == "closed").await;
        let signed: Vec<&str> = v["record"]["minutes"]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["party"].as_str().unwrap())
            .collect();
        assert_eq!(signed, ["alpha", "bravo", "charlie"]);
        assert_eq!(v["refused_acts"], json!([]), "{v}");
    }
    let (status, v) = bravo
        .post(&format!("{path}/post"), json!({"text": "late"}))
        .await;
    assert_eq!((status, label(&v)), (409, "coop-illegal-transition"), "{v}");

    // Delta was never a participant: no act of the consultation reached it.
    for n in &nodes[..3] {
        assert!(n.drained_to("delta", WITHIN).await);
    }
    assert_eq!(delta.get(&path).await.0, 404);
    let (_, list) = delta.get("/coop/consultations").await;
    assert_eq!(list["consultations"], json!([]));
    let page = nodes[3]
        .store()
        .query_objects(
            &nodes[3].collection,
            &pacific_core::taxii::ObjectQuery::all(1000),
            false,
        )
        .await
        .unwrap();
    assert!(
        !page.items.iter().any(|o| o.json.contains(&id)),
        "an act of the consultation reached Delta"
    );
}

#[tokio::test]
async fn a_hotline_ping_is_answered_by_bravos_node_and_times_out_for_a_party_whose_node_is_down() {
    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha", "bravo", "charlie"], |c| {
        fast(c);
        c.coop.hotline.ping_timeout_secs = 2;
        c.coop.ping_interval_secs = 0;
    })
    .await;
    let mut api = Vec::new();
    for n in &nodes {
        api.push(Api::new(n, Some(n.user("liaison", Role::Liaison).await)));
    }
    let (alpha, bravo, charlie) = (&api[0], &api[1], &api[2]);
    for (p, name) in [(bravo, "Bravo 24/7"), (charlie, "Charlie NOC")] {
        p.ok(
            "/coop/hotline/contacts",
            json!({"name": name, "channel": {"medium": "phone", "address": "+99 555 0100"}}),
        )
        .await;
    }
    alpha
        .until("/coop/hotline/contacts", |v| {
            v["contacts"].as_array().is_some_and(|c| c.len() == 2)
        })
        .await;
    // Charlie's node goes down.
    nodes[2].stop().await;

    let (status, v) = alpha
        .post("/coop/hotline/pings", json!({"to": "alpha"}))
        .await;
    assert_eq!((status, label(&v)), (422, "coop-invalid"));
    let to_bravo = alpha
        .ok("/coop/hotline/pings", json!({"to": "bravo"}))
        .await;
    let to_charlie = alpha
        .ok("/coop/hotline/pings", json!({"to": "charlie"}))
        .await;
    let outcome_of = |v: &Value, id: &Value| {
        v["pings"]
            .as_array()
            .and_then(|p| p.iter().find(|p| &p["id"] == id))
            .map(|p| p["outcome"]["status"].as_str().unwrap_or("").to_owned())
    };
    let v = alpha
        .until("/coop/hotline/pings", |v| {
            outcome_of(v, &to_bravo["id"]).as_deref() == Some("answered")
                && outcome_of(v, &to_charlie["id"]).as_deref() == Some("timed-out")
        })
        .await;
    let answered = v["pings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == to_bravo["id"])
        .unwrap();
    assert_eq!(answered["outcome"]["by"], "bravo");
    assert!(answered["response_secs"].as_f64().unwrap() < 2.0);
    // Bravo's node holds the same outcome.
    bravo
        .until("/coop/hotline/pings", |v| {
            outcome_of(v, &to_bravo["id"]).as_deref() == Some("answered")
        })
        .await;
}

#[tokio::test]
async fn the_clock_pings_every_declared_hotline_periodically() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], |c| {
        fast(c);
        c.coop.ping_interval_secs = 1;
    })
    .await;
    let alpha = Api::new(&nodes[0], Some(nodes[0].user("rea", Role::Reader).await));
    let bravo = Api::new(&nodes[1], Some(nodes[1].user("lia", Role::Liaison).await));
    bravo
        .ok(
            "/coop/hotline/contacts",
            json!({"name": "Bravo 24/7", "channel": {"medium": "phone", "address": "+99 555 0100"}}),
        )
        .await;
    let v = alpha
        .until("/coop/hotline/pings", |v| {
            v["pings"].as_array().is_some_and(|p| {
                p.iter()
                    .filter(|p| p["outcome"]["status"] == "answered" && p["party"] == "bravo")
                    .count()
                    >= 2
            })
        })
        .await;
    // Alpha declared no contact: Bravo never pinged it.
    assert!(
        v["pings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["sender"] == "alpha"),
        "{v}"
    );
}

#[tokio::test]
async fn with_incident_hotline_to_a_match_on_its_own_indicator_alerts_that_party() {
    use pacific_core::party::StakeholderType::State;
    use pacific_core::tlp::Tlp;

    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = alpha_and_bravo(tmp.path()).await;
    alpha.configure(fast);
    // Bravo sends every incident on its critical assets to Alpha's hotline, whoever shared
    // the indicator (here: Bravo itself, which alone would alert nobody).
    bravo.configure(|c| {
        fast(c);
        c.coop.incident_hotline_to = Some("alpha".into());
    });
    alpha.add_peer(&bravo, State, Some("XB")).await;
    bravo.add_peer(&alpha, State, Some("XA")).await;
    std::fs::write(
        bravo.dir.root().join("assets.toml"),
        "[[assets]]\nname = \"Water works\"\ncidr = \"10.30.0.0/16\"\nsector = \"water\"\n",
    )
    .unwrap();
    alpha.start().await;
    bravo.start().await;
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    let b_analyst = bravo.user("ana", Role::Analyst).await;
    let ind = indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '198.51.100.99']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    bravo.add(&[ind]).await;

    let answer = post_match(
        &bravo,
        &b_analyst,
        "{\"src_ip\": \"10.30.4.4\", \"dst_ip\": \"198.51.100.99\"}\n",
    )
    .await;
    assert_eq!(answer["matches"], 1, "{answer}");
    let hotline = a
        .until("/coop/hotline", |v| {
            v["escalations"].as_array().is_some_and(|e| !e.is_empty())
        })
        .await;
    let e = &hotline["escalations"][0];
    assert_eq!(
        (e["requester"].as_str(), e["recipient"].as_str()),
        (Some("bravo"), Some("alpha")),
        "{hotline}"
    );
    assert_eq!(e["sector"], "water");
    let (_, request) = a
        .get(&format!(
            "/coop/requests/{}",
            e["request"].as_str().unwrap()
        ))
        .await;
    let evidence = request["record"]["evidence_refs"].as_array().unwrap();
    assert!(evidence.iter().any(|r| r == &json!(ind_id)), "{request}");
}

/// Issue 12: Alpha and Bravo sign a consultation's minutes concurrently, each before its node
/// has received the other's signature (their outboxes stopped in between, so the two acts are
/// made on the same state). Once the nodes exchange again, both signatures count on both
/// nodes, whichever arrived first, no act is refused, and the consultation is closed.
#[tokio::test]
async fn minutes_signed_concurrently_by_alpha_and_bravo_count_both_and_close_the_consultation() {
    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let tokens = [
        nodes[0].user("liaison", Role::Liaison).await,
        nodes[1].user("liaison", Role::Liaison).await,
    ];
    let api = |nodes: &[FedNode]| -> Vec<Api> {
        nodes
            .iter()
            .zip(&tokens)
            .map(|(n, t)| Api::new(n, Some(t.clone())))
            .collect()
    };
    let a = api(&nodes);
    let c = a[0]
        .ok(
            "/coop/consultations",
            json!({"topic": "GRIDLOCK", "participants": ["bravo"]}),
        )
        .await;
    let path = format!("/coop/consultations/{}", c["id"].as_str().unwrap());
    a[0].ok(
        &format!("{path}/propose-minutes"),
        json!({"text": "Bravo null-routes 198.51.100.23 within 24 h"}),
    )
    .await;
    a[1].until(&path, |v| v["record"]["minutes"]["version"] == 1)
        .await;

    // Both sign while their nodes exchange nothing: each sees its own signature only.
    let restart = async |nodes: &mut Vec<FedNode>, outbox: bool| {
        for n in nodes.iter_mut() {
            n.stop().await;
            n.configure(|c| c.federation.outbox = outbox);
            n.start().await;
        }
    };
    restart(&mut nodes, false).await;
    let a = api(&nodes);
    for (p, party) in a.iter().zip(["alpha", "bravo"]) {
        let signed = p
            .ok(&format!("{path}/sign-minutes"), json!({"version": 1}))
            .await;
        assert_eq!(
            signed["minutes"]["signatures"],
            json!([{"party": party, "at": signed["minutes"]["signatures"][0]["at"]}]),
            "{party} signed on a state with the other's signature: {signed}"
        );
    }

    restart(&mut nodes, true).await;
    let a = api(&nodes);
    for p in &a {
        let v = p.until(&path, |v| v["record"]["state"] == "closed").await;
        let signed: Vec<&str> = v["record"]["minutes"]["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["party"].as_str().unwrap())
            .collect();
        assert_eq!(signed.len(), 2, "{v}");
        assert!(
            signed.contains(&"alpha") && signed.contains(&"bravo"),
            "{v}"
        );
        assert_eq!(v["refused_acts"], json!([]), "{v}");
    }
}

/// Two parties with the policy `pacific init` writes (and Bravo's node holding everything
/// back): Alpha's request reaches Bravo (issue 12, item 2: `init`'s policy denied every
/// cooperation act by default while `send` answered `sent`), and a send Alpha's own gate holds
/// back fails at Alpha with the gate's reason, leaving the request a draft.
async fn init_policy_peers(root: &std::path::Path, bravo_policy: &str) -> (FedNode, FedNode) {
    use pacific_core::party::StakeholderType;
    let spec = |id, name, jurisdiction, policy| Spec {
        id,
        name,
        kind: StakeholderType::State,
        jurisdiction: Some(jurisdiction),
        policy,
    };
    let default = pacific_node::federation::DEFAULT_POLICY;
    let mut alpha = FedNode::create(root, &spec("alpha", "Alpha", "XA", default)).await;
    let mut bravo = FedNode::create(root, &spec("bravo", "Bravo", "XB", bravo_policy)).await;
    alpha
        .add_peer(&bravo, StakeholderType::State, Some("XB"))
        .await;
    bravo
        .add_peer(&alpha, StakeholderType::State, Some("XA"))
        .await;
    for n in [&alpha, &bravo] {
        n.configure(fast);
    }
    alpha.start().await;
    bravo.start().await;
    (alpha, bravo)
}

#[tokio::test]
async fn with_the_policy_init_writes_a_request_reaches_its_recipient() {
    let tmp = tempfile::tempdir().unwrap();
    let (alpha, bravo) =
        init_policy_peers(tmp.path(), pacific_node::federation::DEFAULT_POLICY).await;
    let a = Api::new(&alpha, Some(alpha.user("lia", Role::Liaison).await));
    let b = Api::new(&bravo, Some(bravo.user("lia", Role::Liaison).await));
    let drafted = a.ok("/coop/requests", preservation_spec()).await;
    let path = format!("/coop/requests/{}", drafted["id"].as_str().unwrap());
    let sent = a.ok(&format!("{path}/send"), json!({})).await;
    assert_eq!(sent["state"], "sent");
    b.until(&path, state_is("sent")).await;
    b.ok(&format!("{path}/ack"), json!({})).await;
    a.until(&path, state_is("acknowledged")).await;
}

#[tokio::test]
async fn a_send_the_senders_policy_holds_back_fails_with_the_gates_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let (alpha, bravo) = init_policy_peers(tmp.path(), "default = \"deny\"\n").await;
    let b = Api::new(&bravo, Some(bravo.user("lia", Role::Liaison).await));
    // Bravo's own policy lets nothing go: its consultation with Alpha is refused when opened.
    let (status, v) = b
        .post(
            "/coop/consultations",
            json!({"topic": "t", "participants": ["alpha"]}),
        )
        .await;
    assert_eq!((status, label(&v)), (409, "coop-held-back"), "{v}");
    let description = v["description"].as_str().unwrap();
    assert!(
        description.contains("from alpha (default-deny"),
        "{description}"
    );
    let (_, list) = b.get("/coop/consultations").await;
    assert_eq!(list["consultations"], json!([]), "nothing was stored");
    // A draft stays home, so drafting is fine; sending is refused and it stays a draft.
    let mut spec = preservation_spec();
    spec["recipient"] = json!("alpha");
    let drafted = b.ok("/coop/requests", spec).await;
    let path = format!("/coop/requests/{}", drafted["id"].as_str().unwrap());
    let (status, v) = b.post(&format!("{path}/send"), json!({})).await;
    assert_eq!((status, label(&v)), (409, "coop-held-back"), "{v}");
    let (_, shown) = b.get(&path).await;
    assert_eq!(shown["record"]["state"], "draft");
    drop(alpha);
}

/// Issue 12, items 7 and 14: a recipient, participant, respondent, mediator or hotline target
/// that is neither this party nor a peer is refused when the command is given, naming the
/// parties the node knows; so is attaching an object the node does not hold. Nothing is
/// stored.
#[tokio::test]
async fn unknown_parties_and_objects_are_refused_when_drafting_with_the_known_parties() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let a = Api::new(&nodes[0], Some(nodes[0].user("lia", Role::Liaison).await));
    let unknown = |v: &Value, party: &str| {
        assert_eq!(label(v), "coop-unknown-party", "{v}");
        assert_eq!(
            v["description"].as_str().unwrap(),
            format!(
                "\"{party}\" is not a party this node knows; the known parties are alpha, bravo"
            )
        );
    };
    let mut spec = preservation_spec();
    spec["recipient"] = json!("zulu");
    let (status, v) = a.post("/coop/requests", spec).await;
    assert_eq!(status, 422);
    unknown(&v, "zulu");
    let (status, v) = a
        .post("/coop/hotline/pings", json!({"to": "bravo-cert"}))
        .await;
    assert_eq!(status, 422);
    unknown(&v, "bravo-cert");
    let (status, v) = a
        .post(
            "/coop/consultations",
            json!({"topic": "t", "participants": ["bravo", "charlie"]}),
        )
        .await;
    assert_eq!(status, 422);
    unknown(&v, "charlie");
    let (status, v) = a
        .post(
            "/coop/disputes",
            json!({"respondent": "delta", "subject": "s", "claim": "c"}),
        )
        .await;
    assert_eq!(status, 422);
    unknown(&v, "delta");
    for list in ["/coop/requests", "/coop/consultations", "/coop/disputes"] {
        let (_, v) = a.get(list).await;
        let items = v.as_object().unwrap().values().next().unwrap();
        assert_eq!(items, &json!([]), "{list}: nothing stored");
    }

    // A dispute with Bravo: a mediator nobody knows is refused, one that is a party is not.
    let d = a
        .ok(
            "/coop/disputes",
            json!({"respondent": "bravo", "subject": "s", "claim": "c"}),
        )
        .await;
    let path = format!("/coop/disputes/{}", d["id"].as_str().unwrap());
    let (status, v) = a
        .post(
            &format!("{path}/propose-mediator"),
            json!({"mediator": "delta"}),
        )
        .await;
    assert_eq!(status, 422);
    unknown(&v, "delta");
    let (status, v) = a
        .post(
            &format!("{path}/propose-panel"),
            json!({"members": ["charlie", "delta", "echo"]}),
        )
        .await;
    assert_eq!(status, 422);
    unknown(&v, "charlie");

    // A consultation: an object the node does not hold is refused, one it holds is attached.
    let c = a
        .ok(
            "/coop/consultations",
            json!({"topic": "t", "participants": ["bravo"]}),
        )
        .await;
    let path = format!("/coop/consultations/{}", c["id"].as_str().unwrap());
    let missing = format!("indicator--{}", uuid());
    let (status, v) = a
        .post(&format!("{path}/attach"), json!({"object_refs": [missing]}))
        .await;
    assert_eq!((status, label(&v)), (422, "coop-unknown-object"), "{v}");
    assert!(v["description"].as_str().unwrap().contains(&missing), "{v}");
    let held = indicator(None, json!({}));
    nodes[0].add(std::slice::from_ref(&held)).await;
    let attached = a
        .ok(
            &format!("{path}/attach"),
            json!({"object_refs": [held["id"]]}),
        )
        .await;
    assert_eq!(attached["object_refs"], json!([held["id"]]));
}

/// Issue 12, item 13: a request spec with a field the schema does not define (at the top or in
/// `details`) is refused with 422 `coop-invalid` naming the field, and no draft is made.
#[tokio::test]
async fn a_request_spec_with_an_unknown_field_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let a = Api::new(&nodes[0], Some(nodes[0].user("lia", Role::Liaison).await));
    for (path, field) in [
        ("/bogus", "bogus"),
        ("/requested_deadine", "requested_deadine"),
        ("/details/extra", "extra"),
    ] {
        let mut spec = preservation_spec();
        let (parent, key) = path.rsplit_once('/').unwrap();
        spec.pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap()[key] = json!(1);
        let (status, v) = a.post("/coop/requests", spec).await;
        assert_eq!((status, label(&v)), (422, "coop-invalid"), "{v}");
        let description = v["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("unknown field `{field}`")),
            "{description}"
        );
    }
    let (_, list) = a.get("/coop/requests").await;
    assert_eq!(list["requests"], json!([]));
}

#[tokio::test]
async fn alphas_observations_of_the_quarter_count_the_hotline_pings_bravo_answered_and_charlie_did_not()
 {
    use pacific_core::policy::PartyId;
    use pacific_gov::norms::Measure::HotlinePingsAnswered;
    use pacific_gov::report::{ComplianceReport, ReportPeriod};

    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha", "bravo", "charlie"], |c| {
        fast(c);
        c.coop.hotline.ping_timeout_secs = 2;
        c.coop.ping_interval_secs = 0;
    })
    .await;
    let mut api = Vec::new();
    for n in &nodes {
        api.push(Api::new(n, Some(n.user("liaison", Role::Liaison).await)));
    }
    let (alpha, bravo) = (&api[0], &api[1]);
    bravo
        .ok(
            "/coop/hotline/contacts",
            json!({"name": "Bravo 24/7", "channel": {"medium": "phone", "address": "+99 555 0100"}}),
        )
        .await;
    alpha
        .until("/coop/hotline/contacts", |v| {
            v["contacts"].as_array().is_some_and(|c| c.len() == 1)
        })
        .await;
    nodes[2].stop().await;
    alpha
        .ok("/coop/hotline/pings", json!({"to": "bravo"}))
        .await;
    alpha
        .ok("/coop/hotline/pings", json!({"to": "charlie"}))
        .await;
    alpha
        .until("/coop/hotline/pings", |v| {
            v["pings"].as_array().is_some_and(|p| {
                p.len() == 2 && p.iter().all(|p| p["outcome"]["status"] != "pending")
            })
        })
        .await;

    // The cooperation service over Alpha's records, as its node holds them.
    let coop_of = |node: &FedNode| {
        pacific_node::coop::Coop::new(
            node.fed.clone().unwrap(),
            node.store.clone().unwrap(),
            pacific_node::config::CoopConfig::default(),
        )
    };
    let quarter = ReportPeriod::containing(&Timestamp::now()).unwrap();
    let seen = coop_of(&nodes[0]).observations(quarter).await.unwrap();
    let pings: Vec<(&str, &str, u64, u64)> = seen
        .iter()
        .filter(|o| o.measure == HotlinePingsAnswered)
        .map(|o| (o.about.as_str(), o.norm.as_str(), o.count, o.of))
        .collect();
    assert_eq!(
        pings,
        vec![
            ("bravo", "13f", 1, 1),
            ("bravo", "13g", 1, 1),
            ("charlie", "13f", 0, 1),
            ("charlie", "13g", 0, 1),
        ]
    );
    assert!(ComplianceReport::new(PartyId::new("alpha"), quarter, seen, None).is_ok());
    // Bravo pinged nobody: it observes nothing of Alpha's hotline.
    let bravos = coop_of(&nodes[1]).observations(quarter).await.unwrap();
    assert!(bravos.is_empty(), "{bravos:?}");
}
