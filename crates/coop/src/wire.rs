//! Events between nodes: each **act** on a record (the events one command produced, or the
//! passing of time caused) is a small STIX object of the type `x-pacific-coop-event`, created
//! by the acting party's node.
//!
//! The federation lets a node publish versions of the objects it originated only, so a record
//! is never sent as a whole: every party publishes its own acts, and every node rebuilds the
//! record by replaying the acts it holds in order (by `created`, then `id`; [`replay_acts`]).
//! An act that arrives from a peer is **re-checked** before it counts ([`Admissible`]): it must
//! be made by the party it names (`by`, compared with the object's origin the node's
//! federation provenance gives), and it counts as a **command applied to the record as it
//! stands**: the command its first event names is decided again, as that party, on the state
//! the acts before it (in replay order) give, and must give that same first event; what the
//! command brings about on that state besides (the closing a last signature causes, the
//! decision a majority vote reaches) is what is applied, whatever the publishing node saw.
//! Acts by different parties that commute (two signatures of the same minutes, two messages,
//! two votes) therefore both count on every node, in any order of arrival, while an act made
//! on a state that no longer holds (a signature of minutes a concurrent proposal replaced, a
//! second proposal of the same version) does not, and is reported as refused
//! ([`Replayed::refused`]). Events the passing of time causes (an expiry,
//! a hotline re-send, an overdue stage) are published by one party only, the record's *clock
//! party* (the requester, the claimant), and must be what `expire_due` / `resend_due` /
//! `overdue_due` give at their time.
//!
//! An act is TLP:AMBER and names the record's audience in `x_pacific_recipients` (TLP:GREEN
//! without recipients for a hotline contact, which is for the whole federation), so the policy
//! gate sends it to those parties only and no one passes it on.

use pacific_core::policy::PartyId;
use pacific_core::tlp::{TLP2_AMBER, TLP2_GREEN};
use pacific_core::{StixObject, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::actor::{Actor, CoopRole};
use crate::common::{Aggregate, Audience, Event, RecordId, RecordType};
use crate::consultation::{Consultation, ConsultationCommand, ConsultationEventKind};
use crate::dispute::{Dispute, DisputeCommand, DisputeEventKind};
use crate::error::CoopError;
use crate::hotline::{
    ContactCommand, ContactEventKind, HotlineContact, HotlinePing, PingCommand, PingEventKind,
};
use crate::request::{AssistanceRequest, RequestCommand, RequestEventKind, check_spec};
use crate::stix::{DEFINITIONS_CREATED, DEFINITIONS_VERSION, PACIFIC_IDENTITY_ID};

/// The STIX type of an act.
pub const EVENT_TYPE: &str = "x-pacific-coop-event";
/// The id of the `extension-definition` of [`EVENT_TYPE`]. Fixed forever.
pub const EVENT_EXTENSION_ID: &str = "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e06";

/// The JSON Schema of [`EVENT_TYPE`], as published in `crates/coop/schemas/`.
pub fn event_schema() -> &'static str {
    include_str!("../schemas/x-pacific-coop-event.json")
}

/// The `extension-definition` (`new-sdo`) of [`EVENT_TYPE`], carrying its schema.
pub fn event_extension_definition() -> StixObject {
    StixObject::from_value(json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EVENT_EXTENSION_ID,
        "created_by_ref": PACIFIC_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "Pacific cooperation event",
        "description": "One act on a Pacific cooperation record (the events one command produced), published by the acting party's node and re-checked by every node that replays the record.",
        "schema": event_schema(),
        "version": DEFINITIONS_VERSION,
        "extension_types": ["new-sdo"],
    }))
    .expect("the event extension definition is valid STIX")
}

/// The events of one act, typed by the record they belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Act {
    Request(Vec<Event<RequestEventKind>>),
    Dispute(Vec<Event<DisputeEventKind>>),
    Contact(Vec<Event<ContactEventKind>>),
    Consultation(Vec<Event<ConsultationEventKind>>),
    Ping(Vec<Event<PingEventKind>>),
}

fn first_of<B>(e: &[Event<B>]) -> Option<(&Timestamp, &RecordId)> {
    e.first().map(|e| (&e.at, &e.record))
}

fn all_of<B>(e: &[Event<B>], record: &RecordId) -> bool {
    !e.is_empty() && e.iter().all(|e| &e.record == record)
}

impl Act {
    /// The time and record of the act's first event.
    fn first(&self) -> Option<(&Timestamp, &RecordId)> {
        match self {
            Act::Request(e) => first_of(e),
            Act::Dispute(e) => first_of(e),
            Act::Contact(e) => first_of(e),
            Act::Consultation(e) => first_of(e),
            Act::Ping(e) => first_of(e),
        }
    }

    fn first_at(&self) -> Option<&Timestamp> {
        self.first().map(|(at, _)| at)
    }

    fn all_of(&self, record: &RecordId) -> bool {
        match self {
            Act::Request(e) => all_of(e, record),
            Act::Dispute(e) => all_of(e, record),
            Act::Contact(e) => all_of(e, record),
            Act::Consultation(e) => all_of(e, record),
            Act::Ping(e) => all_of(e, record),
        }
    }
}

/// An act as published: its object id, the record, when it happened and its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// `x-pacific-coop-event--<uuid>`.
    pub id: String,
    pub record: RecordId,
    /// When the act happened (the object's `created`, the events' `at`).
    pub at: Timestamp,
    /// The object's `modified` (later than `at` once re-addressed).
    pub modified: Timestamp,
    pub act: Act,
}

fn stix_err(reason: impl Into<String>) -> CoopError {
    CoopError::Stix {
        record: EVENT_TYPE,
        reason: reason.into(),
    }
}

/// The STIX object of an act: `uuid` names it, `audience` addresses it, `modified` is its
/// version (its time, or later when it is re-addressed to a grown audience).
pub fn to_stix(
    uuid: &str,
    act: &Act,
    audience: &Audience,
    created_by_ref: Option<&str>,
    modified: &Timestamp,
) -> Result<StixObject, CoopError> {
    let record = act
        .first()
        .map(|(_, r)| r)
        .ok_or_else(|| stix_err("an act has at least one event"))?
        .clone();
    if !act.all_of(&record) {
        return Err(stix_err("every event of an act is of the same record"));
    }
    let at = act.first_at().expect("checked above").clone();
    let modified = if *modified < at { &at } else { modified };
    let mut map = Map::new();
    map.insert("type".into(), json!(EVENT_TYPE));
    map.insert("spec_version".into(), json!("2.1"));
    map.insert("id".into(), json!(format!("{EVENT_TYPE}--{uuid}")));
    map.insert("created".into(), json!(at));
    map.insert("modified".into(), json!(modified));
    if let Some(r) = created_by_ref {
        map.insert("created_by_ref".into(), json!(r));
    }
    map.insert("record_ref".into(), json!(record));
    map.insert(
        "events".into(),
        serde_json::to_value(act).map_err(|e| stix_err(e.to_string()))?,
    );
    match audience {
        Audience::Only(parties) => {
            map.insert("object_marking_refs".into(), json!([TLP2_AMBER]));
            map.insert("x_pacific_recipients".into(), json!(parties));
        }
        Audience::Federation => {
            map.insert("object_marking_refs".into(), json!([TLP2_GREEN]));
        }
    }
    map.insert(
        "extensions".into(),
        json!({ EVENT_EXTENSION_ID: {"extension_type": "new-sdo"} }),
    );
    StixObject::from_map(map).map_err(|e| stix_err(e.to_string()))
}

fn events_of<B: DeserializeOwned>(v: &Value) -> Result<Vec<Event<B>>, CoopError> {
    serde_json::from_value(v.clone()).map_err(|e| stix_err(format!("events: {e}")))
}

/// The act an `x-pacific-coop-event` object holds.
pub fn from_stix(object: &StixObject) -> Result<Published, CoopError> {
    if object.type_name() != EVENT_TYPE {
        return Err(stix_err(format!("type is {:?}", object.type_name())));
    }
    let ext = object
        .get("extensions")
        .and_then(|e| e.get(EVENT_EXTENSION_ID))
        .and_then(|e| e.get("extension_type"))
        .and_then(Value::as_str);
    if ext != Some("new-sdo") {
        return Err(stix_err(format!(
            "extensions must name {EVENT_EXTENSION_ID} as new-sdo"
        )));
    }
    let record: RecordId = object
        .get("record_ref")
        .and_then(Value::as_str)
        .ok_or_else(|| stix_err("record_ref is missing"))?
        .to_owned()
        .try_into()?;
    let events = object
        .get("events")
        .ok_or_else(|| stix_err("events is missing"))?;
    let act = match record.record_type() {
        RecordType::AssistanceRequest => Act::Request(events_of(events)?),
        RecordType::Dispute => Act::Dispute(events_of(events)?),
        RecordType::HotlineContact => Act::Contact(events_of(events)?),
        RecordType::Consultation => Act::Consultation(events_of(events)?),
        RecordType::HotlinePing => Act::Ping(events_of(events)?),
    };
    if !act.all_of(&record) {
        return Err(stix_err("every event of an act is of its record_ref"));
    }
    let at = object
        .created()
        .ok_or_else(|| stix_err("created is missing"))?
        .clone();
    if act.first_at() != Some(&at) {
        return Err(stix_err("created is not the time of the act"));
    }
    Ok(Published {
        id: object.id().to_owned(),
        record,
        modified: object.modified().cloned().unwrap_or_else(|| at.clone()),
        at,
        act,
    })
}

/// A record whose acts can be re-checked on another party's node.
pub trait Admissible: Aggregate + Clone {
    /// The command that would have produced `event` (`None` for creation and for events the
    /// passing of time causes).
    fn command_of(event: &Event<Self::Body>) -> Option<Self::Command>;

    /// Checks a creating event: made by `origin`, for `origin`, with acceptable content.
    fn check_created(event: &Event<Self::Body>, origin: &PartyId) -> Result<(), CoopError>;

    /// The party whose node publishes the events the passing of time causes.
    fn clock_party(&self) -> &PartyId;

    /// The alternatives of events the passing of time causes at `at`.
    fn clock_events(&self, at: &Timestamp) -> Vec<Vec<Event<Self::Body>>>;

    /// Whether `events`, published by `origin`, may follow `state` (`None`: they create it).
    fn admissible(
        state: Option<&Self>,
        events: &[Event<Self::Body>],
        origin: &PartyId,
    ) -> Result<(), CoopError>
    where
        Self::Body: PartialEq + std::fmt::Debug,
    {
        Self::admit(state, events, origin).map(|_| ())
    }

    /// The events that count when `events`, published by `origin`, follow `state` (`None`:
    /// they create it). A creation, a timed event and a flagged custody record count as
    /// published. A party's act counts as its command decided on `state`: the command's own
    /// event (the act's first) must be what deciding gives, and the events returned are the
    /// ones deciding gives on `state`, so what the command brings about follows the record as
    /// it stands, not the state the publishing node saw.
    fn admit(
        state: Option<&Self>,
        events: &[Event<Self::Body>],
        origin: &PartyId,
    ) -> Result<Vec<Event<Self::Body>>, CoopError>
    where
        Self::Body: PartialEq + std::fmt::Debug,
    {
        let bad = |why: String| Err(CoopError::BadEvent(why));
        let Some(first) = events.first() else {
            return bad("an act without events".into());
        };
        let Some(state) = state else {
            if events.len() != 1 {
                return bad("a record is created by one event".into());
            }
            if first.by.as_ref() != Some(origin) {
                return bad(format!(
                    "the creating event names {}, but {origin} published it",
                    first
                        .by
                        .as_ref()
                        .map_or_else(|| "no party".to_owned(), |p| p.to_string())
                ));
            }
            Self::from_created(first)?;
            Self::check_created(first, origin)?;
            return Ok(events.to_vec());
        };
        match &first.by {
            None => {
                if origin != state.clock_party() {
                    return bad(format!(
                        "{origin} published a timed event; only {} does",
                        state.clock_party()
                    ));
                }
                if state.clock_events(&first.at).iter().any(|a| a == events) {
                    Ok(events.to_vec())
                } else {
                    bad("a timed event that is not due at its time".into())
                }
            }
            Some(by) if by != origin => bad(format!(
                "an event by {by} published by {origin}: a party publishes its own acts only"
            )),
            Some(_) => {
                let command = Self::command_of(first)
                    .ok_or_else(|| CoopError::BadEvent("an event no command gives".into()))?;
                let actor = Actor::new(origin.clone(), CoopRole::Liaison);
                match state.decide(&actor, command, &first.at) {
                    Ok(decided) if decided.first() == Some(first) => Ok(decided),
                    Ok(_) => Err(CoopError::Superseded(
                        "on the record as it stands the same command gives another event".into(),
                    )),
                    Err(CoopError::Tampered { flag, .. }) => {
                        Self::tampered_flag(&flag, events).map(|()| events.to_vec())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Whether a refused custody record's flagged event is exactly `events` (requests only).
    fn tampered_flag(
        _flag: &crate::request::RequestEvent,
        _events: &[Event<Self::Body>],
    ) -> Result<(), CoopError> {
        Err(CoopError::BadEvent("not a record with custody".into()))
    }
}

/// One act as the node holds it: its object id, who published it (its origin) and its events.
#[derive(Clone, Debug)]
pub struct HeldAct<B> {
    pub id: String,
    pub origin: PartyId,
    pub events: Vec<Event<B>>,
}

/// What [`replay_acts`] rebuilt: the record (if its creation was admissible) and the acts
/// that did not count, with why.
#[derive(Clone, Debug)]
pub struct Replayed<A> {
    pub record: Option<A>,
    pub refused: Vec<(String, CoopError)>,
}

/// Rebuilds a record from its acts, in order (by the time of their first event, then object
/// id: a total order every node computes alike), applying only those that are admissible on
/// the state before them, each as [`Admissible::admit`] says. The same set of acts gives the
/// same record and the same refusals whatever order they arrived in.
pub fn replay_acts<A>(acts: &mut [HeldAct<A::Body>]) -> Replayed<A>
where
    A: Admissible,
    A::Body: PartialEq + std::fmt::Debug,
{
    acts.sort_by(|a, b| {
        let at = |h: &HeldAct<A::Body>| h.events.first().map(|e| e.at.clone());
        at(a).cmp(&at(b)).then_with(|| a.id.cmp(&b.id))
    });
    let mut record: Option<A> = None;
    let mut refused = Vec::new();
    for act in acts.iter() {
        match A::admit(record.as_ref(), &act.events, &act.origin) {
            Ok(events) => match &mut record {
                None => match A::from_created(&events[0]) {
                    Ok(r) => record = Some(r),
                    Err(e) => refused.push((act.id.clone(), e)),
                },
                Some(r) => events.iter().for_each(|e| r.apply(e)),
            },
            Err(e) => refused.push((act.id.clone(), e)),
        }
    }
    Replayed { record, refused }
}

// --- Requests --------------------------------------------------------------------------------

impl Admissible for AssistanceRequest {
    fn command_of(event: &Event<RequestEventKind>) -> Option<RequestCommand> {
        use RequestCommand as C;
        use RequestEventKind as E;
        Some(match &event.body {
            E::Drafted { .. } | E::Expired { .. } | E::HotlineResent { .. } => return None,
            E::Updated { spec } => C::Update(spec.clone()),
            E::Sent { .. } => C::Send,
            E::Acknowledged => C::Acknowledge,
            E::Started => C::Start,
            E::InformationRequested { question } => C::AskForInformation {
                question: question.clone(),
            },
            E::InformationProvided { text, attachments } => C::ProvideInformation {
                text: text.clone(),
                attachments: attachments.clone(),
            },
            E::Answered { answer } => C::Answer(answer.clone()),
            E::Declined { decline } => C::Decline {
                ground: decline.ground,
                reason: decline.reason.clone(),
            },
            E::Withdrawn { reason } => C::Withdraw {
                reason: reason.clone(),
            },
            E::CustodyRecorded { entry } => C::RecordCustody {
                attachment: entry.attachment.clone(),
                observed_sha256: entry.observed_sha256.clone(),
                observed_size: entry.observed_size,
            },
            E::PreservationExtended { until } => C::ExtendPreservation {
                until: until.clone(),
            },
        })
    }

    fn check_created(event: &Event<RequestEventKind>, origin: &PartyId) -> Result<(), CoopError> {
        let RequestEventKind::Drafted {
            requester, spec, ..
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a request starts with `drafted`".into(),
            ));
        };
        if requester != origin {
            return Err(CoopError::BadEvent(format!(
                "{origin} drafted a request for {requester}"
            )));
        }
        check_spec(spec, requester, &event.at)
    }

    fn clock_party(&self) -> &PartyId {
        &self.requester
    }

    fn clock_events(&self, at: &Timestamp) -> Vec<Vec<Event<RequestEventKind>>> {
        vec![self.expire_due(at), self.resend_due(at)]
    }

    fn tampered_flag(
        flag: &crate::request::RequestEvent,
        events: &[Event<RequestEventKind>],
    ) -> Result<(), CoopError> {
        if std::slice::from_ref(flag) == events {
            Ok(())
        } else {
            Err(CoopError::BadEvent(
                "a flagged custody event that differs from the observation".into(),
            ))
        }
    }
}

// --- Disputes --------------------------------------------------------------------------------

impl Admissible for Dispute {
    fn command_of(event: &Event<DisputeEventKind>) -> Option<DisputeCommand> {
        use DisputeCommand as C;
        use DisputeEventKind as E;
        Some(match &event.body {
            E::Opened { .. } | E::Decided { .. } | E::StageOverdue { .. } => return None,
            E::ClaimAdded {
                text,
                evidence_refs,
            } => C::AddClaim {
                text: text.clone(),
                evidence_refs: evidence_refs.clone(),
            },
            E::MediatorProposed { mediator } => C::ProposeMediator {
                mediator: mediator.clone(),
            },
            E::MediationStarted { .. } => C::AcceptMediator,
            E::PanelProposed { members } => C::ProposePanel {
                members: members.clone(),
            },
            E::ArbitrationStarted { .. } => C::AcceptPanel,
            E::Voted { finding, reasons } => C::Vote {
                finding: *finding,
                reasons: reasons.clone(),
            },
            E::SettlementProposed { terms } => C::ProposeSettlement {
                terms: terms.clone(),
            },
            E::Settled { .. } => C::AcceptSettlement,
        })
    }

    fn check_created(event: &Event<DisputeEventKind>, origin: &PartyId) -> Result<(), CoopError> {
        let DisputeEventKind::Opened {
            respondent,
            subject,
            claim,
            time_boxes,
            created_by_ref,
            ..
        } = &event.body
        else {
            return Err(CoopError::BadEvent("a dispute starts with `opened`".into()));
        };
        let uuid = event.record.as_str().split_once("--").map(|(_, u)| u);
        let expected = Dispute::open(
            &Actor::new(origin.clone(), CoopRole::Liaison),
            uuid.unwrap_or_default(),
            respondent.clone(),
            subject.clone(),
            claim.text.clone(),
            claim.evidence_refs.clone(),
            time_boxes,
            created_by_ref.clone(),
            &event.at,
        )?;
        if &expected == event {
            Ok(())
        } else {
            Err(CoopError::BadEvent(format!(
                "{origin} did not open this dispute as it says"
            )))
        }
    }

    fn clock_party(&self) -> &PartyId {
        &self.claimant
    }

    fn clock_events(&self, at: &Timestamp) -> Vec<Vec<Event<DisputeEventKind>>> {
        vec![self.overdue_due(at)]
    }
}

// --- Hotline contacts ------------------------------------------------------------------------

impl Admissible for HotlineContact {
    fn command_of(event: &Event<ContactEventKind>) -> Option<ContactCommand> {
        match &event.body {
            ContactEventKind::Declared { .. } => None,
            ContactEventKind::Updated { name, channel } => Some(ContactCommand::Update {
                name: name.clone(),
                channel: channel.clone(),
            }),
        }
    }

    fn check_created(event: &Event<ContactEventKind>, origin: &PartyId) -> Result<(), CoopError> {
        let ContactEventKind::Declared {
            name,
            channel,
            created_by_ref,
            ..
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a contact starts with `declared`".into(),
            ));
        };
        let uuid = event.record.as_str().split_once("--").map(|(_, u)| u);
        let expected = HotlineContact::declare(
            &Actor::new(origin.clone(), CoopRole::Liaison),
            uuid.unwrap_or_default(),
            name.clone(),
            channel.clone(),
            created_by_ref.clone(),
            &event.at,
        )?;
        if &expected == event {
            Ok(())
        } else {
            Err(CoopError::BadEvent(format!(
                "{origin} declared a contact for another party"
            )))
        }
    }

    fn clock_party(&self) -> &PartyId {
        &self.party
    }

    fn clock_events(&self, _at: &Timestamp) -> Vec<Vec<Event<ContactEventKind>>> {
        Vec::new()
    }
}

// --- Consultations ---------------------------------------------------------------------------

impl Admissible for Consultation {
    fn command_of(event: &Event<ConsultationEventKind>) -> Option<ConsultationCommand> {
        use ConsultationCommand as C;
        use ConsultationEventKind as E;
        Some(match &event.body {
            E::Opened { .. } | E::Closed => return None,
            E::AgendaItemAdded { item } => C::AddAgendaItem { item: item.clone() },
            E::MessagePosted { text, object_refs } => C::Post {
                text: text.clone(),
                object_refs: object_refs.clone(),
            },
            E::ObjectsAttached { object_refs } => C::AttachObjects {
                object_refs: object_refs.clone(),
            },
            E::MinutesProposed { text, .. } => C::ProposeMinutes { text: text.clone() },
            E::MinutesSigned { version } => C::SignMinutes { version: *version },
        })
    }

    fn check_created(
        event: &Event<ConsultationEventKind>,
        origin: &PartyId,
    ) -> Result<(), CoopError> {
        let ConsultationEventKind::Opened {
            topic,
            participants,
            agenda,
            created_by_ref,
            ..
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a consultation starts with `opened`".into(),
            ));
        };
        let uuid = event.record.as_str().split_once("--").map(|(_, u)| u);
        let expected = Consultation::open(
            &Actor::new(origin.clone(), CoopRole::Liaison),
            uuid.unwrap_or_default(),
            topic.clone(),
            participants.clone(),
            agenda.clone(),
            created_by_ref.clone(),
            &event.at,
        )?;
        if &expected == event {
            Ok(())
        } else {
            Err(CoopError::BadEvent(format!(
                "{origin} did not convene this consultation as it says"
            )))
        }
    }

    fn clock_party(&self) -> &PartyId {
        &self.convener
    }

    /// Nothing happens to a consultation by the passing of time.
    fn clock_events(&self, _at: &Timestamp) -> Vec<Vec<Event<ConsultationEventKind>>> {
        Vec::new()
    }
}

// --- Hotline pings ---------------------------------------------------------------------------

impl Admissible for HotlinePing {
    fn command_of(event: &Event<PingEventKind>) -> Option<PingCommand> {
        match &event.body {
            PingEventKind::Answered => Some(PingCommand::Answer),
            PingEventKind::Sent { .. } | PingEventKind::TimedOut => None,
        }
    }

    fn check_created(event: &Event<PingEventKind>, origin: &PartyId) -> Result<(), CoopError> {
        let PingEventKind::Sent {
            sender,
            party,
            timeout_at,
        } = &event.body
        else {
            return Err(CoopError::BadEvent("a ping starts with `sent`".into()));
        };
        if sender != origin || party == origin {
            return Err(CoopError::BadEvent(format!(
                "{origin} sent a ping from {sender} to {party}"
            )));
        }
        if *timeout_at <= event.at {
            return Err(CoopError::BadEvent(
                "a ping times out after it is sent".into(),
            ));
        }
        Ok(())
    }

    /// The sender publishes the time-out.
    fn clock_party(&self) -> &PartyId {
        &self.sender
    }

    fn clock_events(&self, at: &Timestamp) -> Vec<Vec<Event<PingEventKind>>> {
        vec![self.timeout_due(at)]
    }
}
