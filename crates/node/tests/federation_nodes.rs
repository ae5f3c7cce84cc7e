//! Three federated nodes on 127.0.0.1 in one process: sharing, policy hold-back, a peer down
//! then back, replayed / forged / misaddressed / stale envelopes, duplicate delivery, the
//! origin rule, and peers' signed TAXII reads through the gate.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use pacific_core::Timestamp;
use pacific_core::party::StakeholderType::{Company, State};
use pacific_core::tlp::Tlp;
use pacific_node::client::{Credentials, TaxiiClient};
use pacific_node::federation::envelope::{Ack, Envelope, EnvelopeObject, verify_origin};
use pacific_testkit::federation::*;
use serde_json::{Value, json};

struct Fed {
    _tmp: tempfile::TempDir,
    alpha: FedNode,
    bravo: FedNode,
    charlie: FedNode,
}

/// Alpha (state XA), Bravo (state XB), Charlie (company, XB), all peers of each other, open
/// policies (the markings decide), Bravo keeping received objects from companies.
async fn federation() -> Fed {
    let tmp = tempfile::tempdir().unwrap();
    let alpha = FedNode::create(
        tmp.path(),
        &Spec {
            id: "alpha",
            name: "Alpha CERT",
            kind: State,
            jurisdiction: Some("XA"),
            policy: OPEN_POLICY,
        },
    )
    .await;
    let bravo_policy = "default = \"allow\"\n[[rules]]\nname = \"no-reshare-to-companies\"\naction = \"deny\"\nreceived = true\nrecipient_stakeholder_types = [\"company\"]\n";
    let bravo = FedNode::create(
        tmp.path(),
        &Spec {
            id: "bravo",
            name: "Bravo Police",
            kind: State,
            jurisdiction: Some("XB"),
            policy: bravo_policy,
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
    bravo.add_peer(&alpha, State, Some("XA")).await;
    bravo.add_peer(&charlie, Company, Some("XB")).await;
    charlie.add_peer(&alpha, State, Some("XA")).await;
    charlie.add_peer(&bravo, State, Some("XB")).await;
    let mut fed = Fed {
        _tmp: tmp,
        alpha,
        bravo,
        charlie,
    };
    fed.alpha.start().await;
    fed.bravo.start().await;
    fed.charlie.start().await;
    fed
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_within_a_second_and_held_back_by_markings_and_policy() {
    let f = federation().await;
    let green = indicator(Some(Tlp::Green), json!({}));
    let amber_to_bravo = indicator(Some(Tlp::Amber), json!({"x_pacific_recipients": ["bravo"]}));
    let red = indicator(Some(Tlp::Red), json!({}));
    let personal_xa = indicator(
        Some(Tlp::Green),
        json!({"x_pacific_personal_data": {"subjects_resident_in": ["XA"]}}),
    );
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    f.alpha
        .add(&[
            green.clone(),
            amber_to_bravo.clone(),
            red.clone(),
            personal_xa.clone(),
        ])
        .await;

    let took = eventually(5 * SECOND, || async {
        f.bravo.has(&id(&green)).await && f.charlie.has(&id(&green)).await
    })
    .await;
    let took = took.expect("the GREEN indicator reached both peers");
    println!("propagation of a new object to 2 peers: {took:?}");
    assert!(took < SECOND, "took {took:?}");
    assert!(
        eventually(5 * SECOND, || async {
            f.bravo.has(&id(&amber_to_bravo)).await
        })
        .await
        .is_some()
    );

    assert!(
        f.alpha.drained_to("bravo", 5 * SECOND).await
            && f.alpha.drained_to("charlie", 5 * SECOND).await
    );
    assert!(f.bravo.drained_to("charlie", 5 * SECOND).await);
    // AMBER went to the named recipient only; Bravo may not pass it on (received AMBER).
    assert!(!f.charlie.has(&id(&amber_to_bravo)).await);
    // RED never leaves; personal data of XA residents never leaves XA.
    for (node, name) in [(&f.bravo, "bravo"), (&f.charlie, "charlie")] {
        assert!(!node.has(&id(&red)).await, "RED reached {name}");
        assert!(
            !node.has(&id(&personal_xa)).await,
            "personal data reached {name}"
        );
    }
    // Provenance of what was received.
    let p = f
        .bravo
        .fed()
        .store()
        .provenance(
            &f.bravo.collection,
            &id(&green),
            Timestamp::parse(green["modified"].as_str().unwrap())
                .unwrap()
                .unix_micros(),
        )
        .await
        .unwrap()
        .unwrap();
    // The origin is Alpha's whichever way it came: straight from Alpha, or relayed by
    // Charlie, whose open policy re-shares GREEN (under load the relay can arrive first).
    assert_eq!(p.origin.as_str(), "alpha");
    assert!(
        ["alpha", "charlie"].contains(&p.received_from.as_str()),
        "received from {}",
        p.received_from
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_down_gets_everything_once_when_back() {
    let mut f = federation().await;
    f.charlie.stop().await;
    let objects: Vec<Value> = (0..20)
        .map(|_| indicator(Some(Tlp::Green), json!({})))
        .collect();
    f.alpha.add(&objects).await;
    assert!(
        eventually(5 * SECOND, || async {
            f.bravo.has(objects[19]["id"].as_str().unwrap()).await
        })
        .await
        .is_some()
    );
    tokio::time::sleep(Duration::from_millis(500)).await; // a few failed attempts and back-offs
    f.charlie.start().await;
    let all = || async {
        for o in &objects {
            if !f.charlie.has(o["id"].as_str().unwrap()).await {
                return false;
            }
        }
        true
    };
    assert!(
        eventually(15 * SECOND, all).await.is_some(),
        "charlie caught up"
    );
    for o in &objects {
        assert_eq!(f.charlie.versions_of(o["id"].as_str().unwrap()).await, 1);
    }
    assert!(f.alpha.drained_to("charlie", 5 * SECOND).await);
}

fn alpha_envelope(
    f: &Fed,
    key: &SigningKey,
    seq: u64,
    recipient: &str,
    objects: &[Value],
) -> Envelope {
    let objects = objects
        .iter()
        .map(|o| EnvelopeObject::signed(key, "alpha", o.to_string()))
        .collect();
    Envelope::sign(
        key,
        &f.alpha.id,
        recipient,
        seq,
        Timestamp::now().as_str(),
        objects,
    )
}

async fn post(f: &Fed, to: &FedNode, body: String) -> (u16, Value) {
    let _ = f;
    let r = pacific_node::http_client()
        .post(format!("{}/federation/inbox", to.url()))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_replayed_misaddressed_and_stale_envelopes_are_rejected() {
    let f = federation().await;
    let key = f.alpha.dir.load_identity().unwrap();
    let obj = indicator(Some(Tlp::Green), json!({}));

    // A genuine envelope with a high sequence number: accepted, with a signed ack.
    let e = alpha_envelope(&f, &key, 1 << 40, "bravo", std::slice::from_ref(&obj));
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&e).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let ack: Ack = serde_json::from_value(body).unwrap();
    let bravo_key = f.bravo.dir.load_identity().unwrap().verifying_key();
    assert!(ack.verify_signature(&bravo_key));
    assert_eq!((ack.accepted, ack.seq), (1, 1 << 40));

    // The same envelope again: a replay.
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&e).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("envelope-replay"))
    );
    // A lower sequence number, freshly signed: also refused.
    let lower = alpha_envelope(&f, &key, (1 << 40) - 1, "bravo", &[]);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&lower).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("envelope-replay"))
    );

    // Forged: signed by another key, claiming to be alpha.
    let mallory = SigningKey::from_bytes(&[7; 32]);
    let forged = alpha_envelope(
        &f,
        &mallory,
        (1 << 40) + 1,
        "bravo",
        std::slice::from_ref(&obj),
    );
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&forged).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("envelope-key-mismatch"))
    );
    // Forged with alpha's public key in it: the signature fails.
    let mut forged2 = forged.clone();
    forged2.sender_key = e.sender_key.clone();
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&forged2).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("envelope-bad-signature"))
    );
    // Altered payload of a genuine envelope.
    let mut altered = alpha_envelope(&f, &key, (1 << 40) + 2, "bravo", std::slice::from_ref(&obj));
    altered.objects[0].object = indicator(Some(Tlp::Green), json!({})).to_string();
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&altered).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("envelope-bad-signature"))
    );
    // Unknown sender.
    let stranger = Envelope::sign(
        &mallory,
        "mallory",
        "bravo",
        1,
        Timestamp::now().as_str(),
        vec![],
    );
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&stranger).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("envelope-unknown-sender"))
    );
    // Regression: made-up senders with an out-of-range sequence number were counted (and kept)
    // one row each before the sender was looked up. Now every stranger counts as one.
    for n in 0..20 {
        let junk = Envelope::sign(
            &mallory,
            &format!("{}{n}", "x".repeat(10_000)),
            "bravo",
            0,
            Timestamp::now().as_str(),
            vec![],
        );
        let (status, body) = post(&f, &f.bravo, serde_json::to_string(&junk).unwrap()).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (401, Some("envelope-unknown-sender"))
        );
    }
    let senders: std::collections::BTreeSet<String> = f
        .bravo
        .fed()
        .store()
        .rejections()
        .await
        .unwrap()
        .into_iter()
        .map(|(peer, _, _)| peer)
        .collect();
    assert!(
        senders.iter().all(|p| p.len() < 100),
        "a made-up sender was kept: {} names",
        senders.len()
    );
    // Addressed to charlie, sent to bravo.
    let misaddressed = alpha_envelope(&f, &key, (1 << 40) + 3, "charlie", &[]);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&misaddressed).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("envelope-wrong-recipient"))
    );
    // Ten minutes old.
    let old = Timestamp::from_unix(Timestamp::now().unix().0 - 600, 0);
    let stale = Envelope::sign(&key, "alpha", "bravo", (1 << 40) + 4, old.as_str(), vec![]);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&stale).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("envelope-clock-skew"))
    );
    // Garbage, and too large.
    let (status, body) = post(&f, &f.bravo, "{not json".into()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("envelope-malformed"))
    );
    // Too large: 413 (or the connection closed on the sender mid-body, after the 413).
    let big = pacific_node::http_client()
        .post(format!("{}/federation/inbox", f.bravo.url()))
        .body("x".repeat(17 * 1024 * 1024))
        .send()
        .await;
    if let Ok(r) = big {
        assert_eq!(r.status(), 413);
    }

    // Every rejection was counted.
    let counted = f.bravo.fed().store().rejections().await.unwrap();
    for label in [
        "envelope-replay",
        "envelope-key-mismatch",
        "envelope-bad-signature",
        "envelope-unknown-sender",
        "envelope-wrong-recipient",
        "envelope-clock-skew",
    ] {
        assert!(
            counted.iter().any(|(_, l, n)| l == label && *n > 0),
            "{label} not counted: {counted:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_envelope_is_bounded_in_objects_and_one_over_is_refused_before_anything_is_stored() {
    let mut f = federation().await;
    f.bravo.stop().await;
    f.bravo.configure(|c| c.federation.max_envelope_objects = 3);
    f.bravo.start().await;
    let key = f.alpha.dir.load_identity().unwrap();
    let objs: Vec<Value> = (0..4)
        .map(|_| indicator(Some(Tlp::Green), json!({})))
        .collect();
    let seq = 1 << 42;
    // Four objects: 413, and nothing of it kept — no object, and its sequence number still free.
    let over = alpha_envelope(&f, &key, seq, "bravo", &objs);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&over).unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (413, Some("envelope-too-many-objects")),
        "{body}"
    );
    for o in &objs {
        assert!(!f.bravo.has(o["id"].as_str().unwrap()).await);
    }
    // Three objects, with the same sequence number: taken whole.
    let at = alpha_envelope(&f, &key, seq, "bravo", &objs[..3]);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&at).unwrap()).await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (200, Some(3)),
        "{body}"
    );
    for o in &objs[..3] {
        assert!(f.bravo.has(o["id"].as_str().unwrap()).await);
    }
    assert!(!f.bravo.has(objs[3]["id"].as_str().unwrap()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_delivery_is_idempotent_and_the_origin_rule_holds() {
    let f = federation().await;
    let key = f.alpha.dir.load_identity().unwrap();
    let objs: Vec<Value> = (0..5)
        .map(|_| indicator(Some(Tlp::Green), json!({})))
        .collect();
    let first = alpha_envelope(&f, &key, 1 << 41, "bravo", &objs);
    let (_, body) = post(&f, &f.bravo, serde_json::to_string(&first).unwrap()).await;
    assert_eq!(body["accepted"], 5);
    let again = alpha_envelope(&f, &key, (1 << 41) + 1, "bravo", &objs);
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&again).unwrap()).await;
    assert_eq!(
        (
            status,
            body["accepted"].as_u64(),
            body["duplicates"].as_u64()
        ),
        (200, Some(0), Some(5))
    );
    for o in &objs {
        assert_eq!(f.bravo.versions_of(o["id"].as_str().unwrap()).await, 1);
    }

    // Charlie presents a new version of alpha's object as its own: refused.
    let charlie_key = f.charlie.dir.load_identity().unwrap();
    let mut changed = objs[0].clone();
    changed["modified"] = json!(Timestamp::from_unix(Timestamp::now().unix().0 + 1, 0).as_str());
    changed["name"] = json!("not a C2 server at all");
    let e = Envelope::sign(
        &charlie_key,
        "charlie",
        "bravo",
        1 << 41,
        Timestamp::now().as_str(),
        vec![EnvelopeObject::signed(
            &charlie_key,
            "charlie",
            changed.to_string(),
        )],
    );
    let (status, body) = post(&f, &f.bravo, serde_json::to_string(&e).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 0);
    assert_eq!(body["rejected"][0]["reason"], "not-originator");
    assert_eq!(
        f.bravo.versions_of(objs[0]["id"].as_str().unwrap()).await,
        1
    );
    // Claiming bravo made something bravo never made: refused too.
    let e = Envelope::sign(
        &charlie_key,
        "charlie",
        "bravo",
        (1 << 41) + 1,
        Timestamp::now().as_str(),
        vec![EnvelopeObject::signed(
            &charlie_key,
            "bravo",
            indicator(None, json!({})).to_string(),
        )],
    );
    let (_, body) = post(&f, &f.bravo, serde_json::to_string(&e).unwrap()).await;
    assert_eq!(body["rejected"][0]["reason"], "not-originator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_cannot_forge_or_alter_a_third_partys_object() {
    let f = federation().await;
    let alpha_key = f.alpha.dir.load_identity().unwrap();
    let charlie_key = f.charlie.dir.load_identity().unwrap();
    let mallory_key = SigningKey::from_bytes(&[7; 32]);
    let relay = |seq: u64, objects: Vec<EnvelopeObject>| {
        let e = Envelope::sign(
            &charlie_key,
            "charlie",
            "bravo",
            seq,
            Timestamp::now().as_str(),
            objects,
        );
        serde_json::to_string(&e).unwrap()
    };
    let fresh = || indicator(Some(Tlp::Green), json!({})).to_string();

    // Charlie relays an "alpha" object it signed itself: forged.
    let forged = EnvelopeObject {
        origin: "alpha".into(),
        ..EnvelopeObject::signed(&charlie_key, "charlie", fresh())
    };
    // A genuine alpha object that charlie altered on the way.
    let mut altered = EnvelopeObject::signed(&alpha_key, "alpha", fresh());
    altered.object = altered
        .object
        .replace("\"pattern\"", "\"description\":\"planted\",\"pattern\"");
    assert!(altered.object.contains("planted"));
    // An origin bravo does not know, whatever the signature.
    let unknown = EnvelopeObject::signed(&mallory_key, "mallory", fresh());
    // A genuine alpha object, relayed unchanged.
    let genuine = EnvelopeObject::signed(&alpha_key, "alpha", fresh());
    let ids: Vec<String> = [&forged, &altered, &unknown, &genuine]
        .iter()
        .map(|o| {
            serde_json::from_str::<Value>(&o.object).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (status, body) = post(
        &f,
        &f.bravo,
        relay(1 << 42, vec![forged, altered, unknown, genuine.clone()]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reasons: Vec<(String, String)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (ids[0].clone(), "origin-bad-signature".to_owned()),
            (ids[1].clone(), "origin-bad-signature".to_owned()),
            (ids[2].clone(), "origin-unknown".to_owned()),
        ]
    );
    assert_eq!(body["accepted"], 1);
    for id in &ids[..3] {
        assert_eq!(f.bravo.versions_of(id).await, 0, "{id} was stored");
    }
    assert_eq!(f.bravo.versions_of(&ids[3]).await, 1);

    // Bravo keeps alpha's signature with the provenance, to relay the object onwards.
    let outbox = f.bravo.fed().store().versions_after(0, 1000).await.unwrap();
    let kept = outbox.iter().find(|i| i.version.id == ids[3]).unwrap();
    let provenance = kept.provenance.as_ref().unwrap();
    assert_eq!(
        (
            provenance.origin.as_str(),
            provenance.received_from.as_str()
        ),
        ("alpha", "charlie")
    );
    assert_eq!(
        kept.origin_signature.as_deref(),
        Some(genuine.origin_signature.as_str())
    );
    let counted = f.bravo.fed().render_metrics();
    for label in ["origin-bad-signature", "origin-unknown"] {
        assert!(
            counted.contains(&format!("peer=\"charlie\",reason=\"{label}\"")),
            "{label}: {counted}"
        );
    }
}

fn peer_client(from: &FedNode, to: &FedNode, key: SigningKey) -> TaxiiClient {
    let credentials = Credentials::Peer {
        sender: from.id.clone(),
        recipient: to.id.clone(),
        key,
    };
    TaxiiClient::new(&format!("{}/taxii2/", to.url()), credentials, None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn peers_read_over_taxii_through_the_gate_and_nothing_else() {
    let f = federation().await;
    let green = indicator(Some(Tlp::Green), json!({}));
    let red = indicator(Some(Tlp::Red), json!({}));
    let amber_bravo = indicator(Some(Tlp::Amber), json!({"x_pacific_recipients": ["bravo"]}));
    f.alpha
        .add(&[green.clone(), red.clone(), amber_bravo.clone()])
        .await;

    let ids = |objs: &[Value]| {
        objs.iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let as_charlie = peer_client(&f.charlie, &f.alpha, f.charlie.dir.load_identity().unwrap());
    let root = as_charlie.api_root().await.unwrap();
    let page = as_charlie
        .objects_page(&root, "default", None, None, None)
        .await
        .unwrap();
    assert_eq!(ids(&page.objects), ids(std::slice::from_ref(&green)));
    let as_bravo = peer_client(&f.bravo, &f.alpha, f.bravo.dir.load_identity().unwrap());
    let page = as_bravo
        .objects_page(&root, "default", None, None, None)
        .await
        .unwrap();
    assert_eq!(
        ids(&page.objects),
        ids(&[green.clone(), amber_bravo.clone()])
    );
    // A Pacific peer's read carries each object's origin and origin signature, over the text
    // exactly as the reader sees it, so a catch-up can check and relay what it pulled.
    let alpha_key = f.alpha.dir.load_identity().unwrap().verifying_key();
    let signed_by_alpha = |page: &pacific_node::client::ObjectsPage| {
        assert_eq!(page.origins.len(), page.objects.len());
        page.objects
            .iter()
            .zip(&page.origins)
            .all(|(o, (origin, signature))| {
                origin == "alpha" && verify_origin(&alpha_key, "alpha", &o.to_string(), signature)
            })
    };
    assert!(signed_by_alpha(&page), "{:?}", page.origins);
    // The same for alpha's object relayed by bravo (its signature kept with the provenance).
    assert!(f.alpha.drained_to("bravo", 5 * SECOND).await);
    let bravo_root = format!("{}/taxii2/root/", f.bravo.url());
    let as_alpha = peer_client(&f.alpha, &f.bravo, f.alpha.dir.load_identity().unwrap());
    let relayed = as_alpha
        .objects_page(&bravo_root, "default", None, None, None)
        .await
        .unwrap();
    assert!(ids(&relayed.objects).contains(&green["id"].as_str().unwrap().to_owned()));
    assert!(signed_by_alpha(&relayed), "{:?}", relayed.origins);

    // Single object, versions and manifest of a held-back object: not found, not even listed.
    let http = pacific_node::http_client();
    let key = f.charlie.dir.load_identity().unwrap();
    let signed_get = |path: String| {
        let auth = pacific_node::federation::peer_auth::authorization(
            &key,
            "charlie",
            "alpha",
            "GET",
            &path,
            "",
            Timestamp::now().unix().0,
        );
        http.get(format!("{}{path}", f.alpha.url()))
            .header("Authorization", auth)
            .send()
    };
    let red_id = red["id"].as_str().unwrap();
    let r = signed_get(format!(
        "/taxii2/root/collections/default/objects/{red_id}/"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = signed_get(format!(
        "/taxii2/root/collections/default/objects/{red_id}/versions/"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = signed_get("/taxii2/root/collections/default/manifest/".into())
        .await
        .unwrap();
    let manifest: Value = r.json().await.unwrap();
    assert_eq!(
        manifest["objects"].as_array().unwrap().len(),
        1,
        "{manifest}"
    );

    // Authorisation: a bad signature, a stranger, a stale request, writes and metrics.
    let mallory = SigningKey::from_bytes(&[9; 32]);
    let bad = peer_client(&f.charlie, &f.alpha, mallory.clone());
    assert!(
        bad.api_root()
            .await
            .unwrap_err()
            .to_string()
            .contains("401")
    );
    let stranger = TaxiiClient::new(
        &format!("{}/taxii2/", f.alpha.url()),
        Credentials::Peer {
            sender: "mallory".into(),
            recipient: "alpha".into(),
            key: mallory,
        },
        None,
    )
    .unwrap();
    assert!(
        stranger
            .api_root()
            .await
            .unwrap_err()
            .to_string()
            .contains("401")
    );
    let path = "/taxii2/";
    let old = pacific_node::federation::peer_auth::authorization(
        &key,
        "charlie",
        "alpha",
        "GET",
        path,
        "",
        Timestamp::now().unix().0 - 600,
    );
    assert_eq!(
        http.get(format!("{}{path}", f.alpha.url()))
            .header("Authorization", old)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Signed for bravo, replayed to alpha.
    let for_bravo = pacific_node::federation::peer_auth::authorization(
        &key,
        "charlie",
        "bravo",
        "GET",
        path,
        "",
        Timestamp::now().unix().0,
    );
    assert_eq!(
        http.get(format!("{}{path}", f.alpha.url()))
            .header("Authorization", for_bravo)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let push = as_charlie
        .push(
            "default",
            std::slice::from_ref(&green),
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
    assert!(push.to_string().contains("403"), "{push}");
    let auth = pacific_node::federation::peer_auth::authorization(
        &key,
        "charlie",
        "alpha",
        "GET",
        "/metrics",
        "",
        Timestamp::now().unix().0,
    );
    assert_eq!(
        http.get(format!("{}/metrics", f.alpha.url()))
            .header("Authorization", auth)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // The inbox takes no user token: an unsigned body is refused whatever the headers.
    let r = http
        .post(format!("{}/federation/inbox", f.alpha.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
