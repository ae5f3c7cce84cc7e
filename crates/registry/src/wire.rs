//! A claim on the wire: one STIX 2.1 object of the type `x-pacific-resource-claim`, defined by
//! a Pacific extension definition (`new-sdo`, fixed id [`CLAIM_EXTENSION_ID`], JSON schema in
//! `crates/registry/schemas/`), created by the claiming party's node (`created_by_ref` is the
//! party's identity, `party_ref`), TLP:GREEN. A new version keeps the id and moves `modified`;
//! `revoked: true` withdraws the claim.
//!
//! [`from_stix`] refuses, with a typed [`WireError`], an object of another type or without the
//! extension, a missing or malformed field, a claim whose `created_by_ref` is not its claiming
//! party's identity, and any claim [`Claim::check`] refuses. [`from_peer`] also refuses a claim
//! that did not come from its party's own node.

use pacific_core::policy::PartyId;
use pacific_core::tlp::TLP2_GREEN;
use pacific_core::{StixObject, Timestamp};
use serde_json::{Map, Value, json};

use crate::claim::{CLAIM_TYPE, Claim, ClaimError, Contact, Resources, Role};
use crate::resource::{AsnRange, DomainSuffix, Ipv4Prefix, Ipv6Prefix, ResourceError};

/// The id of the `extension-definition` of [`CLAIM_TYPE`]. Fixed forever.
pub const CLAIM_EXTENSION_ID: &str = "extension-definition--bf4d787d-b565-4c48-b588-34594b3a711a";
/// The Pacific project's identity, which publishes its extension definitions.
pub const PACIFIC_IDENTITY_ID: &str = "identity--5b4f6f0e-7d0a-4c1e-9a51-2f1b7c3d9e00";
const DEFINITIONS_CREATED: &str = "2026-01-01T00:00:00.000Z";

/// The JSON Schema of [`CLAIM_TYPE`], as published in `crates/registry/schemas/`.
pub fn claim_schema() -> &'static str {
    include_str!("../schemas/x-pacific-resource-claim.json")
}

/// The `extension-definition` (`new-sdo`) of [`CLAIM_TYPE`], carrying its schema.
pub fn claim_extension_definition() -> StixObject {
    StixObject::from_value(json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": CLAIM_EXTENSION_ID,
        "created_by_ref": PACIFIC_IDENTITY_ID,
        "created": DEFINITIONS_CREATED,
        "modified": DEFINITIONS_CREATED,
        "name": "Pacific resource claim",
        "description": "A party's signed statement that it answers, as jurisdiction, operator or contact, for IP prefixes, AS numbers and domain suffixes, with its 24/7 contact, validity dates and evidence. Published by the claiming party's node and indexed by every node of the federation.",
        "schema": claim_schema(),
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    }))
    .expect("the claim extension definition is valid STIX")
}

/// What is wrong with a claim object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("not a resource claim: the type is {0:?}")]
    Type(String),
    #[error("extensions must name {CLAIM_EXTENSION_ID} as new-sdo")]
    Extension,
    #[error("the claim has no {0}")]
    Missing(&'static str),
    #[error("the claim's {field} is malformed: {reason}")]
    Field { field: &'static str, reason: String },
    #[error("the claim's {field}: {error}")]
    Resource {
        field: &'static str,
        error: ResourceError,
    },
    #[error(
        "the claim was created by {created_by_ref}, not by its claiming party {party_ref}: a party claims only for itself"
    )]
    NotItsCreator {
        created_by_ref: String,
        party_ref: String,
    },
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error("not valid STIX: {0}")]
    Stix(String),
}

/// The STIX object of one version of a claim (checked whole first).
pub fn to_stix(claim: &Claim) -> Result<StixObject, WireError> {
    claim.check()?;
    let mut map = Map::new();
    map.insert("type".into(), json!(CLAIM_TYPE));
    map.insert("spec_version".into(), json!("2.1"));
    map.insert("id".into(), json!(claim.id));
    map.insert("created_by_ref".into(), json!(claim.party_identity));
    map.insert("created".into(), json!(claim.created));
    map.insert("modified".into(), json!(claim.modified));
    if claim.revoked {
        map.insert("revoked".into(), json!(true));
    }
    map.insert("party".into(), json!(claim.party.as_str()));
    map.insert("party_ref".into(), json!(claim.party_identity));
    map.insert("role".into(), json!(claim.role));
    let r = &claim.resources;
    let strings = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
    if !r.ipv4.is_empty() {
        let v = r.ipv4.iter().map(ToString::to_string).collect();
        map.insert("ipv4_prefixes".into(), strings(v));
    }
    if !r.ipv6.is_empty() {
        let v = r.ipv6.iter().map(ToString::to_string).collect();
        map.insert("ipv6_prefixes".into(), strings(v));
    }
    if !r.asns.is_empty() {
        let v = r.asns.iter().map(ToString::to_string).collect();
        map.insert("as_numbers".into(), strings(v));
    }
    if !r.domains.is_empty() {
        let v = r.domains.iter().map(ToString::to_string).collect();
        map.insert("domain_suffixes".into(), strings(v));
    }
    map.insert(
        "contact".into(),
        serde_json::to_value(&claim.contact).map_err(|e| WireError::Stix(e.to_string()))?,
    );
    map.insert("valid_from".into(), json!(claim.valid_from));
    if let Some(until) = &claim.valid_until {
        map.insert("valid_until".into(), json!(until));
    }
    if !claim.evidence.is_empty() {
        map.insert("evidence".into(), json!(claim.evidence));
    }
    map.insert("object_marking_refs".into(), json!([TLP2_GREEN]));
    map.insert(
        "extensions".into(),
        json!({ CLAIM_EXTENSION_ID: {"extension_type": "new-sdo"} }),
    );
    StixObject::from_map(map).map_err(|e| WireError::Stix(e.to_string()))
}

fn string<'a>(object: &'a StixObject, field: &'static str) -> Result<&'a str, WireError> {
    match object.get(field) {
        None => Err(WireError::Missing(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(WireError::Field {
            field,
            reason: "not a string".into(),
        }),
    }
}

fn timestamp(object: &StixObject, field: &'static str) -> Result<Timestamp, WireError> {
    Timestamp::parse(string(object, field)?).map_err(|e| WireError::Field {
        field,
        reason: e.to_string(),
    })
}

/// The strings of the list `field` (absent: none), each parsed by `parse`.
fn list<T>(
    object: &StixObject,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, ResourceError>,
) -> Result<Vec<T>, WireError> {
    let Some(value) = object.get(field) else {
        return Ok(Vec::new());
    };
    let items = value.as_array().ok_or(WireError::Field {
        field,
        reason: "not a list".into(),
    })?;
    items
        .iter()
        .map(|v| {
            let s = v.as_str().ok_or(WireError::Field {
                field,
                reason: "an entry is not a string".into(),
            })?;
            parse(s).map_err(|error| WireError::Resource { field, error })
        })
        .collect()
}

/// The claim an `x-pacific-resource-claim` object holds (checked whole).
pub fn from_stix(object: &StixObject) -> Result<Claim, WireError> {
    if object.type_name() != CLAIM_TYPE {
        return Err(WireError::Type(object.type_name().to_owned()));
    }
    let ext = object
        .get("extensions")
        .and_then(|e| e.get(CLAIM_EXTENSION_ID))
        .and_then(|e| e.get("extension_type"))
        .and_then(Value::as_str);
    if ext != Some("new-sdo") {
        return Err(WireError::Extension);
    }
    let created_by_ref = string(object, "created_by_ref")?;
    let party_ref = string(object, "party_ref")?;
    if created_by_ref != party_ref {
        return Err(WireError::NotItsCreator {
            created_by_ref: created_by_ref.to_owned(),
            party_ref: party_ref.to_owned(),
        });
    }
    let role: Role = string(object, "role")?.parse()?;
    let contact: Contact = serde_json::from_value(
        object
            .get("contact")
            .cloned()
            .ok_or(WireError::Missing("contact"))?,
    )
    .map_err(|e| WireError::Field {
        field: "contact",
        reason: e.to_string(),
    })?;
    let evidence = match object.get("evidence") {
        None => Vec::new(),
        Some(v) => {
            serde_json::from_value::<Vec<String>>(v.clone()).map_err(|e| WireError::Field {
                field: "evidence",
                reason: e.to_string(),
            })?
        }
    };
    let mut resources = Resources {
        ipv4: list(object, "ipv4_prefixes", |s| s.parse::<Ipv4Prefix>())?,
        ipv6: list(object, "ipv6_prefixes", |s| s.parse::<Ipv6Prefix>())?,
        asns: list(object, "as_numbers", |s| s.parse::<AsnRange>())?,
        domains: list(object, "domain_suffixes", DomainSuffix::parse)?,
    };
    resources.normalise();
    let claim = Claim {
        id: object.id().to_owned(),
        created: object
            .created()
            .ok_or(WireError::Missing("created"))?
            .clone(),
        modified: object
            .modified()
            .ok_or(WireError::Missing("modified"))?
            .clone(),
        revoked: object.is_revoked(),
        party: PartyId::new(string(object, "party")?),
        party_identity: party_ref.to_owned(),
        role,
        resources,
        contact,
        valid_from: timestamp(object, "valid_from")?,
        valid_until: match object.get("valid_until") {
            None => None,
            Some(_) => Some(timestamp(object, "valid_until")?),
        },
        evidence,
    };
    claim.check()?;
    Ok(claim)
}

/// [`from_stix`] for an object that came from `origin`'s node (the party whose signature it
/// arrived under): refused unless `origin` is the claiming party.
pub fn from_peer(object: &StixObject, origin: &PartyId) -> Result<Claim, WireError> {
    let claim = from_stix(object)?;
    claim.check_publisher(origin)?;
    Ok(claim)
}
