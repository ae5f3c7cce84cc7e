//! The 24/7 hotline: who answers for each party, escalations that are re-sent until
//! acknowledged, and pings that check every hotline answers.
//!
//! - [`needs_hotline`] is the escalation rule: an `emergency`, or an incident on critical
//!   infrastructure.
//! - [`Escalation`] is the state of one escalation (kept inside the assistance request it
//!   escalates): pushed at, attempts, next re-send with back-off, acknowledgement and its clock.
//! - [`HotlineContact`] is a party's declared point of contact (`x-pacific-hotline-contact`).
//! - [`HotlinePing`] is one check that a party's hotline answers (`x-pacific-hotline-ping`).

use std::collections::BTreeSet;
use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Capability};
use crate::common::{
    Aggregate, Audience, Event, RecordId, RecordMeta, RecordType, blank, elapsed, plus,
};
use crate::error::CoopError;
use crate::request::Urgency;

/// Critical-infrastructure sectors: an incident on any of them goes to the hotline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    Energy,
    Finance,
    Telecommunications,
    Transport,
    Health,
    Water,
    Government,
}

impl Sector {
    pub const ALL: [Sector; 7] = [
        Sector::Energy,
        Sector::Finance,
        Sector::Telecommunications,
        Sector::Transport,
        Sector::Health,
        Sector::Water,
        Sector::Government,
    ];
}

/// The escalation rule: a request or incident marked `emergency`, or any incident on a
/// critical-infrastructure sector, goes to the recipient's 24/7 hotline.
pub fn needs_hotline(urgency: Urgency, incident_sector: Option<Sector>) -> bool {
    urgency == Urgency::Emergency || incident_sector.is_some()
}

/// Timing of the hotline.
///
/// Defaults: the first re-send 5 minutes after the push, then doubling (10, 20 …) up to one
/// every 30 minutes until acknowledged; a ping unanswered after 15 minutes has timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HotlinePolicy {
    pub first_resend_secs: u64,
    pub max_resend_secs: u64,
    pub ping_timeout_secs: u64,
}

impl Default for HotlinePolicy {
    fn default() -> Self {
        Self {
            first_resend_secs: 5 * 60,
            max_resend_secs: 30 * 60,
            ping_timeout_secs: 15 * 60,
        }
    }
}

/// One escalation to a party's hotline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The party whose hotline is called.
    pub party: PartyId,
    /// When the escalation was first pushed.
    pub pushed_at: Timestamp,
    /// Pushes so far, the first included.
    pub attempts: u32,
    /// When to push again; `None` once acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_resend_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<PartyId>,
    pub first_resend_secs: u64,
    pub max_resend_secs: u64,
}

impl Escalation {
    /// An escalation pushed to `party` at `now`.
    pub fn start(party: PartyId, now: &Timestamp, policy: &HotlinePolicy) -> Self {
        let mut e = Self {
            party,
            pushed_at: now.clone(),
            attempts: 1,
            next_resend_at: None,
            acknowledged_at: None,
            acknowledged_by: None,
            first_resend_secs: policy.first_resend_secs.max(1),
            max_resend_secs: policy.max_resend_secs.max(policy.first_resend_secs.max(1)),
        };
        e.next_resend_at = Some(plus(now, e.interval_after(1)));
        e
    }

    /// The wait after the `attempts`-th push: the first interval, doubled each time, capped.
    pub fn interval_after(&self, attempts: u32) -> Duration {
        let doubled = self
            .first_resend_secs
            .saturating_mul(1u64 << attempts.saturating_sub(1).min(32));
        Duration::from_secs(doubled.min(self.max_resend_secs))
    }

    pub fn is_acknowledged(&self) -> bool {
        self.acknowledged_at.is_some()
    }

    /// Whether a re-send is due at `now`.
    pub fn resend_due(&self, now: &Timestamp) -> bool {
        !self.is_acknowledged() && self.next_resend_at.as_ref().is_some_and(|t| t <= now)
    }

    /// The acknowledgement clock: time from the push to the acknowledgement, or to `now` while
    /// unacknowledged.
    pub fn ack_clock(&self, now: &Timestamp) -> Duration {
        elapsed(
            &self.pushed_at,
            self.acknowledged_at.as_ref().unwrap_or(now),
        )
    }

    pub(crate) fn record_resend(&mut self, attempt: u32, next: &Timestamp) {
        self.attempts = attempt;
        self.next_resend_at = Some(next.clone());
    }

    pub(crate) fn acknowledge(&mut self, by: &PartyId, at: &Timestamp) {
        if !self.is_acknowledged() {
            self.acknowledged_at = Some(at.clone());
            self.acknowledged_by = Some(by.clone());
            self.next_resend_at = None;
        }
    }

    /// The next re-send due at `now`: (attempt number, when to try after it).
    pub(crate) fn next_resend(&self, now: &Timestamp) -> Option<(u32, Timestamp)> {
        if !self.resend_due(now) {
            return None;
        }
        let attempt = self.attempts + 1;
        Some((attempt, plus(now, self.interval_after(attempt))))
    }
}

// --- Contacts --------------------------------------------------------------------------------

/// How a hotline is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Medium {
    Phone,
    Email,
    Signal,
    Matrix,
    Pacific,
    Other,
}

/// A channel: a medium and an address on it (a phone number, a mailbox, a room …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub medium: Medium,
    pub address: String,
}

/// A party's 24/7 point of contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotlineContact {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub party: PartyId,
    /// The name of the point of contact (a unit or a duty officer's function).
    pub name: String,
    pub channel: Channel,
}

/// Commands on a [`HotlineContact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactCommand {
    /// Replace the name and channel.
    Update { name: String, channel: Channel },
}

/// What happened to a [`HotlineContact`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ContactEventKind {
    Declared {
        party: PartyId,
        name: String,
        channel: Channel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created_by_ref: Option<String>,
    },
    Updated {
        name: String,
        channel: Channel,
    },
}

pub type ContactEvent = Event<ContactEventKind>;

fn check_contact(name: &str, channel: &Channel) -> Result<(), CoopError> {
    let mut missing = Vec::new();
    if blank(name) {
        missing.push("name");
    }
    if blank(&channel.address) {
        missing.push("channel.address");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CoopError::MissingFields {
            what: "a hotline contact".into(),
            fields: missing,
        })
    }
}

impl HotlineContact {
    /// The actor's party declares its point of contact (a liaison or admin).
    pub fn declare(
        actor: &Actor,
        uuid: &str,
        name: String,
        channel: Channel,
        created_by_ref: Option<String>,
        now: &Timestamp,
    ) -> Result<ContactEvent, CoopError> {
        actor.needs(Capability::Act, "declare-hotline")?;
        check_contact(&name, &channel)?;
        let id = RecordId::new(RecordType::HotlineContact, uuid)?;
        let event = Event {
            record: id,
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: ContactEventKind::Declared {
                party: actor.party.clone(),
                name,
                channel,
                created_by_ref,
            },
        };
        Self::from_created(&event)?;
        Ok(event)
    }
}

impl Aggregate for HotlineContact {
    type Command = ContactCommand;
    type Body = ContactEventKind;

    fn decide(
        &self,
        actor: &Actor,
        command: ContactCommand,
        now: &Timestamp,
    ) -> Result<Vec<ContactEvent>, CoopError> {
        let ContactCommand::Update { name, channel } = command;
        actor.needs(Capability::Act, "update-hotline")?;
        actor.must_be(
            &self.party,
            "party the contact belongs to",
            "update-hotline",
        )?;
        check_contact(&name, &channel)?;
        Ok(vec![Event {
            record: self.meta.id.clone(),
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: ContactEventKind::Updated { name, channel },
        }])
    }

    fn apply(&mut self, event: &ContactEvent) {
        if event.record != self.meta.id {
            return;
        }
        if let ContactEventKind::Updated { name, channel } = &event.body {
            self.name = name.clone();
            self.channel = channel.clone();
        }
        self.meta.touch(&event.at);
    }

    fn from_created(event: &ContactEvent) -> Result<Self, CoopError> {
        let ContactEventKind::Declared {
            party,
            name,
            channel,
            created_by_ref,
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a contact starts with `declared`".into(),
            ));
        };
        if event.record.record_type() != RecordType::HotlineContact {
            return Err(CoopError::BadEvent("not a hotline contact id".into()));
        }
        Ok(Self {
            meta: RecordMeta::new(event.record.clone(), &event.at, created_by_ref.clone())?,
            party: party.clone(),
            name: name.clone(),
            channel: channel.clone(),
        })
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    /// A contact is for every member of the federation: the gate decides.
    fn audience(&self) -> Audience {
        Audience::Federation
    }
}

// --- Pings -----------------------------------------------------------------------------------

/// How a ping ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PingOutcome {
    Pending,
    Answered { at: Timestamp, by: PartyId },
    TimedOut { at: Timestamp },
}

/// One check that `party`'s hotline answers, sent by `sender`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotlinePing {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub sender: PartyId,
    /// The party whose hotline is pinged.
    pub party: PartyId,
    pub sent_at: Timestamp,
    pub timeout_at: Timestamp,
    pub outcome: PingOutcome,
}

/// Commands on a [`HotlinePing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PingCommand {
    /// The pinged party's hotline answers.
    Answer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum PingEventKind {
    Sent {
        sender: PartyId,
        party: PartyId,
        timeout_at: Timestamp,
    },
    Answered,
    TimedOut,
}

pub type PingEvent = Event<PingEventKind>;

impl HotlinePing {
    /// The actor's party pings `to`'s hotline at `now`.
    pub fn send(
        actor: &Actor,
        uuid: &str,
        to: PartyId,
        now: &Timestamp,
        policy: &HotlinePolicy,
    ) -> Result<PingEvent, CoopError> {
        actor.needs(Capability::Act, "ping-hotline")?;
        if to == actor.party {
            return Err(CoopError::InvalidInput {
                field: "to",
                reason: "a party does not ping its own hotline".into(),
            });
        }
        let event = Event {
            record: RecordId::new(RecordType::HotlinePing, uuid)?,
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: PingEventKind::Sent {
                sender: actor.party.clone(),
                party: to,
                timeout_at: plus(now, Duration::from_secs(policy.ping_timeout_secs)),
            },
        };
        Ok(event)
    }

    /// The `timed-out` event when the ping is unanswered at its timeout.
    pub fn timeout_due(&self, now: &Timestamp) -> Vec<PingEvent> {
        if self.outcome == PingOutcome::Pending && *now >= self.timeout_at {
            vec![Event {
                record: self.meta.id.clone(),
                at: now.clone(),
                by: None,
                body: PingEventKind::TimedOut,
            }]
        } else {
            Vec::new()
        }
    }

    /// Time from the ping to its answer.
    pub fn response_time(&self) -> Option<Duration> {
        match &self.outcome {
            PingOutcome::Answered { at, .. } => Some(elapsed(&self.sent_at, at)),
            _ => None,
        }
    }
}

impl Aggregate for HotlinePing {
    type Command = PingCommand;
    type Body = PingEventKind;

    fn decide(
        &self,
        actor: &Actor,
        command: PingCommand,
        now: &Timestamp,
    ) -> Result<Vec<PingEvent>, CoopError> {
        let PingCommand::Answer = command;
        actor.needs(Capability::Act, "answer-ping")?;
        actor.must_be(&self.party, "pinged party", "answer-ping")?;
        if self.outcome != PingOutcome::Pending {
            return Err(CoopError::IllegalTransition {
                record: "hotline ping",
                state: match self.outcome {
                    PingOutcome::Answered { .. } => "answered".into(),
                    _ => "timed-out".into(),
                },
                command: "answer-ping",
            });
        }
        if *now >= self.timeout_at {
            return Err(CoopError::DeadlinePassed {
                deadline: self.timeout_at.clone(),
                now: now.clone(),
            });
        }
        Ok(vec![Event {
            record: self.meta.id.clone(),
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: PingEventKind::Answered,
        }])
    }

    fn apply(&mut self, event: &PingEvent) {
        if event.record != self.meta.id || self.outcome != PingOutcome::Pending {
            return;
        }
        match &event.body {
            PingEventKind::Sent { .. } => return,
            PingEventKind::Answered => {
                self.outcome = PingOutcome::Answered {
                    at: event.at.clone(),
                    by: event.by.clone().unwrap_or_else(|| self.party.clone()),
                }
            }
            PingEventKind::TimedOut => {
                self.outcome = PingOutcome::TimedOut {
                    at: event.at.clone(),
                }
            }
        }
        self.meta.touch(&event.at);
    }

    fn from_created(event: &PingEvent) -> Result<Self, CoopError> {
        let PingEventKind::Sent {
            sender,
            party,
            timeout_at,
        } = &event.body
        else {
            return Err(CoopError::BadEvent("a ping starts with `sent`".into()));
        };
        if event.record.record_type() != RecordType::HotlinePing {
            return Err(CoopError::BadEvent("not a hotline ping id".into()));
        }
        Ok(Self {
            meta: RecordMeta::new(event.record.clone(), &event.at, None)?,
            sender: sender.clone(),
            party: party.clone(),
            sent_at: event.at.clone(),
            timeout_at: timeout_at.clone(),
            outcome: PingOutcome::Pending,
        })
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn audience(&self) -> Audience {
        Audience::Only(BTreeSet::from([self.sender.clone(), self.party.clone()]))
    }
}
