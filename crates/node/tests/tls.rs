//! Transport rules: TLS with the certificate `init` made, and no plain HTTP off loopback.

use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_node::client::{Credentials, TaxiiClient};
use pacific_node::datadir::InitOptions;
use pacific_node::{DataDir, Node, NodeError};

async fn data_dir(tmp: &tempfile::TempDir) -> (DataDir, String) {
    let dir = DataDir::new(tmp.path().join("n"));
    dir.init(&InitOptions {
        name: "TLS CERT".into(),
        stakeholder_type: StakeholderType::Company,
        jurisdiction: None,
        listen: None,
    })
    .await
    .unwrap();
    let store = dir.open_store().await.unwrap();
    let token = pacific_node::auth::add_user(store.as_ref(), "ana", Role::Reader)
        .await
        .unwrap()
        .token;
    (dir, token)
}

#[tokio::test]
async fn serves_https_with_the_self_signed_certificate_from_init() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, token) = data_dir(&tmp).await;
    let mut node = Node::open(&dir).await.unwrap();
    node.config_mut().unwrap().tls.enabled = true;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(node.serve(listener, async {
        let _ = stopped.await;
    }));
    let url = format!("https://localhost:{port}/taxii2/");
    let ca = std::fs::read(dir.root().join("tls/cert.pem")).unwrap();

    let trusted = TaxiiClient::new(&url, Credentials::Bearer(token.clone()), Some(&ca)).unwrap();
    let mut discovery = Err(NodeError::Remote("not tried".into()));
    for _ in 0..50 {
        discovery = trusted.discovery().await;
        if discovery.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let discovery = discovery.unwrap();
    assert_eq!(
        discovery["default"],
        format!("https://localhost:{port}/taxii2/root/")
    );

    // A client that does not trust the node's certificate cannot talk to it.
    let untrusting = TaxiiClient::new(&url, Credentials::Bearer(token), None).unwrap();
    assert!(matches!(
        untrusting.discovery().await,
        Err(NodeError::Remote(_))
    ));
    let _ = stop.send(());
}

#[tokio::test]
async fn refuses_plain_http_off_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = data_dir(&tmp).await;
    let node = Node::open(&dir).await.unwrap();
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let err = node.serve(listener, async {}).await.unwrap_err();
    assert!(err.to_string().contains("only loopback"), "{err}");
}
