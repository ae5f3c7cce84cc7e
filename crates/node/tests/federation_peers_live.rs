//! A peer added while a node runs is delivered to without a restart: the outbox supervisor
//! re-reads the peers table and starts a worker for the new peer.

use std::time::Duration;

use pacific_core::party::StakeholderType::State;
use pacific_core::tlp::Tlp;
use pacific_testkit::federation::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_added_while_running_receives_objects_without_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut alpha, mut bravo) = alpha_and_bravo(tmp.path()).await;
    // Alpha's outbox is run by the supervisor below, not by the workers `serve` starts for
    // the peers known at start (it knows none).
    let config_path = alpha.dir.root().join("pacific.toml");
    let mut config =
        pacific_node::config::Config::from_toml(&std::fs::read_to_string(&config_path).unwrap())
            .unwrap();
    config.federation.outbox = false;
    std::fs::write(&config_path, config.to_toml()).unwrap();
    bravo.add_peer(&alpha, State, Some("XA")).await;
    alpha.start().await;
    bravo.start().await;
    let supervisor = pacific_node::federation::supervisor::spawn_every(
        std::sync::Arc::clone(alpha.fed()),
        Duration::from_millis(500),
    );

    let before = indicator(Some(Tlp::Green), json!({}));
    alpha.add(std::slice::from_ref(&before)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !bravo.has(before["id"].as_str().unwrap()).await,
        "alpha does not know bravo yet"
    );

    // `pacific peer add` on the running node: a separate connection writes the peers table.
    alpha.add_peer(&bravo, State, Some("XB")).await;
    let after = indicator(Some(Tlp::Green), json!({}));
    alpha.add(std::slice::from_ref(&after)).await;
    let took = eventually(Duration::from_secs(5), || async {
        bravo.has(after["id"].as_str().unwrap()).await
            && bravo.has(before["id"].as_str().unwrap()).await
    })
    .await;
    let took = took.expect("objects reached the peer added while alpha runs");
    println!("first delivery to a peer added at run time: {took:?}");

    supervisor.abort();
    alpha.stop().await;
    bravo.stop().await;
}
