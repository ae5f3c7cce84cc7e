//! Cooperation between authorities (issue 5): assistance requests, the 24/7 hotline,
//! consultations and disputes, as Pacific records.
//!
//! Every record is an **aggregate** ([`Aggregate`]): the node turns a user's act into a
//! command, [`Aggregate::decide`] checks it (which *party* acts, with which *role*, in which
//! state, with what input) and answers with **events**, and [`Aggregate::apply`] moves the
//! record. Events are what the node signs, appends to its transparency log and sends to the
//! record's other parties, who apply them to their copy. A record's current state is a STIX 2.1
//! object of a Pacific extension type ([`stix`]), so it is stored, gated, logged and shared
//! like every other object.
//!
//! | record | module | STIX type |
//! |---|---|---|
//! | assistance request (preservation, disclosure, takedown, incident assistance, information) | [`request`] | `x-pacific-assistance-request` |
//! | hotline contact, hotline ping (and the escalation inside a request) | [`hotline`] | `x-pacific-hotline-contact`, `x-pacific-hotline-ping` |
//! | consultation | [`consultation`] | `x-pacific-consultation` |
//! | dispute (negotiation → mediation → arbitration) | [`dispute`] | `x-pacific-dispute` |
//! | one act on a record (the events of one command), as nodes publish it | [`wire`] | `x-pacific-coop-event` |
//!
//! Who may do what: [`CoopRole::may`] (liaison and admin act for the party, analysts draft,
//! readers read); who may receive a record: [`Aggregate::audience`]. Deadlines:
//! [`DeadlinePolicy`], [`HotlinePolicy`].
//!
//! **Architecture invariant:** `coop` does no I/O and reads no clock. Every time is passed in
//! (`now`), every id's UUID is passed in; the same commands at the same times give the same
//! events on every node.
//!
//! **Architecture invariant:** `coop` knows nothing of HTTP, the store, the log or the
//! federation. It decides and applies; the node authenticates, stores, logs, signs, sends and
//! asks the policy gate.
//!
//! **Architecture invariant:** a refused command changes nothing. `decide` takes `&self`;
//! only `apply` mutates, and only with events `decide` produced (here or on a peer's node).

pub mod actor;
pub mod common;
pub mod consultation;
pub mod deadline;
pub mod dispute;
pub mod error;
pub mod hotline;
pub mod request;
pub mod stix;
pub mod wire;

pub use actor::{Actor, Capability, CoopRole};
pub use common::{Aggregate, Audience, Event, RecordId, RecordMeta, RecordType, Sha256Hex};
pub use deadline::DeadlinePolicy;
pub use error::CoopError;
pub use hotline::HotlinePolicy;
pub use stix::StixRecord;
