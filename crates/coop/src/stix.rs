//! Records as STIX 2.1 objects, and the extension definitions that define their types.
//!
//! Each record type is a new STIX Domain Object defined by a Pacific `extension-definition`
//! ([`extension_definition`]): the record carries `extensions: {"<definition id>":
//! {"extension_type": "new-sdo"}}`, `spec_version` `2.1`, its `id`, `created`, `modified` (which
//! advances on every event) and `created_by_ref` when the creator's identity is known. Its own
//! properties are the record's fields, as documented by the JSON Schemas in
//! `crates/coop/schemas/` ([`schema`]), which the extension definitions carry as their `schema`.
//!
//! Records also name their audience in Pacific's `x_pacific_recipients` marking property
//! (see `docs/policy.md`), so the policy gate never sends them to anyone else. A record read
//! back with [`StixRecord::from_stix`] ignores that property (it is derived) and any
//! properties it does not know.

use pacific_core::{StixObject, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::common::{Aggregate, Audience, RecordType};
use crate::consultation::Consultation;
use crate::dispute::Dispute;
use crate::error::CoopError;
use crate::hotline::{HotlineContact, HotlinePing};
use crate::request::AssistanceRequest;

/// The identity of the Pacific project, creator of the extension definitions.
pub const PACIFIC_IDENTITY_ID: &str = "identity--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e00";
/// When the extension definitions were created (fixed: they are the same on every node).
pub const DEFINITIONS_CREATED: &str = "2026-01-01T00:00:00.000Z";
/// The version of every definition; bumped on a change of a record's properties.
pub const DEFINITIONS_VERSION: &str = "1.0.0";

/// Properties [`StixRecord::to_stix`] adds around the record's own fields.
const ENVELOPE: &[&str] = &["type", "spec_version", "extensions", "x_pacific_recipients"];

/// The JSON Schema (draft 2020-12) of a record type's objects, as published in
/// `crates/coop/schemas/<type>.json`.
pub fn schema(record_type: RecordType) -> &'static str {
    match record_type {
        RecordType::AssistanceRequest => {
            include_str!("../schemas/x-pacific-assistance-request.json")
        }
        RecordType::Consultation => include_str!("../schemas/x-pacific-consultation.json"),
        RecordType::Dispute => include_str!("../schemas/x-pacific-dispute.json"),
        RecordType::HotlineContact => include_str!("../schemas/x-pacific-hotline-contact.json"),
        RecordType::HotlinePing => include_str!("../schemas/x-pacific-hotline-ping.json"),
    }
}

fn describe(record_type: RecordType) -> (&'static str, &'static str) {
    match record_type {
        RecordType::AssistanceRequest => (
            "Pacific assistance request",
            "A request for assistance between authorities (preservation, disclosure, takedown or mitigation, incident assistance, information), with its state, deadlines, hotline escalation, answer and chain of custody.",
        ),
        RecordType::Consultation => (
            "Pacific consultation",
            "A consultation thread between two or more parties: agenda, messages, attached objects and minutes signed by each participant.",
        ),
        RecordType::Dispute => (
            "Pacific dispute",
            "A dispute between two parties through negotiation, mediation and arbitration, with claims, evidence, deadlines, votes, decision or settlement.",
        ),
        RecordType::HotlineContact => (
            "Pacific hotline contact",
            "A party's 24/7 point of contact: name and channel.",
        ),
        RecordType::HotlinePing => (
            "Pacific hotline ping",
            "One check that a party's 24/7 hotline answers, and its outcome.",
        ),
    }
}

/// The STIX `extension-definition` of a record type (`new-sdo`), created by
/// [`PACIFIC_IDENTITY_ID`], carrying the type's JSON Schema.
pub fn extension_definition(record_type: RecordType) -> StixObject {
    let (name, description) = describe(record_type);
    StixObject::from_value(json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": record_type.extension_definition_id(),
        "created_by_ref": PACIFIC_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": name,
        "description": description,
        "schema": schema(record_type),
        "version": DEFINITIONS_VERSION,
        "extension_types": ["new-sdo"],
    }))
    .expect("the extension definitions are valid STIX")
}

/// Every extension definition, and the identity that created them: what a node publishes
/// once so any STIX tool can read the records.
pub fn definitions() -> Vec<StixObject> {
    let identity = StixObject::from_value(json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": PACIFIC_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "Pacific project",
        "identity_class": "organization",
    }))
    .expect("the Pacific identity is valid STIX");
    std::iter::once(identity)
        .chain(RecordType::ALL.into_iter().map(extension_definition))
        .chain(std::iter::once(crate::wire::event_extension_definition()))
        .collect()
}

/// A record that has a STIX form.
pub trait StixRecord: Aggregate + Serialize + DeserializeOwned {
    const RECORD_TYPE: RecordType;

    /// The record's current state as a validated STIX 2.1 object.
    fn to_stix(&self) -> Result<StixObject, CoopError> {
        let err = |reason: String| CoopError::Stix {
            record: Self::RECORD_TYPE.type_name(),
            reason,
        };
        let Value::Object(fields) = serde_json::to_value(self).map_err(|e| err(e.to_string()))?
        else {
            return Err(err("a record serialises to a JSON object".into()));
        };
        let mut map = Map::new();
        map.insert("type".into(), json!(Self::RECORD_TYPE.type_name()));
        map.insert("spec_version".into(), json!("2.1"));
        map.extend(fields);
        if let Audience::Only(parties) = self.audience() {
            map.insert("x_pacific_recipients".into(), json!(parties));
        }
        map.insert(
            "extensions".into(),
            json!({ Self::RECORD_TYPE.extension_definition_id(): {"extension_type": "new-sdo"} }),
        );
        StixObject::from_map(map).map_err(|e| err(e.to_string()))
    }

    /// The record a STIX object of this type holds.
    fn from_stix(object: &StixObject) -> Result<Self, CoopError> {
        let err = |reason: String| CoopError::Stix {
            record: Self::RECORD_TYPE.type_name(),
            reason,
        };
        if object.type_name() != Self::RECORD_TYPE.type_name() {
            return Err(err(format!("type is {:?}", object.type_name())));
        }
        let ext = object
            .get("extensions")
            .and_then(|e| e.get(Self::RECORD_TYPE.extension_definition_id()))
            .and_then(|e| e.get("extension_type"))
            .and_then(Value::as_str);
        if ext != Some("new-sdo") {
            return Err(err(format!(
                "extensions must name {} as new-sdo",
                Self::RECORD_TYPE.extension_definition_id()
            )));
        }
        let mut map = object.as_map().clone();
        for p in ENVELOPE {
            map.remove(*p);
        }
        serde_json::from_value(Value::Object(map)).map_err(|e| err(e.to_string()))
    }
}

impl StixRecord for AssistanceRequest {
    const RECORD_TYPE: RecordType = RecordType::AssistanceRequest;
}
impl StixRecord for Consultation {
    const RECORD_TYPE: RecordType = RecordType::Consultation;
}
impl StixRecord for Dispute {
    const RECORD_TYPE: RecordType = RecordType::Dispute;
}
impl StixRecord for HotlineContact {
    const RECORD_TYPE: RecordType = RecordType::HotlineContact;
}
impl StixRecord for HotlinePing {
    const RECORD_TYPE: RecordType = RecordType::HotlinePing;
}

/// The fixed creation time of the extension definitions.
pub fn definitions_created() -> Timestamp {
    Timestamp::parse(DEFINITIONS_CREATED).expect("a valid timestamp")
}
