//! The jurisdiction registry of a node: every resource claim it holds (its own party's and its
//! peers'), indexed so that "who answers for this address, AS number or domain?" has an answer.
//! The rules are `pacific_registry`'s; this service stores and publishes this party's claims,
//! reads every claim it holds from the store, and answers lookups and conflicts. It knows
//! nothing of HTTP (`crate::http::registry` serves `/registry/…` and RDAP) and returns
//! [`RegistryError`].
//!
//! **How claims travel.** A claim of this party is one `x-pacific-resource-claim` object
//! ([`pacific_registry::wire`], TLP:GREEN) stored in the `default` collection (logged in the
//! same transaction) and pushed by the outbox to every peer the gate lets it go to. Only a user
//! whose role acts for the party (`delegate`, `admin`) makes or revokes one, and never through
//! TAXII (the type is service-owned, [`is_service_owned_type`]). A new version replaces the
//! claim (revocation is a version with `revoked`).
//!
//! **What counts.** The service reads the store's object versions in `seq` order; each claim
//! counts only as published by its own party's node: its origin (the federation provenance, or
//! this party for a local one) must be the party it names ([`wire::from_peer`]). Claims that do
//! not count are logged and counted once. The index is rebuilt when a claim changes or when a
//! claim's validity begins or ends ([`Index::next_change`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pacific_core::policy::PartyId;
use pacific_core::{StixObject, Timestamp};
use pacific_registry::claim::{CLAIM_TYPE, ClaimDraft, Contact, Role as ClaimRole};
use pacific_registry::corroborate::{Mark, corroborate};
use pacific_registry::{
    Claim, ClaimError, ClaimSet, Conflict, Index, Query, Resource, Resources, wire,
};
use pacific_store::{Collection, FederationStore, Store, StoreError};

use crate::principal::Principal;

/// Why a registry command or query fails.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0} is not a user of this node (peers send claims through the federation)")]
    NotAUser(String),
    #[error("{user} is a {role}; only a delegate or an admin claims for the party")]
    MayNotClaim { user: String, role: String },
    /// The query or the claim's fields are not well formed.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error("no claim {0}")]
    UnknownClaim(String),
    #[error("{id} is {party}'s claim; a party revokes only its own")]
    NotOurs { id: String, party: PartyId },
    #[error("{0} is already revoked")]
    AlreadyRevoked(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// A new claim of this party, as a user gives it.
#[derive(Clone, Debug)]
pub struct NewClaim {
    pub role: ClaimRole,
    /// Each `203.0.113.0/24`, `2001:db8::/32`, `AS64500`, `AS64500-AS64511` or `example.xa`.
    pub resources: Vec<String>,
    pub contact: Contact,
    /// Default: now.
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub evidence: Vec<String>,
}

/// One answer of a lookup: the most specific claim in force of one role.
#[derive(Clone, Debug)]
pub struct Answer {
    pub role: ClaimRole,
    /// The claim's resource that holds the query.
    pub resource: Resource,
    pub claim: Claim,
    /// The claim's conflicts (same role, another party, overlapping resources).
    pub conflicts: Vec<Conflict>,
}

/// What the registry says about one address, AS number or domain name.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub query: Query,
    pub answers: Vec<Answer>,
}

impl Lookup {
    /// The party that answers in `role`, if exactly one does (no conflict over the query's
    /// claim).
    pub fn responsible(&self, role: ClaimRole) -> Result<&Answer, Unanswered> {
        let answer = self
            .answers
            .iter()
            .find(|a| a.role == role)
            .ok_or(Unanswered::Nobody)?;
        if answer.conflicts.is_empty() {
            Ok(answer)
        } else {
            let mut parties: Vec<PartyId> = answer
                .conflicts
                .iter()
                .flat_map(|c| c.parties.iter().cloned())
                .collect();
            parties.sort();
            parties.dedup();
            Err(Unanswered::InConflict(parties))
        }
    }
}

impl Lookup {
    /// Whom an abuse notice about the query goes to: the one party answering as `contact`
    /// (it handles abuse), else as `operator`, else as `jurisdiction` — the first role with an
    /// answer decides; none if that answer is in conflict.
    pub fn abuse_addressee(&self) -> Option<&Answer> {
        [
            ClaimRole::Contact,
            ClaimRole::Operator,
            ClaimRole::Jurisdiction,
        ]
        .into_iter()
        .find(|role| self.answers.iter().any(|a| a.role == *role))
        .and_then(|role| self.responsible(role).ok())
    }
}

/// Why a lookup names no single responsible party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unanswered {
    Nobody,
    InConflict(Vec<PartyId>),
}

/// What the service holds, behind one lock.
#[derive(Default)]
struct Held {
    /// The last `seq` read.
    cursor: i64,
    default: Option<Collection>,
    claims: ClaimSet,
    index: Arc<Index>,
    /// Claims changed since the index was built.
    changed: bool,
    /// Claims (by id and version) already reported as not counting.
    reported: HashSet<String>,
}

/// This node's own marks on claims (corroborated or contradicted by delegation data it holds),
/// by claim id, the latest per data source; never published.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Marks {
    marks: std::collections::BTreeMap<String, Vec<Mark>>,
}

/// The file in the data directory holding this node's marks on claims.
pub const MARKS_FILE: &str = "registry-marks.json";

/// The registry service of a node.
pub struct Registry {
    /// Where this node keeps its marks (none: in memory only, e.g. in tests).
    marks_path: Option<std::path::PathBuf>,
    marks: std::sync::Mutex<Marks>,
    party: PartyId,
    /// The store's versions with their federation provenance (who published each claim).
    feed: Arc<dyn FederationStore>,
    store: Arc<dyn Store>,
    held: tokio::sync::Mutex<Held>,
    refused: AtomicU64,
}

/// Whether objects of this type are made only by the registry service.
pub fn is_service_owned_type(type_name: &str) -> bool {
    type_name == CLAIM_TYPE
}

/// The STIX identity of `party` in its claims' `created_by_ref`: a name-based id, the same on
/// every node.
pub fn party_identity(party: &PartyId) -> String {
    format!(
        "identity--{}",
        crate::name_uuid(&format!("pacific party identity\n{party}"))
    )
}

fn internal(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Internal(e.to_string())
}

impl Registry {
    /// The registry of `party`'s node over its store and the store's federation view; its
    /// marks kept in memory only.
    pub fn new(party: PartyId, feed: Arc<dyn FederationStore>, store: Arc<dyn Store>) -> Arc<Self> {
        Self::build(party, feed, store, None, Marks::default())
    }

    /// [`Registry::new`] keeping this node's marks in `marks_path` (read now if it exists).
    pub fn with_marks_file(
        party: PartyId,
        feed: Arc<dyn FederationStore>,
        store: Arc<dyn Store>,
        marks_path: std::path::PathBuf,
    ) -> Result<Arc<Self>, crate::NodeError> {
        let marks = match std::fs::read_to_string(&marks_path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                crate::NodeError::Setup(format!("{} is not valid: {e}", marks_path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Marks::default(),
            Err(e) => {
                return Err(crate::NodeError::Setup(format!(
                    "cannot read {}: {e}",
                    marks_path.display()
                )));
            }
        };
        Ok(Self::build(party, feed, store, Some(marks_path), marks))
    }

    fn build(
        party: PartyId,
        feed: Arc<dyn FederationStore>,
        store: Arc<dyn Store>,
        marks_path: Option<std::path::PathBuf>,
        marks: Marks,
    ) -> Arc<Self> {
        Arc::new(Self {
            marks_path,
            marks: std::sync::Mutex::new(marks),
            party,
            feed,
            store,
            held: tokio::sync::Mutex::default(),
            refused: AtomicU64::new(0),
        })
    }

    /// This node's party.
    pub fn party(&self) -> &PartyId {
        &self.party
    }

    /// Claims that did not count since the node started.
    pub fn refused_claims(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The registry's counters in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let name = "pacific_registry_claims_refused_total";
        format!(
            "# HELP {name} Resource claim versions held that do not count (malformed, or not published by the party they name).\n# TYPE {name} counter\n{name} {}\n",
            self.refused_claims()
        )
    }

    /// Reads the object versions stored since the last call.
    async fn sync(&self, held: &mut Held) -> Result<(), RegistryError> {
        if held.default.is_none() {
            held.default = crate::find_collection(self.store.as_ref(), "default").await?;
        }
        let Some(default) = held.default.clone() else {
            return Err(internal("this node has no default collection"));
        };
        const PAGE: usize = 1000;
        loop {
            let items = self.feed.versions_after(held.cursor, PAGE).await?;
            let n = items.len();
            for item in items {
                held.cursor = held.cursor.max(item.version.seq);
                if item.collection_id != default.id || item.version.type_name != CLAIM_TYPE {
                    continue;
                }
                let origin = item
                    .provenance
                    .map_or_else(|| self.party().clone(), |p| p.origin);
                let claim = StixObject::from_json(&item.version.json)
                    .map_err(|e| e.to_string())
                    .and_then(|o| wire::from_peer(&o, &origin).map_err(|e| e.to_string()))
                    .and_then(|c| held.claims.insert(c).map_err(|e| e.to_string()));
                match claim {
                    Ok(_) => held.changed = true,
                    Err(e) => {
                        let key = format!("{}@{}", item.version.id, item.version.seq);
                        if held.reported.insert(key) {
                            self.refused.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(claim = %item.version.id, %origin, error = %e, "resource claim does not count; ignored");
                        }
                    }
                }
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// The index as it stands now: what arrived read, rebuilt if a claim changed or a validity
    /// began or ended.
    async fn current(&self, held: &mut Held) -> Result<Arc<Index>, RegistryError> {
        self.sync(held).await?;
        let now = Timestamp::now();
        let lapsed = held.index.next_change().is_some_and(|t| *t <= now);
        if held.changed || lapsed {
            held.index = Arc::new(Index::build(&held.claims, &now));
            held.changed = false;
        }
        Ok(Arc::clone(&held.index))
    }

    /// The index now (for lookups in bulk and the figures).
    pub async fn index(&self) -> Result<Arc<Index>, RegistryError> {
        let mut held = self.held.lock().await;
        self.current(&mut held).await
    }

    /// The latest version of every claim held, revoked ones included.
    pub async fn claims(&self) -> Result<Vec<Claim>, RegistryError> {
        let mut held = self.held.lock().await;
        self.sync(&mut held).await?;
        Ok(held.claims.iter().cloned().collect())
    }

    /// The latest version of the claim `id`.
    pub async fn claim(&self, id: &str) -> Result<Claim, RegistryError> {
        let mut held = self.held.lock().await;
        self.sync(&mut held).await?;
        held.claims
            .get(id)
            .cloned()
            .ok_or_else(|| RegistryError::UnknownClaim(id.to_owned()))
    }

    /// This node's marks on the claim `id` (one per data source, the latest).
    pub fn marks_of(&self, id: &str) -> Vec<Mark> {
        self.marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .marks
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// Checks the claim `id` against delegation data this node holds (`data`, named
    /// `source`), as `who`, and keeps the mark (replacing an earlier one from the same source).
    /// The mark is local: it never leaves this node.
    pub async fn mark(
        &self,
        who: &Principal,
        id: &str,
        source: &str,
        data: &[String],
    ) -> Result<Mark, RegistryError> {
        self.claimant(who)?;
        if source.trim().is_empty() || source.chars().any(char::is_control) {
            return Err(RegistryError::Invalid(
                "a mark names the data it used: give a source (e.g. the file's name)".into(),
            ));
        }
        let mut resources = Resources::default();
        for text in data {
            let r: Resource = text
                .parse()
                .map_err(|e| RegistryError::Invalid(format!("data {text:?}: {e}")))?;
            resources.push(r);
        }
        let claim = self.claim(id).await?;
        let mark = corroborate(&claim, &resources, source);
        let mut marks = self
            .marks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = marks.marks.entry(id.to_owned()).or_default();
        held.retain(|m| m.source != mark.source);
        held.push(mark.clone());
        if let Some(path) = &self.marks_path {
            let text = serde_json::to_string_pretty(&*marks).map_err(internal)?;
            crate::datadir::write_private_atomically(path, text.as_bytes()).map_err(internal)?;
        }
        Ok(mark)
    }

    /// Every conflict between claims in force.
    pub async fn conflicts(&self) -> Result<Vec<Conflict>, RegistryError> {
        Ok(self.index().await?.conflicts().to_vec())
    }

    /// Who answers for `query` (`203.0.113.5`, `2001:db8::1`, `AS64500`, `host.example.xa`):
    /// the most specific claim in force per role, with its conflicts.
    pub async fn lookup(&self, query: &str) -> Result<Lookup, RegistryError> {
        let query: Query = query
            .parse()
            .map_err(|e| RegistryError::Invalid(format!("{query:?}: {e}")))?;
        let index = self.index().await?;
        Ok(lookup_in(&index, query))
    }

    /// Makes and publishes a claim of this party, as `who`.
    pub async fn make_claim(&self, who: &Principal, new: NewClaim) -> Result<Claim, RegistryError> {
        self.claimant(who)?;
        let mut resources = Resources::default();
        for text in &new.resources {
            let r: Resource = text
                .parse()
                .map_err(|e| RegistryError::Invalid(format!("resource {text:?}: {e}")))?;
            resources.push(r);
        }
        let now = Timestamp::now();
        let draft = ClaimDraft {
            party: self.party().clone(),
            party_identity: party_identity(self.party()),
            role: new.role,
            resources,
            contact: new.contact,
            valid_from: new.valid_from.unwrap_or_else(|| now.clone()),
            valid_until: new.valid_until,
            evidence: new.evidence,
        };
        let claim = draft.into_claim(&crate::new_uuid(), &now)?;
        self.publish(who, &claim).await?;
        Ok(claim)
    }

    /// Revokes this party's claim `id`, as `who`.
    pub async fn revoke(&self, who: &Principal, id: &str) -> Result<Claim, RegistryError> {
        self.claimant(who)?;
        let held_claim = self.claim(id).await?;
        if &held_claim.party != self.party() {
            return Err(RegistryError::NotOurs {
                id: id.to_owned(),
                party: held_claim.party,
            });
        }
        if held_claim.revoked {
            return Err(RegistryError::AlreadyRevoked(id.to_owned()));
        }
        let revoked = held_claim.revoke(&Timestamp::now());
        self.publish(who, &revoked).await?;
        Ok(revoked)
    }

    /// Stores one version of this party's claim in the default collection (logged there; the
    /// outbox takes it to the peers the gate allows).
    async fn publish(&self, who: &Principal, claim: &Claim) -> Result<(), RegistryError> {
        let object = wire::to_stix(claim).map_err(|e| RegistryError::Invalid(e.to_string()))?;
        let mut held = self.held.lock().await;
        self.sync(&mut held).await?;
        let default = held
            .default
            .clone()
            .ok_or_else(|| internal("synced before publishing"))?;
        self.store
            .add_objects_as(&who.actor(), &default.id, &[object])
            .await?;
        self.sync(&mut held).await
    }

    /// The user `who`, if its role acts for the party.
    fn claimant(&self, who: &Principal) -> Result<(), RegistryError> {
        let Some(role) = who.role() else {
            return Err(RegistryError::NotAUser(who.actor()));
        };
        if !role.governs() {
            return Err(RegistryError::MayNotClaim {
                user: who.actor(),
                role: role.to_string(),
            });
        }
        Ok(())
    }
}

/// [`Registry::lookup`] on an index.
pub fn lookup_in(index: &Index, query: Query) -> Lookup {
    let answers = index
        .lookup(&query)
        .into_iter()
        .map(|m| Answer {
            role: m.role,
            resource: m.resource.clone(),
            claim: m.claim.clone(),
            conflicts: index.conflicts_of(&m.claim.id).cloned().collect(),
        })
        .collect();
    Lookup { query, answers }
}
