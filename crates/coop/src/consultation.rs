//! Consultations between parties (`x-pacific-consultation`).
//!
//! A consultation is a thread between two or more parties on a topic: an agenda, messages,
//! attached STIX objects, and minutes that one participant proposes and every participant
//! signs. It closes when all have signed the current minutes. Only participants act on it,
//! and only they receive it ([`Aggregate::audience`]).

use std::collections::BTreeSet;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Capability};
use crate::common::{
    Aggregate, Audience, Event, RecordId, RecordMeta, RecordType, blank, check_stix_ref,
};
use crate::error::CoopError;

/// Open until every participant has signed the minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsultationState {
    Open,
    Closed,
}

/// A message in the thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub by: PartyId,
    pub at: Timestamp,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<String>,
}

/// A participant's signature of one version of the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub party: PartyId,
    pub at: Timestamp,
}

/// The minutes proposed for agreement. A new proposal replaces the old one and its signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    pub version: u32,
    pub text: String,
    pub proposed_by: PartyId,
    pub proposed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<Signature>,
}

/// A consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub topic: String,
    pub convener: PartyId,
    pub participants: BTreeSet<PartyId>,
    pub state: ConsultationState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agenda: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<Minutes>,
}

/// Commands on a [`Consultation`]. Creation is [`Consultation::open`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsultationCommand {
    AddAgendaItem {
        item: String,
    },
    Post {
        text: String,
        object_refs: Vec<String>,
    },
    AttachObjects {
        object_refs: Vec<String>,
    },
    ProposeMinutes {
        text: String,
    },
    /// Sign version `version` of the minutes (a liaison: it commits the party).
    SignMinutes {
        version: u32,
    },
}

impl ConsultationCommand {
    pub fn name(&self) -> &'static str {
        match self {
            ConsultationCommand::AddAgendaItem { .. } => "add-agenda-item",
            ConsultationCommand::Post { .. } => "post",
            ConsultationCommand::AttachObjects { .. } => "attach-objects",
            ConsultationCommand::ProposeMinutes { .. } => "propose-minutes",
            ConsultationCommand::SignMinutes { .. } => "sign-minutes",
        }
    }
}

/// What happened to a consultation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ConsultationEventKind {
    Opened {
        convener: PartyId,
        topic: String,
        participants: BTreeSet<PartyId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        agenda: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created_by_ref: Option<String>,
    },
    AgendaItemAdded {
        item: String,
    },
    MessagePosted {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        object_refs: Vec<String>,
    },
    ObjectsAttached {
        object_refs: Vec<String>,
    },
    MinutesProposed {
        version: u32,
        text: String,
    },
    MinutesSigned {
        version: u32,
    },
    Closed,
}

pub type ConsultationEvent = Event<ConsultationEventKind>;

fn missing(what: &str, field: &'static str) -> CoopError {
    CoopError::MissingFields {
        what: what.into(),
        fields: vec![field],
    }
}

impl Consultation {
    /// The actor's party convenes a consultation with `others` on `topic` (analyst or above).
    pub fn open(
        actor: &Actor,
        uuid: &str,
        topic: String,
        others: BTreeSet<PartyId>,
        agenda: Vec<String>,
        created_by_ref: Option<String>,
        now: &Timestamp,
    ) -> Result<ConsultationEvent, CoopError> {
        actor.needs(Capability::Draft, "open-consultation")?;
        if blank(&topic) {
            return Err(missing("a consultation", "topic"));
        }
        let mut participants = others;
        participants.insert(actor.party.clone());
        if participants.len() < 2 {
            return Err(CoopError::InvalidInput {
                field: "participants",
                reason: "a consultation needs at least two parties".into(),
            });
        }
        if agenda.iter().any(|i| blank(i)) {
            return Err(missing("an agenda item", "item"));
        }
        let event = Event {
            record: RecordId::new(RecordType::Consultation, uuid)?,
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: ConsultationEventKind::Opened {
                convener: actor.party.clone(),
                topic,
                participants,
                agenda,
                created_by_ref,
            },
        };
        Self::from_created(&event)?;
        Ok(event)
    }

    /// Whether every participant has signed the current minutes.
    pub fn all_signed(&self) -> bool {
        self.minutes.as_ref().is_some_and(|m| {
            self.participants
                .iter()
                .all(|p| m.signatures.iter().any(|s| &s.party == p))
        })
    }
}

impl Aggregate for Consultation {
    type Command = ConsultationCommand;
    type Body = ConsultationEventKind;

    fn decide(
        &self,
        actor: &Actor,
        command: ConsultationCommand,
        now: &Timestamp,
    ) -> Result<Vec<ConsultationEvent>, CoopError> {
        use ConsultationCommand as C;
        use ConsultationEventKind as E;
        let name = command.name();
        let needed = if matches!(command, C::SignMinutes { .. }) {
            Capability::Act
        } else {
            Capability::Draft
        };
        actor.needs(needed, name)?;
        if !self.participants.contains(&actor.party) {
            return Err(CoopError::WrongParty {
                party: actor.party.clone(),
                command: name,
                allowed: "the participants".into(),
            });
        }
        if self.state == ConsultationState::Closed {
            return Err(CoopError::IllegalTransition {
                record: "consultation",
                state: "closed".into(),
                command: name,
            });
        }
        let check_refs = |refs: &[String]| -> Result<(), CoopError> {
            refs.iter()
                .try_for_each(|r| check_stix_ref("object_refs", r))
        };
        let event = |body| Event {
            record: self.meta.id.clone(),
            at: now.clone(),
            by: Some(actor.party.clone()),
            body,
        };
        match command {
            C::AddAgendaItem { item } => {
                if blank(&item) {
                    return Err(missing("an agenda item", "item"));
                }
                Ok(vec![event(E::AgendaItemAdded { item })])
            }
            C::Post { text, object_refs } => {
                if blank(&text) {
                    return Err(missing("a message", "text"));
                }
                check_refs(&object_refs)?;
                Ok(vec![event(E::MessagePosted { text, object_refs })])
            }
            C::AttachObjects { object_refs } => {
                if object_refs.is_empty() {
                    return Err(missing("attached objects", "object_refs"));
                }
                check_refs(&object_refs)?;
                Ok(vec![event(E::ObjectsAttached { object_refs })])
            }
            C::ProposeMinutes { text } => {
                if blank(&text) {
                    return Err(missing("minutes", "text"));
                }
                let version = self.minutes.as_ref().map_or(1, |m| m.version + 1);
                Ok(vec![event(E::MinutesProposed { version, text })])
            }
            C::SignMinutes { version } => {
                let Some(m) = &self.minutes else {
                    return Err(CoopError::IllegalTransition {
                        record: "consultation",
                        state: "open without minutes".into(),
                        command: name,
                    });
                };
                if m.version != version {
                    return Err(CoopError::InvalidInput {
                        field: "version",
                        reason: format!("the current minutes are version {}", m.version),
                    });
                }
                if m.signatures.iter().any(|s| s.party == actor.party) {
                    return Err(CoopError::InvalidInput {
                        field: "version",
                        reason: format!("{} already signed these minutes", actor.party),
                    });
                }
                let mut events = vec![event(E::MinutesSigned { version })];
                let mut after = self.clone();
                after.apply(&events[0]);
                if after.all_signed() {
                    events.push(event(E::Closed));
                }
                Ok(events)
            }
        }
    }

    fn apply(&mut self, event: &ConsultationEvent) {
        use ConsultationEventKind as E;
        if event.record != self.meta.id {
            return;
        }
        let by = event.by.clone().unwrap_or_else(|| self.convener.clone());
        match &event.body {
            E::Opened { .. } => return,
            E::AgendaItemAdded { item } => self.agenda.push(item.clone()),
            E::MessagePosted { text, object_refs } => self.messages.push(Message {
                by,
                at: event.at.clone(),
                text: text.clone(),
                object_refs: object_refs.clone(),
            }),
            E::ObjectsAttached { object_refs } => {
                for r in object_refs {
                    if !self.object_refs.contains(r) {
                        self.object_refs.push(r.clone());
                    }
                }
            }
            E::MinutesProposed { version, text } => {
                self.minutes = Some(Minutes {
                    version: *version,
                    text: text.clone(),
                    proposed_by: by,
                    proposed_at: event.at.clone(),
                    signatures: Vec::new(),
                })
            }
            E::MinutesSigned { version } => {
                if let Some(m) = &mut self.minutes
                    && m.version == *version
                    && !m.signatures.iter().any(|s| s.party == by)
                {
                    m.signatures.push(Signature {
                        party: by,
                        at: event.at.clone(),
                    });
                }
            }
            E::Closed => self.state = ConsultationState::Closed,
        }
        self.meta.touch(&event.at);
    }

    fn from_created(event: &ConsultationEvent) -> Result<Self, CoopError> {
        let ConsultationEventKind::Opened {
            convener,
            topic,
            participants,
            agenda,
            created_by_ref,
        } = &event.body
        else {
            return Err(CoopError::BadEvent(
                "a consultation starts with `opened`".into(),
            ));
        };
        if event.record.record_type() != RecordType::Consultation {
            return Err(CoopError::BadEvent("not a consultation id".into()));
        }
        Ok(Self {
            meta: RecordMeta::new(event.record.clone(), &event.at, created_by_ref.clone())?,
            topic: topic.clone(),
            convener: convener.clone(),
            participants: participants.clone(),
            state: ConsultationState::Open,
            agenda: agenda.clone(),
            messages: Vec::new(),
            object_refs: Vec::new(),
            minutes: None,
        })
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    /// The participants only.
    fn audience(&self) -> Audience {
        Audience::Only(self.participants.clone())
    }
}
