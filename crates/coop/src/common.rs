//! What every cooperation record shares: its STIX identity and versioning ([`RecordMeta`]), the
//! event envelope ([`Event`]), SHA-256 digests and time arithmetic on [`Timestamp`]s.

use std::fmt;
use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::error::CoopError;

/// The STIX types of Pacific's cooperation records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    AssistanceRequest,
    Consultation,
    Dispute,
    HotlineContact,
    HotlinePing,
}

impl RecordType {
    pub const ALL: [RecordType; 5] = [
        RecordType::AssistanceRequest,
        RecordType::Consultation,
        RecordType::Dispute,
        RecordType::HotlineContact,
        RecordType::HotlinePing,
    ];

    /// The STIX `type` of the record.
    pub fn type_name(self) -> &'static str {
        match self {
            RecordType::AssistanceRequest => "x-pacific-assistance-request",
            RecordType::Consultation => "x-pacific-consultation",
            RecordType::Dispute => "x-pacific-dispute",
            RecordType::HotlineContact => "x-pacific-hotline-contact",
            RecordType::HotlinePing => "x-pacific-hotline-ping",
        }
    }

    /// The id of the STIX `extension-definition` that defines the type. Fixed forever: other
    /// parties' nodes and STIX tools recognise the records by it.
    pub fn extension_definition_id(self) -> &'static str {
        match self {
            RecordType::AssistanceRequest => {
                "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e01"
            }
            RecordType::Consultation => {
                "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e02"
            }
            RecordType::Dispute => "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e03",
            RecordType::HotlineContact => {
                "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e04"
            }
            RecordType::HotlinePing => "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e05",
        }
    }

    /// The type whose STIX `type` is `name`.
    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.type_name() == name)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

/// A record's STIX id, `<type>--<uuid v4>`. The uuid comes from the caller: this crate has no
/// source of randomness.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordId(String);

impl RecordId {
    /// The id of a record of type `record_type` named by `uuid` (a lower-case RFC 4122 version 4
    /// UUID, e.g. `8e2e2d2b-7f1c-4b0a-9c3d-1e2f3a4b5c6d`).
    pub fn new(record_type: RecordType, uuid: &str) -> Result<Self, CoopError> {
        if !is_uuid_v4(uuid) {
            return Err(CoopError::InvalidId(format!(
                "{uuid:?} is not a lower-case version 4 UUID"
            )));
        }
        Ok(Self(format!("{}--{uuid}", record_type.type_name())))
    }

    /// The record type named by the id's prefix.
    pub fn record_type(&self) -> RecordType {
        let (prefix, _) = self.0.split_once("--").expect("checked at construction");
        RecordType::from_type_name(prefix).expect("checked at construction")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RecordId {
    type Error = CoopError;
    fn try_from(s: String) -> Result<Self, CoopError> {
        let bad = || CoopError::InvalidId(format!("{s:?} is not a Pacific cooperation record id"));
        let (prefix, uuid) = s.split_once("--").ok_or_else(bad)?;
        let t = RecordType::from_type_name(prefix).ok_or_else(bad)?;
        Self::new(t, uuid)
    }
}

impl From<RecordId> for String {
    fn from(id: RecordId) -> String {
        id.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// Checks that `id` is a STIX identifier (`type--uuid`, any UUID version), naming `field`.
pub(crate) fn check_stix_ref(field: &'static str, id: &str) -> Result<(), CoopError> {
    let ok = id.split_once("--").is_some_and(|(t, u)| {
        (3..=250).contains(&t.len())
            && t.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !t.starts_with('-')
            && !t.ends_with('-')
            && u.len() == 36
            && u.bytes().enumerate().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == b'-',
                _ => c.is_ascii_hexdigit(),
            })
    });
    if ok {
        Ok(())
    } else {
        Err(CoopError::InvalidInput {
            field,
            reason: format!("{id:?} is not a STIX identifier (type--uuid)"),
        })
    }
}

/// A SHA-256 digest as 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Self(hex::encode(sha2::Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = CoopError;
    fn try_from(s: String) -> Result<Self, CoopError> {
        if s.len() == 64
            && s.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            Ok(Self(s))
        } else {
            Err(CoopError::InvalidInput {
                field: "sha256",
                reason: format!("{s:?} is not 64 lower-case hex digits"),
            })
        }
    }
}

impl std::str::FromStr for Sha256Hex {
    type Err = CoopError;
    fn from_str(s: &str) -> Result<Self, CoopError> {
        Self::try_from(s.to_owned())
    }
}

impl From<Sha256Hex> for String {
    fn from(h: Sha256Hex) -> String {
        h.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `t + d`, at microsecond precision.
pub fn plus(t: &Timestamp, d: Duration) -> Timestamp {
    let micros = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_unix_micros(t.unix_micros().saturating_add(micros))
}

/// `later − earlier`, or zero when `later` is not later.
pub fn elapsed(earlier: &Timestamp, later: &Timestamp) -> Duration {
    let d = later.unix_micros() - earlier.unix_micros();
    Duration::from_micros(u64::try_from(d).unwrap_or(0))
}

/// A STIX record's identity and versioning. `modified` advances on every applied event (by at
/// least one microsecond, so every event makes a new STIX version).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub id: RecordId,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// The STIX `identity` of the party that created the record, when the node knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<String>,
}

impl RecordMeta {
    pub(crate) fn new(
        id: RecordId,
        created: &Timestamp,
        created_by_ref: Option<String>,
    ) -> Result<Self, CoopError> {
        if let Some(r) = &created_by_ref {
            check_stix_ref("created_by_ref", r)?;
            if !r.starts_with("identity--") {
                return Err(CoopError::InvalidInput {
                    field: "created_by_ref",
                    reason: format!("{r:?} is not an identity"),
                });
            }
        }
        let created = Timestamp::from_unix_micros(created.unix_micros());
        Ok(Self {
            id,
            modified: created.clone(),
            created,
            created_by_ref,
        })
    }

    /// Moves `modified` to `at`, or one microsecond past its current value if `at` is not later.
    pub(crate) fn touch(&mut self, at: &Timestamp) {
        self.modified = if *at > self.modified {
            Timestamp::from_unix_micros(at.unix_micros())
        } else {
            Timestamp::from_unix_micros(self.modified.unix_micros() + 1)
        };
    }
}

/// One event of a record: what happened (`body`), to which record, when, and which party acted
/// (`None` for events the passing of time causes, such as an expiry). Events are what a node
/// signs, appends to its transparency log and sends to the other parties of the record; their
/// JSON names are stable (`"event": "<kebab-case name>"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event<B> {
    pub record: RecordId,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PartyId>,
    #[serde(flatten)]
    pub body: B,
}

/// Text that must not be blank.
pub(crate) fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A cooperation record as an event-sourced aggregate: commands are decided against the
/// current state into events, and events are applied to move the state.
pub trait Aggregate: Sized {
    type Command;
    type Body: Clone;

    /// Checks `command` from `actor` at `now` and says what happens, as events. Pure: the
    /// record is unchanged, and on `Err` nothing happened.
    fn decide(
        &self,
        actor: &Actor,
        command: Self::Command,
        now: &Timestamp,
    ) -> Result<Vec<Event<Self::Body>>, CoopError>;

    /// Moves the state by one event produced by [`Aggregate::decide`] (here or on another
    /// party's node). Events of another record are ignored.
    fn apply(&mut self, event: &Event<Self::Body>);

    /// The record as its first event creates it.
    fn from_created(event: &Event<Self::Body>) -> Result<Self, CoopError>;

    /// The record's id and versioning.
    fn meta(&self) -> &RecordMeta;

    /// The parties that may receive the record and its events (the node still asks its
    /// policy gate about each of them).
    fn audience(&self) -> Audience;

    /// Rebuilds a record from its whole event history.
    fn replay(events: &[Event<Self::Body>]) -> Result<Self, CoopError> {
        let (first, rest) = events
            .split_first()
            .ok_or_else(|| CoopError::BadEvent("no events".into()))?;
        let mut record = Self::from_created(first)?;
        for e in rest {
            if e.record != first.record {
                return Err(CoopError::BadEvent(format!(
                    "event of {} in the history of {}",
                    e.record, first.record
                )));
            }
            record.apply(e);
        }
        Ok(record)
    }

    /// Decides `command` and applies the events it yields; returns them.
    fn execute(
        &mut self,
        actor: &Actor,
        command: Self::Command,
        now: &Timestamp,
    ) -> Result<Vec<Event<Self::Body>>, CoopError> {
        let events = self.decide(actor, command, now)?;
        for e in &events {
            self.apply(e);
        }
        Ok(events)
    }
}

use crate::actor::Actor;

/// Who may receive a record: the node sends it (and its events) to these parties only, and
/// still asks its policy gate about each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Every member of the federation (hotline contacts).
    Federation,
    /// Only these parties (the record's parties, participants, mediator, panel …).
    Only(std::collections::BTreeSet<PartyId>),
}

impl Audience {
    pub fn includes(&self, party: &PartyId) -> bool {
        match self {
            Audience::Federation => true,
            Audience::Only(parties) => parties.contains(party),
        }
    }
}
