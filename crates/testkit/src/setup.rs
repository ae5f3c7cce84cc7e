//! The building blocks of every set-up: a party's data directory, its peers, and nodes serving
//! until stopped together. Fallible, so `pacific demo` and the benchmarks report what went
//! wrong; the test helpers unwrap.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_node::config::{CONFIG_FILE, Config};
use pacific_node::datadir::{InitOptions, InitReport};
use pacific_node::federation::POLICY_FILE;
use pacific_node::{DataDir, Node, NodeError};
use pacific_store::{FederationStore, Peer, SqliteFederationStore};

/// Who a federated node is: what its data directory is initialised with.
pub struct Spec<'a> {
    /// Its party id, and the name of its data directory under the set-up's root.
    pub id: &'a str,
    pub name: &'a str,
    pub kind: StakeholderType,
    pub jurisdiction: Option<&'a str>,
    /// Its export policy (`policy.toml`).
    pub policy: &'a str,
}

/// A policy that lets go whatever the markings allow.
pub const OPEN_POLICY: &str = "default = \"allow\"\n";

fn io(what: &str) -> impl Fn(std::io::Error) -> NodeError + '_ {
    move |e| NodeError::Setup(format!("{what}: {e}"))
}

/// A free address on 127.0.0.1: a port bound, then released for a node to take.
pub fn free_addr() -> Result<SocketAddr, NodeError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("cannot bind 127.0.0.1:0"))?;
    listener.local_addr().map_err(io("no local address"))
}

/// Initialises a lone node in `dir`: a state in XA called `name`, on the default address.
pub async fn init_node(dir: &DataDir, name: &str) -> Result<InitReport, NodeError> {
    dir.init(&InitOptions {
        name: name.into(),
        stakeholder_type: StakeholderType::State,
        jurisdiction: Some("XA".into()),
        listen: None,
    })
    .await
}

/// Initialises `root/<spec.id>` for the party `spec`, to listen on `listen`: its identity, its
/// policy, its party id pinned to `spec.id` (the name-derived default would be longer), then
/// `configure` applied to its configuration. Returns the directory and its default collection.
pub async fn create_party(
    root: &Path,
    spec: &Spec<'_>,
    listen: SocketAddr,
    configure: impl FnOnce(&mut Config),
) -> Result<(DataDir, String), NodeError> {
    let dir = DataDir::new(root.join(spec.id));
    let report = dir
        .init(&InitOptions {
            name: spec.name.into(),
            stakeholder_type: spec.kind,
            jurisdiction: spec.jurisdiction.map(str::to_owned),
            listen: Some(listen),
        })
        .await?;
    std::fs::write(dir.root().join(POLICY_FILE), spec.policy)
        .map_err(io("cannot write the policy"))?;
    reconfigure(&dir, |config| {
        config.federation.party_id = Some(spec.id.to_owned());
        configure(config);
    })?;
    Ok((dir, report.default_collection.id))
}

/// Rewrites the configuration file of `dir` with `change` applied (while its node is stopped).
pub fn reconfigure(dir: &DataDir, change: impl FnOnce(&mut Config)) -> Result<(), NodeError> {
    let path = dir.root().join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(io("cannot read the configuration"))?;
    let mut config = Config::from_toml(&text).map_err(NodeError::Setup)?;
    change(&mut config);
    std::fs::write(&path, config.to_toml()).map_err(io("cannot write the configuration"))
}

/// The public key of the identity in `dir`, hex.
pub fn public_key_hex(dir: &DataDir) -> Result<String, NodeError> {
    Ok(hex::encode(dir.load_identity()?.verifying_key().to_bytes()))
}

/// How the others know the node whose data directory is `dir`: party `id` called `name`, at
/// `url`, with the public key of the identity in `dir`.
pub fn peer_entry(
    dir: &DataDir,
    id: &str,
    name: &str,
    kind: StakeholderType,
    jurisdiction: Option<&str>,
    url: String,
) -> Result<Peer, NodeError> {
    Ok(Peer {
        party_id: id.into(),
        name: name.to_owned(),
        stakeholder_type: kind,
        jurisdiction: jurisdiction.map(str::to_owned),
        organisation: None,
        url,
        public_key: public_key_hex(dir)?,
        added: Timestamp::now(),
    })
}

/// Registers `peer` in the federation store of `dir` as added by `actor` (before its node
/// starts).
pub async fn add_peer(dir: &DataDir, peer: &Peer, actor: &str) -> Result<(), NodeError> {
    let store = SqliteFederationStore::open(&dir.db_path()).await?;
    store.add_peer(peer, actor).await?;
    store.close().await;
    Ok(())
}

/// Makes every node a peer of every other: `nodes[j].1` is how the others know `nodes[j]`.
pub async fn peer_each_other(nodes: &[(&DataDir, Peer)], actor: &str) -> Result<(), NodeError> {
    for (i, (dir, _)) in nodes.iter().enumerate() {
        for (j, (_, peer)) in nodes.iter().enumerate() {
            if i != j {
                add_peer(dir, peer, actor).await?;
            }
        }
    }
    Ok(())
}

/// Creates a federation under `root`: each party of `parties` with [`create_party`] (at its
/// address, `configure` applied), every one a peer of every other (known by its spec's id,
/// name, type and jurisdiction, at `http://<address>`), added by `actor`. Returns each
/// party's data directory and default collection, in order.
pub async fn create_mesh(
    root: &Path,
    parties: &[(Spec<'_>, SocketAddr)],
    configure: impl Fn(&Spec<'_>, &mut Config),
    actor: &str,
) -> Result<Vec<(DataDir, String)>, NodeError> {
    let mut created = Vec::new();
    for (spec, addr) in parties {
        created.push(create_party(root, spec, *addr, |c| configure(spec, c)).await?);
    }
    let mut known = Vec::new();
    for ((spec, addr), (dir, _)) in parties.iter().zip(&created) {
        let url = format!("http://{addr}");
        let peer = peer_entry(dir, spec.id, spec.name, spec.kind, spec.jurisdiction, url)?;
        known.push((dir, peer));
    }
    peer_each_other(&known, actor).await?;
    Ok(created)
}

/// Nodes serving on loopback until [`Servers::stop`] stops them all.
pub struct Servers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<Result<(), NodeError>>>,
}

impl Default for Servers {
    fn default() -> Self {
        Self::new()
    }
}

impl Servers {
    pub fn new() -> Self {
        Self {
            stop: tokio::sync::watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    /// Serves `node` on `addr`.
    pub fn serve(&mut self, node: Node, addr: SocketAddr) -> Result<(), NodeError> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| NodeError::Setup(format!("cannot listen on {addr}: {e}")))?;
        self.serve_on(node, listener);
        Ok(())
    }

    /// Serves `node` on a listener the caller bound.
    pub fn serve_on(&mut self, node: Node, listener: TcpListener) {
        let mut stop = self.stop.subscribe();
        self.tasks
            .push(tokio::spawn(node.serve(listener, async move {
                let _ = stop.wait_for(|s| *s).await;
            })));
    }

    /// Stops every node and waits for each; returns the errors nodes stopped with.
    pub async fn stop(self) -> Vec<NodeError> {
        self.stop.send_replace(true);
        let mut errors = Vec::new();
        for task in self.tasks {
            if let Ok(Err(e)) = task.await {
                errors.push(e);
            }
        }
        errors
    }
}

/// A founding member of a test federation: its data directory, its party and its address.
pub struct Founder<'a> {
    pub dir: &'a DataDir,
    pub spec: &'a Spec<'a>,
    pub url: String,
}

/// The charter of a federation named `name` founded by `founders`, with `constitution` (TOML
/// of the `[constitution]` table's body, e.g. `"deliberation_secs = 2\nvoting_secs = 3\n"`),
/// signed by every founder's node in turn (`pacific federation found`, then `sign`), so each
/// data directory holds the charter in force. Returns the charter's text.
pub fn found_federation(
    root: &Path,
    name: &str,
    founders: &[Founder<'_>],
    constitution: &str,
) -> Result<String, NodeError> {
    let mut text = format!(
        "name = {name:?}\nfounded = {:?}\n\n[constitution]\n{constitution}\n",
        Timestamp::now().as_str()
    );
    for f in founders {
        text.push_str(&format!(
            "\n[[members]]\nparty = {:?}\nname = {:?}\nstakeholder = {:?}\n",
            f.spec.id,
            f.spec.name,
            f.spec.kind.as_str()
        ));
        if let Some(j) = f.spec.jurisdiction {
            text.push_str(&format!("jurisdiction = {j:?}\n"));
        }
        text.push_str(&format!(
            "key = {:?}\nurl = {:?}\n",
            public_key_hex(f.dir)?,
            f.url
        ));
    }
    let file = root.join("charter.toml");
    std::fs::write(&file, &text).map_err(io("cannot write the charter"))?;
    for (n, f) in founders.iter().enumerate() {
        pacific_node::gov::sign_charter(f.dir, &file, n == 0)
            .map_err(|e| NodeError::Setup(format!("{}: {e}", f.spec.id)))?;
    }
    // The founders who signed before the last one install the complete charter too.
    for f in founders {
        pacific_node::gov::install_charter(f.dir, &file)
            .map_err(|e| NodeError::Setup(format!("{}: {e}", f.spec.id)))?;
    }
    std::fs::read_to_string(&file).map_err(io("cannot read the charter"))
}
