//! A node on 127.0.0.1 for integration tests: its own temporary data directory, three users
//! (admin, analyst, reader), serving until the test drops it.

use std::sync::Arc;

use pacific_core::access::Role;
use pacific_node::{DataDir, Node};
use pacific_store::Store;
use serde_json::{Value, json};

/// The TAXII 2.1 media type.
pub const TAXII: &str = "application/taxii+json;version=2.1";

pub struct TestNode {
    pub base: String,
    pub collection: String,
    pub admin: String,
    pub analyst: String,
    pub reader: String,
    pub store: Arc<dyn Store>,
    /// The node's log identity and its identity key (which signs its checkpoints).
    pub log: Arc<pacific_node::log::LogState>,
    pub key: ed25519_dalek::SigningKey,
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl TestNode {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a node after letting the test adjust its configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut pacific_node::config::Config)) -> Self {
        Self::start_with_files(&[], adjust).await
    }

    /// Starts a node with extra files in its data directory (e.g. `assets.toml`), after
    /// letting the test adjust its configuration.
    pub async fn start_with_files(
        files: &[(&str, &str)],
        adjust: impl FnOnce(&mut pacific_node::config::Config),
    ) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path().join("node"));
        let report = crate::setup::init_node(&dir, "Test CERT").await.unwrap();
        let store = dir.open_store().await.unwrap();
        let mut tokens = Vec::new();
        for (name, role) in [
            ("admin", Role::Admin),
            ("analyst", Role::Analyst),
            ("reader", Role::Reader),
        ] {
            tokens.push(
                pacific_node::auth::add_user(store.as_ref(), name, role)
                    .await
                    .unwrap()
                    .token,
            );
        }
        for (name, text) in files {
            std::fs::write(dir.root().join(name), text).unwrap();
        }
        let mut node = Node::open(&dir).await.unwrap();
        adjust(node.config_mut().unwrap());
        let store = Arc::clone(node.state().store());
        let log = Arc::clone(node.log());
        let key = dir.load_identity().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(node.serve(listener, async {
            let _ = stopped.await;
        }));
        pacific_node::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            base,
            collection: report.default_collection.id,
            admin: tokens[0].clone(),
            analyst: tokens[1].clone(),
            reader: tokens[2].clone(),
            store,
            log,
            key,
            http,
            _stop: stop,
            _dir: tmp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn objects_url(&self) -> String {
        self.url(&format!(
            "/taxii2/root/collections/{}/objects/",
            self.collection
        ))
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .header("accept", TAXII)
            .send()
            .await
            .unwrap()
    }

    /// POSTs an envelope and waits until its status resource is complete.
    pub async fn post_objects(&self, token: &str, objects: &[Value]) -> Value {
        let response = self
            .http
            .post(self.objects_url())
            .bearer_auth(token)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .body(json!({ "objects": objects }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{:?}", response.text().await);
        let mut status: Value = response.json().await.unwrap();
        for _ in 0..300 {
            if status["status"] == "complete" {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let path = format!("/taxii2/root/status/{}/", status["id"].as_str().unwrap());
            status = self.get(&path, token).await.json().await.unwrap();
        }
        panic!("status never completed: {status}");
    }
}

/// A fresh random UUID.
pub fn uuid() -> String {
    pacific_node::new_uuid()
}

/// A valid indicator with the given id and modified time.
pub fn indicator(id: &str, modified: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": "C2 address",
        "pattern": "[ipv4-addr:value = '203.0.113.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "x_pacific_note": {"nested": [1, 2.5, "three", null]}
    })
}

pub fn malware(id: &str) -> Value {
    json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": id,
        "created": "2026-01-02T00:00:00.000Z",
        "modified": "2026-01-02T00:00:00.000Z",
        "name": "GridWiper",
        "is_family": true
    })
}

impl TestNode {
    /// The node's data directory (e.g. to open its federation store beside the node).
    pub fn data_dir(&self) -> DataDir {
        DataDir::new(self._dir.path().join("node"))
    }
}
