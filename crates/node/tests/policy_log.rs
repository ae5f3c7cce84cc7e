//! The shared rules a node runs under are in its transparency log: adding a peer appends a
//! `peer-added` entry with the peer, and the export policy in force is recorded by hash
//! (`policy-changed`) when the node starts with a policy it has not logged before, and when
//! it is replaced while running — never twice for the same policy.

use pacific_core::party::StakeholderType::State;
use pacific_core::policy::ExportPolicy;
use pacific_node::federation::{POLICY_FILE, policy_sha256};
use pacific_testkit::federation::*;
use pacific_tlog::entry::{Act, Entry};

async fn acts(node: &FedNode) -> Vec<Act> {
    let store = node.store();
    let size = store.log_size().await.unwrap();
    store
        .log_entries(0, size)
        .await
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&e.entry).unwrap().act)
        .collect()
}

fn policy_changes(acts: &[Act]) -> Vec<[u8; 32]> {
    acts.iter()
        .filter_map(|a| match a {
            Act::PolicyChanged { policy_sha256 } => Some(*policy_sha256),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_and_policies_are_logged_once_each() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = |id, policy| Spec {
        id,
        name: id,
        kind: State,
        jurisdiction: Some("XA"),
        policy,
    };
    let mut alpha = FedNode::create(tmp.path(), &spec("alpha", OPEN_POLICY)).await;
    let bravo = FedNode::create(tmp.path(), &spec("bravo", OPEN_POLICY)).await;
    alpha.add_peer(&bravo, State, Some("XA")).await;
    alpha.start().await;

    let open = ExportPolicy::from_toml(OPEN_POLICY).unwrap();
    let logged = acts(&alpha).await;
    let added: Vec<&Act> = logged
        .iter()
        .filter(|a| matches!(a, Act::PeerAdded { peer, .. } if peer == "bravo"))
        .collect();
    assert_eq!(added.len(), 1, "{logged:?}");
    let Act::PeerAdded { peer_key, .. } = added[0] else {
        unreachable!()
    };
    assert_eq!(hex::encode(peer_key), bravo.public_key());
    assert_eq!(policy_changes(&logged), vec![policy_sha256(&open).unwrap()]);

    // Replaced while running: logged; the same policy again: not.
    let closed = ExportPolicy::default();
    alpha.fed().set_policy(closed.clone()).await.unwrap();
    alpha.fed().set_policy(closed.clone()).await.unwrap();
    let expected = vec![
        policy_sha256(&open).unwrap(),
        policy_sha256(&closed).unwrap(),
    ];
    assert_eq!(policy_changes(&acts(&alpha).await), expected);

    // A restart with the file unchanged adds nothing; a file edited while the node was
    // stopped is logged at the next start.
    alpha.stop().await;
    alpha.start().await;
    let mut expected_after = expected.clone();
    expected_after.push(policy_sha256(&open).unwrap()); // the file still says OPEN_POLICY
    assert_eq!(policy_changes(&acts(&alpha).await), expected_after);
    alpha.stop().await;
    alpha.start().await;
    assert_eq!(policy_changes(&acts(&alpha).await), expected_after);
    alpha.stop().await;
    let edited = "default = \"allow\"\ndefault_tlp = \"green\"\n";
    std::fs::write(alpha.dir.root().join(POLICY_FILE), edited).unwrap();
    alpha.start().await;
    expected_after.push(policy_sha256(&ExportPolicy::from_toml(edited).unwrap()).unwrap());
    assert_eq!(policy_changes(&acts(&alpha).await), expected_after);
    alpha.stop().await;
}
