//! The cooperation service: assistance requests, the 24/7 hotline (escalations, contacts,
//! pings), consultations and disputes between authorities. The rules are `pacific_coop`'s;
//! this service stores, replays, publishes and runs the clock. It knows nothing of HTTP (the
//! `/coop` API is `crate::http::coop`) and returns [`CoopServiceError`].
//!
//! **How records travel.** Every act on a record (the events one command produced) is one
//! `x-pacific-coop-event` object ([`pacific_coop::wire`]) that this node stores in its
//! `default` collection with `add_objects` (so it is logged in the same transaction) and the
//! outbox pushes to the record's audience (TLP:AMBER, `x_pacific_recipients`). A node only
//! ever publishes its own party's acts: the federation's origin rule holds. A user's act that
//! this node's policy gate would hold back from one of the record's parties is refused
//! ([`CoopServiceError::HeldBack`]) instead of being stored and never delivered. Each node keeps an
//! index of the acts it holds by record (fed from the store's object versions in `seq` order,
//! with each version's federation provenance as its origin) and rebuilds a record by
//! replaying its acts ([`pacific_coop::wire::replay_acts`]); an act a peer could not have made
//! (another party's action, a command refused in that state, a timed event not due or not
//! from the record's clock party) does not count, and is logged and counted once.
//!
//! **Who acts.** A user's role maps to a cooperation role (`liaison` acts, `analyst` drafts,
//! `reader` reads); the acting party is always this node's party. Peers (signed `Pacific-Peer`
//! reads) have no access to `/coop`.
//!
//! **The clock.** [`spawn_clock`] runs every `coop.tick_millis`: expiries and hotline re-sends
//! of the requests this party sent, overdue stages of the disputes it opened, and the
//! re-addressing of this party's own acts of a dispute whose audience grew (a mediator or a
//! panel joined) as new versions, so the newcomers get the whole history; the hotline pings
//! (answering those this party receives while it has a declared contact, timing out those it
//! sent, and pinging every declared contact each `coop.ping_interval_secs`).
//!
//! **Incidents.** [`spawn_incident_alerts`] follows the incidents on critical-infrastructure
//! assets as they are stored in the `incidents` collection ([`Coop::alert_new_incidents`]) and
//! raises a hotline alert for each ([`Coop::alert_incident`]). One path, whoever recorded the
//! incident: `POST /match` in this process, or `pacific match --record` in another (the store
//! sees another process's commit within `pacific_store`'s change poll). Incidents stored while
//! no node ran (the node down or crashed after storing one) are not lost: the same task sweeps
//! the `incidents` collection ([`Coop::sweep_incidents`], the last [`INCIDENT_SWEEP_DAYS`]) at
//! start and every [`INCIDENT_SWEEP_EVERY`] (alerts that failed), and alerts each incident no
//! request of this party names yet. The check and the alert happen under the index's lock, so
//! an incident is alerted once whoever gets to it first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pacific_coop::consultation::{Consultation, ConsultationCommand, ConsultationEventKind};
use pacific_coop::dispute::{Dispute, DisputeCommand, DisputeEventKind};
use pacific_coop::hotline::{
    Channel, ContactCommand, ContactEventKind, HotlineContact, HotlinePing, PingCommand,
    PingEventKind, PingOutcome, Sector,
};
use pacific_coop::request::{AssistanceRequest, RequestCommand, RequestEventKind, RequestSpec};
use pacific_coop::stix::StixRecord;
use pacific_coop::wire::{self, Act, Admissible, HeldAct};
use pacific_coop::{
    Actor, Aggregate, Audience, Capability, CoopError, CoopRole, Event, RecordId, RecordType,
};
use pacific_core::policy::PartyId;
use pacific_core::{StixObject, Timestamp};
use pacific_store::Store;
use serde_json::{Value, json};

use crate::config::CoopConfig;
use crate::federation::Federation;
use crate::principal::Principal;

/// One act as this node holds it.
#[derive(Clone, Debug)]
struct Held {
    origin: PartyId,
    act: Act,
    modified: Timestamp,
    recipients: Option<BTreeSet<PartyId>>,
}

#[derive(Default)]
struct Index {
    /// The last object version (`seq`) read from the store.
    cursor: i64,
    collection: Option<String>,
    /// The `default` collection the acts are filed in (the policy gate's context).
    default: Option<pacific_store::Collection>,
    /// Acts by record, by act object id.
    records: HashMap<RecordId, BTreeMap<String, Held>>,
    /// Acts already reported as not counting.
    reported: HashSet<String>,
    /// The last rebuild of each record (a `Rebuilt<A>` of its kind), until an act of the
    /// record arrives: the clock looks at every record on every round, and replaying all
    /// their acts each time would grow with the whole history.
    rebuilt: HashMap<RecordId, Box<dyn std::any::Any + Send>>,
}

/// The cooperation side of a node.
pub struct Coop {
    fed: Arc<Federation>,
    store: Arc<dyn Store>,
    /// The policies in force: the node's `[coop]`, with the federation's adopted parameters
    /// where the node's own values are not stricter (`crate::gov` sets them).
    config: std::sync::RwLock<Arc<CoopConfig>>,
    index: tokio::sync::Mutex<Index>,
    refused: AtomicU64,
    /// When this node's cooperation side started: the periodic pings count from here.
    started: Timestamp,
}

/// A record kind this node serves: how its events sit in an [`Act`].
pub trait Kind: Admissible + StixRecord + Clone + Send + 'static
where
    Self::Body: PartialEq + std::fmt::Debug,
{
    fn events(act: &Act) -> Option<&Vec<Event<Self::Body>>>;
    fn wrap(events: Vec<Event<Self::Body>>) -> Act;
    /// Who receives the record's acts now: its audience, except that a draft stays home.
    fn audience_now(&self) -> Audience {
        self.audience()
    }
    /// The flagged custody event of a refused custody record, as this kind's event.
    fn flagged(_flag: &pacific_coop::request::RequestEvent) -> Option<Event<Self::Body>> {
        None
    }
    /// The parties `command` names that the record's audience does not hold yet (a proposed
    /// mediator or panel): each must be a party this node knows.
    fn parties_named(_command: &Self::Command) -> Vec<PartyId> {
        Vec::new()
    }
    /// The STIX objects `command` attaches to the record: each must be held here.
    fn objects_named(_command: &Self::Command) -> Vec<String> {
        Vec::new()
    }
}

impl Kind for AssistanceRequest {
    fn events(act: &Act) -> Option<&Vec<Event<RequestEventKind>>> {
        match act {
            Act::Request(e) => Some(e),
            _ => None,
        }
    }
    fn wrap(events: Vec<Event<RequestEventKind>>) -> Act {
        Act::Request(events)
    }
    fn flagged(flag: &pacific_coop::request::RequestEvent) -> Option<Event<RequestEventKind>> {
        Some(flag.clone())
    }
    /// A draft is the requester's alone; sending re-addresses it to the recipient.
    fn audience_now(&self) -> Audience {
        if self.state == pacific_coop::request::RequestState::Draft {
            Audience::Only(BTreeSet::from([self.requester.clone()]))
        } else {
            self.audience()
        }
    }
}

/// `Kind` for a record whose events sit in one `Act` variant and that needs nothing else.
macro_rules! plain_kind {
    ($($record:ty => $variant:ident($body:ty)),+ $(,)?) => {$(
        impl Kind for $record {
            fn events(act: &Act) -> Option<&Vec<Event<$body>>> {
                match act {
                    Act::$variant(e) => Some(e),
                    _ => None,
                }
            }
            fn wrap(events: Vec<Event<$body>>) -> Act {
                Act::$variant(events)
            }
        }
    )+};
}

plain_kind! {
    HotlineContact => Contact(ContactEventKind),
    HotlinePing => Ping(PingEventKind),
}

impl Kind for Dispute {
    fn events(act: &Act) -> Option<&Vec<Event<DisputeEventKind>>> {
        match act {
            Act::Dispute(e) => Some(e),
            _ => None,
        }
    }
    fn wrap(events: Vec<Event<DisputeEventKind>>) -> Act {
        Act::Dispute(events)
    }
    fn parties_named(command: &DisputeCommand) -> Vec<PartyId> {
        match command {
            DisputeCommand::ProposeMediator { mediator } => vec![mediator.clone()],
            DisputeCommand::ProposePanel { members } => members.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

impl Kind for Consultation {
    fn events(act: &Act) -> Option<&Vec<Event<ConsultationEventKind>>> {
        match act {
            Act::Consultation(e) => Some(e),
            _ => None,
        }
    }
    fn wrap(events: Vec<Event<ConsultationEventKind>>) -> Act {
        Act::Consultation(events)
    }
    fn objects_named(command: &ConsultationCommand) -> Vec<String> {
        match command {
            ConsultationCommand::AttachObjects { object_refs } => object_refs.clone(),
            _ => Vec::new(),
        }
    }
}

/// A record rebuilt, with the acts that did not count.
#[derive(Clone)]
pub struct Rebuilt<A> {
    pub record: A,
    /// The acts held that did not count, with why.
    pub refused: Vec<RefusedAct>,
}

/// An act held that does not count on the record. One of this party's own counted when it
/// was made (it was decided on the record as this node held it); it stops counting only when
/// an act another party made concurrently is ordered before it and conflicts with it
/// ([`RefusedAct::mine`]): the acting party sees it here, as refused.
#[derive(Clone, Debug)]
pub struct RefusedAct {
    /// The act's object id.
    pub id: String,
    /// The party that published it.
    pub by: PartyId,
    /// Whether this party made it.
    pub mine: bool,
    pub error: CoopError,
}

/// Why the cooperation service did not do what it was asked. It knows nothing of HTTP; the
/// API maps it in `crate::error`.
#[derive(Debug, thiserror::Error)]
pub enum CoopServiceError {
    /// The domain refused the command (role, party, state, deadline, input).
    #[error(transparent)]
    Refused(#[from] CoopError),
    /// This node's policy gate holds the act back from a party of the record: nothing was
    /// stored or sent (`label` is the gate's reason, e.g. `default-deny`).
    #[error(
        "this node's export policy holds the act back from {party} ({label}: {reason}); nothing was sent. Cooperation acts (type x-pacific-coop-event) need a policy rule that allows them to the parties they name (docs/policy.md)"
    )]
    HeldBack {
        party: PartyId,
        label: &'static str,
        reason: String,
    },
    /// A party that is neither this node's nor one of its peers: an act naming it could
    /// never reach it. `known` lists the parties this node knows.
    #[error("\"{party}\" is not a party this node knows; the known parties are {}", known.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownParty { party: PartyId, known: Vec<PartyId> },
    /// Objects to attach that no collection of this node holds.
    #[error("no object {} is held here: attach objects this node holds (check the id)", .0.join(", "))]
    UnknownObjects(Vec<String>),
    /// Not a user of this node: peers exchange acts through the federation.
    #[error("{0} may not use cooperation records (peers exchange acts through the federation)")]
    NotAUser(String),
    /// No such record here.
    #[error("record {0} not found")]
    UnknownRecord(String),
    #[error(transparent)]
    Store(#[from] pacific_store::StoreError),
    /// Anything else that went wrong inside (an act that does not encode, a task that died).
    #[error("{0}")]
    Internal(String),
}

fn internal(e: impl std::fmt::Display) -> CoopServiceError {
    CoopServiceError::Internal(e.to_string())
}

/// The first instant after `t` and not before the clock: acts of one record get strictly
/// increasing times, so every node replays them in the order they were decided here.
fn now_after(t: &Timestamp) -> Timestamp {
    let now = Timestamp::now().unix_micros();
    Timestamp::from_unix_micros(now.max(t.unix_micros() + 1))
}

fn uuid_of(act_id: &str) -> &str {
    act_id.split_once("--").map_or(act_id, |(_, u)| u)
}

impl Coop {
    pub fn new(fed: Arc<Federation>, store: Arc<dyn Store>, config: CoopConfig) -> Arc<Self> {
        Arc::new(Self {
            fed,
            store,
            config: std::sync::RwLock::new(Arc::new(config)),
            index: tokio::sync::Mutex::default(),
            refused: AtomicU64::new(0),
            started: Timestamp::now(),
        })
    }

    /// The policies in force (deadlines, hotline timings, …).
    pub fn config(&self) -> Arc<CoopConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `config` in force from the next command on (the federation's parameters changed).
    pub fn enforce(&self, config: CoopConfig) {
        let mut current = self.config.write().unwrap_or_else(|e| e.into_inner());
        if **current != config {
            tracing::info!("cooperation policies in force changed (federation parameters)");
            *current = Arc::new(config);
        }
    }

    /// This node's party.
    pub fn party(&self) -> &PartyId {
        &self.fed.local().id
    }

    /// Acts from peers that did not count since the node started.
    pub fn refused_acts(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Reads the object versions stored since the last call into the index.
    async fn sync(&self, idx: &mut Index) -> Result<(), CoopServiceError> {
        if idx.collection.is_none() {
            let c = crate::find_collection(self.store.as_ref(), "default")
                .await?
                .ok_or_else(|| internal("this node has no default collection"))?;
            idx.collection = Some(c.id.clone());
            idx.default = Some(c);
        }
        const PAGE: usize = 1000;
        loop {
            let items = self
                .fed
                .store()
                .versions_after(idx.cursor, PAGE)
                .await
                .map_err(internal)?;
            let n = items.len();
            for item in items {
                idx.cursor = idx.cursor.max(item.version.seq);
                if item.version.type_name != wire::EVENT_TYPE
                    || idx.collection.as_deref() != Some(item.collection_id.as_str())
                {
                    continue;
                }
                let origin = item
                    .provenance
                    .map_or_else(|| self.party().clone(), |p| p.origin);
                let parsed = StixObject::from_json(&item.version.json)
                    .map_err(|e| CoopError::BadEvent(e.to_string()))
                    .and_then(|o| wire::from_stix(&o).map(|p| (o, p)));
                let (object, published) = match parsed {
                    Ok(x) => x,
                    Err(e) => {
                        self.refused.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(act = %item.version.id, %origin, error = %e, "cooperation act unreadable; ignored");
                        continue;
                    }
                };
                let recipients = object
                    .get("x_pacific_recipients")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                let acts = idx.records.entry(published.record.clone()).or_default();
                let newer = acts
                    .get(&published.id)
                    .is_none_or(|h| h.modified <= published.modified);
                if newer {
                    idx.rebuilt.remove(&published.record);
                    acts.insert(
                        published.id,
                        Held {
                            origin,
                            act: published.act,
                            modified: published.modified,
                            recipients,
                        },
                    );
                }
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// Rebuilds a record from the acts held, or takes the last rebuild if no act arrived
    /// since; reports acts that do not count (once each).
    fn rebuild<A: Kind>(&self, idx: &mut Index, id: &RecordId) -> Option<Rebuilt<A>>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        if let Some(r) = idx
            .rebuilt
            .get(id)
            .and_then(|r| r.downcast_ref::<Rebuilt<A>>())
        {
            return Some(r.clone());
        }
        let rebuilt = self.replay::<A>(idx, id)?;
        idx.rebuilt.insert(id.clone(), Box::new(rebuilt.clone()));
        Some(rebuilt)
    }

    fn replay<A: Kind>(&self, idx: &mut Index, id: &RecordId) -> Option<Rebuilt<A>>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let held = idx.records.get(id)?;
        let mut acts: Vec<HeldAct<A::Body>> = held
            .iter()
            .filter_map(|(act_id, h)| {
                Some(HeldAct {
                    id: act_id.clone(),
                    origin: h.origin.clone(),
                    events: A::events(&h.act)?.clone(),
                })
            })
            .collect();
        let out = wire::replay_acts::<A>(&mut acts);
        // No admissible creation yet: the history is incomplete (acts of a record whose
        // audience grew arrive in any order from each party), so nothing is judged yet.
        out.record.as_ref()?;
        let me = self.party();
        let refused: Vec<RefusedAct> = out
            .refused
            .into_iter()
            .map(|(act, error)| {
                let by = held
                    .get(&act)
                    .map_or_else(|| me.clone(), |h| h.origin.clone());
                RefusedAct {
                    mine: &by == me,
                    id: act,
                    by,
                    error,
                }
            })
            .collect();
        for r in &refused {
            if idx.reported.insert(r.id.clone()) {
                self.refused.fetch_add(1, Ordering::Relaxed);
                if r.mine {
                    tracing::warn!(act = %r.id, record = %id, reason = %r.error, "an act of this party no longer counts: a concurrent act of another party conflicts with it");
                } else {
                    tracing::warn!(act = %r.id, record = %id, by = %r.by, reason = %r.error, "cooperation act does not count");
                }
            }
        }
        Some(Rebuilt {
            record: out.record?,
            refused,
        })
    }

    fn ids_of(idx: &Index, t: RecordType) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = idx
            .records
            .keys()
            .filter(|id| id.record_type() == t)
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// Stores one act of this party (one transaction: the object and its log entry).
    async fn publish<A: Kind>(
        &self,
        idx: &mut Index,
        uuid: &str,
        events: Vec<Event<A::Body>>,
        audience: &Audience,
        modified: &Timestamp,
    ) -> Result<(), CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let object = wire::to_stix(uuid, &A::wrap(events), audience, None, modified)?;
        let collection = idx.collection.clone().expect("synced before publishing");
        self.store.add_objects(&collection, &[object]).await?;
        self.sync(idx).await
    }

    /// Stores one act of a user of this party, after asking the policy gate whether it may
    /// go to every other party of `audience` as the outbox will push it: an act the gate holds
    /// back from one of them is refused ([`CoopServiceError::HeldBack`]) rather than stored
    /// and silently never delivered.
    async fn publish_checked<A: Kind>(
        &self,
        idx: &mut Index,
        uuid: &str,
        events: Vec<Event<A::Body>>,
        audience: &Audience,
        modified: &Timestamp,
    ) -> Result<(), CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        if let Audience::Only(parties) = audience {
            let others: Vec<&PartyId> = parties.iter().filter(|p| *p != self.party()).collect();
            if !others.is_empty() {
                let object =
                    wire::to_stix(uuid, &A::wrap(events.clone()), audience, None, modified)?;
                let collection = idx.default.clone().expect("synced before publishing");
                let (peers, members) = self.fed.members().await.map_err(internal)?;
                for party in others {
                    let Some(peer) = peers.iter().find(|p| &p.party_id == party) else {
                        continue;
                    };
                    let decision = self.fed.decide_known(
                        &object,
                        &crate::federation::peer_party(peer),
                        &members,
                        &collection,
                        pacific_core::policy::OutboundPath::FederationPush,
                        None,
                    );
                    if let Some(reason) = decision.deny_reason() {
                        tracing::warn!(%party, reason = reason.label(), "a cooperation act held back by the policy gate: refused");
                        return Err(CoopServiceError::HeldBack {
                            party: party.clone(),
                            label: reason.label(),
                            reason: reason.to_string(),
                        });
                    }
                }
            }
        }
        self.publish::<A>(idx, uuid, events, audience, modified)
            .await
    }

    /// Refuses a party in `parties` that is neither this party nor a peer of this node,
    /// naming the parties it knows.
    async fn check_known<'a>(
        &self,
        parties: impl IntoIterator<Item = &'a PartyId>,
    ) -> Result<(), CoopServiceError> {
        let (peers, _) = self.fed.members().await.map_err(internal)?;
        let peers: BTreeSet<PartyId> = peers.into_iter().map(|p| p.party_id).collect();
        let me = self.party();
        if let Some(party) = parties
            .into_iter()
            .find(|p| *p != me && !peers.contains(*p))
        {
            let mut known = vec![me.clone()];
            known.extend(peers.iter().cloned());
            return Err(CoopServiceError::UnknownParty {
                party: party.clone(),
                known,
            });
        }
        Ok(())
    }

    /// Refuses object ids of `ids` that no collection of this node holds.
    async fn check_held(&self, ids: &[String]) -> Result<(), CoopServiceError> {
        if ids.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let held = self
            .fed
            .store()
            .origins_and_held(&refs)
            .await
            .map_err(internal)?
            .held;
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !held.contains(id.as_str()))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(CoopServiceError::UnknownObjects(missing))
        }
    }

    fn actor(&self, who: &Principal) -> Result<Actor, CoopServiceError> {
        let Some(role) = who.role() else {
            return Err(CoopServiceError::NotAUser(who.actor()));
        };
        Ok(Actor::new(self.party().clone(), CoopRole::from(role)))
    }

    /// The actor of a write: refused before anything else unless the role may at least draft.
    fn writer(&self, who: &Principal, command: &'static str) -> Result<Actor, CoopServiceError> {
        let actor = self.actor(who)?;
        if !actor.role.may(Capability::Draft) {
            return Err(CoopError::RoleNotAllowed {
                role: actor.role,
                needed: Capability::Draft,
                command,
            }
            .into());
        }
        Ok(actor)
    }

    /// Decides `command` on record `id` as `actor` and publishes the events.
    async fn execute<A: Kind>(
        &self,
        actor: &Actor,
        id: &RecordId,
        command: A::Command,
    ) -> Result<Rebuilt<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        self.check_known(&A::parties_named(&command)).await?;
        self.check_held(&A::objects_named(&command)).await?;
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let current = self
            .rebuild::<A>(&mut idx, id)
            .ok_or_else(|| CoopServiceError::UnknownRecord(id.to_string()))?;
        let now = now_after(&current.record.meta().modified);
        let events = match current.record.decide(actor, command, &now) {
            Ok(events) => events,
            Err(CoopError::Tampered {
                expected,
                observed,
                holder,
                flag,
            }) => {
                // The mismatch stays on record: the flagged custody entry is published.
                if let Some(event) = A::flagged(&flag) {
                    let audience = current.record.audience();
                    self.publish::<A>(&mut idx, &crate::new_uuid(), vec![event], &audience, &now)
                        .await?;
                }
                return Err(CoopError::Tampered {
                    expected,
                    observed,
                    holder,
                    flag,
                }
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        let mut after = current.record.clone();
        for e in &events {
            after.apply(e);
        }
        // A party the command brings into the record (a request's new recipient) must be known.
        if let (Audience::Only(before), Audience::Only(now)) =
            (current.record.audience(), after.audience())
        {
            self.check_known(now.difference(&before)).await?;
        }
        let audience = after.audience_now();
        let uuid = crate::new_uuid();
        self.publish_checked::<A>(&mut idx, &uuid, events, &audience, &now)
            .await?;
        self.readdress(&mut idx, id, &audience).await?;
        let rebuilt = self
            .rebuild::<A>(&mut idx, id)
            .ok_or_else(|| internal("the record vanished"))?;
        // Never answer "done" for an act that does not count.
        let act = format!("{}--{uuid}", wire::EVENT_TYPE);
        if let Some(r) = rebuilt.refused.iter().find(|r| r.id == act) {
            return Err(CoopError::Superseded(r.error.to_string()).into());
        }
        Ok(rebuilt)
    }

    /// Stores a creating event of this party.
    async fn create<A: Kind>(
        &self,
        event: Event<A::Body>,
    ) -> Result<(RecordId, Rebuilt<A>), CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let record = A::from_created(&event)?;
        if let Audience::Only(parties) = record.audience() {
            self.check_known(&parties).await?;
        }
        let id = record.meta().id.clone();
        let at = event.at.clone();
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        self.publish_checked::<A>(
            &mut idx,
            &crate::new_uuid(),
            vec![event],
            &record.audience_now(),
            &at,
        )
        .await?;
        let rebuilt = self
            .rebuild::<A>(&mut idx, &id)
            .ok_or_else(|| internal("the new record does not replay"))?;
        Ok((id, rebuilt))
    }

    /// Opens a new record of kind `A` for `who` (a role that may at least draft `command`):
    /// `make` decides the creating event from the acting party, a fresh id, the time and the
    /// service's policies; it is published, and the record rebuilt from it.
    pub async fn open<A: Kind>(
        &self,
        who: &Principal,
        command: &'static str,
        make: impl FnOnce(&Actor, &str, &Timestamp, &CoopConfig) -> Result<Event<A::Body>, CoopError>,
    ) -> Result<Rebuilt<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let actor = self.writer(who, command)?;
        let now = now_after(&Timestamp::from_unix_micros(0));
        let event = make(&actor, &crate::new_uuid(), &now, &self.config())?;
        Ok(self.create::<A>(event).await?.1)
    }

    /// Decides `command` on record `id` of kind `A` for `who` (a role that may at least draft;
    /// the command's own capability is the domain's rule) and publishes the events.
    pub async fn act<A: Kind>(
        &self,
        who: &Principal,
        id: String,
        what: &'static str,
        command: A::Command,
    ) -> Result<Rebuilt<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let actor = self.writer(who, what)?;
        let id = record_id(id, A::RECORD_TYPE)?;
        self.execute::<A>(&actor, &id, command).await
    }

    /// Every record of kind `A`, for a user who may read them.
    pub async fn list<A: Kind>(&self, who: &Principal) -> Result<Vec<Rebuilt<A>>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        self.actor(who)?;
        self.all::<A>().await
    }

    /// Declares this party's hotline contact for `who`, or updates the one it has; whether it
    /// is new, and the record.
    pub async fn declare_contact(
        &self,
        who: &Principal,
        name: String,
        channel: Channel,
    ) -> Result<(bool, Rebuilt<HotlineContact>), CoopServiceError> {
        let actor = self.writer(who, "declare-hotline")?;
        let mine = self
            .all::<HotlineContact>()
            .await?
            .into_iter()
            .find(|r| &r.record.party == self.party());
        match mine {
            Some(r) => {
                let id = r.record.meta.id.clone();
                let command = ContactCommand::Update { name, channel };
                Ok((
                    false,
                    self.execute::<HotlineContact>(&actor, &id, command).await?,
                ))
            }
            None => {
                let now = now_after(&Timestamp::from_unix_micros(0));
                let event =
                    HotlineContact::declare(&actor, &crate::new_uuid(), name, channel, None, &now)?;
                Ok((true, self.create::<HotlineContact>(event).await?.1))
            }
        }
    }

    /// A record of kind `A` by its id, for a user who may read it (404 for another kind's id).
    pub async fn show_for<A: Kind>(
        &self,
        who: &Principal,
        id: String,
    ) -> Result<Rebuilt<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        self.actor(who)?;
        self.show::<A>(&record_id(id, A::RECORD_TYPE)?).await
    }

    async fn show<A: Kind>(&self, id: &RecordId) -> Result<Rebuilt<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        self.rebuild::<A>(&mut idx, id)
            .filter(|r| r.record.audience().includes(self.party()))
            .ok_or_else(|| CoopServiceError::UnknownRecord(id.to_string()))
    }

    async fn all<A: Kind>(&self) -> Result<Vec<Rebuilt<A>>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let mut out = Vec::new();
        for id in Self::ids_of(&idx, A::RECORD_TYPE) {
            if let Some(r) = self.rebuild::<A>(&mut idx, &id)
                && r.record.audience().includes(self.party())
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The records of one kind this party is in the audience of, as rebuilt here now.
    pub(crate) async fn records<A: Kind>(&self) -> Result<Vec<A>, CoopServiceError>
    where
        A::Body: PartialEq + std::fmt::Debug,
    {
        Ok(self
            .all::<A>()
            .await?
            .into_iter()
            .map(|r| r.record)
            .collect())
    }

    /// The assistance requests this party is in the audience of, as `GET /coop/requests`
    /// lists them (and the dashboard shows them), for a user who may read them.
    pub async fn request_list(&self, who: &Principal) -> Result<Vec<Value>, CoopServiceError> {
        self.actor(who)?;
        let all = self.all::<AssistanceRequest>().await?;
        Ok(all
            .iter()
            .map(|r| {
                let q = &r.record;
                json!({
                    "id": q.meta.id,
                    "kind": q.kind().as_str(),
                    "state": q.state,
                    "urgency": q.urgency,
                    "requester": q.requester,
                    "recipient": q.recipient,
                    "title": q.title,
                    "created": q.meta.created,
                    "deadline": q.deadline,
                })
            })
            .collect())
    }

    /// The disputes this party is in the audience of, as `GET /coop/disputes` lists them.
    pub async fn dispute_list(&self, who: &Principal) -> Result<Vec<Value>, CoopServiceError> {
        self.actor(who)?;
        let all = self.all::<Dispute>().await?;
        Ok(all
            .iter()
            .map(|r| {
                let d = &r.record;
                json!({
                    "id": d.meta.id,
                    "stage": d.stage,
                    "claimant": d.claimant,
                    "respondent": d.respondent,
                    "subject": d.subject,
                    "mediator": d.mediator,
                    "panel": d.panel,
                })
            })
            .collect())
    }

    // --- The clock --------------------------------------------------------------------------

    /// One round of the clock: timed events of this party's records, and re-addressing.
    pub async fn tick(&self) -> Result<(), CoopServiceError> {
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let me = self.party().clone();
        for id in Self::ids_of(&idx, RecordType::AssistanceRequest) {
            let Some(r) = self.rebuild::<AssistanceRequest>(&mut idx, &id) else {
                continue;
            };
            if r.record.requester != me {
                continue;
            }
            let now = now_after(&r.record.meta.modified);
            let due = [r.record.expire_due(&now), r.record.resend_due(&now)]
                .into_iter()
                .find(|e| !e.is_empty());
            if let Some(events) = due {
                let mut after = r.record.clone();
                events.iter().for_each(|e| after.apply(e));
                tracing::info!(record = %id, event = ?events[0].body, "cooperation clock");
                self.publish::<AssistanceRequest>(
                    &mut idx,
                    &crate::new_uuid(),
                    events,
                    &after.audience(),
                    &now,
                )
                .await?;
            }
        }
        for id in Self::ids_of(&idx, RecordType::Dispute) {
            let Some(r) = self.rebuild::<Dispute>(&mut idx, &id) else {
                continue;
            };
            let now = now_after(&r.record.meta.modified);
            if r.record.claimant == me {
                let events = r.record.overdue_due(&now);
                if !events.is_empty() {
                    self.publish::<Dispute>(
                        &mut idx,
                        &crate::new_uuid(),
                        events,
                        &r.record.audience(),
                        &now,
                    )
                    .await?;
                }
            }
            self.readdress(&mut idx, &id, &r.record.audience()).await?;
        }
        self.tick_pings(&mut idx).await
    }

    /// The pings' share of a clock round: this party's hotline answers the pings it receives
    /// while it has a declared contact, the pings it sent time out when due, and every
    /// `coop.ping_interval_secs` it pings each other party that declared a contact.
    async fn tick_pings(&self, idx: &mut Index) -> Result<(), CoopServiceError> {
        let me = self.party().clone();
        let actor = Actor::new(me.clone(), CoopRole::Liaison);
        let mut contacts = BTreeSet::new();
        for id in Self::ids_of(idx, RecordType::HotlineContact) {
            if let Some(r) = self.rebuild::<HotlineContact>(idx, &id) {
                contacts.insert(r.record.party);
            }
        }
        let mut last_sent: HashMap<PartyId, Timestamp> = HashMap::new();
        for id in Self::ids_of(idx, RecordType::HotlinePing) {
            let Some(r) = self.rebuild::<HotlinePing>(idx, &id) else {
                continue;
            };
            let ping = r.record;
            let now = now_after(&ping.meta.modified);
            if ping.sender == me {
                let last = last_sent
                    .entry(ping.party.clone())
                    .or_insert(ping.sent_at.clone());
                if ping.sent_at > *last {
                    *last = ping.sent_at.clone();
                }
                let events = ping.timeout_due(&now);
                if !events.is_empty() {
                    tracing::warn!(ping = %id, party = %ping.party, "hotline ping timed out");
                    self.publish::<HotlinePing>(
                        idx,
                        &crate::new_uuid(),
                        events,
                        &ping.audience(),
                        &now,
                    )
                    .await?;
                }
            } else if ping.party == me
                && ping.outcome == PingOutcome::Pending
                && contacts.contains(&me)
                && let Ok(events) = ping.decide(&actor, PingCommand::Answer, &now)
            {
                self.publish::<HotlinePing>(
                    idx,
                    &crate::new_uuid(),
                    events,
                    &ping.audience(),
                    &now,
                )
                .await?;
            }
        }
        let config = self.config();
        let every = config.ping_interval_secs;
        if every == 0 {
            return Ok(());
        }
        for party in contacts.into_iter().filter(|p| *p != me) {
            let since = last_sent
                .get(&party)
                .cloned()
                .unwrap_or_else(|| self.started.clone());
            let now = Timestamp::now();
            if now < pacific_coop::common::plus(&since, Duration::from_secs(every)) {
                continue;
            }
            let event =
                HotlinePing::send(&actor, &crate::new_uuid(), party, &now, &config.hotline)?;
            let ping = HotlinePing::from_created(&event)?;
            self.publish::<HotlinePing>(
                idx,
                &crate::new_uuid(),
                vec![event],
                &ping.audience(),
                &now,
            )
            .await?;
        }
        Ok(())
    }

    /// Publishes new versions of this party's own acts of a record whose audience grew, so
    /// that the newcomers (a mediator, a panel) receive the whole history.
    async fn readdress(
        &self,
        idx: &mut Index,
        id: &RecordId,
        audience: &Audience,
    ) -> Result<(), CoopServiceError> {
        let Audience::Only(parties) = audience else {
            return Ok(());
        };
        let me = self.party().clone();
        let stale: Vec<(String, Held)> = idx
            .records
            .get(id)
            .into_iter()
            .flat_map(|acts| acts.iter())
            .filter(|(_, h)| {
                h.origin == me
                    && h.recipients
                        .as_ref()
                        .is_some_and(|r| !r.is_superset(parties))
            })
            .map(|(a, h)| (a.clone(), h.clone()))
            .collect();
        for (act_id, h) in stale {
            let object = wire::to_stix(
                uuid_of(&act_id),
                &h.act,
                audience,
                None,
                &now_after(&h.modified),
            )?;
            let collection = idx.collection.clone().expect("synced");
            self.store.add_objects(&collection, &[object]).await?;
        }
        self.sync(idx).await
    }
}

/// The hotline's sector for an asset inventory's sector name (`telecom` is
/// telecommunications); `None` for `other` and unknown names.
fn sector_of(name: &str) -> Option<Sector> {
    match name {
        "telecom" => Some(Sector::Telecommunications),
        other => serde_json::from_value(json!(other)).ok(),
    }
}

impl Coop {
    /// The hotline alert of an incident matching raised on a critical-infrastructure asset: an
    /// `emergency` incident-assistance request from this party, drafted and sent at once (so
    /// escalated to the recipient's hotline and re-sent until acknowledged), with the incident
    /// and the indicator as evidence. It goes to `coop.incident_hotline_to` or else to the party
    /// that shared the indicator; a local indicator with no configured party raises none. One
    /// request per incident: an incident already in the evidence of one of this party's
    /// requests is not alerted again (also after a restart, or by [`Coop::sweep_incidents`]):
    /// the look-up and the alert hold the index's lock together. Returns the request, if any.
    pub async fn alert_incident(
        &self,
        event: &crate::matching::MatchEvent,
    ) -> Result<Option<RecordId>, CoopServiceError> {
        let Some(to) = self.alert_recipient(event) else {
            return Ok(None);
        };
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        match self.alerted_incidents(&mut idx).remove(event.incident_id()) {
            Some(Alert::Sent(id)) => Ok(Some(id)),
            Some(Alert::Drafted(id)) => self.send_alert(&mut idx, &id).await.map(|()| Some(id)),
            None => self.raise_alert(&mut idx, event, to).await.map(Some),
        }
    }

    /// Raises the hotline alert ([`Coop::alert_incident`]) of every incident in the
    /// `incidents` collection added within the last [`INCIDENT_SWEEP_DAYS`] that has none yet
    /// (stored while no listener ran, or missed by a lagging one); returns how many it raised.
    /// Under the index's lock throughout, so it never races a live alert. An incident whose
    /// alert fails is logged and left for the next sweep.
    pub async fn sweep_incidents(&self) -> Result<usize, CoopServiceError> {
        use crate::matching::MatchEvent;
        let Some(collection) =
            crate::find_collection(self.store.as_ref(), crate::matching::INCIDENTS_ALIAS).await?
        else {
            return Ok(0);
        };
        let window = i64::try_from(INCIDENT_SWEEP_DAYS * 86_400 * 1_000_000).unwrap_or(i64::MAX);
        let mut query = pacific_core::taxii::ObjectQuery::all(1000);
        query.types = vec!["incident".into()];
        query.added_after = Some(Timestamp::from_unix_micros(
            Timestamp::now().unix_micros().saturating_sub(window),
        ));
        // Oldest first (the store's insertion order), the latest version of each.
        let mut events = Vec::new();
        loop {
            let page = self
                .store
                .query_objects(&collection.id, &query, true)
                .await?;
            for v in &page.items {
                let value = serde_json::from_str::<Value>(&v.json).ok();
                match value.as_ref().and_then(MatchEvent::from_incident) {
                    Some(event) => events.push(event),
                    None => tracing::debug!(object = %v.id, "not an incident matching raised"),
                }
            }
            match page.next {
                Some(next) => query.next = Some(next),
                None => break,
            }
        }
        // Incidents written before they named their indicator's origin: its provenance.
        let unknown: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                MatchEvent::Incident {
                    indicator_id,
                    indicator_origin: None,
                    ..
                } => Some(indicator_id.as_str()),
                _ => None,
            })
            .collect();
        let origins = if unknown.is_empty() {
            HashMap::new()
        } else {
            self.fed
                .store()
                .origins_and_held(&unknown)
                .await
                .map_err(internal)?
                .origins
        };
        let me = self.party().clone();
        for event in &mut events {
            if let MatchEvent::Incident {
                indicator_id,
                indicator_origin: origin @ None,
                ..
            } = event
            {
                *origin = origins
                    .get(indicator_id.as_str())
                    .filter(|o| **o != me)
                    .map(|o| o.as_str().to_owned());
            }
        }
        let mut idx = self.index.lock().await;
        self.sync(&mut idx).await?;
        let mut alerted = self.alerted_incidents(&mut idx);
        let mut raised = 0;
        for event in &events {
            let sent = match alerted.get(event.incident_id()) {
                Some(Alert::Sent(_)) => continue,
                // Drafted, then the node stopped before sending it: send it now.
                Some(Alert::Drafted(id)) => {
                    let id = id.clone();
                    self.send_alert(&mut idx, &id).await.map(|()| id)
                }
                None => {
                    let Some(to) = self.alert_recipient(event) else {
                        continue;
                    };
                    self.raise_alert(&mut idx, event, to).await
                }
            };
            match sent {
                Ok(id) => {
                    alerted.insert(event.incident_id().to_owned(), Alert::Sent(id));
                    raised += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?event, "the hotline alert of a stored incident failed; the next sweep tries again")
                }
            }
        }
        Ok(raised)
    }

    /// Whom the alert of `event` goes to: `coop.incident_hotline_to`, else the indicator's
    /// origin; never this party.
    fn alert_recipient(&self, event: &crate::matching::MatchEvent) -> Option<PartyId> {
        let to = incident_alert_recipient(&self.config(), self.party(), event);
        if to.is_none() {
            tracing::debug!(incident = %event.incident_id(), "a local indicator's incident: no hotline alert");
        }
        to
    }

    /// Alerts ([`Coop::alert_incident`]) every incident stored in the `incidents` collection
    /// after `cursor` (a store `seq`), by this node's matching or by another process
    /// (`pacific match --record`), and moves `cursor` past what it read. An alert that fails
    /// is logged and left to the next sweep. Returns how many incidents it read.
    pub async fn alert_new_incidents(&self, cursor: &mut i64) -> Result<usize, CoopServiceError> {
        use crate::matching::MatchEvent;
        const PAGE: usize = 1000;
        let collection =
            crate::find_collection(self.store.as_ref(), crate::matching::INCIDENTS_ALIAS).await?;
        let mut read = 0;
        loop {
            let page = self
                .store
                .versions_of_types_after(&["incident"], *cursor, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            let last_seq = last.version.seq;
            for v in &page {
                if collection.as_ref().is_none_or(|c| c.id != v.collection_id) {
                    continue;
                }
                let value = serde_json::from_str::<Value>(&v.version.json).ok();
                let Some(event) = value.as_ref().and_then(MatchEvent::from_incident) else {
                    continue;
                };
                read += 1;
                if let Err(e) = self.alert_incident(&event).await {
                    tracing::warn!(error = %e, ?event, "the hotline alert of an incident failed; the next sweep tries again");
                }
            }
            *cursor = last_seq;
            if page.len() < PAGE {
                break;
            }
        }
        Ok(read)
    }

    /// The incidents this party already alerted: each id in the evidence of one of its
    /// assistance requests, with that request. An emergency request still in draft is an
    /// alert drafted but not sent (the node stopped in between).
    fn alerted_incidents(&self, idx: &mut Index) -> HashMap<String, Alert> {
        let me = self.party().clone();
        let mut alerted = HashMap::new();
        for id in Self::ids_of(idx, RecordType::AssistanceRequest) {
            if let Some(r) = self.rebuild::<AssistanceRequest>(idx, &id)
                && r.record.requester == me
            {
                let drafted = r.record.state == pacific_coop::request::RequestState::Draft
                    && r.record.urgency == pacific_coop::request::Urgency::Emergency;
                for e in &r.record.evidence_refs {
                    let alert = if drafted {
                        Alert::Drafted(id.clone())
                    } else {
                        Alert::Sent(id.clone())
                    };
                    match alerted.entry(e.clone()) {
                        std::collections::hash_map::Entry::Vacant(slot) => {
                            slot.insert(alert);
                        }
                        // One sent alert is enough, whatever else is drafted.
                        std::collections::hash_map::Entry::Occupied(mut slot) => {
                            if matches!(alert, Alert::Sent(_)) {
                                slot.insert(alert);
                            }
                        }
                    }
                }
            }
        }
        alerted
    }

    /// Drafts and sends the alert of `event` to `to` (the caller holds the index's lock and
    /// checked that the incident has none yet).
    async fn raise_alert(
        &self,
        idx: &mut Index,
        event: &crate::matching::MatchEvent,
        to: PartyId,
    ) -> Result<RecordId, CoopServiceError> {
        let crate::matching::MatchEvent::Incident {
            incident_id,
            asset,
            sector,
            indicator_id,
            value,
            day,
            ..
        } = event;
        let me = self.party().clone();
        let actor = Actor::new(me.clone(), CoopRole::Liaison);
        let spec: RequestSpec = serde_json::from_value(json!({
            "recipient": to,
            "urgency": "emergency",
            "title": format!("Incident on critical infrastructure: {asset} ({sector})"),
            "evidence_refs": [incident_id, indicator_id],
            "details": {
                "kind": "incident-assistance",
                "description": format!(
                    "{value} matched indicator {indicator_id} on {day}, on the asset {asset} ({sector} sector): incident {incident_id}"
                ),
                "sector": sector_of(sector),
                "affected_systems": asset,
                "assistance_sought": "what you know of this indicator and its infrastructure, and help to stop it",
            }
        }))
        .map_err(internal)?;
        let now = now_after(&Timestamp::from_unix_micros(0));
        let drafted = AssistanceRequest::draft(
            &actor,
            &crate::new_uuid(),
            spec,
            None,
            &now,
            &self.config().deadlines,
            &self.config().hotline,
        )?;
        let record = AssistanceRequest::from_created(&drafted)?;
        let id = record.meta.id.clone();
        self.publish::<AssistanceRequest>(
            idx,
            &crate::new_uuid(),
            vec![drafted],
            &record.audience_now(),
            &now,
        )
        .await?;
        self.send_alert(idx, &id).await?;
        tracing::warn!(request = %id, %to, incident = %incident_id, "incident on critical infrastructure: hotline alert sent");
        Ok(id)
    }

    /// Sends this party's drafted alert `id` to its recipient's hotline.
    async fn send_alert(&self, idx: &mut Index, id: &RecordId) -> Result<(), CoopServiceError> {
        let record = self
            .rebuild::<AssistanceRequest>(idx, id)
            .ok_or_else(|| internal(format!("the drafted alert {id} is not held")))?
            .record;
        let actor = Actor::new(self.party().clone(), CoopRole::Liaison);
        let now = now_after(&record.meta.modified);
        let events = record.decide(&actor, RequestCommand::Send, &now)?;
        let mut after = record;
        events.iter().for_each(|e| after.apply(e));
        let audience = after.audience_now();
        self.publish::<AssistanceRequest>(idx, &crate::new_uuid(), events, &audience, &now)
            .await?;
        self.readdress(idx, id, &audience).await
    }
}

/// An incident's alert: the assistance request naming it, sent or still a draft.
enum Alert {
    Sent(RecordId),
    Drafted(RecordId),
}

/// How far back [`Coop::sweep_incidents`] looks, in days of the incidents' storing: an alert
/// later than that would come too late to help, and the sweep stays a bounded read.
pub const INCIDENT_SWEEP_DAYS: u64 = 7;
/// How often [`spawn_incident_alerts`] sweeps besides at start: it picks up alerts that failed.
pub const INCIDENT_SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Whom the hotline alert of `event` goes to, for a party `me` with cooperation settings
/// `config`: `coop.incident_hotline_to`, else the party that shared the indicator; never `me`
/// (a local indicator's incident with no configured party raises no alert). What the node
/// does, and what `pacific match --record` tells its user.
pub fn incident_alert_recipient(
    config: &CoopConfig,
    me: &PartyId,
    event: &crate::matching::MatchEvent,
) -> Option<PartyId> {
    let crate::matching::MatchEvent::Incident {
        indicator_origin, ..
    } = event;
    config
        .incident_hotline_to
        .clone()
        .or_else(|| indicator_origin.as_deref().map(PartyId::from))
        .filter(|p| p != me)
}

/// Raises a hotline alert ([`Coop::alert_incident`]) for every incident stored while the node
/// serves, whoever stored it ([`Coop::alert_new_incidents`], woken by the store's changes), and
/// sweeps the stored incidents ([`Coop::sweep_incidents`]) at start and every
/// [`INCIDENT_SWEEP_EVERY`]. One task does both, so a sweep and a live alert never interleave.
pub fn spawn_incident_alerts(coop: Arc<Coop>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut changes = coop.store.changes();
        // Incidents stored up to now are the sweep's; those after, the follower's.
        let mut cursor = loop {
            match coop.fed.store().max_seq().await {
                Ok(seq) => break seq,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the store's position; incident alerts wait");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        // The first tick is immediate: the sweep at start runs before any new incident.
        let mut sweeps = tokio::time::interval(INCIDENT_SWEEP_EVERY);
        sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut why = "start";
        loop {
            tokio::select! {
                biased;
                _ = sweeps.tick() => {
                    sweep(&coop, why).await;
                    why = "periodic";
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if let Err(e) = coop.alert_new_incidents(&mut cursor).await {
                        tracing::warn!(error = %e, "cannot read new incidents; the next change or sweep tries again");
                    }
                }
            }
        }
    })
}

async fn sweep(coop: &Coop, why: &'static str) {
    match coop.sweep_incidents().await {
        Ok(0) => tracing::debug!(why, "incident sweep: every stored incident has its alert"),
        Ok(raised) => tracing::warn!(
            raised,
            why,
            "incident sweep: hotline alerts raised for stored incidents that had none"
        ),
        Err(e) => tracing::warn!(error = %e, why, "incident sweep failed"),
    }
}

/// Runs [`Coop::tick`] every `coop.tick_millis` while the node serves.
pub fn spawn_clock(coop: Arc<Coop>) -> tokio::task::JoinHandle<()> {
    let every = Duration::from_millis(coop.config().tick_millis.max(10));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = coop.tick().await {
                tracing::warn!(error = %e, "cooperation clock round failed");
            }
        }
    })
}

/// Whether objects of this STIX type are made only by this service, for a principal whose
/// role allows the command: a cooperation act or a record's STIX form. TAXII refuses to add or
/// delete them (a user could otherwise post an act the node replays as its party's own).
pub fn is_service_owned_type(type_name: &str) -> bool {
    type_name == wire::EVENT_TYPE || RecordType::ALL.iter().any(|t| t.type_name() == type_name)
}

/// A record id of type `t` (an id of another type is unknown here).
fn record_id(id: String, t: RecordType) -> Result<RecordId, CoopServiceError> {
    RecordId::try_from(id.clone())
        .ok()
        .filter(|r| r.record_type() == t)
        .ok_or(CoopServiceError::UnknownRecord(id))
}
