//! Reading an object's markings: its effective TLP level and Pacific's own marking properties.
//!
//! Pacific's markings are top-level STIX custom properties (STIX 2.1 §11.1), so any STIX tool
//! keeps them and shows them:
//!
//! | property | form | meaning |
//! |---|---|---|
//! | `x_pacific_recipients` | `["party-id", …]` | the parties the object is addressed to |
//! | `x_pacific_sharing_groups` | `["group", …]` | the sharing groups it is addressed to |
//! | `x_pacific_jurisdiction_restriction` | `{"keep_within": ["XA", …]}` | it may only go to parties of these jurisdictions |
//! | `x_pacific_personal_data` | `{"subjects_resident_in": ["XA", …]}` | it holds personal data about residents of these jurisdictions |
//! | `x_pacific_retention` | `{"until": "<timestamp>"}` | it may not be passed on from this instant |
//!
//! A marking the gate cannot read completely (wrong JSON kind, unknown key inside one of the
//! objects above, a bad jurisdiction code or timestamp) is an error, and the gate holds the
//! object back: an unread marking might have been a restriction.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::party::check_jurisdiction;
use crate::tlp::Tlp;
use crate::{StixObject, Timestamp};

use super::PartyId;

/// `x_pacific_recipients`: the parties an object is addressed to, by [`PartyId`].
pub const PROP_RECIPIENTS: &str = "x_pacific_recipients";
/// `x_pacific_sharing_groups`: the sharing groups an object is addressed to, by name.
pub const PROP_SHARING_GROUPS: &str = "x_pacific_sharing_groups";
/// `x_pacific_jurisdiction_restriction`: `{"keep_within": [codes]}`.
pub const PROP_JURISDICTION_RESTRICTION: &str = "x_pacific_jurisdiction_restriction";
/// `x_pacific_personal_data`: `{"subjects_resident_in": [codes]}`.
pub const PROP_PERSONAL_DATA: &str = "x_pacific_personal_data";
/// `x_pacific_retention`: `{"until": timestamp}`.
pub const PROP_RETENTION: &str = "x_pacific_retention";

/// Why an object's markings cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("marking property {property} is malformed: {problem}")]
pub struct MarkingError {
    /// The property (dotted for nested values, e.g. `x_pacific_retention.until`).
    pub property: String,
    pub problem: String,
}

impl MarkingError {
    fn new(property: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            property: property.into(),
            problem: problem.into(),
        }
    }
}

/// Where an object's TLP level came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlpSource {
    /// A TLP marking in `object_marking_refs` or `granular_markings`.
    Marked,
    /// No TLP marking: the policy's `default_tlp`.
    PolicyDefault,
    /// One of the standard TLP marking definitions, which are public (TLP:CLEAR).
    TlpDefinition,
}

/// Everything the gate reads from one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Markings {
    /// The effective TLP level: the strictest TLP marking among `object_marking_refs` and the
    /// `marking_ref`s of `granular_markings` (the gate passes or holds whole objects, so a
    /// granular marking binds the whole object); else CLEAR for a standard TLP definition;
    /// else the policy's default.
    pub tlp: Tlp,
    pub tlp_source: TlpSource,
    /// `x_pacific_recipients`, if present.
    pub recipients: Option<BTreeSet<PartyId>>,
    /// `x_pacific_sharing_groups`, if present.
    pub sharing_groups: Option<BTreeSet<String>>,
    /// `x_pacific_jurisdiction_restriction.keep_within`, if present.
    pub keep_within: Option<BTreeSet<String>>,
    /// `x_pacific_personal_data.subjects_resident_in`, if present.
    pub personal_data_of: Option<BTreeSet<String>>,
    /// `x_pacific_retention.until`, if present.
    pub retention_until: Option<Timestamp>,
}

impl Markings {
    /// Reads an object's markings; `default_tlp` is the level of an object with no TLP marking.
    pub fn read(object: &StixObject, default_tlp: Tlp) -> Result<Markings, MarkingError> {
        let granular = object
            .get("granular_markings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| g.get("marking_ref").and_then(Value::as_str));
        let marked = Tlp::strictest(object.object_marking_refs().chain(granular));
        let (tlp, tlp_source) = match marked {
            Some(tlp) => (tlp, TlpSource::Marked),
            None if is_tlp_definition(object) => (Tlp::Clear, TlpSource::TlpDefinition),
            None => (default_tlp, TlpSource::PolicyDefault),
        };
        Ok(Markings {
            tlp,
            tlp_source,
            recipients: string_set(object, PROP_RECIPIENTS)?
                .map(|s| s.into_iter().map(PartyId::from).collect()),
            sharing_groups: string_set(object, PROP_SHARING_GROUPS)?,
            keep_within: codes_in(object, PROP_JURISDICTION_RESTRICTION, "keep_within")?,
            personal_data_of: codes_in(object, PROP_PERSONAL_DATA, "subjects_resident_in")?,
            retention_until: retention(object)?,
        })
    }

    /// Whether the object names an audience (`x_pacific_recipients` or
    /// `x_pacific_sharing_groups` present).
    pub fn is_addressed(&self) -> bool {
        self.recipients.is_some() || self.sharing_groups.is_some()
    }

    /// Whether `party` is named individually in `x_pacific_recipients`.
    pub fn names(&self, party: &PartyId) -> bool {
        self.recipients.as_ref().is_some_and(|r| r.contains(party))
    }
}

/// Whether an object is one of the standard TLP marking definitions (1.0 or 2.0).
pub fn is_tlp_definition(object: &StixObject) -> bool {
    object.type_name() == "marking-definition" && Tlp::from_marking_id(object.id()).is_some()
}

fn string_list<'v>(value: &'v Value, property: &str) -> Result<Vec<&'v str>, MarkingError> {
    let items = value.as_array().ok_or_else(|| {
        MarkingError::new(
            property,
            format!("must be a list of strings, found {}", kind(value)),
        )
    })?;
    items
        .iter()
        .map(|item| match item.as_str() {
            Some("") => Err(MarkingError::new(property, "contains an empty string")),
            Some(s) => Ok(s),
            None => Err(MarkingError::new(
                property,
                format!("must be a list of strings, found a {} in it", kind(item)),
            )),
        })
        .collect()
}

fn string_set(
    object: &StixObject,
    property: &str,
) -> Result<Option<BTreeSet<String>>, MarkingError> {
    object
        .get(property)
        .map(|v| {
            Ok(string_list(v, property)?
                .into_iter()
                .map(str::to_owned)
                .collect())
        })
        .transpose()
}

/// The object at `property`, which must have exactly the keys in `keys`.
fn marking_object<'v>(
    value: &'v Value,
    property: &str,
    keys: &[&str],
) -> Result<&'v Map<String, Value>, MarkingError> {
    let map = value.as_object().ok_or_else(|| {
        MarkingError::new(
            property,
            format!("must be an object, found {}", kind(value)),
        )
    })?;
    if let Some(unknown) = map.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(MarkingError::new(
            property,
            format!(
                "unknown key {unknown:?} (a restriction the gate cannot read holds the object back)"
            ),
        ));
    }
    for key in keys {
        if !map.contains_key(*key) {
            return Err(MarkingError::new(
                format!("{property}.{key}"),
                "is required",
            ));
        }
    }
    Ok(map)
}

fn codes_in(
    object: &StixObject,
    property: &str,
    key: &str,
) -> Result<Option<BTreeSet<String>>, MarkingError> {
    let Some(value) = object.get(property) else {
        return Ok(None);
    };
    let map = marking_object(value, property, &[key])?;
    let path = format!("{property}.{key}");
    let codes = match map.get(key) {
        Some(list) => string_list(list, &path)?,
        None => return Err(MarkingError::new(path, "is required")),
    };
    for code in &codes {
        check_jurisdiction(code).map_err(|e| MarkingError::new(&path, e))?;
    }
    Ok(Some(codes.into_iter().map(str::to_owned).collect()))
}

fn retention(object: &StixObject) -> Result<Option<Timestamp>, MarkingError> {
    let Some(value) = object.get(PROP_RETENTION) else {
        return Ok(None);
    };
    let map = marking_object(value, PROP_RETENTION, &["until"])?;
    let path = format!("{PROP_RETENTION}.until");
    match map.get("until") {
        Some(Value::String(s)) => Timestamp::parse(s)
            .map(Some)
            .map_err(|e| MarkingError::new(path, e.to_string())),
        Some(other) => Err(MarkingError::new(
            path,
            format!("must be a timestamp string, found {}", kind(other)),
        )),
        None => Err(MarkingError::new(path, "is required")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
