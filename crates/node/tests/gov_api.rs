//! Governance across three nodes on 127.0.0.1 founded by a charter they all signed: a norm
//! proposal debated, amended and voted (the two states binding, the company advisory) is
//! adopted on every node alike and changes the acknowledgement deadline every node enforces;
//! acts refused by role, by stage and by the register; compliance reports whose figures about a
//! party come only from others.

use std::time::Duration;

use pacific_core::access::Role;
use pacific_core::party::StakeholderType::{Company, State};
use pacific_testkit::federation::*;
use serde_json::{Value, json};

use crate::coop_api::Api;

const WITHIN: Duration = Duration::from_secs(20);

/// Deliberation 3 s, voting 4 s: a proposal's life in a test.
const FAST: &str = "deliberation_secs = 3\nvoting_secs = 4\n";

async fn three(root: &std::path::Path) -> Vec<FedNode> {
    federation_of(
        root,
        &[("alpha", State), ("bravo", State), ("acme", Company)],
        Some(FAST),
        |c| c.coop.tick_millis = 200,
    )
    .await
}

fn param(params: &Value, key: &str) -> Value {
    params
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["parameter"] == key)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_norm_debated_amended_and_voted_changes_the_deadline_every_node_enforces() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three(root.path()).await;
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Delegate).await;
    let acme = Api::user(&nodes[2], "cat", Role::Admin).await;

    // Every node holds the same charter: the same federation id, three members.
    let (_, fa) = alpha.get("/gov/federation").await;
    let (_, fb) = bravo.get("/gov/federation").await;
    assert_eq!(fa["id"], fb["id"]);
    assert_eq!(fa["members"].as_array().unwrap().len(), 3);

    let (status, p) = alpha
        .post(
            "/gov/proposals",
            json!({
                "title": "Acknowledge emergencies within 30 minutes",
                "text": "Members acknowledge emergency requests within 30 minutes.",
                "rationale": "Emergencies cannot wait an hour.",
                "change": {"change": "adopt-norm", "norm": "13h",
                           "parameters": {"coop.deadlines.acknowledgement.emergency_secs": 1800}},
                "co_sponsors": ["bravo"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("/gov/proposals/{id}");

    // Bravo sees it, comments, and as co-sponsor amends it; acme's comment counts too.
    bravo.until(&path, |v| v["stage"] == "deliberation").await;
    let (s, v) = acme
        .post(
            &format!("{path}/comment"),
            json!({"text": "CERTs promise 20."}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = bravo
        .post(
            &format!("{path}/amend"),
            json!({"text": "Members acknowledge emergency requests within 20 minutes.",
                   "change": {"change": "adopt-norm", "norm": "13h",
                              "parameters": {"coop.deadlines.acknowledgement.emergency_secs": 1200}}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // A vote during deliberation is refused, with its label.
    let (s, v) = alpha
        .post(&format!("{path}/vote"), json!({"choice": "yes"}))
        .await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (409, Some("gov-voting-not-open")),
        "{v}"
    );

    // Voting: both states yes, the company no (advisory).
    for api in [&alpha, &bravo, &acme] {
        api.until(&path, |v| v["stage"] == "voting").await;
    }
    for (api, choice) in [(&alpha, "yes"), (&bravo, "yes"), (&acme, "no")] {
        let (s, v) = api
            .post(&format!("{path}/vote"), json!({"choice": choice}))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    // Closed and adopted alike on every node, with the amended text and value.
    let mut tallies = Vec::new();
    for api in [&alpha, &bravo, &acme] {
        let p = api
            .until(&path, |v| {
                v["stage"] == "closed" && v["tally"]["binding"]["yes"] == 2
            })
            .await;
        assert_eq!(p["tally"]["outcome"]["outcome"], "adopted", "{p}");
        assert_eq!(p["tally"]["advisory"]["no"], 1);
        assert_eq!(p["versions"].as_array().unwrap().len(), 2);
        assert_eq!(p["comments"].as_array().unwrap().len(), 1);
        tallies.push(p["tally"].clone());
        let params = api
            .until("/gov/params", |v| {
                param(v, "coop.deadlines.acknowledgement.emergency_secs")["value"] == 1200
            })
            .await;
        let ack = param(&params, "coop.deadlines.acknowledgement.emergency_secs");
        assert_eq!(ack["source"], "federation", "{ack}");
        assert_eq!(ack["configured"], 3600);
    }
    assert!(tallies.windows(2).all(|w| w[0] == w[1]), "{tallies:?}");

    // Enforced: an emergency request drafted now must be acknowledged within 20 minutes.
    let liaison = Api::user(&nodes[0], "lia", Role::Liaison).await;
    let (s, r) = liaison
        .post(
            "/coop/requests",
            json!({
                "recipient": "bravo",
                "urgency": "emergency",
                "title": "hospital records encrypted",
                "details": {
                    "kind": "incident-assistance",
                    "description": "ransomware on a hospital's records",
                    "sector": "health",
                    "affected_systems": "records servers",
                    "assistance_sought": "block the C2 servers hosted in Bravo"
                }
            }),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["record"]["times"]["acknowledgement_secs"], 1200, "{r}");

    // The tally is in every node's log.
    for node in &nodes {
        let size = node.store().log_size().await.unwrap();
        let entries = node.store().log_entries(0, size).await.unwrap();
        let closed = entries
            .iter()
            .filter(|e| {
                pacific_tlog::entry::Entry::decode(&e.entry)
                    .is_ok_and(|e| e.act.kind() == "proposal-closed")
            })
            .count();
        assert_eq!(closed, 1, "{}", node.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_delegate_or_an_admin_acts_and_only_as_the_stage_allows() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three(root.path()).await;
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let liaison = Api::user(&nodes[0], "lia", Role::Liaison).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Delegate).await;
    let proposal = json!({
        "title": "Suspend acme", "text": "Suspend.", "rationale": "Test.",
        "change": {"change": "suspend", "party": "acme"},
    });
    // A liaison reads but may not act; an unknown norm or party is refused with its label.
    assert_eq!(liaison.get("/gov/proposals").await.0, 200);
    let (s, v) = liaison.post("/gov/proposals", proposal.clone()).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (403, Some("auth-forbidden")),
        "{v}"
    );
    let (s, v) = alpha
        .post(
            "/gov/proposals",
            json!({"title": "t", "text": "t", "rationale": "r",
                   "change": {"change": "adopt-norm", "norm": "13z"}}),
        )
        .await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("gov-invalid-change")),
        "{v}"
    );
    let (s, v) = alpha
        .post(
            "/gov/proposals",
            json!({"title": "t", "text": "t", "rationale": "r",
                   "change": {"change": "suspend", "party": "nobody"}}),
        )
        .await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("gov-invalid-change")),
        "{v}"
    );
    let (s, v) = alpha.post("/gov/proposals", json!({"title": 1})).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("gov-invalid")),
        "{v}"
    );

    let (s, p) = alpha.post("/gov/proposals", proposal).await;
    assert_eq!(s, 201, "{p}");
    let path = format!("/gov/proposals/{}", p["id"].as_str().unwrap());
    bravo.until(&path, |v| v["stage"] == "deliberation").await;
    // Bravo is neither proposer nor co-sponsor: may not amend.
    let (s, v) = bravo
        .post(
            &format!("{path}/amend"),
            json!({"text": "Suspend for a month."}),
        )
        .await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (403, Some("gov-not-a-sponsor")),
        "{v}"
    );
    let (s, v) = bravo
        .get("/gov/proposals/x-pacific-gov-act--00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(s, 404, "{v}");
}

/// What a node of the federation holds as stored by `node` itself: an act object made by hand
/// (as a dishonest or broken node would publish it), pushed to its peers by the outbox.
async fn inject(
    node: &FedNode,
    act: &pacific_gov::proposal::Act,
    by: &str,
    at: pacific_core::Timestamp,
    federation: &str,
) -> String {
    let uuid = uuid();
    let object = pacific_gov::wire::to_stix(
        &uuid,
        federation,
        &pacific_core::policy::PartyId::new(by),
        act,
        &at,
    )
    .unwrap();
    node.store()
        .add_objects(&node.collection, &[object])
        .await
        .unwrap();
    format!("{}--{uuid}", pacific_gov::wire::ACT_TYPE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_late_votes_change_nothing_and_a_node_down_during_the_vote_tallies_alike() {
    let root = tempfile::tempdir().unwrap();
    let mut nodes = three(root.path()).await;
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Delegate).await;
    let acme = Api::user(&nodes[2], "cat", Role::Delegate).await;
    let (_, fed) = alpha.get("/gov/federation").await;
    let federation = fed["id"].as_str().unwrap().to_owned();
    let (s, p) = alpha
        .post(
            "/gov/proposals",
            json!({"title": "Answer pings within 10 minutes", "text": "Pings time out after 10 minutes.",
                   "rationale": "Faster.", "change": {"change": "set-parameters",
                   "parameters": {"coop.hotline.ping_timeout_secs": 600}}}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("/gov/proposals/{id}");
    let closes = pacific_core::Timestamp::parse(p["voting_closes"].as_str().unwrap()).unwrap();
    acme.until(&path, |v| v["stage"] == "voting").await;
    // Acme's node goes down for the whole vote.
    nodes[2].stop().await;
    bravo.until(&path, |v| v["stage"] == "voting").await;
    let vote = |choice| pacific_gov::proposal::Act::Vote {
        proposal: id.clone(),
        choice,
    };
    // Bravo's node publishes a "no" in Alpha's name, and a "no" of its own dated after the
    // close (it arrives before the close: it waits for its time, then does not count).
    let forged = inject(
        &nodes[1],
        &vote(pacific_gov::Choice::No),
        "alpha",
        pacific_core::Timestamp::now(),
        &federation,
    )
    .await;
    let late_at = pacific_core::Timestamp::from_unix_micros(closes.unix_micros() + 1_000_000);
    let late = inject(
        &nodes[1],
        &vote(pacific_gov::Choice::No),
        "bravo",
        late_at,
        &federation,
    )
    .await;
    // And one for another federation.
    let stray = inject(
        &nodes[1],
        &vote(pacific_gov::Choice::No),
        "bravo",
        pacific_core::Timestamp::now(),
        &"0".repeat(64),
    )
    .await;
    for (api, choice) in [(&alpha, "yes"), (&bravo, "yes")] {
        let (s, v) = api
            .post(&format!("{path}/vote"), json!({"choice": choice}))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let closed = |v: &Value| v["stage"] == "closed";
    let on_alpha = alpha.until(&path, closed).await;
    let t = &on_alpha["tally"];
    assert_eq!(
        (t["binding"]["yes"].as_u64(), t["binding"]["no"].as_u64()),
        (Some(2), Some(0)),
        "{t}"
    );
    assert_eq!(t["outcome"]["outcome"], "adopted");
    // Alpha names what did not count, and why (the late vote once its time has come).
    let f = alpha
        .until("/gov/federation", |f| {
            f["refused_acts"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["id"] == late))
        })
        .await;
    let reason = |act: &str| {
        f["refused_acts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == act)
            .map(|r| r["error"]["reason"].clone())
    };
    assert_eq!(reason(&forged), Some(json!("not-its-own")), "{f}");
    assert_eq!(reason(&late), Some(json!("vote-outside-period")), "{f}");
    assert!(
        !f.to_string().contains(&stray),
        "an act of another federation is not replayed"
    );

    // Acme comes back after the close, catches up, and tallies exactly as Alpha did.
    nodes[2].start().await;
    let on_acme = acme
        .until(&path, |v| closed(v) && v["tally"] == on_alpha["tally"])
        .await;
    assert_eq!(on_acme["tally"]["binding"]["yes"], 2);
    let on_bravo = bravo.until(&path, closed).await;
    assert_eq!(on_bravo["tally"], on_alpha["tally"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_about_a_party_come_only_from_its_counterparts_reports() {
    use pacific_gov::report::{ComplianceReport, Observation, ReportPeriod};
    let root = tempfile::tempdir().unwrap();
    let nodes = three(root.path()).await;
    let mut delegates = Vec::new();
    let mut liaisons = Vec::new();
    for n in &nodes {
        delegates.push(Api::user(n, "del", Role::Delegate).await);
        liaisons.push(Api::user(n, "lia", Role::Liaison).await);
    }
    // Alpha and Bravo declare their hotlines and ping each other; each node answers.
    for (i, phone) in [(0, "+99 555 0101"), (1, "+99 555 0102")] {
        let (s, v) = liaisons[i]
            .post(
                "/coop/hotline/contacts",
                json!({"name": "24/7 desk", "channel": {"medium": "phone", "address": phone}}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    for (i, to) in [(0, "bravo"), (1, "alpha")] {
        liaisons[i]
            .until("/coop/hotline/contacts", |v| {
                v["contacts"].as_array().is_some_and(|c| c.len() == 2)
            })
            .await;
        let (s, v) = liaisons[i]
            .post("/coop/hotline/pings", json!({"to": to}))
            .await;
        assert_eq!(s, 201, "{v}");
        liaisons[i]
            .until("/coop/hotline/pings", |v| {
                v["pings"].as_array().is_some_and(|p| {
                    p.iter()
                        .any(|p| p["party"] == to && p["outcome"]["status"] == "answered")
                })
            })
            .await;
    }
    // The register shows each member's 24/7 contact: its declared hotline contact.
    let bravo = delegates[2]
        .until("/gov/members/bravo", |m| m["contact"].is_object())
        .await;
    assert_eq!(
        bravo["contact"]["channel"]["address"], "+99 555 0102",
        "{bravo}"
    );
    assert_eq!(bravo["status"], "member");
    let quarter = ReportPeriod::containing(&pacific_core::Timestamp::now()).unwrap();
    let period = quarter.to_string();
    // A liaison may not publish for the party; a delegate may.
    let (s, _) = liaisons[0]
        .post("/gov/reports", json!({"period": period}))
        .await;
    assert_eq!(s, 403);
    for d in &delegates[..2] {
        let (s, v) = d.post("/gov/reports", json!({"period": period})).await;
        assert_eq!(s, 201, "{v}");
        let me = if std::ptr::eq(d, &delegates[0]) {
            "alpha"
        } else {
            "bravo"
        };
        assert!(
            v["observations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["about"] != me),
            "{v}"
        );
    }
    // Bravo's node also publishes, by hand, a report praising Bravo itself.
    let praise = ComplianceReport {
        reporter: pacific_core::policy::PartyId::new("bravo"),
        period: quarter,
        observations: vec![Observation {
            about: pacific_core::policy::PartyId::new("bravo"),
            norm: "13f".into(),
            measure: pacific_gov::norms::Measure::HotlinePingsAnswered,
            count: 100,
            of: 100,
            samples: vec![],
        }],
        checkpoint: None,
    };
    let object = praise
        .to_stix(&uuid(), &pacific_core::Timestamp::now())
        .unwrap();
    let praise_id = object.id().to_owned();
    nodes[1]
        .store()
        .add_objects(&nodes[1].collection, &[object])
        .await
        .unwrap();
    assert!(
        eventually(WITHIN, || nodes[2].has(&praise_id))
            .await
            .is_some(),
        "the self-praise reached Acme"
    );

    // Acme, which observed nobody, sees each state's figure from the other only.
    let path = format!("/gov/reports?period={period}");
    let v = delegates[2]
        .until(&path, |v| {
            v["figures"].as_array().is_some_and(|f| {
                f.iter()
                    .filter(|f| f["measure"] == "hotline-pings-answered")
                    .count()
                    >= 2
            })
        })
        .await;
    let pings: Vec<(String, String, u64, u64, Value)> = v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["measure"] == "hotline-pings-answered" && f["norm"] == "13f")
        .map(|f| {
            (
                f["about"].as_str().unwrap().to_owned(),
                f["norm"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
                f["of"].as_u64().unwrap(),
                f["observers"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pings,
        vec![
            ("alpha".into(), "13f".into(), 1, 1, json!(["bravo"])),
            ("bravo".into(), "13f".into(), 1, 1, json!(["alpha"])),
        ],
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_post_a_governance_act_or_a_compliance_report_over_taxii() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three(root.path()).await;
    let admin = Api::user(&nodes[0], "root", Role::Admin).await;
    let (_, fed) = admin.get("/gov/federation").await;
    let vote = pacific_gov::wire::to_stix(
        &uuid(),
        fed["id"].as_str().unwrap(),
        &pacific_core::policy::PartyId::new("alpha"),
        &pacific_gov::proposal::Act::Withdraw {},
        &pacific_core::Timestamp::now(),
    )
    .unwrap();
    let report = pacific_gov::report::ComplianceReport::new(
        pacific_core::policy::PartyId::new("alpha"),
        pacific_gov::report::ReportPeriod::containing(&pacific_core::Timestamp::now()).unwrap(),
        vec![],
        None,
    )
    .unwrap()
    .to_stix(&uuid(), &pacific_core::Timestamp::now())
    .unwrap();
    let url = format!(
        "{}/taxii2/root/collections/{}/objects/",
        nodes[0].url(),
        nodes[0].collection
    );
    let r = reqwest::Client::new()
        .post(&url)
        .bearer_auth(admin.token.as_deref().unwrap())
        .header("content-type", "application/taxii+json;version=2.1")
        .body(format!(
            "{{\"objects\": [{}, {}]}}",
            vote.to_json(),
            report.to_json()
        ))
        .send()
        .await
        .unwrap();
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["failure_count"], 2, "{status}");
    assert_eq!(status["success_count"], 0, "{status}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, f) = admin.get("/gov/federation").await;
    assert_eq!(
        f["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["party"] == "alpha")
            .unwrap()["status"],
        "member",
        "the withdrawal posted over TAXII did not count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admitted_member_joins_the_register_everywhere_and_becomes_a_peer_only_where_configured()
{
    let root = tempfile::tempdir().unwrap();
    let nodes = federation_of(
        root.path(),
        &[("alpha", State), ("bravo", State), ("acme", Company)],
        Some(FAST),
        // Alpha peers with every member; Bravo and Acme only with whom their admins add.
        |c| {
            c.coop.tick_millis = 200;
            c.governance.peer_with_members = c.party.name == "ALPHA";
        },
    )
    .await;
    let delta = FedNode::create(
        root.path(),
        &Spec {
            id: "delta",
            name: "Delta IO",
            kind: pacific_core::party::StakeholderType::IntergovernmentalOrganization,
            jurisdiction: None,
            policy: OPEN_POLICY,
        },
    )
    .await;
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Delegate).await;
    let (s, p) = alpha
        .post(
            "/gov/proposals",
            json!({"title": "Admit Delta IO", "text": "Admit Delta IO as a member.",
                   "rationale": "It mediates our disputes.",
                   "change": {"change": "admit", "member": {
                       "party": "delta", "name": "Delta IO",
                       "stakeholder": "intergovernmental-organization",
                       "key": delta.public_key(), "url": delta.url()}}}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let path = format!("/gov/proposals/{}", p["id"].as_str().unwrap());
    let status_of = |f: &Value, party: &str| {
        f.as_array()
            .and_then(|m| m.iter().find(|m| m["party"] == party))
            .map(|m| m["status"].clone())
            .unwrap_or(Value::Null)
    };
    bravo
        .until("/gov/members", |m| status_of(m, "delta") == "applicant")
        .await;
    for api in [&alpha, &bravo] {
        api.until(&path, |v| v["stage"] == "voting").await;
        let (s, v) = api
            .post(&format!("{path}/vote"), json!({"choice": "yes"}))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    for api in [&alpha, &bravo] {
        api.until("/gov/members", |m| status_of(m, "delta") == "member")
            .await;
    }
    // Alpha adds Delta as a peer, with the register's key and URL; Bravo does not.
    let peered = |node: &FedNode| {
        let fed = std::sync::Arc::clone(node.fed());
        async move {
            let (peers, community) = fed.members().await.unwrap();
            (
                peers.iter().any(|p| p.party_id.as_str() == "delta"),
                community.contains("delta"),
            )
        }
    };
    assert!(
        eventually(WITHIN, || async { peered(&nodes[0]).await == (true, true) })
            .await
            .is_some(),
        "Alpha peers with Delta"
    );
    let (peers, _) = nodes[0].fed().members().await.unwrap();
    let d = peers
        .iter()
        .find(|p| p.party_id.as_str() == "delta")
        .unwrap();
    assert_eq!(
        (d.public_key.as_str(), d.url.as_str()),
        (delta.public_key().as_str(), delta.url().as_str())
    );
    // Bravo: Delta is in TLP:GREEN's community, not among its peers.
    assert_eq!(peered(&nodes[1]).await, (false, true));
}
