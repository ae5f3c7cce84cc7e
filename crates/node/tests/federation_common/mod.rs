//! Federated test nodes on 127.0.0.1: each with its own data directory, identity, policy and
//! peers, started and stopped at will (a restarted node keeps its port and data).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::party::StakeholderType;
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_node::datadir::InitOptions;
use pacific_node::federation::Federation;
use pacific_node::{DataDir, Node};
use pacific_store::{FederationStore, Peer, SqliteFederationStore, Store};
use serde_json::{Value, json};

pub struct FedNode {
    pub id: String,
    pub dir: DataDir,
    pub addr: SocketAddr,
    pub collection: String,
    pub store: Option<Arc<dyn Store>>,
    pub fed: Option<Arc<Federation>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Spec<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: StakeholderType,
    pub jurisdiction: Option<&'a str>,
    pub policy: &'a str,
}

/// A policy that lets go whatever the markings allow.
pub const OPEN_POLICY: &str = "default = \"allow\"\n";

/// The two parties most tests need, with open policies, not yet each other's peers and not
/// started: Alpha CERT (a state, XA) and Bravo Police (a state, XB).
pub async fn alpha_and_bravo(root: &std::path::Path) -> (FedNode, FedNode) {
    let spec = |id, name, jurisdiction| Spec {
        id,
        name,
        kind: StakeholderType::State,
        jurisdiction: Some(jurisdiction),
        policy: OPEN_POLICY,
    };
    let alpha = FedNode::create(root, &spec("alpha", "Alpha CERT", "XA")).await;
    let bravo = FedNode::create(root, &spec("bravo", "Bravo Police", "XB")).await;
    (alpha, bravo)
}

impl FedNode {
    pub async fn create(root: &std::path::Path, spec: &Spec<'_>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let dir = DataDir::new(root.join(spec.id));
        let report = dir
            .init(&InitOptions {
                name: spec.name.into(),
                stakeholder_type: spec.kind,
                jurisdiction: spec.jurisdiction.map(str::to_owned),
                listen: Some(addr),
            })
            .await
            .unwrap();
        std::fs::write(dir.root().join("policy.toml"), spec.policy).unwrap();
        // Pin the party id (the name-derived default would be longer).
        let config_path = dir.root().join("pacific.toml");
        let mut config = pacific_node::config::Config::from_toml(
            &std::fs::read_to_string(&config_path).unwrap(),
        )
        .unwrap();
        config.federation.party_id = Some(spec.id.to_owned());
        std::fs::write(&config_path, config.to_toml()).unwrap();
        Self {
            id: spec.id.into(),
            dir,
            addr,
            collection: report.default_collection.id,
            store: None,
            fed: None,
            stop: None,
            task: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.dir.load_identity().unwrap().verifying_key().to_bytes())
    }

    /// Registers `other` as a peer of this node (before this node starts).
    pub async fn add_peer(
        &self,
        other: &FedNode,
        kind: StakeholderType,
        jurisdiction: Option<&str>,
    ) {
        let s = SqliteFederationStore::open(&self.dir.db_path())
            .await
            .unwrap();
        s.add_peer(
            &Peer {
                party_id: other.id.as_str().into(),
                name: other.id.to_uppercase(),
                stakeholder_type: kind,
                jurisdiction: jurisdiction.map(str::to_owned),
                organisation: None,
                url: other.url(),
                public_key: other.public_key(),
                added: Timestamp::now(),
            },
            "admin",
        )
        .await
        .unwrap();
        s.close().await;
    }

    pub async fn start(&mut self) {
        let node = Node::open(&self.dir).await.unwrap();
        self.store = Some(Arc::clone(node.state().store()));
        self.fed = Some(Arc::clone(node.state().federation()));
        let listener = std::net::TcpListener::bind(self.addr).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(stop);
        self.task = Some(tokio::spawn(async move {
            node.serve(listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        }));
    }

    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.store = None;
        self.fed = None;
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        self.store.as_ref().expect("node is running")
    }

    pub fn fed(&self) -> &Arc<Federation> {
        self.fed.as_ref().expect("node is running")
    }

    pub async fn add(&self, objects: &[Value]) {
        let objects: Vec<StixObject> = objects
            .iter()
            .map(|o| StixObject::from_value(o.clone()).unwrap())
            .collect();
        self.store()
            .add_objects(&self.collection, &objects)
            .await
            .unwrap();
    }

    /// Every version of `object_id` in the default collection.
    pub async fn versions_of(&self, object_id: &str) -> usize {
        let mut q = ObjectQuery::all(1000);
        q.ids = vec![object_id.to_owned()];
        q.versions = vec![VersionSelector::All];
        self.store()
            .query_objects(&self.collection, &q, false)
            .await
            .unwrap()
            .items
            .len()
    }

    pub async fn has(&self, object_id: &str) -> bool {
        self.versions_of(object_id).await > 0
    }

    /// Waits until this node's outbox has processed everything it holds for `peer`.
    pub async fn drained_to(&self, peer: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let fs = self.fed().store();
            let max = fs.max_seq().await.unwrap();
            let cursor = fs.link(peer).await.unwrap().unwrap().out_cursor;
            if cursor >= max {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits until `check` holds, up to `within`; returns how long it took.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub fn uuid() -> String {
    pacific_node::new_uuid()
}

/// An indicator with a TLP marking and extra properties.
pub fn indicator(tlp: Option<pacific_core::tlp::Tlp>, extra: Value) -> Value {
    let now = Timestamp::now();
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid()),
        "created": now.as_str(),
        "modified": now.as_str(),
        "name": "C2 server",
        "pattern": "[ipv4-addr:value = '203.0.113.5']",
        "pattern_type": "stix",
        "valid_from": now.as_str(),
    });
    if let Some(t) = tlp {
        o["object_marking_refs"] = json!([t.marking_id()]);
    }
    if let (Value::Object(m), Value::Object(e)) = (&mut o, extra) {
        m.extend(e);
    }
    o
}

impl FedNode {
    /// Changes this node's configuration (before it starts).
    pub fn configure(&self, change: impl FnOnce(&mut pacific_node::config::Config)) {
        let path = self.dir.root().join("pacific.toml");
        let mut config =
            pacific_node::config::Config::from_toml(&std::fs::read_to_string(&path).unwrap())
                .unwrap();
        change(&mut config);
        std::fs::write(&path, config.to_toml()).unwrap();
    }

    /// Adds a user with `role` to this running node; returns the token.
    pub async fn user(&self, name: &str, role: pacific_core::access::Role) -> String {
        pacific_node::auth::add_user(self.store().as_ref(), name, role)
            .await
            .unwrap()
            .token
    }
}

/// Starts nodes `ids` (state parties, open policies), every one a peer of every other, with
/// `configure` applied to each configuration first.
pub async fn mesh(
    root: &std::path::Path,
    ids: &[&str],
    configure: impl Fn(&mut pacific_node::config::Config),
) -> Vec<FedNode> {
    use pacific_core::party::StakeholderType::State;
    let mut nodes = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let jurisdiction = format!("X{}", (b'A' + n as u8) as char);
        let node = FedNode::create(
            root,
            &Spec {
                id,
                name: &id.to_uppercase(),
                kind: State,
                jurisdiction: Some(&jurisdiction),
                policy: OPEN_POLICY,
            },
        )
        .await;
        node.configure(&configure);
        nodes.push((node, jurisdiction));
    }
    for (a, _) in &nodes {
        for (b, jb) in &nodes {
            if a.id != b.id {
                a.add_peer(b, State, Some(jb)).await;
            }
        }
    }
    let mut out = Vec::new();
    for (mut node, _) in nodes {
        node.start().await;
        out.push(node);
    }
    out
}
