//! STIX 2.1 objects.
//!
//! A [`StixObject`] keeps the whole JSON object exactly as received (property order included),
//! so custom properties, extensions and properties this code does not know round-trip
//! unchanged. The properties every layer needs (id, type, versioning) are read out once and
//! validated when the object is built; the rest of the checks are per type, in `validate`.

use serde_json::{Map, Value};

use crate::time::Timestamp;

/// The kind of STIX object, which decides the common-property rules that apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectCategory {
    /// STIX Domain Object (attack-pattern, indicator, …).
    Domain,
    /// STIX Relationship Object (relationship, sighting).
    Relationship,
    /// STIX Cyber-observable Object (ipv4-addr, file, …).
    Observable,
    /// Meta objects: language-content, marking-definition, extension-definition.
    Meta,
    /// A custom object type, not defined by the specification.
    Custom,
}

/// Why an object is not valid STIX 2.1. Names the object (when its id could be read) and the
/// offending property.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: property `{property}`: {reason}", object_id.as_deref().unwrap_or("object without a valid id"))]
pub struct ValidationError {
    /// The object's `id`, when it had a usable one.
    pub object_id: Option<String>,
    /// The property at fault (dotted path for nested properties, e.g. `external_references.0.source_name`).
    pub property: String,
    /// What is wrong, in words.
    pub reason: String,
}

impl ValidationError {
    pub fn new(
        object_id: Option<&str>,
        property: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            object_id: object_id.map(str::to_owned),
            property: property.into(),
            reason: reason.into(),
        }
    }
}

/// One validated STIX 2.1 object.
#[derive(Clone, Debug, PartialEq)]
pub struct StixObject {
    map: Map<String, Value>,
    id: String,
    category: ObjectCategory,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
}

impl StixObject {
    /// Validates a JSON value as a STIX 2.1 object.
    pub fn from_value(value: Value) -> Result<Self, ValidationError> {
        match value {
            Value::Object(map) => Self::from_map(map),
            other => Err(ValidationError::new(
                None,
                "",
                format!("expected a JSON object, found {}", json_kind(&other)),
            )),
        }
    }

    /// Parses and validates one object from JSON text.
    pub fn from_json(text: &str) -> Result<Self, ValidationError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ValidationError::new(None, "", format!("malformed JSON: {e}")))?;
        Self::from_value(value)
    }

    /// Validates a JSON object as a STIX 2.1 object.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, ValidationError> {
        let type_name = match map.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(_) => {
                return Err(ValidationError::new(
                    raw_id(&map),
                    "type",
                    "must be a string",
                ));
            }
            None => return Err(ValidationError::new(raw_id(&map), "type", "is required")),
        };
        crate::validate::check_type_name(&type_name, raw_id(&map))?;
        let id = match map.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(ValidationError::new(None, "id", "must be a string")),
            None => return Err(ValidationError::new(None, "id", "is required")),
        };
        crate::validate::check_identifier(&id, Some(&type_name), Some(&id), "id")?;
        let category = category_of(&type_name);
        let created = optional_timestamp(&map, "created", &id)?;
        let modified = optional_timestamp(&map, "modified", &id)?;
        let object = Self {
            map,
            id,
            category,
            created,
            modified,
        };
        crate::validate::validate(&object)?;
        Ok(object)
    }

    /// The object's `id` (`type--UUID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The object's `type`.
    pub fn type_name(&self) -> &str {
        self.id.split_once("--").map_or(&self.id, |(t, _)| t)
    }

    /// Which family of STIX objects this belongs to.
    pub fn category(&self) -> ObjectCategory {
        self.category
    }

    /// `spec_version`, defaulting to `2.1` (the only version this node accepts).
    pub fn spec_version(&self) -> &str {
        self.map
            .get("spec_version")
            .and_then(Value::as_str)
            .unwrap_or("2.1")
    }

    pub fn created(&self) -> Option<&Timestamp> {
        self.created.as_ref()
    }

    pub fn modified(&self) -> Option<&Timestamp> {
        self.modified.as_ref()
    }

    /// The version identifier TAXII uses: `modified`, else `created`; `None` for objects that
    /// carry neither (most observables), whose version is the time the server added them.
    pub fn version(&self) -> Option<&Timestamp> {
        self.modified.as_ref().or(self.created.as_ref())
    }

    /// Whether the object has `revoked: true`.
    pub fn is_revoked(&self) -> bool {
        self.map
            .get("revoked")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The ids in `object_marking_refs`.
    pub fn object_marking_refs(&self) -> impl Iterator<Item = &str> {
        self.map
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// A property by name.
    pub fn get(&self, property: &str) -> Option<&Value> {
        self.map.get(property)
    }

    /// All properties, in the order received.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    /// This object marked `tlp` when it carries no TLP marking yet (for data that arrives
    /// unmarked, which the policy gate would treat as TLP:AMBER); unchanged when it has one, and
    /// for marking definitions, which are not marked.
    pub fn with_default_tlp(mut self, tlp: crate::tlp::Tlp) -> StixObject {
        if self.type_name() == "marking-definition"
            || crate::tlp::Tlp::strictest(self.object_marking_refs()).is_some()
        {
            return self;
        }
        let marking = Value::String(tlp.marking_id().to_owned());
        match self.map.get_mut("object_marking_refs") {
            Some(Value::Array(refs)) => refs.push(marking),
            _ => {
                self.map.insert(
                    "object_marking_refs".to_owned(),
                    Value::Array(vec![marking]),
                );
            }
        }
        self
    }

    /// Compact JSON text of the whole object, properties in the order received.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.map).expect("a JSON map always serialises")
    }
}

impl serde::Serialize for StixObject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for StixObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Self::from_map(map).map_err(serde::de::Error::custom)
    }
}

/// The category of a type name.
pub fn category_of(type_name: &str) -> ObjectCategory {
    use crate::validate::{DOMAIN_TYPES, META_TYPES, OBSERVABLE_TYPES, RELATIONSHIP_TYPES};
    if DOMAIN_TYPES.contains(&type_name) {
        ObjectCategory::Domain
    } else if RELATIONSHIP_TYPES.contains(&type_name) {
        ObjectCategory::Relationship
    } else if OBSERVABLE_TYPES.contains(&type_name) {
        ObjectCategory::Observable
    } else if META_TYPES.contains(&type_name) {
        ObjectCategory::Meta
    } else {
        ObjectCategory::Custom
    }
}

fn raw_id(map: &Map<String, Value>) -> Option<&str> {
    map.get("id").and_then(Value::as_str)
}

fn optional_timestamp(
    map: &Map<String, Value>,
    property: &str,
    id: &str,
) -> Result<Option<Timestamp>, ValidationError> {
    match map.get(property) {
        None => Ok(None),
        Some(Value::String(s)) => Timestamp::parse(s)
            .map(Some)
            .map_err(|e| ValidationError::new(Some(id), property, e.to_string())),
        Some(other) => Err(ValidationError::new(
            Some(id),
            property,
            format!("must be a timestamp string, found {}", json_kind(other)),
        )),
    }
}

/// "a string", "an array", … for error messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
