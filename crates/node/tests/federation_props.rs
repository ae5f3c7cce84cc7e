//! Property: nothing the gate denies ever arrives — over the REAL paths (federation push and a
//! peer's TAXII GET), with random objects, markings and policies.

use std::collections::BTreeSet;
use std::time::Duration;

use pacific_core::party::StakeholderType;
use pacific_core::policy::{ExportPolicy, GateContext, OutboundPath, PartyId, decide};
use pacific_core::tlp::Tlp;
use pacific_core::{StixObject, Timestamp};
use pacific_node::client::{Credentials, TaxiiClient};
use pacific_testkit::federation::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const POLICIES: &[&str] = &[
    "default = \"allow\"\n",
    "default = \"deny\"\n",
    "default = \"allow\"\ndefault_tlp = \"green\"\n",
    "default = \"allow\"\n[[rules]]\nname = \"no-red-types\"\naction = \"deny\"\ntypes = [\"indicator\"]\ntlp = [\"clear\"]\n",
    "default = \"deny\"\ndefault_tlp = \"clear\"\n[[rules]]\nname = \"to-states\"\naction = \"allow\"\nrecipient_stakeholder_types = [\"state\"]\n",
    "default = \"deny\"\n[[sharing_groups]]\nname = \"g\"\nmembers = [\"b\"]\n[[rules]]\nname = \"g\"\naction = \"allow\"\nrecipient_groups = [\"g\"]\n",
];

fn object_strategy() -> impl Strategy<Value = Value> {
    let tlp = prop_oneof![
        Just(None),
        Just(Some(Tlp::Clear)),
        Just(Some(Tlp::Green)),
        Just(Some(Tlp::Amber)),
        Just(Some(Tlp::AmberStrict)),
        Just(Some(Tlp::Red))
    ];
    let recipients = proptest::option::of(proptest::sample::subsequence(vec!["b", "x"], 0..=2));
    let groups = proptest::option::of(proptest::sample::subsequence(vec!["g", "h"], 0..=2));
    let personal = proptest::option::of(proptest::sample::subsequence(vec!["XA", "XB"], 0..=2));
    let keep = proptest::option::of(proptest::sample::subsequence(vec!["XA", "XB"], 1..=2));
    (tlp, recipients, groups, personal, keep).prop_map(|(tlp, r, g, p, k)| {
        let mut extra = json!({});
        if let Some(r) = r {
            extra["x_pacific_recipients"] = json!(r);
        }
        if let Some(g) = g {
            extra["x_pacific_sharing_groups"] = json!(g);
        }
        if let Some(p) = p {
            extra["x_pacific_personal_data"] = json!({"subjects_resident_in": p});
        }
        if let Some(k) = k {
            extra["x_pacific_jurisdiction_restriction"] = json!({"keep_within": k});
        }
        indicator(tlp, extra)
    })
}

#[test]
fn nothing_the_gate_denies_ever_arrives() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = rt.block_on(async {
        let mut a = FedNode::create(
            tmp.path(),
            &Spec {
                id: "a",
                name: "A",
                kind: StakeholderType::State,
                jurisdiction: Some("XA"),
                policy: POLICIES[0],
            },
        )
        .await;
        let mut b = FedNode::create(
            tmp.path(),
            &Spec {
                id: "b",
                name: "B",
                kind: StakeholderType::State,
                jurisdiction: Some("XB"),
                policy: "default = \"deny\"\n",
            },
        )
        .await;
        a.add_peer(&b, StakeholderType::State, Some("XB")).await;
        b.add_peer(&a, StakeholderType::State, Some("XA")).await;
        a.start().await;
        b.start().await;
        (a, b)
    });
    let b_party = pacific_core::policy::Party {
        id: PartyId::new("b"),
        name: "B".into(),
        stakeholder_type: StakeholderType::State,
        jurisdiction: Some("XB".into()),
        organisation: None,
    };
    let arrived_total = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..POLICIES.len(),
        proptest::collection::vec(object_strategy(), 1..12),
    );
    runner
        .run(&strategy, |(policy_index, objects)| {
            rt.block_on(async {
                let policy = ExportPolicy::from_toml(POLICIES[policy_index]).unwrap();
                a.fed().set_policy(policy.clone()).await.unwrap();
                a.add(&objects).await;
                assert!(
                    a.drained_to("b", Duration::from_secs(10)).await,
                    "the outbox stalled"
                );
                let members: BTreeSet<PartyId> = [PartyId::new("b")].into();
                let now = Timestamp::now();
                let allowed = |o: &Value, path| {
                    let object = StixObject::from_value(o.clone()).unwrap();
                    let ctx = GateContext::new(&policy, a.fed().local(), &members, &now, path)
                        .with_collection(Some("default"));
                    decide(&object, &b_party, &ctx).is_allowed()
                };
                // Federation push: whatever arrived at B was allowed.
                for o in &objects {
                    let arrived = b.has(o["id"].as_str().unwrap()).await;
                    arrived_total
                        .fetch_add(usize::from(arrived), std::sync::atomic::Ordering::Relaxed);
                    prop_assert!(
                        !arrived || allowed(o, OutboundPath::FederationPush),
                        "pushed although denied: {o}"
                    );
                }
                // TAXII GET by B: every object returned was allowed.
                let client = TaxiiClient::new(
                    &format!("{}/taxii2/", a.url()),
                    Credentials::Peer {
                        sender: "b".into(),
                        recipient: "a".into(),
                        key: b.dir.load_identity().unwrap(),
                    },
                    None,
                )
                .unwrap();
                let root = client.api_root().await.unwrap();
                let page = client
                    .objects_page(&root, "default", None, None, Some(10_000))
                    .await
                    .unwrap();
                let wanted: BTreeSet<&str> =
                    objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
                for got in page
                    .objects
                    .iter()
                    .filter(|g| wanted.contains(g["id"].as_str().unwrap()))
                {
                    prop_assert!(
                        allowed(got, OutboundPath::TaxiiGet),
                        "served although denied: {got}"
                    );
                }
                Ok(())
            })
        })
        .unwrap();
    // Not vacuous: some objects did cross.
    assert!(arrived_total.into_inner() > 0);
    drop((a, b));
}
