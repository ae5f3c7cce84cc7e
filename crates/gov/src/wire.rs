//! Governance acts between nodes: each member's act ([`Act`]) is one small STIX object of the
//! type `x-pacific-gov-act`, created by the acting party's node, TLP:GREEN (the federation's
//! members: its register), naming the federation it belongs to (the charter's hash) and the
//! party that acts (`acted_by`). Nodes exchange acts, never the federation's state: every node
//! replays the acts it holds ([`crate::state::replay`]) and gets the same register, proposals,
//! tallies and parameters.

use pacific_core::policy::PartyId;
use pacific_core::tlp::TLP2_GREEN;
use pacific_core::{StixObject, Timestamp};
use serde_json::{Map, Value, json};

use crate::proposal::Act;
use crate::state::HeldAct;

/// The STIX type of an act.
pub const ACT_TYPE: &str = "x-pacific-gov-act";
/// The id of the `extension-definition` of [`ACT_TYPE`]. Fixed forever.
pub const ACT_EXTENSION_ID: &str = "extension-definition--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e20";
/// The Pacific project's identity, which publishes its extension definitions.
pub const PACIFIC_IDENTITY_ID: &str = "identity--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e00";
const DEFINITIONS_CREATED: &str = "2026-01-01T00:00:00.000Z";

/// The JSON Schema of [`ACT_TYPE`], as published in `crates/gov/schemas/`.
pub fn act_schema() -> &'static str {
    include_str!("../schemas/x-pacific-gov-act.json")
}

/// The `extension-definition` (`new-sdo`) of [`ACT_TYPE`], carrying its schema.
pub fn act_extension_definition() -> StixObject {
    StixObject::from_value(json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ACT_EXTENSION_ID,
        "created_by_ref": PACIFIC_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "Pacific governance act",
        "description": "One member's act in a Pacific federation's governance (a proposal, a comment, an amendment, a vote, a withdrawal), published by the acting party's node and replayed by every member node.",
        "schema": act_schema(),
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    }))
    .expect("the act extension definition is valid STIX")
}

/// What is wrong with an act object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a governance act: {0}")]
pub struct WireError(pub String);

/// An act as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub id: String,
    pub federation: String,
    pub by: PartyId,
    pub at: Timestamp,
    pub act: Act,
}

impl Published {
    /// The act as the replay holds it, given the party whose node published it.
    pub fn held(self, origin: PartyId) -> HeldAct {
        HeldAct {
            id: self.id,
            by: self.by,
            origin,
            at: self.at,
            act: self.act,
        }
    }
}

/// The STIX object of `act` by `by` in federation `federation`, made at `at`.
pub fn to_stix(
    uuid: &str,
    federation: &str,
    by: &PartyId,
    act: &Act,
    at: &Timestamp,
) -> Result<StixObject, WireError> {
    let mut map = Map::new();
    map.insert("type".into(), json!(ACT_TYPE));
    map.insert("spec_version".into(), json!("2.1"));
    map.insert("id".into(), json!(format!("{ACT_TYPE}--{uuid}")));
    map.insert("created".into(), json!(at));
    map.insert("modified".into(), json!(at));
    map.insert("federation".into(), json!(federation));
    map.insert("acted_by".into(), json!(by));
    let Value::Object(body) = serde_json::to_value(act).map_err(|e| WireError(e.to_string()))?
    else {
        return Err(WireError("an act is an object".into()));
    };
    map.extend(body);
    map.insert("object_marking_refs".into(), json!([TLP2_GREEN]));
    map.insert(
        "extensions".into(),
        json!({ ACT_EXTENSION_ID: {"extension_type": "new-sdo"} }),
    );
    StixObject::from_map(map).map_err(|e| WireError(e.to_string()))
}

/// The act an `x-pacific-gov-act` object holds.
pub fn from_stix(object: &StixObject) -> Result<Published, WireError> {
    let err = |s: &str| WireError(s.to_owned());
    if object.type_name() != ACT_TYPE {
        return Err(WireError(format!("type is {:?}", object.type_name())));
    }
    let ext = object
        .get("extensions")
        .and_then(|e| e.get(ACT_EXTENSION_ID))
        .and_then(|e| e.get("extension_type"))
        .and_then(Value::as_str);
    if ext != Some("new-sdo") {
        return Err(WireError(format!(
            "extensions must name {ACT_EXTENSION_ID} as new-sdo"
        )));
    }
    let federation = object
        .get("federation")
        .and_then(Value::as_str)
        .ok_or_else(|| err("federation is missing"))?
        .to_owned();
    let by = object
        .get("acted_by")
        .and_then(Value::as_str)
        .ok_or_else(|| err("acted_by is missing"))?;
    let at = object
        .created()
        .ok_or_else(|| err("created is missing"))?
        .clone();
    if object.modified() != Some(&at) {
        return Err(err("an act has one version: modified is its created"));
    }
    // The act's own fields: everything but the envelope of common properties.
    const COMMON: [&str; 10] = [
        "type",
        "spec_version",
        "id",
        "created",
        "modified",
        "federation",
        "acted_by",
        "object_marking_refs",
        "extensions",
        "created_by_ref",
    ];
    let body: Map<String, Value> = object
        .as_map()
        .iter()
        .filter(|(k, _)| !COMMON.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let act: Act =
        serde_json::from_value(Value::Object(body)).map_err(|e| WireError(e.to_string()))?;
    Ok(Published {
        id: object.id().to_owned(),
        federation,
        by: PartyId::new(by),
        at,
        act,
    })
}
