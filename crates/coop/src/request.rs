//! Assistance requests between authorities (`x-pacific-assistance-request`).
//!
//! A request has a kind with its own mandatory fields ([`RequestKind`]), a requester and a
//! recipient, an urgency, deadlines derived from the kind and urgency ([`DeadlinePolicy`]),
//! evidence (STIX references) and attachments under chain of custody ([`CustodyEntry`]).
//!
//! ```text
//! draft ─send→ sent ─acknowledge→ acknowledged ─start→ in-progress ─answer→ answered | partially-answered
//!                                                     in-progress ⇄ needs-more-information
//! sent | acknowledged | in-progress | needs-more-information ─decline→ declined (with a ground)
//! draft | sent | acknowledged | in-progress | needs-more-information ─withdraw→ withdrawn
//! sent | acknowledged | in-progress | needs-more-information ─deadline passes→ expired
//! ```
//! Only the requester sends, updates, provides information and withdraws; only the recipient
//! acknowledges, starts, asks for information, answers, declines and extends a preservation.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Capability};
use crate::common::{
    Aggregate, Audience, Event, RecordId, RecordMeta, RecordType, Sha256Hex, blank, check_stix_ref,
    elapsed, plus,
};
use crate::deadline::DeadlinePolicy;
use crate::error::CoopError;
use crate::hotline::{Escalation, HotlinePolicy, Sector, needs_hotline};

/// How fast the requester needs an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    Routine,
    Urgent,
    Emergency,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Routine, Urgency::Urgent, Urgency::Emergency];
}

/// The kinds of request, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindName {
    Preservation,
    Disclosure,
    Takedown,
    IncidentAssistance,
    Information,
}

impl KindName {
    pub const ALL: [KindName; 5] = [
        KindName::Preservation,
        KindName::Disclosure,
        KindName::Takedown,
        KindName::IncidentAssistance,
        KindName::Information,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KindName::Preservation => "preservation",
            KindName::Disclosure => "disclosure",
            KindName::Takedown => "takedown",
            KindName::IncidentAssistance => "incident-assistance",
            KindName::Information => "information",
        }
    }
}

/// Expedited preservation of stored computer data (Budapest Convention Art. 29(2)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preservation {
    /// (a) the authority seeking the preservation.
    pub requesting_authority: String,
    /// (b) the offence under investigation …
    pub offence: String,
    /// … and a brief summary of the related facts.
    pub summary_of_facts: String,
    /// (c) the stored computer data to be preserved …
    pub data_sought: String,
    /// … and its relationship to the offence.
    pub link_to_offence: String,
    /// (d) any available information identifying the custodian or the location of the system.
    pub custodian_or_location: String,
    /// (e) the necessity of the preservation.
    pub necessity: String,
    /// (f) that the requester intends to submit a request for mutual assistance.
    pub mla_intent: bool,
}

/// The categories of data a disclosure may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataCategory {
    Subscriber,
    Traffic,
    Content,
}

/// Disclosure of subscriber, traffic or content data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Disclosure {
    pub requesting_authority: String,
    pub offence: String,
    pub summary_of_facts: String,
    /// The legal basis the request rests on (treaty, article, national law).
    pub legal_basis: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_categories: Vec<DataCategory>,
    /// The accounts, addresses or identifiers the data is about.
    pub data_sought: String,
}

/// What a takedown or mitigation targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TakedownTarget {
    BotnetC2,
    PhishingSite,
    MaliciousInfrastructure,
}

/// Takedown or mitigation of malicious infrastructure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Takedown {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type: Option<TakedownTarget>,
    /// Domains, addresses, URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Takedown, sinkholing, blocking …
    pub requested_action: String,
    pub justification: String,
}

/// Assistance with an incident in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentAssistance {
    pub description: String,
    /// The critical-infrastructure sector hit, if any (which sends the request to the hotline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<Sector>,
    pub affected_systems: String,
    pub assistance_sought: String,
}

/// A question between authorities.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Information {
    pub question: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub context: String,
}

/// How a request's hotline escalation stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EscalationStatus {
    /// Pushed and not yet acknowledged: the clock runs.
    Open { unacknowledged_for: Duration },
    /// Acknowledged at `at`, `after` the first push.
    Acknowledged { at: Timestamp, after: Duration },
    /// Never acknowledged: the request closed (withdrawn, expired, answered, declined) at
    /// `at`, `after` the first push. The clock stopped there.
    Ended {
        state: RequestState,
        at: Timestamp,
        after: Duration,
    },
}

/// A request's kind with its kind-specific fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RequestKind {
    Preservation(Preservation),
    Disclosure(Disclosure),
    Takedown(Takedown),
    IncidentAssistance(IncidentAssistance),
    Information(Information),
}

impl RequestKind {
    pub fn name(&self) -> KindName {
        match self {
            RequestKind::Preservation(_) => KindName::Preservation,
            RequestKind::Disclosure(_) => KindName::Disclosure,
            RequestKind::Takedown(_) => KindName::Takedown,
            RequestKind::IncidentAssistance(_) => KindName::IncidentAssistance,
            RequestKind::Information(_) => KindName::Information,
        }
    }

    /// The critical-infrastructure sector of an incident-assistance request.
    pub fn sector(&self) -> Option<Sector> {
        match self {
            RequestKind::IncidentAssistance(i) => i.sector,
            _ => None,
        }
    }

    /// The mandatory fields that are missing or blank, by name.
    pub fn missing_fields(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        let mut text = |name, s: &str| {
            if blank(s) {
                m.push(name)
            }
        };
        match self {
            RequestKind::Preservation(p) => {
                text("requesting_authority", &p.requesting_authority);
                text("offence", &p.offence);
                text("summary_of_facts", &p.summary_of_facts);
                text("data_sought", &p.data_sought);
                text("link_to_offence", &p.link_to_offence);
                text("custodian_or_location", &p.custodian_or_location);
                text("necessity", &p.necessity);
                if !p.mla_intent {
                    m.push("mla_intent");
                }
            }
            RequestKind::Disclosure(d) => {
                text("requesting_authority", &d.requesting_authority);
                text("offence", &d.offence);
                text("summary_of_facts", &d.summary_of_facts);
                text("legal_basis", &d.legal_basis);
                text("data_sought", &d.data_sought);
                if d.data_categories.is_empty() {
                    m.push("data_categories");
                }
            }
            RequestKind::Takedown(t) => {
                text("requested_action", &t.requested_action);
                text("justification", &t.justification);
                if t.target_type.is_none() {
                    m.push("target_type");
                }
                if t.targets.iter().all(|s| blank(s)) {
                    m.push("targets");
                }
            }
            RequestKind::IncidentAssistance(i) => {
                text("description", &i.description);
                text("affected_systems", &i.affected_systems);
                text("assistance_sought", &i.assistance_sought);
            }
            RequestKind::Information(i) => text("question", &i.question),
        }
        m
    }
}

/// A file sent with a request, an answer or more information, named by its SHA-256 and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub sha256: Sha256Hex,
    pub size: u64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// One hand-over in the chain of custody: who held which attachment, when, and the digest
/// they observed. `intact` is false when the observation differs from the recorded digest
/// or size (a flagged entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyEntry {
    pub attachment: Sha256Hex,
    pub holder: PartyId,
    pub at: Timestamp,
    pub observed_sha256: Sha256Hex,
    pub observed_size: u64,
    pub intact: bool,
}

/// What the requester writes in a draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub recipient: PartyId,
    pub urgency: Urgency,
    pub title: String,
    pub details: RequestKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// A deadline the requester sets, earlier or later than the policy's; `None` for the
    /// policy's deadline from the time of sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_deadline: Option<Timestamp>,
}

/// The state of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    Draft,
    Sent,
    Acknowledged,
    InProgress,
    NeedsMoreInformation,
    Answered,
    PartiallyAnswered,
    Declined,
    Withdrawn,
    Expired,
}

impl RequestState {
    pub const ALL: [RequestState; 10] = [
        RequestState::Draft,
        RequestState::Sent,
        RequestState::Acknowledged,
        RequestState::InProgress,
        RequestState::NeedsMoreInformation,
        RequestState::Answered,
        RequestState::PartiallyAnswered,
        RequestState::Declined,
        RequestState::Withdrawn,
        RequestState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Sent => "sent",
            RequestState::Acknowledged => "acknowledged",
            RequestState::InProgress => "in-progress",
            RequestState::NeedsMoreInformation => "needs-more-information",
            RequestState::Answered => "answered",
            RequestState::PartiallyAnswered => "partially-answered",
            RequestState::Declined => "declined",
            RequestState::Withdrawn => "withdrawn",
            RequestState::Expired => "expired",
        }
    }

    /// Sent and not yet finished: the deadline runs.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Sent
                | RequestState::Acknowledged
                | RequestState::InProgress
                | RequestState::NeedsMoreInformation
        )
    }

    /// Finished: nothing changes the state any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequestState::Answered
                | RequestState::PartiallyAnswered
                | RequestState::Declined
                | RequestState::Withdrawn
                | RequestState::Expired
        )
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a recipient declines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclineGround {
    /// A political offence or one connected with it (Budapest Art. 27(4)(a), 29(5)(a)).
    PoliticalOffence,
    /// Prejudice to sovereignty, security, ordre public or other essential interests
    /// (Art. 27(4)(b), 29(5)(b)).
    SovereigntySecurityOrdrePublic,
    /// The request does not say enough to act on.
    InsufficientInformation,
    /// The conduct is not an offence in the recipient's jurisdiction, where that is required.
    DualCriminality,
    /// The recipient is not the competent authority.
    NotCompetent,
    /// Any other ground; the reason must say which.
    Other,
}

/// Whether an answer gives all that was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Completeness {
    Full,
    Partial,
}

/// The recipient's answer: data as STIX objects (by reference, sent through the gate under
/// the markings the answering party chose), a note, attachments, and for a preservation the
/// date until which the data is preserved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    pub completeness: Completeness,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<String>,
    /// The markings the answering party put on the objects (marking-definition ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_marking_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserved_until: Option<Timestamp>,
}

/// A question or a reply in the needs-more-information dialogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub by: PartyId,
    pub at: Timestamp,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// One state change, as the record keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: RequestState,
    pub to: RequestState,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PartyId>,
}

/// The times a request was drafted with: from the [`DeadlinePolicy`] and [`HotlinePolicy`]
/// in force, fixed in the record so both parties compute the same deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTimes {
    pub response_secs: u64,
    pub acknowledgement_secs: u64,
    pub min_preservation_secs: u64,
    pub hotline: HotlinePolicy,
}

/// The recipient's decline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    pub ground: DeclineGround,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// An assistance request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceRequest {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub requester: PartyId,
    pub recipient: PartyId,
    pub urgency: Urgency,
    pub title: String,
    pub details: RequestKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    pub state: RequestState,
    pub times: RequestTimes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// When the answer is due (set when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// When the acknowledgement is due (set when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement_deadline: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<AnswerSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custody: Vec<CustodyEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitions: Vec<Transition>,
}

/// Commands on an [`AssistanceRequest`]. Creation is [`AssistanceRequest::draft`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestCommand {
    /// Replace the draft's content (requester; draft).
    Update(Box<RequestSpec>),
    /// Send the draft (requester; draft). Starts the deadlines and, when the rule says so,
    /// the hotline escalation.
    Send,
    /// Acknowledge receipt, and the hotline escalation (recipient; sent).
    Acknowledge,
    /// Start work (recipient; acknowledged).
    Start,
    /// Ask the requester for more (recipient; in progress).
    AskForInformation { question: String },
    /// Reply to the recipient's question (requester; needs more information).
    ProvideInformation {
        text: String,
        attachments: Vec<Attachment>,
    },
    /// Answer, fully or partly (recipient; in progress).
    Answer(Box<AnswerSpec>),
    /// Decline, citing a ground (recipient; sent, acknowledged, in progress, needs more
    /// information).
    Decline {
        ground: DeclineGround,
        reason: String,
    },
    /// Withdraw (requester; draft or open).
    Withdraw { reason: String },
    /// Record that the actor's party now holds an attachment, with the digest and size it
    /// observed (requester or recipient; any state after sending). A mismatch is refused
    /// with [`CoopError::Tampered`], which carries the flagged custody event.
    RecordCustody {
        attachment: Sha256Hex,
        observed_sha256: Sha256Hex,
        observed_size: u64,
    },
    /// Extend a preservation (recipient; answered or partially answered preservation).
    ExtendPreservation { until: Timestamp },
}

impl RequestCommand {
    pub fn name(&self) -> &'static str {
        match self {
            RequestCommand::Update(_) => "update",
            RequestCommand::Send => "send",
            RequestCommand::Acknowledge => "acknowledge",
            RequestCommand::Start => "start",
            RequestCommand::AskForInformation { .. } => "ask-for-information",
            RequestCommand::ProvideInformation { .. } => "provide-information",
            RequestCommand::Answer(_) => "answer",
            RequestCommand::Decline { .. } => "decline",
            RequestCommand::Withdraw { .. } => "withdraw",
            RequestCommand::RecordCustody { .. } => "record-custody",
            RequestCommand::ExtendPreservation { .. } => "extend-preservation",
        }
    }
}

/// What happened to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RequestEventKind {
    Drafted {
        requester: PartyId,
        spec: Box<RequestSpec>,
        times: RequestTimes,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created_by_ref: Option<String>,
    },
    Updated {
        spec: Box<RequestSpec>,
    },
    Sent {
        deadline: Timestamp,
        acknowledgement_deadline: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        escalation: Option<Escalation>,
    },
    Acknowledged,
    Started,
    InformationRequested {
        question: String,
    },
    InformationProvided {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment>,
    },
    Answered {
        answer: Box<AnswerSpec>,
    },
    Declined {
        decline: Decline,
    },
    Withdrawn {
        reason: String,
    },
    Expired {
        deadline: Timestamp,
    },
    HotlineResent {
        attempt: u32,
        next_resend_at: Timestamp,
    },
    CustodyRecorded {
        entry: CustodyEntry,
    },
    PreservationExtended {
        until: Timestamp,
    },
}

pub type RequestEvent = Event<RequestEventKind>;

pub(crate) fn check_spec(
    spec: &RequestSpec,
    requester: &PartyId,
    now: &Timestamp,
) -> Result<(), CoopError> {
    let mut missing = Vec::new();
    if blank(spec.recipient.as_str()) {
        missing.push("recipient");
    }
    if blank(&spec.title) {
        missing.push("title");
    }
    missing.extend(spec.details.missing_fields());
    if !missing.is_empty() {
        return Err(CoopError::MissingFields {
            what: format!("a {} request", spec.details.name().as_str()),
            fields: missing,
        });
    }
    if &spec.recipient == requester {
        return Err(CoopError::InvalidInput {
            field: "recipient",
            reason: "a party does not send a request to itself".into(),
        });
    }
    for r in &spec.evidence_refs {
        check_stix_ref("evidence_refs", r)?;
    }
    check_attachments(&spec.attachments)?;
    if let Some(d) = &spec.requested_deadline
        && d <= now
    {
        return Err(CoopError::DeadlineInPast {
            deadline: d.clone(),
            now: now.clone(),
        });
    }
    Ok(())
}

fn check_attachments(attachments: &[Attachment]) -> Result<(), CoopError> {
    let mut seen = BTreeSet::new();
    for a in attachments {
        if blank(&a.name) {
            return Err(CoopError::MissingFields {
                what: format!("attachment {}", a.sha256),
                fields: vec!["name"],
            });
        }
        if !seen.insert(&a.sha256) {
            return Err(CoopError::InvalidInput {
                field: "attachments",
                reason: format!("attachment {} listed twice", a.sha256),
            });
        }
    }
    Ok(())
}

impl AssistanceRequest {
    /// The actor's party drafts a request (analyst, liaison or admin). The deadlines are fixed
    /// from `deadlines` and `hotline` now, and start running when the request is sent.
    pub fn draft(
        actor: &Actor,
        uuid: &str,
        spec: RequestSpec,
        created_by_ref: Option<String>,
        now: &Timestamp,
        deadlines: &DeadlinePolicy,
        hotline: &HotlinePolicy,
    ) -> Result<RequestEvent, CoopError> {
        actor.needs(Capability::Draft, "draft")?;
        check_spec(&spec, &actor.party, now)?;
        let kind = spec.details.name();
        let times = RequestTimes {
            response_secs: deadlines.response_time(kind, spec.urgency).as_secs(),
            acknowledgement_secs: deadlines.acknowledgement_time(spec.urgency).as_secs(),
            min_preservation_secs: deadlines.min_preservation().as_secs(),
            hotline: *hotline,
        };
        let event = Event {
            record: RecordId::new(RecordType::AssistanceRequest, uuid)?,
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: RequestEventKind::Drafted {
                requester: actor.party.clone(),
                spec: Box::new(spec),
                times,
                created_by_ref,
            },
        };
        Self::from_created(&event)?;
        Ok(event)
    }

    /// The kind of request.
    pub fn kind(&self) -> KindName {
        self.details.name()
    }

    /// Whether this request goes to the recipient's hotline when sent.
    pub fn needs_hotline(&self) -> bool {
        needs_hotline(self.urgency, self.details.sector())
    }

    /// When the request left the open states (answered, declined, withdrawn, expired …), and
    /// into which; `None` while it is a draft or open.
    pub fn closed(&self) -> Option<(RequestState, &Timestamp)> {
        if self.state == RequestState::Draft || self.state.is_open() {
            return None;
        }
        self.transitions
            .iter()
            .find(|t| t.from.is_open() && !t.to.is_open())
            .map(|t| (t.to, &t.at))
    }

    /// How the hotline escalation stands at `now`, if the request has one.
    pub fn escalation_status(&self, now: &Timestamp) -> Option<EscalationStatus> {
        let e = self.escalation.as_ref()?;
        Some(match (&e.acknowledged_at, self.closed()) {
            (Some(at), _) => EscalationStatus::Acknowledged {
                at: at.clone(),
                after: e.ack_clock(at),
            },
            (None, Some((state, at))) => EscalationStatus::Ended {
                state,
                at: at.clone(),
                after: elapsed(&e.pushed_at, at),
            },
            (None, None) => EscalationStatus::Open {
                unacknowledged_for: e.ack_clock(now),
            },
        })
    }

    /// The `expired` event when the deadline has passed on an open request.
    pub fn expire_due(&self, now: &Timestamp) -> Vec<RequestEvent> {
        match &self.deadline {
            Some(d) if self.state.is_open() && now >= d => vec![Event {
                record: self.meta.id.clone(),
                at: now.clone(),
                by: None,
                body: RequestEventKind::Expired {
                    deadline: d.clone(),
                },
            }],
            _ => Vec::new(),
        }
    }

    /// The hotline re-send due at `now`, if the escalation is unacknowledged and its next
    /// re-send time has come. The node pushes the request to the recipient's hotline again
    /// and applies the event (which schedules the next re-send, with back-off).
    pub fn resend_due(&self, now: &Timestamp) -> Vec<RequestEvent> {
        if !self.state.is_open() {
            return Vec::new();
        }
        match self.escalation.as_ref().and_then(|e| e.next_resend(now)) {
            Some((attempt, next)) => vec![Event {
                record: self.meta.id.clone(),
                at: now.clone(),
                by: None,
                body: RequestEventKind::HotlineResent {
                    attempt,
                    next_resend_at: next,
                },
            }],
            None => Vec::new(),
        }
    }

    /// Whether the acknowledgement is overdue at `now`.
    pub fn acknowledgement_overdue(&self, now: &Timestamp) -> bool {
        self.state == RequestState::Sent
            && self
                .acknowledgement_deadline
                .as_ref()
                .is_some_and(|d| now >= d)
    }

    /// Every attachment the record knows: the request's, the dialogue's and the answer's.
    pub fn all_attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.attachments
            .iter()
            .chain(self.exchanges.iter().flat_map(|e| e.attachments.iter()))
            .chain(self.answer.iter().flat_map(|a| a.attachments.iter()))
    }

    /// Whether any custody entry is flagged (a digest or size mismatch was observed).
    pub fn custody_flagged(&self) -> bool {
        self.custody.iter().any(|c| !c.intact)
    }

    fn illegal(&self, command: &'static str) -> CoopError {
        CoopError::IllegalTransition {
            record: "assistance request",
            state: self.state.as_str().into(),
            command,
        }
    }

    fn in_states(&self, states: &[RequestState], command: &'static str) -> Result<(), CoopError> {
        if states.contains(&self.state) {
            Ok(())
        } else {
            Err(self.illegal(command))
        }
    }

    fn before_deadline(&self, now: &Timestamp) -> Result<(), CoopError> {
        match &self.deadline {
            Some(d) if now >= d => Err(CoopError::DeadlinePassed {
                deadline: d.clone(),
                now: now.clone(),
            }),
            _ => Ok(()),
        }
    }

    fn event(&self, actor: &Actor, now: &Timestamp, body: RequestEventKind) -> RequestEvent {
        Event {
            record: self.meta.id.clone(),
            at: now.clone(),
            by: Some(actor.party.clone()),
            body,
        }
    }

    fn check_answer(&self, a: &AnswerSpec, now: &Timestamp) -> Result<(), CoopError> {
        if blank(&a.note) && a.object_refs.is_empty() && a.attachments.is_empty() {
            return Err(CoopError::MissingFields {
                what: "an answer".into(),
                fields: vec!["note", "object_refs", "attachments"],
            });
        }
        for r in &a.object_refs {
            check_stix_ref("object_refs", r)?;
        }
        for r in &a.object_marking_refs {
            check_stix_ref("object_marking_refs", r)?;
            if !r.starts_with("marking-definition--") {
                return Err(CoopError::InvalidInput {
                    field: "object_marking_refs",
                    reason: format!("{r:?} is not a marking definition"),
                });
            }
        }
        if !a.object_refs.is_empty() && a.object_marking_refs.is_empty() {
            return Err(CoopError::MissingFields {
                what: "an answer carrying STIX objects".into(),
                fields: vec!["object_marking_refs"],
            });
        }
        check_attachments(&a.attachments)?;
        if self.kind() == KindName::Preservation {
            let Some(until) = &a.preserved_until else {
                return Err(CoopError::MissingFields {
                    what: "an answer to a preservation request".into(),
                    fields: vec!["preserved_until"],
                });
            };
            let min = plus(now, Duration::from_secs(self.times.min_preservation_secs));
            if *until < min {
                return Err(CoopError::InvalidInput {
                    field: "preserved_until",
                    reason: format!("{until} is earlier than the minimum preservation ({min})"),
                });
            }
        } else if a.preserved_until.is_some() {
            return Err(CoopError::InvalidInput {
                field: "preserved_until",
                reason: "only a preservation is preserved until a date".into(),
            });
        }
        Ok(())
    }

    fn record_custody(
        &self,
        actor: &Actor,
        now: &Timestamp,
        attachment: Sha256Hex,
        observed_sha256: Sha256Hex,
        observed_size: u64,
    ) -> Result<Vec<RequestEvent>, CoopError> {
        let known = self
            .all_attachments()
            .find(|a| a.sha256 == attachment)
            .ok_or_else(|| CoopError::UnknownAttachment(attachment.clone()))?;
        let intact = observed_sha256 == known.sha256 && observed_size == known.size;
        let event = self.event(
            actor,
            now,
            RequestEventKind::CustodyRecorded {
                entry: CustodyEntry {
                    attachment: attachment.clone(),
                    holder: actor.party.clone(),
                    at: now.clone(),
                    observed_sha256: observed_sha256.clone(),
                    observed_size,
                    intact,
                },
            },
        );
        if intact {
            Ok(vec![event])
        } else {
            Err(CoopError::Tampered {
                expected: attachment,
                observed: observed_sha256,
                holder: actor.party.clone(),
                flag: Box::new(event),
            })
        }
    }

    fn custody_entries(
        &self,
        holder: &PartyId,
        at: &Timestamp,
        attachments: &[Attachment],
    ) -> Vec<CustodyEntry> {
        attachments
            .iter()
            .map(|a| CustodyEntry {
                attachment: a.sha256.clone(),
                holder: holder.clone(),
                at: at.clone(),
                observed_sha256: a.sha256.clone(),
                observed_size: a.size,
                intact: true,
            })
            .collect()
    }

    fn move_to(&mut self, to: RequestState, event: &RequestEvent) {
        self.transitions.push(Transition {
            from: self.state,
            to,
            at: event.at.clone(),
            by: event.by.clone(),
        });
        self.state = to;
    }
}

use RequestState as S;

const OPEN: &[RequestState] = &[
    S::Sent,
    S::Acknowledged,
    S::InProgress,
    S::NeedsMoreInformation,
];
const WITHDRAWABLE: &[RequestState] = &[
    S::Draft,
    S::Sent,
    S::Acknowledged,
    S::InProgress,
    S::NeedsMoreInformation,
];
const AFTER_SENDING: &[RequestState] = &[
    S::Sent,
    S::Acknowledged,
    S::InProgress,
    S::NeedsMoreInformation,
    S::Answered,
    S::PartiallyAnswered,
    S::Declined,
    S::Withdrawn,
    S::Expired,
];

impl Aggregate for AssistanceRequest {
    type Command = RequestCommand;
    type Body = RequestEventKind;

    fn decide(
        &self,
        actor: &Actor,
        command: RequestCommand,
        now: &Timestamp,
    ) -> Result<Vec<RequestEvent>, CoopError> {
        use RequestCommand as C;
        use RequestEventKind as E;
        let name = command.name();
        let requester = || actor.must_be(&self.requester, "requester", name);
        let recipient = || actor.must_be(&self.recipient, "recipient", name);
        match command {
            C::Update(spec) => {
                actor.needs(Capability::Draft, name)?;
                requester()?;
                self.in_states(&[S::Draft], name)?;
                check_spec(&spec, &self.requester, now)?;
                if spec.recipient != self.recipient {
                    return Err(CoopError::InvalidInput {
                        field: "recipient",
                        reason: "the recipient of a draft cannot change; draft a new request"
                            .into(),
                    });
                }
                Ok(vec![self.event(actor, now, E::Updated { spec })])
            }
            C::Send => {
                actor.needs(Capability::Act, name)?;
                requester()?;
                self.in_states(&[S::Draft], name)?;
                let deadline = match &self.requested_deadline {
                    Some(d) if d <= now => {
                        return Err(CoopError::DeadlineInPast {
                            deadline: d.clone(),
                            now: now.clone(),
                        });
                    }
                    Some(d) => d.clone(),
                    None => plus(now, Duration::from_secs(self.times.response_secs)),
                };
                let ack = plus(now, Duration::from_secs(self.times.acknowledgement_secs));
                let acknowledgement_deadline = if ack < deadline {
                    ack
                } else {
                    deadline.clone()
                };
                let escalation = self
                    .needs_hotline()
                    .then(|| Escalation::start(self.recipient.clone(), now, &self.times.hotline));
                Ok(vec![self.event(
                    actor,
                    now,
                    E::Sent {
                        deadline,
                        acknowledgement_deadline,
                        escalation,
                    },
                )])
            }
            C::Acknowledge => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                self.in_states(&[S::Sent], name)?;
                self.before_deadline(now)?;
                Ok(vec![self.event(actor, now, E::Acknowledged)])
            }
            C::Start => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                self.in_states(&[S::Acknowledged], name)?;
                self.before_deadline(now)?;
                Ok(vec![self.event(actor, now, E::Started)])
            }
            C::AskForInformation { question } => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                self.in_states(&[S::InProgress], name)?;
                self.before_deadline(now)?;
                if blank(&question) {
                    return Err(CoopError::MissingFields {
                        what: "a question".into(),
                        fields: vec!["question"],
                    });
                }
                Ok(vec![self.event(
                    actor,
                    now,
                    E::InformationRequested { question },
                )])
            }
            C::ProvideInformation { text, attachments } => {
                actor.needs(Capability::Act, name)?;
                requester()?;
                self.in_states(&[S::NeedsMoreInformation], name)?;
                self.before_deadline(now)?;
                if blank(&text) && attachments.is_empty() {
                    return Err(CoopError::MissingFields {
                        what: "more information".into(),
                        fields: vec!["text", "attachments"],
                    });
                }
                check_attachments(&attachments)?;
                if let Some(a) = attachments
                    .iter()
                    .find(|a| self.all_attachments().any(|k| k.sha256 == a.sha256))
                {
                    return Err(CoopError::InvalidInput {
                        field: "attachments",
                        reason: format!("attachment {} is already on the record", a.sha256),
                    });
                }
                Ok(vec![self.event(
                    actor,
                    now,
                    E::InformationProvided { text, attachments },
                )])
            }
            C::Answer(answer) => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                self.in_states(&[S::InProgress], name)?;
                self.before_deadline(now)?;
                self.check_answer(&answer, now)?;
                if let Some(a) = answer
                    .attachments
                    .iter()
                    .find(|a| self.all_attachments().any(|k| k.sha256 == a.sha256))
                {
                    return Err(CoopError::InvalidInput {
                        field: "attachments",
                        reason: format!("attachment {} is already on the record", a.sha256),
                    });
                }
                Ok(vec![self.event(actor, now, E::Answered { answer })])
            }
            C::Decline { ground, reason } => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                self.in_states(OPEN, name)?;
                self.before_deadline(now)?;
                if ground == DeclineGround::Other && blank(&reason) {
                    return Err(CoopError::MissingFields {
                        what: "a decline on another ground".into(),
                        fields: vec!["reason"],
                    });
                }
                Ok(vec![self.event(
                    actor,
                    now,
                    E::Declined {
                        decline: Decline { ground, reason },
                    },
                )])
            }
            C::Withdraw { reason } => {
                actor.needs(Capability::Act, name)?;
                requester()?;
                self.in_states(WITHDRAWABLE, name)?;
                Ok(vec![self.event(actor, now, E::Withdrawn { reason })])
            }
            C::RecordCustody {
                attachment,
                observed_sha256,
                observed_size,
            } => {
                actor.needs(Capability::Act, name)?;
                if actor.party != self.requester && actor.party != self.recipient {
                    return Err(CoopError::WrongParty {
                        party: actor.party.clone(),
                        command: name,
                        allowed: format!(
                            "the requester ({}) or the recipient ({})",
                            self.requester, self.recipient
                        ),
                    });
                }
                self.in_states(AFTER_SENDING, name)?;
                self.record_custody(actor, now, attachment, observed_sha256, observed_size)
            }
            C::ExtendPreservation { until } => {
                actor.needs(Capability::Act, name)?;
                recipient()?;
                if self.kind() != KindName::Preservation {
                    return Err(self.illegal(name));
                }
                self.in_states(&[S::Answered, S::PartiallyAnswered], name)?;
                let current = self
                    .answer
                    .as_ref()
                    .and_then(|a| a.preserved_until.as_ref());
                if current.is_some_and(|c| until <= *c) || until <= *now {
                    return Err(CoopError::InvalidInput {
                        field: "until",
                        reason: format!("{until} does not extend the preservation"),
                    });
                }
                Ok(vec![self.event(
                    actor,
                    now,
                    E::PreservationExtended { until },
                )])
            }
        }
    }

    fn apply(&mut self, event: &RequestEvent) {
        use RequestEventKind as E;
        if event.record != self.meta.id {
            return;
        }
        match &event.body {
            E::Drafted { .. } => return,
            E::Updated { spec } => {
                self.urgency = spec.urgency;
                self.title = spec.title.clone();
                self.details = spec.details.clone();
                self.evidence_refs = spec.evidence_refs.clone();
                self.attachments = spec.attachments.clone();
                self.requested_deadline = spec.requested_deadline.clone();
            }
            E::Sent {
                deadline,
                acknowledgement_deadline,
                escalation,
            } => {
                self.sent_at = Some(event.at.clone());
                self.deadline = Some(deadline.clone());
                self.acknowledgement_deadline = Some(acknowledgement_deadline.clone());
                self.escalation = escalation.clone();
                let entries = self.custody_entries(&self.requester, &event.at, &self.attachments);
                self.custody.extend(entries);
                self.move_to(S::Sent, event);
            }
            E::Acknowledged => {
                self.acknowledged_at = Some(event.at.clone());
                if let Some(e) = &mut self.escalation {
                    e.acknowledge(&self.recipient, &event.at);
                }
                self.move_to(S::Acknowledged, event);
            }
            E::Started => self.move_to(S::InProgress, event),
            E::InformationRequested { question } => {
                self.exchanges.push(Exchange {
                    by: self.recipient.clone(),
                    at: event.at.clone(),
                    text: question.clone(),
                    attachments: Vec::new(),
                });
                self.move_to(S::NeedsMoreInformation, event);
            }
            E::InformationProvided { text, attachments } => {
                let entries = self.custody_entries(&self.requester, &event.at, attachments);
                self.custody.extend(entries);
                self.exchanges.push(Exchange {
                    by: self.requester.clone(),
                    at: event.at.clone(),
                    text: text.clone(),
                    attachments: attachments.clone(),
                });
                self.move_to(S::InProgress, event);
            }
            E::Answered { answer } => {
                let entries = self.custody_entries(&self.recipient, &event.at, &answer.attachments);
                self.custody.extend(entries);
                self.answer = Some((**answer).clone());
                let to = match answer.completeness {
                    Completeness::Full => S::Answered,
                    Completeness::Partial => S::PartiallyAnswered,
                };
                self.move_to(to, event);
            }
            E::Declined { decline } => {
                self.decline = Some(decline.clone());
                self.move_to(S::Declined, event);
            }
            E::Withdrawn { reason } => {
                self.withdrawal_reason = Some(reason.clone());
                self.move_to(S::Withdrawn, event);
            }
            E::Expired { .. } => self.move_to(S::Expired, event),
            E::HotlineResent {
                attempt,
                next_resend_at,
            } => {
                if let Some(e) = &mut self.escalation {
                    e.record_resend(*attempt, next_resend_at);
                }
            }
            E::CustodyRecorded { entry } => self.custody.push(entry.clone()),
            E::PreservationExtended { until } => {
                if let Some(a) = &mut self.answer {
                    a.preserved_until = Some(until.clone());
                }
            }
        }
        self.meta.touch(&event.at);
    }

    fn from_created(event: &RequestEvent) -> Result<Self, CoopError> {
        let RequestEventKind::Drafted {
            requester,
            spec,
            times,
            created_by_ref,
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a request starts with `drafted`".into(),
            ));
        };
        if event.record.record_type() != RecordType::AssistanceRequest {
            return Err(CoopError::BadEvent("not an assistance request id".into()));
        }
        let spec = (**spec).clone();
        Ok(Self {
            meta: RecordMeta::new(event.record.clone(), &event.at, created_by_ref.clone())?,
            requester: requester.clone(),
            recipient: spec.recipient,
            urgency: spec.urgency,
            title: spec.title,
            details: spec.details,
            evidence_refs: spec.evidence_refs,
            attachments: spec.attachments,
            state: S::Draft,
            times: *times,
            requested_deadline: spec.requested_deadline,
            sent_at: None,
            deadline: None,
            acknowledgement_deadline: None,
            acknowledged_at: None,
            escalation: None,
            exchanges: Vec::new(),
            answer: None,
            decline: None,
            withdrawal_reason: None,
            custody: Vec::new(),
            transitions: Vec::new(),
        })
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    /// The requester and the recipient only.
    fn audience(&self) -> Audience {
        Audience::Only(BTreeSet::from([
            self.requester.clone(),
            self.recipient.clone(),
        ]))
    }
}
