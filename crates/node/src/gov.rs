//! The governance service: the federation's charter, its members' register, proposals, votes
//! and the parameters they put in force on this node. The rules are `pacific_gov`'s; this
//! service installs the charter, stores and publishes this party's acts, replays every act it
//! holds, logs each proposal's tally, and applies what the federation adopted. It knows nothing
//! of HTTP (the `/gov/` API is `crate::http::gov`) and returns [`GovServiceError`].
//!
//! **The charter** lives in the data directory (`charter.toml`), installed by `pacific
//! federation found|sign` once every founding member has signed it ([`sign_charter`]); the node
//! reads it at start and logs it (`charter-installed`) once. Without a charter the service
//! answers [`GovServiceError::NoCharter`] and TLP:GREEN's community stays the peers.
//!
//! **How acts travel.** Each act of this party is one `x-pacific-gov-act` object
//! ([`pacific_gov::wire`], TLP:GREEN) stored in the `default` collection (logged in the same
//! transaction) and pushed by the outbox to every peer the gate lets it go to; only a user
//! whose role governs (`delegate`, `admin`) makes one, and never through TAXII (the type is
//! service-owned). Before storing, the act is replayed on the federation as this node holds it
//! and refused if it would not count ([`GovServiceError::Refused`]), and refused if the gate
//! would hold it back from a member that is a peer ([`GovServiceError::HeldBack`]).
//!
//! **Replay.** The service keeps the acts of its federation it holds (fed from the store's
//! object versions in `seq` order, each with its federation provenance as its origin) and
//! rebuilds the federation with [`pacific_gov::state::replay`]; acts that do not count are
//! logged and counted once. After each rebuild ([`Gov::refresh`], also every
//! `coop.tick_millis` by [`spawn_clock`]): each closed proposal's tally is logged
//! (`proposal-closed`, again only if a late delivery changed it), the register's members in
//! good standing become TLP:GREEN's community, members become peers if
//! `governance.peer_with_members`, and the adopted parameters are put in force in the
//! cooperation service — where this node's own configuration is stricter, it stays.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use pacific_core::policy::{OutboundPath, PartyId};
use pacific_core::{StixObject, Timestamp};
use pacific_gov::charter::{Charter, CharterError, MemberDetails};
use pacific_gov::params::{self, InForce, Parameter};
use pacific_gov::proposal::Act;
use pacific_gov::report::{self, CheckpointRef, ComplianceReport, Figure, ReportPeriod};
use pacific_gov::state::{Federation as Governed, GovError, HeldAct, Stage};
use pacific_gov::wire;
use pacific_store::{GovernanceFact, Peer, Store, StoreError};
use sha2::{Digest, Sha256};

use crate::config::{CoopConfig, GovernanceConfig};
use crate::coop::Coop;
use crate::datadir::DataDir;
use crate::federation::Federation;
use crate::principal::Principal;

/// The charter's file in the data directory.
pub const CHARTER_FILE: &str = "charter.toml";

/// Why a governance command or query fails.
#[derive(Debug, thiserror::Error)]
pub enum GovServiceError {
    #[error(
        "this node has no charter: found or join a federation first (`pacific federation found|sign`)"
    )]
    NoCharter,
    #[error("{0} is not a user of this node (peers exchange acts through the federation)")]
    NotAUser(String),
    #[error("{user} is a {role}; only a delegate or an admin acts for the party in governance")]
    MayNotGovern { user: String, role: String },
    #[error("{0}")]
    Refused(GovError),
    #[error("no proposal {0}")]
    UnknownProposal(String),
    #[error("no member {0} in the register")]
    UnknownMember(String),
    #[error(
        "the export policy holds this act back from {party} ({label}: {reason}); nothing was stored or sent"
    )]
    HeldBack {
        party: PartyId,
        label: &'static str,
        reason: String,
    },
    /// A command's input is not well formed.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Report(#[from] pacific_gov::report::ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

fn internal(e: impl std::fmt::Display) -> GovServiceError {
    GovServiceError::Internal(e.to_string())
}

/// The hex of an Ed25519 public key, as charters and peers write it.
pub fn key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Whether `signature_hex` is `member`'s Ed25519 signature of `message`.
fn signed_by(member: &MemberDetails, signature_hex: &str, message: &[u8]) -> bool {
    let key = hex::decode(&member.key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok());
    let sig = hex::decode(signature_hex)
        .ok()
        .and_then(|s| <[u8; 64]>::try_from(s).ok());
    match (key, sig) {
        (Some(k), Some(s)) => k.verify(message, &Signature::from_bytes(&s)).is_ok(),
        _ => false,
    }
}

/// Checks every signature of `charter`; the founding members who have not signed yet.
pub fn verify_charter(charter: &Charter) -> Result<Vec<PartyId>, CharterError> {
    let message = charter.signing_message();
    charter.verify(|m, s| signed_by(m, s, &message))
}

/// What signing a charter did.
#[derive(Debug)]
pub struct Signed {
    pub federation_id: String,
    pub party: PartyId,
    /// Founding members still to sign; empty once the charter is in force.
    pub missing: Vec<PartyId>,
    /// Where the charter was installed, once complete.
    pub installed: Option<PathBuf>,
}

/// Why a charter cannot be signed here.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Charter(#[from] CharterError),
    #[error(
        "this node's key {key} is not the key of a founding member of this charter (members: {members})"
    )]
    NotAFounder { key: String, members: String },
    #[error(
        "this node already has the charter of another federation ({0}); a node belongs to one federation"
    )]
    OtherFederation(String),
    #[error("{0}")]
    Io(String),
}

/// Signs the charter in `file` with this node's key (`found`: the first signature; `sign`: the
/// next ones), writes the signed charter back to `file`, and installs it in the data directory
/// once every founding member has signed. Every signature already present is checked first.
pub fn sign_charter(dir: &DataDir, file: &Path, founding: bool) -> Result<Signed, SignError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| SignError::Io(format!("cannot read {}: {e}", file.display())))?;
    let mut charter = Charter::from_toml(&text)?;
    if founding && !charter.signatures.is_empty() {
        return Err(SignError::Io(format!(
            "{} is signed already: `pacific federation sign` adds this node's signature",
            file.display()
        )));
    }
    verify_charter(&charter)?;
    let key = dir
        .load_identity()
        .map_err(|e| SignError::Io(e.to_string()))?;
    let mine = key_hex(&key.verifying_key());
    let me = charter
        .members
        .iter()
        .find(|m| m.key == mine)
        .map(|m| m.party.clone())
        .ok_or_else(|| SignError::NotAFounder {
            key: mine.clone(),
            members: charter
                .members
                .iter()
                .map(|m| format!("{} ({})", m.party, m.key))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if let Some(installed) = installed_charter(dir).map_err(|e| SignError::Io(e.to_string()))?
        && installed.federation_id() != charter.federation_id()
    {
        return Err(SignError::OtherFederation(installed.federation_id()));
    }
    let signature = key.sign(&charter.signing_message());
    charter.add_signature(&me, hex::encode(signature.to_bytes()));
    let missing = verify_charter(&charter)?;
    let text = charter.to_toml();
    std::fs::write(file, &text)
        .map_err(|e| SignError::Io(format!("cannot write {}: {e}", file.display())))?;
    let installed = if missing.is_empty() {
        let path = dir.root().join(CHARTER_FILE);
        std::fs::write(&path, &text)
            .map_err(|e| SignError::Io(format!("cannot write {}: {e}", path.display())))?;
        Some(path)
    } else {
        None
    };
    Ok(Signed {
        federation_id: charter.federation_id(),
        party: me,
        missing,
        installed,
    })
}

/// Installs a charter every founding member signed (`pacific federation sign` by a node that
/// signed already, or a node that joins with the complete file).
pub fn install_charter(dir: &DataDir, file: &Path) -> Result<Charter, SignError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| SignError::Io(format!("cannot read {}: {e}", file.display())))?;
    let charter = Charter::from_toml(&text)?;
    let message = charter.signing_message();
    charter.verify_complete(|m, s| signed_by(m, s, &message))?;
    let path = dir.root().join(CHARTER_FILE);
    std::fs::write(&path, charter.to_toml())
        .map_err(|e| SignError::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(charter)
}

/// The charter installed in `dir`, checked: every founding member's signature holds.
pub fn installed_charter(dir: &DataDir) -> Result<Option<Charter>, CharterError> {
    let path = dir.root().join(CHARTER_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CharterError::Syntax(format!("{}: {e}", path.display()))),
    };
    let charter = Charter::from_toml(&text)?;
    let message = charter.signing_message();
    charter.verify_complete(|m, s| signed_by(m, s, &message))?;
    Ok(Some(charter))
}

/// A member of the register as shown: its entry and its 24/7 contact.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MemberView {
    #[serde(flatten)]
    pub entry: pacific_gov::state::RegisterEntry,
    /// Its declared hotline contact, if this node holds one.
    pub contact: Option<Contact>,
}

/// A member's 24/7 contact.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Contact {
    pub name: String,
    pub channel: pacific_coop::hotline::Channel,
}

#[derive(Default)]
struct Index {
    cursor: i64,
    default: Option<pacific_store::Collection>,
    /// The acts of this federation held, by id.
    acts: BTreeMap<String, HeldAct>,
    /// Acts already reported (refused, or of another federation).
    reported: HashSet<String>,
    /// The governance facts logged (or found logged) since start, by key: the store is asked
    /// only when one is new or changed.
    logged: HashMap<String, [u8; 32]>,
    /// Compliance reports held, in the order they were stored (`seq`), each by its object id
    /// with its publisher: a newer version of a report replaces the older.
    reports: Vec<(String, ComplianceReport)>,
}

/// The governance side of a node.
pub struct Gov {
    fed: Arc<Federation>,
    store: Arc<dyn Store>,
    coop: Arc<Coop>,
    charter: Option<Charter>,
    /// The node's own `[coop]`, which adopted parameters may tighten.
    configured: CoopConfig,
    config: GovernanceConfig,
    index: tokio::sync::Mutex<Index>,
    refused: AtomicU64,
}

/// Where parameter `p` lives in a node's `[coop]` (its key is that path).
fn field(c: &mut CoopConfig, p: Parameter) -> &mut u64 {
    match p {
        Parameter::AckEmergency => &mut c.deadlines.acknowledgement.emergency_secs,
        Parameter::AckUrgent => &mut c.deadlines.acknowledgement.urgent_secs,
        Parameter::AckRoutine => &mut c.deadlines.acknowledgement.routine_secs,
        Parameter::HotlineFirstResend => &mut c.hotline.first_resend_secs,
        Parameter::HotlinePingTimeout => &mut c.hotline.ping_timeout_secs,
    }
}

fn configured_values(c: &CoopConfig) -> BTreeMap<Parameter, u64> {
    let mut c = c.clone();
    Parameter::ALL
        .into_iter()
        .map(|p| (p, *field(&mut c, p)))
        .collect()
}

fn with_values(c: &CoopConfig, values: &[InForce]) -> CoopConfig {
    let mut c = c.clone();
    for v in values {
        *field(&mut c, v.parameter) = v.value;
    }
    c
}

/// The SHA-256 of a tally's JSON, as `proposal-closed` names it.
fn tally_sha256(t: &pacific_gov::Tally) -> [u8; 32] {
    Sha256::digest(serde_json::to_vec(t).unwrap_or_default()).into()
}

fn outcome_label(t: &pacific_gov::Tally) -> &'static str {
    match t.outcome {
        pacific_gov::Outcome::Adopted => "adopted",
        pacific_gov::Outcome::Rejected => "rejected",
        pacific_gov::Outcome::NoQuorum { .. } => "no-quorum",
        pacific_gov::Outcome::Blocked { .. } => "blocked",
    }
}

impl Gov {
    /// The governance side of the node of `dir`: reads and checks its charter, if any.
    pub fn open(
        dir: &DataDir,
        fed: Arc<Federation>,
        store: Arc<dyn Store>,
        coop: Arc<Coop>,
        configured: CoopConfig,
        config: GovernanceConfig,
    ) -> Result<Arc<Self>, crate::NodeError> {
        let charter = installed_charter(dir).map_err(|e| {
            crate::NodeError::Setup(format!(
                "the charter in {} is not valid: {e}",
                dir.root().join(CHARTER_FILE).display()
            ))
        })?;
        Ok(Arc::new(Self {
            fed,
            store,
            coop,
            charter,
            configured,
            config,
            index: tokio::sync::Mutex::default(),
            refused: AtomicU64::new(0),
        }))
    }

    /// This node's party.
    pub fn party(&self) -> &PartyId {
        &self.fed.local().id
    }

    /// The charter in force, if any.
    pub fn charter(&self) -> Option<&Charter> {
        self.charter.as_ref()
    }

    /// Acts that did not count since the node started.
    pub fn refused_acts(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn charter_or_refuse(&self) -> Result<&Charter, GovServiceError> {
        self.charter.as_ref().ok_or(GovServiceError::NoCharter)
    }

    /// Reads the object versions stored since the last call into the index.
    async fn sync(&self, idx: &mut Index) -> Result<(), GovServiceError> {
        let charter = self.charter_or_refuse()?;
        if idx.default.is_none() {
            idx.default = crate::find_collection(self.store.as_ref(), "default").await?;
        }
        let Some(default) = idx.default.clone() else {
            return Err(internal("this node has no default collection"));
        };
        let federation = charter.federation_id();
        const PAGE: usize = 1000;
        loop {
            let items = self.fed.store().versions_after(idx.cursor, PAGE).await?;
            let n = items.len();
            for item in items {
                idx.cursor = idx.cursor.max(item.version.seq);
                if item.collection_id != default.id {
                    continue;
                }
                let origin = item
                    .provenance
                    .map_or_else(|| self.party().clone(), |p| p.origin);
                if item.version.type_name == "report" {
                    self.index_report(idx, &item.version.id, &item.version.json, &origin);
                    continue;
                }
                if item.version.type_name != wire::ACT_TYPE {
                    continue;
                }
                let published = StixObject::from_json(&item.version.json)
                    .map_err(|e| e.to_string())
                    .and_then(|o| wire::from_stix(&o).map_err(|e| e.to_string()));
                match published {
                    Ok(p) if p.federation == federation => {
                        idx.acts.insert(p.id.clone(), p.held(origin));
                    }
                    Ok(p) => {
                        if idx.reported.insert(p.id.clone()) {
                            self.refused.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(act = %p.id, %origin, federation = %p.federation, "a governance act of another federation; ignored");
                        }
                    }
                    Err(e) => {
                        if idx.reported.insert(item.version.id.clone()) {
                            self.refused.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(act = %item.version.id, %origin, error = %e, "governance act unreadable; ignored");
                        }
                    }
                }
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// Keeps a compliance report (a `report` of the compliance extension) with its publisher;
    /// one that names another reporter, or observes its own publisher, is refused and counted.
    fn index_report(&self, idx: &mut Index, id: &str, json: &str, origin: &PartyId) {
        let Ok(object) = StixObject::from_json(json) else {
            return;
        };
        if !ComplianceReport::is_report(&object) {
            return;
        }
        match ComplianceReport::from_stix(&object, origin) {
            Ok(report) => {
                idx.reports.retain(|(held, _)| held != id);
                idx.reports.push((id.to_owned(), report));
            }
            Err(e) => {
                if idx.reported.insert(format!(
                    "{id}@{}",
                    object.modified().map_or("", |t| t.as_str())
                )) {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(report = %id, %origin, error = %e, "compliance report refused");
                }
            }
        }
    }

    /// Rebuilds the federation from the acts held, as it stands now.
    fn rebuild(&self, idx: &mut Index) -> Result<Governed, GovServiceError> {
        let charter = self.charter_or_refuse()?;
        let acts: Vec<HeldAct> = idx.acts.values().cloned().collect();
        let fed = pacific_gov::state::replay(charter, &acts, &Timestamp::now());
        for r in &fed.refused {
            if idx.reported.insert(r.id.clone()) {
                self.refused.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(act = %r.id, by = %r.by, reason = %r.error, "governance act does not count");
            }
        }
        Ok(fed)
    }

    /// Reads what arrived, rebuilds the federation, and applies it: logs the charter and the
    /// tallies of closed proposals, sets TLP:GREEN's community, peers with members if
    /// configured, and puts the adopted parameters in force.
    pub async fn refresh(&self) -> Result<Governed, GovServiceError> {
        let mut idx = self.index.lock().await;
        self.refresh_locked(&mut idx).await
    }

    async fn refresh_locked(&self, idx: &mut Index) -> Result<Governed, GovServiceError> {
        self.sync(idx).await?;
        let governed = self.rebuild(idx)?;
        self.apply(idx, &governed).await?;
        Ok(governed)
    }

    /// Logs `fact` unless logged already (since start, or before: the store knows).
    async fn log_fact(
        &self,
        idx: &mut Index,
        fact: GovernanceFact,
    ) -> Result<bool, GovServiceError> {
        let (key, sha) = fact.key_and_hash();
        if idx.logged.get(key) == Some(sha) {
            return Ok(false);
        }
        let logged = self
            .fed
            .store()
            .record_governance(&fact, pacific_store::LOCAL_ACTOR)
            .await?;
        let (key, sha) = fact.key_and_hash();
        idx.logged.insert(key.to_owned(), *sha);
        Ok(logged)
    }

    async fn apply(&self, idx: &mut Index, governed: &Governed) -> Result<(), GovServiceError> {
        let charter_id: [u8; 32] = hex::decode(&governed.id)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| internal("the federation id is not a SHA-256"))?;
        self.log_fact(
            idx,
            GovernanceFact::Charter {
                federation: charter_id,
            },
        )
        .await?;
        for p in governed.proposals.values() {
            if let (Stage::Closed, Some(t)) = (p.stage, &p.tally) {
                let fact = GovernanceFact::ProposalClosed {
                    proposal: p.id.clone(),
                    outcome: outcome_label(t).to_owned(),
                    tally_sha256: tally_sha256(t),
                };
                if self.log_fact(idx, fact).await? {
                    tracing::info!(proposal = %p.id, title = %p.title, outcome = outcome_label(t), "proposal closed and tallied");
                }
            }
        }
        self.fed.set_community(governed.members_in_good_standing());
        if self.config.peer_with_members {
            self.peer_with_members(governed).await?;
        }
        let in_force = self.params_of(governed);
        self.coop.enforce(with_values(&self.configured, &in_force));
        Ok(())
    }

    async fn peer_with_members(&self, governed: &Governed) -> Result<(), GovServiceError> {
        let (peers, _) = self.fed.members().await?;
        let known: BTreeSet<&PartyId> = peers.iter().map(|p| &p.party_id).collect();
        for entry in governed.register.values() {
            let d = &entry.details;
            if entry.status != pacific_gov::MemberStatus::Member
                || &d.party == self.party()
                || known.contains(&d.party)
            {
                continue;
            }
            let peer = Peer {
                party_id: d.party.clone(),
                name: d.name.clone(),
                stakeholder_type: d.stakeholder,
                jurisdiction: d.jurisdiction.clone(),
                organisation: None,
                url: d.url.clone(),
                public_key: d.key.clone(),
                added: Timestamp::now(),
            };
            match self
                .fed
                .store()
                .add_peer(&peer, pacific_store::LOCAL_ACTOR)
                .await
            {
                Ok(()) => {
                    tracing::info!(party = %d.party, url = %d.url, "a member of the register added as a peer")
                }
                Err(e) => {
                    tracing::warn!(party = %d.party, error = %e, "a member of the register could not be added as a peer")
                }
            }
        }
        Ok(())
    }

    fn params_of(&self, governed: &Governed) -> Vec<InForce> {
        params::in_force(&configured_values(&self.configured), &governed.parameters)
    }

    /// The federation as this node holds it now.
    pub async fn federation(&self) -> Result<Governed, GovServiceError> {
        self.refresh().await
    }

    /// The federation, or `None` when this node has no charter (the norms catalogue and the
    /// parameters read without one).
    pub async fn federation_if_chartered(&self) -> Result<Option<Governed>, GovServiceError> {
        match self.refresh().await {
            Ok(f) => Ok(Some(f)),
            Err(GovServiceError::NoCharter) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The register, each member with its 24/7 contact (its declared hotline contact, as this
    /// node holds it), in party order.
    pub async fn members(&self) -> Result<Vec<MemberView>, GovServiceError> {
        let governed = self.refresh().await?;
        let contacts = self
            .coop
            .records::<pacific_coop::hotline::HotlineContact>()
            .await
            .map_err(internal)?;
        Ok(governed
            .register
            .into_values()
            .map(|entry| {
                let contact = contacts
                    .iter()
                    .find(|c| c.party == entry.details.party)
                    .map(|c| Contact {
                        name: c.name.clone(),
                        channel: c.channel.clone(),
                    });
                MemberView { entry, contact }
            })
            .collect())
    }

    /// One proposal.
    pub async fn proposal(
        &self,
        id: &str,
    ) -> Result<pacific_gov::state::Proposal, GovServiceError> {
        self.refresh()
            .await?
            .proposals
            .remove(id)
            .ok_or_else(|| GovServiceError::UnknownProposal(id.to_owned()))
    }

    /// The parameters in force on this node and where each value comes from. Without a
    /// charter, every value is the node's own.
    pub async fn params(&self) -> Result<Vec<InForce>, GovServiceError> {
        match self.refresh().await {
            Ok(governed) => Ok(self.params_of(&governed)),
            Err(GovServiceError::NoCharter) => Ok(params::in_force(
                &configured_values(&self.configured),
                &Default::default(),
            )),
            Err(e) => Err(e),
        }
    }

    /// Makes `act` for this party, as `who`; returns its id and the federation after it.
    pub async fn act(
        &self,
        who: &Principal,
        act: Act,
    ) -> Result<(String, Governed), GovServiceError> {
        self.governor(who)?;
        let charter = self.charter_or_refuse()?;
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let uuid = crate::new_uuid();
        let id = format!("{}--{uuid}", wire::ACT_TYPE);
        let at = Timestamp::now();
        let held = HeldAct {
            id: id.clone(),
            by: self.party().clone(),
            origin: self.party().clone(),
            at: at.clone(),
            act: act.clone(),
        };
        // Would it count? Replayed on the federation as held, with it.
        let mut trial: Vec<HeldAct> = idx.acts.values().cloned().collect();
        trial.push(held);
        let after = pacific_gov::state::replay(charter, &trial, &at);
        if let Some(r) = after.refused.iter().find(|r| r.id == id) {
            return Err(GovServiceError::Refused(r.error.clone()));
        }
        let object = wire::to_stix(&uuid, &charter.federation_id(), self.party(), &act, &at)
            .map_err(internal)?;
        let default = idx
            .default
            .clone()
            .ok_or_else(|| internal("synced before acting"))?;
        self.check_gate(&object, &default, &after).await?;
        self.store
            .add_objects_as(&who.actor(), &default.id, &[object])
            .await?;
        let governed = self.refresh_locked(&mut idx).await?;
        Ok((id, governed))
    }

    /// Publishes this party's observations of the others for `period` as a compliance report
    /// (TLP:GREEN, through the gate like any object), with this log's size and root at the
    /// time, so anyone can re-derive the figures from the entries. A report published again
    /// for the same period replaces the earlier one (a new version of the same object).
    pub async fn publish_report(
        &self,
        who: &Principal,
        period: ReportPeriod,
    ) -> Result<ComplianceReport, GovServiceError> {
        self.governor(who)?;
        self.charter_or_refuse()?;
        let observations = self.coop.observations(period).await.map_err(internal)?;
        let size = self.store.log_size().await?;
        let root = self.store.log_root(size).await?;
        let checkpoint = CheckpointRef {
            size,
            root: base64::engine::general_purpose::STANDARD.encode(root),
        };
        let report =
            ComplianceReport::new(self.party().clone(), period, observations, Some(checkpoint))?;
        let mut idx = self.index.lock().await;
        let governed = self.refresh_locked(&mut idx).await?;
        // One object per (reporter, period): its id is derived from both, so a new report is
        // a new version.
        let uuid = report_uuid(&governed.id, self.party(), period);
        let object = report.to_stix(&uuid, &Timestamp::now())?;
        let default = idx
            .default
            .clone()
            .ok_or_else(|| internal("synced before publishing"))?;
        self.check_gate(&object, &default, &governed).await?;
        self.store
            .add_objects_as(&who.actor(), &default.id, &[object])
            .await?;
        self.sync(&mut idx).await?;
        Ok(report)
    }

    /// The figures of `period` aggregated from every counterpart's last report: figures about
    /// a party come only from others.
    pub async fn figures(&self, period: ReportPeriod) -> Result<Vec<Figure>, GovServiceError> {
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let reports: Vec<ComplianceReport> = idx.reports.iter().map(|(_, r)| r.clone()).collect();
        Ok(report::aggregate(&reports, period))
    }

    /// The reports held for `period`, by reporter.
    pub async fn reports(
        &self,
        period: ReportPeriod,
    ) -> Result<Vec<ComplianceReport>, GovServiceError> {
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        Ok(idx
            .reports
            .iter()
            .filter(|(_, r)| r.period == period)
            .map(|(_, r)| r.clone())
            .collect())
    }

    /// The user `who`, if its role acts for the party in governance.
    fn governor(&self, who: &Principal) -> Result<(), GovServiceError> {
        let Some(role) = who.role() else {
            return Err(GovServiceError::NotAUser(who.actor()));
        };
        if !role.governs() {
            return Err(GovServiceError::MayNotGovern {
                user: who.actor(),
                role: role.to_string(),
            });
        }
        Ok(())
    }

    /// Refuses an act the policy gate would hold back from a member in good standing that is
    /// a peer: it would be stored and never delivered.
    async fn check_gate(
        &self,
        object: &StixObject,
        collection: &pacific_store::Collection,
        governed: &Governed,
    ) -> Result<(), GovServiceError> {
        let (peers, members) = self.fed.members().await?;
        let members_now = governed.members_in_good_standing();
        for peer in peers.iter().filter(|p| members_now.contains(&p.party_id)) {
            let decision = self.fed.decide_known(
                object,
                &crate::federation::peer_party(peer),
                &members,
                collection,
                OutboundPath::FederationPush,
                None,
            );
            if let Some(reason) = decision.deny_reason() {
                return Err(GovServiceError::HeldBack {
                    party: peer.party_id.clone(),
                    label: reason.label(),
                    reason: reason.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// The uuid of `party`'s compliance report for `period` in federation `federation`: a
/// name-based UUID (version 4 bits set on a SHA-256), the same every time.
fn report_uuid(federation: &str, party: &PartyId, period: ReportPeriod) -> String {
    crate::name_uuid(&format!(
        "pacific compliance report\n{federation}\n{party}\n{period}"
    ))
}

/// Whether objects of `type_name` are made only by this service.
pub fn is_service_owned_type(type_name: &str) -> bool {
    type_name == wire::ACT_TYPE
}

/// Rebuilds the federation every `coop.tick_millis`: proposals close as time passes, and what
/// they adopt is put in force without waiting for a request.
pub fn spawn_clock(gov: Arc<Gov>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if gov.charter().is_none() {
            return;
        }
        let mut tick = tokio::time::interval(every.max(std::time::Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = gov.refresh().await {
                tracing::warn!(error = %e, "governance refresh failed");
            }
        }
    })
}
