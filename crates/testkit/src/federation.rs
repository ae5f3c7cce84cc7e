//! Federated test nodes on 127.0.0.1: each with its own data directory, identity, policy and
//! peers, started and stopped at will (a restarted node keeps its port and data).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pacific_core::party::StakeholderType;
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_node::federation::Federation;
use pacific_node::{DataDir, Node};
use pacific_store::Store;
use serde_json::{Value, json};

use crate::setup;
pub use crate::setup::{OPEN_POLICY, Spec};

/// A federated node on 127.0.0.1; `store` and `fed` are the running node's (set by `start`).
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
        let addr = setup::free_addr().unwrap();
        let (dir, collection) = setup::create_party(root, spec, addr, |_| {}).await.unwrap();
        Self {
            id: spec.id.into(),
            dir,
            addr,
            collection,
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
        setup::public_key_hex(&self.dir).unwrap()
    }

    /// Registers `other` as a peer of this node (before this node starts).
    pub async fn add_peer(
        &self,
        other: &FedNode,
        kind: StakeholderType,
        jurisdiction: Option<&str>,
    ) {
        let peer = setup::peer_entry(
            &other.dir,
            &other.id,
            &other.id.to_uppercase(),
            kind,
            jurisdiction,
            other.url(),
        )
        .unwrap();
        setup::add_peer(&self.dir, &peer, "admin").await.unwrap();
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
        setup::reconfigure(&self.dir, change).unwrap();
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
    let kinds: Vec<(&str, StakeholderType)> =
        ids.iter().map(|id| (*id, StakeholderType::State)).collect();
    federation_of(root, &kinds, None, configure).await
}

/// Starts nodes of `members` (party id and stakeholder type; states get jurisdictions XA,
/// XB, … in order; open policies), every one a peer of every other, with `configure` applied
/// to each configuration first; with `constitution`, they first found a federation by a
/// charter every one of them signs (`setup::found_federation`).
pub async fn federation_of(
    root: &std::path::Path,
    members: &[(&str, StakeholderType)],
    constitution: Option<&str>,
    configure: impl Fn(&mut pacific_node::config::Config),
) -> Vec<FedNode> {
    let ids: Vec<&str> = members.iter().map(|(id, _)| *id).collect();
    let names: Vec<String> = ids.iter().map(|id| id.to_uppercase()).collect();
    let jurisdictions: Vec<String> = (0..ids.len())
        .map(|n| format!("X{}", (b'A' + n as u8) as char))
        .collect();
    let mut parties = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let kind = members[n].1;
        let spec = Spec {
            id,
            name: &names[n],
            kind,
            jurisdiction: (kind == StakeholderType::State).then_some(&jurisdictions[n]),
            policy: OPEN_POLICY,
        };
        parties.push((spec, setup::free_addr().unwrap()));
    }
    let created = setup::create_mesh(root, &parties, |_, c| configure(c), "admin")
        .await
        .unwrap();
    if let Some(constitution) = constitution {
        let founders: Vec<setup::Founder<'_>> = parties
            .iter()
            .zip(&created)
            .map(|((spec, addr), (dir, _))| setup::Founder {
                dir,
                spec,
                url: format!("http://{addr}"),
            })
            .collect();
        setup::found_federation(root, "Test federation", &founders, constitution).unwrap();
    }
    let mut out = Vec::new();
    for ((spec, addr), (dir, collection)) in parties.iter().zip(created) {
        let mut node = FedNode {
            id: spec.id.into(),
            dir,
            addr: *addr,
            collection,
            store: None,
            fed: None,
            stop: None,
            task: None,
        };
        node.start().await;
        out.push(node);
    }
    out
}
