//! The jurisdiction registry across three nodes on 127.0.0.1: a state claims its address space,
//! AS numbers and ccTLD; the claim reaches its peers, who look addresses up and get the state
//! and its 24/7 contact, over the JSON API and over RDAP (RFC 9083). Overlapping claims of the
//! same role by two parties are conflicts on every node; an operator's claim answers beside
//! the jurisdiction's. Only a delegate or an admin claims; bad resources, special-purpose space
//! and other parties' claims are refused with nothing stored; a claim stored under another
//! party's name does not count; a revoked claim stops answering everywhere.

use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(20);

use pacific_core::access::Role;
use pacific_core::party::StakeholderType::{Company, State};
use pacific_testkit::federation::*;
use serde_json::{Value, json};

use crate::coop_api::Api;

fn label(v: &Value) -> &str {
    v["error_code"].as_str().unwrap_or("")
}

fn claim_of(role: &str, resources: &[&str], contact: &str) -> Value {
    json!({
        "role": role,
        "resources": resources,
        "contact": {"name": contact, "email": "duty@cert.example.org", "phone": "+99 555 0100"},
        "evidence": ["ripencc|XA|ipv4|45.10.0.0|65536|20100101|allocated"],
    })
}

/// Alpha and Bravo, two states, each the other's peer, serving.
async fn two_states(root: &std::path::Path) -> Vec<FedNode> {
    federation_of(root, &[("alpha", State), ("bravo", State)], None, |_| {}).await
}

/// The lookup's answer of `role`, if any.
fn answer<'a>(lookup: &'a Value, role: &str) -> Option<&'a Value> {
    lookup["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == role)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_answers_on_every_node_conflicts_show_and_a_revocation_ends_it() {
    let root = tempfile::tempdir().unwrap();
    let nodes = federation_of(
        root.path(),
        &[("alpha", State), ("bravo", State), ("acme", Company)],
        None,
        |_| {},
    )
    .await;
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Admin).await;
    let acme = Api::user(&nodes[2], "cat", Role::Admin).await;

    // Alpha claims jurisdiction over a /16, an IPv6 /32, an AS number and its ccTLD.
    let (s, claim) = alpha
        .post(
            "/registry/claims",
            claim_of(
                "jurisdiction",
                &["45.10.0.0/16", "2a0f:1000::/32", "AS64000", "xa"],
                "Alpha CERT duty desk",
            ),
        )
        .await;
    assert_eq!(s, 201, "{claim}");
    assert_eq!(claim["party"], "alpha");
    assert_eq!(claim["totals"]["ipv4_addresses"], 65536, "{claim}");
    assert_eq!(
        claim["totals"]["ipv6_addresses"], "79228162514264337593543950336",
        "{claim}"
    );
    let alpha_claim = claim["id"].as_str().unwrap().to_owned();

    // It reaches Bravo, whose lookups now name Alpha and its 24/7 contact.
    let lookup = bravo
        .until("/registry/lookup?q=45.10.3.4", |v| {
            answer(v, "jurisdiction").is_some()
        })
        .await;
    let j = answer(&lookup, "jurisdiction").unwrap();
    assert_eq!(j["party"], "alpha");
    assert_eq!(j["claim"], alpha_claim.as_str());
    assert_eq!(j["resource"], "45.10.0.0/16");
    assert_eq!(j["contact"]["name"], "Alpha CERT duty desk");
    assert!(j["conflicts"].as_array().unwrap().is_empty());
    let (_, by_asn) = bravo.get("/registry/lookup?q=AS64000").await;
    assert_eq!(answer(&by_asn, "jurisdiction").unwrap()["party"], "alpha");
    let (_, by_name) = bravo.get("/registry/lookup?q=mail.gov.xa").await;
    assert_eq!(answer(&by_name, "jurisdiction").unwrap()["resource"], "xa");
    let (_, elsewhere) = bravo.get("/registry/lookup?q=45.11.0.1").await;
    assert!(
        elsewhere["answers"].as_array().unwrap().is_empty(),
        "{elsewhere}"
    );

    // Acme runs part of it: its operator claim answers beside Alpha's, no conflict (roles differ).
    let (s, v) = acme
        .post(
            "/registry/claims",
            claim_of("operator", &["45.10.3.0/24"], "Acme NOC"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let lookup = alpha
        .until("/registry/lookup?q=45.10.3.4", |v| {
            answer(v, "operator").is_some()
        })
        .await;
    assert_eq!(answer(&lookup, "operator").unwrap()["party"], "acme");
    assert_eq!(answer(&lookup, "jurisdiction").unwrap()["party"], "alpha");

    // Bravo claims jurisdiction over half of Alpha's /16: a conflict, shown on every node.
    let (s, v) = bravo
        .post(
            "/registry/claims",
            claim_of("jurisdiction", &["45.10.128.0/17"], "Bravo duty officer"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    for api in [&alpha, &bravo, &acme] {
        let conflicts = api
            .until("/registry/conflicts", |v| {
                v.as_array().is_some_and(|a| a.len() == 1)
            })
            .await;
        let c = &conflicts[0];
        assert_eq!(c["role"], "jurisdiction");
        let mut parties: Vec<&str> = c["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        parties.sort();
        assert_eq!(parties, ["alpha", "bravo"]);
        assert_eq!(c["overlap"], "45.10.128.0/17");
    }
    // The most specific claim answers, with its conflict.
    let (_, lookup) = acme.get("/registry/lookup?q=45.10.200.1").await;
    let j = answer(&lookup, "jurisdiction").unwrap();
    assert_eq!(j["party"], "bravo");
    assert_eq!(j["conflicts"].as_array().unwrap().len(), 1);

    // RDAP on Alpha: an ip network with both parties as entities, the conflict as a remark.
    let (s, rdap) = alpha.get("/rdap/ip/45.10.200.1").await;
    assert_eq!(s, 200, "{rdap}");
    assert_eq!(rdap["objectClassName"], "ip network");
    assert_eq!(rdap["startAddress"], "45.10.128.0");
    assert_eq!(rdap["endAddress"], "45.10.255.255");
    assert_eq!(rdap["ipVersion"], "v4");
    assert!(
        rdap["rdapConformance"]
            .as_array()
            .unwrap()
            .contains(&json!("rdap_level_0"))
    );
    assert_eq!(rdap["remarks"][0]["title"], "Conflict");
    let (s, rdap) = alpha.get("/rdap/ip/45.10.3.4").await;
    assert_eq!(s, 200);
    assert_eq!(
        rdap["startAddress"], "45.10.3.0",
        "the operator's /24 is the most specific"
    );
    let mut entities: Vec<(&str, &str)> = rdap["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["handle"].as_str().unwrap(),
                e["roles"][0].as_str().unwrap(),
            )
        })
        .collect();
    entities.sort();
    assert_eq!(
        entities,
        [("acme", "registrant"), ("alpha", "registrant")],
        "{rdap}"
    );
    assert_eq!(rdap["links"][0]["rel"], "self");
    assert!(
        rdap["links"][0]["href"]
            .as_str()
            .unwrap()
            .ends_with("/rdap/ip/45.10.3.4")
    );
    let (s, rdap) = alpha.get("/rdap/autnum/64000").await;
    assert_eq!(s, 200, "{rdap}");
    assert_eq!(
        (rdap["startAutnum"].clone(), rdap["endAutnum"].clone()),
        (json!(64000), json!(64000))
    );
    let (s, rdap) = alpha.get("/rdap/domain/www.gov.xa").await;
    assert_eq!(s, 200, "{rdap}");
    assert_eq!(rdap["ldhName"], "xa");
    let (s, rdap) = alpha.get("/rdap/ip/46.1.1.1").await;
    assert_eq!((s, rdap["errorCode"].clone()), (404, json!(404)), "{rdap}");
    let (s, rdap) = alpha.get("/rdap/ip/not-an-address").await;
    assert_eq!((s, rdap["errorCode"].clone()), (400, json!(400)), "{rdap}");

    // Bravo may not revoke Alpha's claim; Alpha revokes it, and it stops answering everywhere.
    let (s, v) = bravo
        .post(
            &format!("/registry/claims/{alpha_claim}/revocation"),
            json!({}),
        )
        .await;
    assert_eq!((s, label(&v)), (403, "registry-not-ours"), "{v}");
    let (s, v) = alpha
        .post(
            &format!("/registry/claims/{alpha_claim}/revocation"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revoked"], true);
    let lookup = bravo
        .until("/registry/lookup?q=45.10.3.4", |v| {
            answer(v, "jurisdiction").is_none()
        })
        .await;
    assert_eq!(answer(&lookup, "operator").unwrap()["party"], "acme");
    let (s, v) = alpha
        .post(
            &format!("/registry/claims/{alpha_claim}/revocation"),
            json!({}),
        )
        .await;
    assert_eq!((s, label(&v)), (409, "registry-already-revoked"), "{v}");
    bravo
        .until("/registry/conflicts", |v| {
            v.as_array().is_some_and(Vec::is_empty)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_delegate_or_an_admin_claims_and_bad_claims_store_nothing() {
    let root = tempfile::tempdir().unwrap();
    let nodes = two_states(root.path()).await;
    let delegate = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let good = claim_of("jurisdiction", &["45.10.0.0/16"], "Alpha CERT duty desk");
    for role in [Role::Reader, Role::Analyst, Role::Liaison] {
        let user = Api::user(&nodes[0], &format!("u-{role}"), role).await;
        let (s, v) = user.post("/registry/claims", good.clone()).await;
        assert_eq!((s, label(&v)), (403, "auth-forbidden"), "{role}: {v}");
        // Every user reads.
        let (s, _) = user.get("/registry/lookup?q=45.10.0.1").await;
        assert_eq!(s, 200, "{role}");
    }
    for (body, expected) in [
        (
            claim_of("jurisdiction", &["45.10.0.1/16"], "x"),
            "registry-invalid",
        ),
        (
            claim_of("jurisdiction", &["45.10.0.0/33"], "x"),
            "registry-invalid",
        ),
        (
            claim_of("jurisdiction", &["AS65010-AS65000"], "x"),
            "registry-invalid",
        ),
        (
            claim_of("jurisdiction", &["exa mple.xa"], "x"),
            "registry-invalid",
        ),
        (
            claim_of("jurisdiction", &["10.0.0.0/8"], "x"),
            "registry-claim-refused",
        ),
        (claim_of("jurisdiction", &[], "x"), "registry-claim-refused"),
        (
            claim_of("sovereign", &["45.10.0.0/16"], "x"),
            "registry-invalid",
        ),
        (
            json!({"role": "operator", "resources": ["45.10.0.0/16"], "contact": {"name": "x"}}),
            "registry-claim-refused",
        ),
        (
            json!({"role": "operator", "resources": ["45.10.0.0/16"], "contact": {"name": "x", "email": "a@b.org"},
                   "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2029-01-01T00:00:00Z"}),
            "registry-claim-refused",
        ),
        (
            json!({"role": "operator", "resources": ["45.10.0.0/16"], "contact": {"name": "x", "email": "a@b.org"}, "party": "bravo"}),
            "registry-invalid",
        ),
    ] {
        let (s, v) = delegate.post("/registry/claims", body.clone()).await;
        assert_eq!((s, label(&v)), (422, expected), "{body}: {v}");
    }
    let (_, claims) = delegate.get("/registry/claims").await;
    assert_eq!(claims, json!([]), "nothing refused was stored");
    let (s, v) = delegate.get("/registry/lookup?q=not%20a%20name").await;
    assert_eq!((s, label(&v)), (422, "registry-invalid"), "{v}");
    let (s, _) = delegate
        .get("/registry/claims/x-pacific-resource-claim--00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_stored_under_another_partys_name_does_not_count() {
    let root = tempfile::tempdir().unwrap();
    let nodes = two_states(root.path()).await;
    let bravo = Api::user(&nodes[1], "ben", Role::Admin).await;
    // A claim naming Alpha, written straight into Bravo's store (as a forged object would
    // arrive): Bravo's registry reads it as Bravo's own publication, and refuses it.
    let claim = pacific_registry::ClaimDraft {
        party: pacific_core::policy::PartyId::new("alpha".to_owned()),
        party_identity: pacific_node::registry::party_identity(
            &pacific_core::policy::PartyId::new("alpha".to_owned()),
        ),
        role: pacific_registry::Role::Jurisdiction,
        resources: ["45.10.0.0/16"
            .parse::<pacific_registry::Resource>()
            .unwrap()]
        .into_iter()
        .collect(),
        contact: pacific_registry::Contact {
            name: "forger".into(),
            email: Some("f@example.org".into()),
            phone: None,
        },
        valid_from: pacific_core::Timestamp::now(),
        valid_until: None,
        evidence: vec![],
    }
    .into_claim(
        "6f1c1a52-3f43-4d0e-9d55-2f8a3c9b7e10",
        &pacific_core::Timestamp::now(),
    )
    .unwrap();
    let object = pacific_registry::wire::to_stix(&claim).unwrap();

    // Over TAXII, even an admin cannot post one: claims are made only by the registry service.
    let status: Value = reqwest::Client::new()
        .post(format!(
            "{}/taxii2/root/collections/{}/objects/",
            nodes[1].url(),
            nodes[1].collection
        ))
        .bearer_auth(bravo.token.as_deref().unwrap())
        .header("content-type", "application/taxii+json;version=2.1")
        .body(format!("{{\"objects\":[{}]}}", object.to_json()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["failure_count"], 1, "{status}");

    let store = nodes[1].store.clone().unwrap();
    store
        .add_objects_as("ben", &nodes[1].collection, &[object])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, claims) = bravo.get("/registry/claims").await;
    assert_eq!(claims, json!([]), "{claims}");
    let (_, lookup) = bravo.get("/registry/lookup?q=45.10.0.1").await;
    assert!(lookup["answers"].as_array().unwrap().is_empty(), "{lookup}");
    // Counted once, however often the registry is read.
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", nodes[1].url()))
        .bearer_auth(bravo.token.as_deref().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("pacific_registry_claims_refused_total 1\n"),
        "{metrics}"
    );
}

/// The objects of `node`'s collection with alias `alias`, as its admin reads them over TAXII.
async fn collection_objects(node: &FedNode, token: &str, alias: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let taxii = "application/taxii+json;version=2.1";
    let list: Value = http
        .get(format!("{}/taxii2/root/collections/", node.url()))
        .bearer_auth(token)
        .header("accept", taxii)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let Some(id) = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["alias"] == alias)
        .map(|c| c["id"].as_str().unwrap().to_owned())
    else {
        return Vec::new();
    };
    let page: Value = http
        .get(format!(
            "{}/taxii2/root/collections/{id}/objects/",
            node.url()
        ))
        .bearer_auth(token)
        .header("accept", taxii)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["objects"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_names_who_answers_for_the_attacker_and_an_abuse_notice_goes_to_that_party_alone()
 {
    let root = tempfile::tempdir().unwrap();
    let mut nodes = federation_of(
        root.path(),
        &[("alpha", State), ("bravo", State), ("acme", Company)],
        None,
        |c| c.matching.abuse_notices = true,
    )
    .await;
    // Alpha's jurisdiction and Acme's abuse desk over the attacker's network.
    let alpha = Api::user(&nodes[0], "ana", Role::Delegate).await;
    let acme = Api::user(&nodes[2], "cat", Role::Admin).await;
    let (s, v) = alpha
        .post(
            "/registry/claims",
            claim_of("jurisdiction", &["45.10.0.0/16"], "Alpha duty"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = acme
        .post(
            "/registry/claims",
            claim_of("contact", &["45.10.64.0/18"], "Acme abuse desk"),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // Bravo's power grid, and an indicator of its own naming the attacker's address.
    std::fs::write(
        nodes[1].dir.root().join("assets.toml"),
        "[[assets]]\nname = \"North grid SCADA\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n",
    )
    .unwrap();
    nodes[1].stop().await;
    nodes[1].start().await;
    let bravo = Api::user(&nodes[1], "ben", Role::Admin).await;
    bravo
        .until("/registry/lookup?q=45.10.77.1", |v| {
            v["answers"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
    let indicator = pacific_testkit::federation::indicator(
        Some(pacific_core::tlp::Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '45.10.77.1']"}),
    );
    let indicator_id = indicator["id"].as_str().unwrap().to_owned();
    nodes[1].add(&[indicator]).await;
    let analyst = nodes[1].user("an", Role::Analyst).await;
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/match", nodes[1].url()))
        .bearer_auth(&analyst)
        .header("content-type", "application/x-ndjson")
        .body("{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"45.10.77.1\"}\n")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["matches"], 1, "{answer}");

    // The incident says who answers for the attacker's address, per role.
    let token = bravo.token.clone().unwrap();
    let incidents = collection_objects(&nodes[1], &token, "incidents").await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let mut answered: Vec<(String, String)> = incidents[0]["x_pacific_answered_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap().into(),
                a["party"].as_str().unwrap().into(),
            )
        })
        .collect();
    answered.sort();
    assert_eq!(
        answered,
        [
            ("contact".to_owned(), "acme".to_owned()),
            ("jurisdiction".into(), "alpha".into())
        ]
    );

    // The abuse notice goes to Acme (the contact), TLP:AMBER, and reaches Acme only.
    let sightings = collection_objects(&nodes[1], &token, "sightings").await;
    let notice = sightings
        .iter()
        .find(|s| s.get("x_pacific_abuse_notice").is_some())
        .unwrap_or_else(|| panic!("no abuse notice among {sightings:?}"))
        .clone();
    assert_eq!(notice["x_pacific_recipients"], json!(["acme"]));
    assert_eq!(notice["sighting_of_ref"], indicator_id.as_str());
    assert_eq!(notice["x_pacific_abuse_notice"]["party"], "acme");
    assert_eq!(
        notice["x_pacific_abuse_notice"]["resource"],
        "45.10.64.0/18"
    );
    let notice_id = notice["id"].as_str().unwrap().to_owned();
    assert!(
        eventually(WITHIN, || nodes[2].has(&notice_id))
            .await
            .is_some(),
        "the abuse notice never reached Acme"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !nodes[0].has(&notice_id).await,
        "the notice went to Alpha too"
    );
}
