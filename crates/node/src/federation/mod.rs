//! Federation: this node's identity among its peers, the policy gate on every outbound path,
//! signed envelopes, the inbox, the outbox workers and catch-up.
//!
//! ```text
//! outbound: object_versions (the outbox, by seq) -> per-peer worker -> decide(.., FederationPush)
//!             -> signed envelope -> POST <peer>/federation/inbox -> signed ack -> cursor moves
//!           TAXII GET by a peer (Authorization: Pacific-Peer ...) -> decide(.., TaxiiGet) per object
//! inbound:  POST /federation/inbox -> verify (sender, key, signature, recipient, time, sequence)
//!             -> per-object origin rule -> provenance, then objects (idempotent) -> signed ack
//! ```
//!
//! Invariants: every object that leaves by push or by a peer's TAXII read has passed
//! [`Federation::decide`] (which calls `pacific_core::policy::decide` and nothing else decides);
//! every envelope is signed by the node's identity key and carries a per-link sequence number
//! the receiver requires to increase; an object received from a peer never exists here without
//! its provenance (provenance is written first).

pub use crate::wire::envelope;
pub mod export;
pub mod inbox;
pub mod log_view;
pub mod outbox;
pub mod peer_auth;
pub mod peers;
pub mod policy_reload;
pub mod replay;
pub mod supervisor;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use ed25519_dalek::{SigningKey, VerifyingKey};
use pacific_core::policy::{
    Decision, ExportPolicy, GateContext, OutboundPath, Party, PartyId, Provenance, decide,
};
use pacific_core::{StixObject, Timestamp};
use pacific_store::{
    Collection, FederationStore, Peer, SignedProvenance, SqliteFederationStore, Store, StoreError,
    StoredVersion,
};

use crate::config::Config;
use crate::{DataDir, NodeError};

pub use crate::datadir::{DEFAULT_POLICY, POLICY_FILE};

/// A party id from a name: lower case, runs of other characters than letters and digits as one `-`.
pub fn party_id_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// This node's party, as the gate and peers see it.
pub fn local_party(config: &Config) -> Party {
    Party {
        id: PartyId::new(
            config
                .federation
                .party_id
                .clone()
                .unwrap_or_else(|| party_id_from_name(&config.party.name)),
        ),
        name: config.party.name.clone(),
        stakeholder_type: config.party.stakeholder_type,
        jurisdiction: config.party.jurisdiction.clone(),
        organisation: config.federation.organisation.clone(),
    }
}

/// The URL peers reach this node at.
pub fn local_url(config: &Config) -> String {
    config.federation.url.clone().unwrap_or_else(|| {
        let scheme = if config.tls.enabled { "https" } else { "http" };
        format!("{scheme}://{}", config.server.listen)
    })
}

/// Reads `<data>/policy.toml`; a node without one gets the default policy (nothing leaves).
pub fn load_policy(root: &Path) -> Result<ExportPolicy, NodeError> {
    let path = root.join(POLICY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => ExportPolicy::from_toml(&text).map_err(|e| {
            NodeError::Setup(format!(
                "{} is not a valid export policy: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ExportPolicy::default()),
        Err(e) => Err(NodeError::Setup(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// The SHA-256 of a policy's canonical form (its TOML as `ExportPolicy::to_toml` writes it),
/// as `policy-changed` log entries name it.
pub fn policy_sha256(policy: &ExportPolicy) -> Result<pacific_store::Hash, NodeError> {
    let text = policy
        .to_toml()
        .map_err(|e| NodeError::Setup(format!("export policy: {e}")))?;
    Ok(pacific_tlog::entry::sha256(text.as_bytes()))
}

/// The party a peer record describes.
/// A public key's fingerprint as people read it out to each other before adding a peer: the
/// first 16 bytes of the SHA-256 of its 64 lower-case hex digits, in eight groups of four hex
/// digits (`pacific id` prints it; the dashboard asks for it).
pub fn key_fingerprint(key_hex: &str) -> String {
    let key = key_hex.trim().to_ascii_lowercase();
    let digest = pacific_tlog::entry::sha256(key.as_bytes());
    hex::encode(&digest[..16])
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn peer_party(peer: &Peer) -> Party {
    Party {
        id: peer.party_id.clone(),
        name: peer.name.clone(),
        stakeholder_type: peer.stakeholder_type,
        jurisdiction: peer.jurisdiction.clone(),
        organisation: peer.organisation.clone(),
    }
}

/// Parses a 64-hex-digit Ed25519 public key.
pub fn parse_public_key(hex_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// The version key of provenance records: the object's own version in microseconds, 0 if none.
pub fn version_key(object: &StixObject) -> i64 {
    object.version().map(|t| t.unix_micros()).unwrap_or(0)
}

/// Something that crossed (or did not cross) a border, for logs and the demo's terminal.
#[derive(Clone, Debug)]
pub enum Event {
    /// An object was delivered to a peer (acknowledged).
    Sent {
        to: PartyId,
        object_id: String,
        type_name: String,
        rule: String,
    },
    /// The gate held an object back from a peer.
    HeldBack {
        to: PartyId,
        object_id: String,
        type_name: String,
        label: &'static str,
        reason: String,
    },
    /// A peer's envelope was applied here.
    Received {
        from: PartyId,
        accepted: u64,
        duplicates: u64,
        rejected: u64,
    },
    /// An envelope or an object from a (claimed) peer was refused.
    Rejected {
        from: String,
        label: &'static str,
        detail: String,
    },
}

/// The federation side of a node. Shared by the inbox, the TAXII gate and the outbox workers.
pub struct Federation {
    local: Party,
    url: String,
    key: SigningKey,
    store: Arc<dyn FederationStore>,
    objects: Arc<dyn Store>,
    policy: RwLock<Arc<ExportPolicy>>,
    /// Rejections and hold-backs since start, by (peer, label), for /metrics.
    counters: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
    events: tokio::sync::broadcast::Sender<Event>,
    pub(crate) max_envelope_bytes: usize,
    pub(crate) max_envelope_objects: usize,
    pub(crate) max_skew_secs: i64,
    pub(crate) outbox_enabled: bool,
    /// Peers' signed TAXII requests seen within the clock-skew window (replay protection).
    pub(crate) replay: replay::ReplayGuard,
    /// Origin signatures of this node's own recent versions, by outbox `seq`: each peer's
    /// worker sends the same versions at about the same time, so each is signed once.
    own_signatures: Mutex<BTreeMap<i64, String>>,
    /// The register's members in good standing, once a charter is in force.
    community: std::sync::RwLock<Option<BTreeSet<PartyId>>>,
    /// The data directory's `policy.toml`, for a node opened from one: what
    /// [`Federation::apply_policy_text`] writes.
    policy_file: std::sync::OnceLock<std::path::PathBuf>,
}

/// Own origin signatures remembered (the oldest are dropped first).
const OWN_SIGNATURES_KEPT: usize = 20_000;

impl Federation {
    /// The federation side of the node of a data directory.
    pub async fn open(
        dir: &DataDir,
        config: &Config,
        objects: Arc<dyn Store>,
    ) -> Result<Arc<Self>, NodeError> {
        let key = dir.load_identity()?;
        let policy = load_policy(dir.root())?;
        let store = SqliteFederationStore::open(&dir.db_path()).await?;
        // A policy file edited while the node was stopped is logged before anything is sent.
        store
            .record_policy(policy_sha256(&policy)?, pacific_store::LOCAL_ACTOR)
            .await?;
        let fed = Self::from_parts(config, key, policy, Arc::new(store), objects);
        let _ = fed.policy_file.set(dir.root().join(POLICY_FILE));
        Ok(fed)
    }

    pub fn from_parts(
        config: &Config,
        key: SigningKey,
        policy: ExportPolicy,
        store: Arc<dyn FederationStore>,
        objects: Arc<dyn Store>,
    ) -> Arc<Self> {
        let (events, _) = tokio::sync::broadcast::channel(4096);
        let max_skew_secs =
            i64::try_from(config.federation.max_clock_skew_secs).unwrap_or(i64::MAX);
        Arc::new(Self {
            local: local_party(config),
            url: local_url(config),
            key,
            store,
            objects,
            policy: RwLock::new(Arc::new(policy)),
            counters: Mutex::default(),
            events,
            max_envelope_bytes: config.federation.max_envelope_bytes,
            max_envelope_objects: config.federation.max_envelope_objects,
            max_skew_secs,
            outbox_enabled: config.federation.outbox,
            replay: replay::ReplayGuard::new(max_skew_secs),
            own_signatures: Mutex::default(),
            community: std::sync::RwLock::default(),
            policy_file: std::sync::OnceLock::new(),
        })
    }

    /// This node's origin signature of its own version `seq` with text `json` (see
    /// `envelope::sign_origin`), signed once and remembered for the other peers' workers.
    pub(crate) fn own_origin_signature(&self, seq: i64, json: &str) -> String {
        if let Some(s) = self
            .own_signatures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&seq)
        {
            return s.clone();
        }
        let signature = envelope::sign_origin(&self.key, self.local.id.as_str(), json);
        let mut cache = self
            .own_signatures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.insert(seq, signature.clone());
        while cache.len() > OWN_SIGNATURES_KEPT {
            cache.pop_first();
        }
        signature
    }

    pub fn local(&self) -> &Party {
        &self.local
    }
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }
    pub(crate) fn key(&self) -> &SigningKey {
        &self.key
    }
    pub fn store(&self) -> &Arc<dyn FederationStore> {
        &self.store
    }
    pub fn objects(&self) -> &Arc<dyn Store> {
        &self.objects
    }
    pub fn policy(&self) -> Arc<ExportPolicy> {
        Arc::clone(
            &self
                .policy
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
    /// Replaces the export policy (after validating it), logging the change (`policy-changed`)
    /// before it applies; it takes effect for the next decision.
    pub async fn set_policy(&self, policy: ExportPolicy) -> Result<(), NodeError> {
        policy
            .validate()
            .map_err(|e| NodeError::Setup(format!("invalid export policy: {e}")))?;
        self.store
            .record_policy(policy_sha256(&policy)?, pacific_store::LOCAL_ACTOR)
            .await?;
        *self
            .policy
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(policy);
        Ok(())
    }
    /// Reads `policy.toml` in `root` again and applies it if it is valid (logged as
    /// `policy-changed` when it differs); an invalid file changes nothing. Returns whether the
    /// policy changed.
    pub async fn reload_policy(&self, root: &Path) -> Result<bool, NodeError> {
        let policy = load_policy(root)?;
        let before = policy_sha256(&self.policy())?;
        let after = policy_sha256(&policy)?;
        self.set_policy(policy).await?;
        Ok(before != after)
    }

    /// The text of the policy in force's file (`policy.toml`); for a node without one, the
    /// policy in force as TOML.
    pub fn policy_text(&self) -> Result<String, NodeError> {
        if let Some(path) = self.policy_file.get() {
            match std::fs::read_to_string(path) {
                Ok(text) => return Ok(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(NodeError::Setup(format!(
                        "cannot read {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        self.policy()
            .to_toml()
            .map_err(|e| NodeError::Setup(format!("export policy: {e}")))
    }

    /// Replaces the export policy by the one `text` holds, if it is valid (else nothing
    /// changes): the data directory's `policy.toml` is replaced whole (written beside it,
    /// synced, renamed over it), then the policy applies as [`Federation::set_policy`] does,
    /// logged `policy-changed`. Returns whether it differs from the one before.
    pub async fn apply_policy_text(&self, text: &str) -> Result<bool, NodeError> {
        let policy = ExportPolicy::from_toml(text)
            .map_err(|e| NodeError::Input(format!("the policy was not applied: {e}")))?;
        let Some(path) = self.policy_file.get() else {
            return Err(NodeError::Setup(
                "this node was not opened from a data directory: it has no policy file".into(),
            ));
        };
        let draft = path.with_extension("toml.new");
        let written = (|| {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&draft)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&draft, path)
        })();
        written.map_err(|e| NodeError::Setup(format!("cannot write {}: {e}", path.display())))?;
        let before = policy_sha256(&self.policy())?;
        let after = policy_sha256(&policy)?;
        self.set_policy(policy).await?;
        Ok(before != after)
    }

    /// Adds a peer (checked as [`peers::PeerSpec::check`] checks it), logged `peer-added` by
    /// `actor`; the outbox starts delivering to it.
    pub async fn add_peer(&self, spec: peers::PeerSpec, actor: &str) -> Result<Peer, NodeError> {
        // What the admin typed is input here, whatever the CLI calls it.
        let peer = spec.check().map_err(|e| NodeError::Input(e.to_string()))?;
        self.store.add_peer(&peer, actor).await?;
        Ok(peer)
    }

    /// Border events from now on (sent, held back, received, rejected).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub(crate) fn count(&self, kind: &'static str, peer: &str, label: &'static str) {
        *self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((kind, peer.to_owned(), label))
            .or_default() += 1;
    }

    /// Records a refused envelope or object: counter, persisted counter, event, log line.
    pub(crate) async fn reject(&self, from: &str, label: &'static str, detail: &str) {
        tracing::warn!(peer = %from, reason = label, %detail, "federation input rejected");
        self.count("rejected", from, label);
        if let Err(e) = self.store.count_rejection(from, label).await {
            tracing::error!(error = %e, "cannot count a rejection");
        }
        self.emit(Event::Rejected {
            from: from.to_owned(),
            label,
            detail: detail.to_owned(),
        });
    }

    /// Every peer with the state of its link (cursors, sequence numbers).
    pub async fn peers_and_links(
        &self,
    ) -> Result<Vec<(Peer, pacific_store::LinkState)>, StoreError> {
        let mut out = Vec::new();
        for peer in self.store.peers().await? {
            let link = self
                .store
                .link(peer.party_id.as_str())
                .await?
                .unwrap_or_default();
            out.push((peer, link));
        }
        Ok(out)
    }

    /// This node's peers, and the federation's community (TLP:GREEN's): the members in good
    /// standing of the register once a charter is in force (`crate::gov` sets it), else the
    /// peers.
    pub async fn members(&self) -> Result<(Vec<Peer>, BTreeSet<PartyId>), StoreError> {
        let peers = self.store.peers().await?;
        let community = self
            .community
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let ids = community.unwrap_or_else(|| peers.iter().map(|p| p.party_id.clone()).collect());
        Ok((peers, ids))
    }

    /// Makes the register's members in good standing TLP:GREEN's community.
    pub fn set_community(&self, members: BTreeSet<PartyId>) {
        *self.community.write().unwrap_or_else(|e| e.into_inner()) = Some(members);
    }

    /// The one question every outbound path asks: may `object`, held in `collection`, go to
    /// `recipient` by `path`? Reads the object's provenance and calls the policy gate.
    pub async fn decide(
        &self,
        object: &StixObject,
        recipient: &Party,
        members: &BTreeSet<PartyId>,
        collection: &Collection,
        path: OutboundPath,
    ) -> Result<(Decision, Option<Provenance>), StoreError> {
        let provenance = self
            .store
            .provenance(&collection.id, object.id(), version_key(object))
            .await?;
        let decision = self.decide_known(
            object,
            recipient,
            members,
            collection,
            path,
            provenance.as_ref(),
        );
        Ok((decision, provenance))
    }

    /// [`Federation::decide`] for a caller that already read the object's provenance (the
    /// outbox reads it with the batch).
    pub fn decide_known(
        &self,
        object: &StixObject,
        recipient: &Party,
        members: &BTreeSet<PartyId>,
        collection: &Collection,
        path: OutboundPath,
        provenance: Option<&Provenance>,
    ) -> Decision {
        let policy = self.policy();
        let now = Timestamp::now();
        let name = collection.alias.as_deref().unwrap_or(&collection.id);
        let ctx = GateContext::new(&policy, &self.local, members, &now, path)
            .with_collection(Some(name))
            .with_provenance(provenance);
        decide(object, recipient, &ctx)
    }

    /// What the gate would decide for a new object of this node in `collection`, peer by
    /// peer, as the outbox will ask it ([`OutboundPath::FederationPush`], no provenance: the
    /// object is this node's own): the dashboard's preview before saving.
    pub async fn preview(
        &self,
        object: &StixObject,
        collection: &Collection,
    ) -> Result<Vec<(Peer, Decision)>, StoreError> {
        let (peers, members) = self.members().await?;
        Ok(peers
            .into_iter()
            .map(|peer| {
                let decision = self.decide_known(
                    object,
                    &peer_party(&peer),
                    &members,
                    collection,
                    OutboundPath::FederationPush,
                    None,
                );
                (peer, decision)
            })
            .collect())
    }

    /// Filters stored versions (with their JSON) for a peer's TAXII read: only what the gate
    /// allows stays, each with its provenance and origin signature as read for the gate (see
    /// [`Federation::origin_for_peer`]). Versions whose JSON does not parse are held back.
    pub async fn filter_for_peer(
        &self,
        peer_id: &str,
        collection: &Collection,
        items: Vec<StoredVersion>,
    ) -> Result<Vec<(StoredVersion, Option<SignedProvenance>)>, StoreError> {
        let (peers, members) = self.members().await?;
        let Some(peer) = peers.iter().find(|p| p.party_id.as_str() == peer_id) else {
            return Ok(Vec::new());
        };
        let recipient = peer_party(peer);
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            let Ok(object) = StixObject::from_json(&item.json) else {
                self.count("held_back", peer_id, "unreadable-object");
                continue;
            };
            let signed = self
                .store
                .signed_provenance(&collection.id, object.id(), version_key(&object))
                .await?;
            let decision = self.decide_known(
                &object,
                &recipient,
                &members,
                collection,
                OutboundPath::TaxiiGet,
                signed.as_ref().map(|(p, _)| p),
            );
            match decision {
                Decision::Allow { .. } => kept.push((item, signed)),
                Decision::Deny(reason) => {
                    self.count("held_back", peer_id, reason.label());
                    tracing::debug!(peer = peer_id, object = %item.id, reason = %reason, "held back from a peer's TAXII read");
                }
            }
        }
        Ok(kept)
    }

    /// For a peer's TAXII read (after the gate): a version's origin and the origin's signature
    /// (empty when this node holds none; this node signs its own), so that a peer catching up
    /// can check and relay them as if they had come in envelopes.
    pub fn origin_for_peer(
        &self,
        item: &StoredVersion,
        signed: Option<&SignedProvenance>,
    ) -> (String, String) {
        match signed {
            None => (
                self.local.id.to_string(),
                self.own_origin_signature(item.seq, &item.json),
            ),
            Some((p, signature)) => (p.origin.to_string(), signature.clone().unwrap_or_default()),
        }
    }

    /// Prometheus lines for /metrics.
    pub fn render_metrics(&self) -> String {
        let mut out = String::from(
            "# HELP pacific_federation_total Federation envelopes and objects rejected, and objects held back, by peer and reason.\n# TYPE pacific_federation_total counter\n",
        );
        for ((kind, peer, label), n) in self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let peer = peer.replace('\\', "\\\\").replace('"', "\\\"");
            out.push_str(&format!("pacific_federation_total{{kind=\"{kind}\",peer=\"{peer}\",reason=\"{label}\"}} {n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_the_keys_not_its_spelling() {
        let key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let fp = key_fingerprint(key);
        assert_eq!(fp.split(' ').count(), 8);
        assert!(
            fp.split(' ')
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_eq!(key_fingerprint(&format!(" {} ", key.to_uppercase())), fp);
        assert_ne!(key_fingerprint(&key.replace('d', "e")), fp);
    }

    #[test]
    fn party_ids_from_names() {
        assert_eq!(
            party_id_from_name("Bravo Police Cyber Unit"),
            "bravo-police-cyber-unit"
        );
        assert_eq!(
            party_id_from_name("Charlie Hosting Co."),
            "charlie-hosting-co"
        );
        assert_eq!(party_id_from_name("  Alpha--CERT "), "alpha-cert");
    }

    #[test]
    fn the_default_policy_parses() {
        ExportPolicy::from_toml(DEFAULT_POLICY)
            .unwrap()
            .validate()
            .unwrap();
    }
}
