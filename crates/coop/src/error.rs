//! Why a command or a record is refused.

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;

use crate::actor::{Capability, CoopRole};
use crate::common::Sha256Hex;

/// Every refusal of this crate. A command that fails leaves the record unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoopError {
    /// The actor's role does not allow the capability the command needs.
    #[error("role {role} may not {needed} (command {command})")]
    RoleNotAllowed {
        role: CoopRole,
        needed: Capability,
        command: &'static str,
    },
    /// The actor's party is not the one that may give the command (acting for another party).
    #[error("party {party} may not {command}: only {allowed} may")]
    WrongParty {
        party: PartyId,
        command: &'static str,
        allowed: String,
    },
    /// The command is not allowed in the record's current state.
    #[error("cannot {command} a {record} that is {state}")]
    IllegalTransition {
        record: &'static str,
        state: String,
        command: &'static str,
    },
    /// Mandatory fields are missing or blank; every one is named.
    #[error("missing mandatory fields for {what}: {}", fields.join(", "))]
    MissingFields {
        what: String,
        fields: Vec<&'static str>,
    },
    /// A field is present but unacceptable.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    /// A deadline that is not in the future.
    #[error("deadline {deadline} is not after the current time {now}")]
    DeadlineInPast { deadline: Timestamp, now: Timestamp },
    /// The record's deadline has passed: it is due to expire (see `expire_due`).
    #[error("the deadline {deadline} has passed (now {now}); the record is due to expire")]
    DeadlinePassed { deadline: Timestamp, now: Timestamp },
    /// An attachment's observed SHA-256 differs from the one recorded for it. The record is
    /// unchanged; `flag` is the custody event to log and apply so the mismatch stays on record.
    #[error("attachment {expected} tampered: {holder} observed {observed}")]
    Tampered {
        expected: Sha256Hex,
        observed: Sha256Hex,
        holder: PartyId,
        flag: Box<crate::request::RequestEvent>,
    },
    /// An attachment the record does not know.
    #[error("unknown attachment {0}")]
    UnknownAttachment(Sha256Hex),
    /// A record id that is not `<pacific type>--<uuid v4>`.
    #[error("invalid record id: {0}")]
    InvalidId(String),
    /// An event that does not belong to the record or cannot start one.
    #[error("event does not apply: {0}")]
    BadEvent(String),
    /// An act that no longer counts: it was decided on a state of the record that an act
    /// ordered before it (made concurrently on another node) changed, so the same command now
    /// gives something else (a signature of minutes a new proposal replaced, a second proposal
    /// of the same version).
    #[error("the act conflicts with an act ordered before it: {0}")]
    Superseded(String),
    /// A STIX object that is not a valid record of this type.
    #[error("not a valid {record}: {reason}")]
    Stix {
        record: &'static str,
        reason: String,
    },
}
