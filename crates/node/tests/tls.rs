//! Transport rules: TLS with the certificate `init` made, and no plain HTTP off loopback.

use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_node::client::{Credentials, TaxiiClient};
use pacific_node::datadir::InitOptions;
use pacific_node::{DataDir, Node, NodeError};
use std::time::Duration;

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

/// Reads until the node closes the connection; how long that took, if within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_tls_client_that_stalls_in_its_handshake_is_dropped_and_capped_per_address() {
    use tokio::io::AsyncWriteExt;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = data_dir(&tmp).await;
    let mut node = Node::open(&dir).await.unwrap();
    let config = node.config_mut().unwrap();
    config.tls.enabled = true;
    config.server.header_timeout_secs = 1;
    config.server.max_connections_per_address = 2;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(node.serve(listener, async {
        let _ = stopped.await;
    }));
    let connect = || async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap()
    };
    // Two stalled handshakes from one address: one silent, one with the first bytes of a
    // ClientHello. A third from that address is closed at once.
    let start = std::time::Instant::now();
    let mut silent = connect().await;
    let mut partial = connect().await;
    partial.write_all(&[0x16, 0x03, 0x01, 0x02]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect().await;
    let refused = closed_within(&mut third, Duration::from_secs(3)).await;
    assert!(
        refused.is_some_and(|t| t < Duration::from_millis(500)),
        "a third connection from one address: {refused:?}"
    );
    // The stalled ones are dropped after the 1 s header timeout.
    for stalled in [&mut silent, &mut partial] {
        let closed = closed_within(stalled, Duration::from_secs(3)).await;
        let after = start.elapsed();
        assert!(
            closed.is_some() && after >= Duration::from_millis(900),
            "a stalled handshake: closed {closed:?}, {after:?} after it began"
        );
    }
    let _ = stop.send(());
}
