//! Validation rules of STIX 2.1 (OASIS STIX Version 2.1, sections 2–7): common properties,
//! identifiers, timestamps, and the required properties of every object type.

use serde_json::Value;

use crate::stix::{ObjectCategory, StixObject, ValidationError};

/// STIX Domain Object types (spec §4).
pub const DOMAIN_TYPES: &[&str] = &[
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
    "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note",
    "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
];
/// STIX Relationship Object types (spec §5).
pub const RELATIONSHIP_TYPES: &[&str] = &["relationship", "sighting"];
/// STIX Cyber-observable Object types (spec §6).
pub const OBSERVABLE_TYPES: &[&str] = &[
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software",
    "url", "user-account", "windows-registry-key", "x509-certificate",
];
/// STIX meta object types (spec §7).
pub const META_TYPES: &[&str] = &["language-content", "marking-definition", "extension-definition"];

/// A type name: 3–250 characters of lower-case ASCII letters, digits and single hyphens.
pub(crate) fn check_type_name(type_name: &str, id: Option<&str>) -> Result<(), ValidationError> {
    let ok = (3..=250).contains(&type_name.len())
        && type_name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !type_name.starts_with('-')
        && !type_name.ends_with('-')
        && !type_name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(id, "type", format!("{type_name:?} is not a valid type name (3-250 chars of a-z, 0-9, '-')")))
    }
}

/// An identifier `type--UUID`; when `expected_type` is given the prefix must match it.
pub(crate) fn check_identifier(
    value: &str,
    expected_type: Option<&str>,
    object_id: Option<&str>,
    property: &str,
) -> Result<(), ValidationError> {
    let bad = |why: String| ValidationError::new(object_id, property, why);
    let Some((prefix, uuid)) = value.split_once("--") else {
        return Err(bad(format!("{value:?} is not an identifier of the form type--UUID")));
    };
    if let Some(t) = expected_type
        && prefix != t
    {
        return Err(bad(format!("identifier {value:?} must start with {t:?}--")));
    }
    check_type_name(prefix, object_id).map_err(|_| bad(format!("identifier {value:?} has an invalid type part")))?;
    if !is_uuid(uuid) {
        return Err(bad(format!("identifier {value:?} does not end in a UUID")));
    }
    Ok(())
}

/// RFC 4122 textual form: 8-4-4-4-12 hex digits.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// All rules beyond id and type, which `StixObject::from_map` checked already.
pub(crate) fn validate(object: &StixObject) -> Result<(), ValidationError> {
    let id = Some(object.id());
    let category = object.category();
    let needs_spec_version = category != ObjectCategory::Observable;
    match object.get("spec_version") {
        Some(Value::String(v)) if v == "2.1" => {}
        Some(Value::String(v)) => return Err(ValidationError::new(id, "spec_version", format!("must be \"2.1\", found {v:?}"))),
        Some(_) => return Err(ValidationError::new(id, "spec_version", "must be a string")),
        None if needs_spec_version => return Err(ValidationError::new(id, "spec_version", "is required")),
        None => {}
    }
    let needs_created = matches!(category, ObjectCategory::Domain | ObjectCategory::Relationship | ObjectCategory::Meta);
    if needs_created && object.created().is_none() {
        return Err(ValidationError::new(id, "created", "is required"));
    }
    let needs_modified = matches!(category, ObjectCategory::Domain | ObjectCategory::Relationship)
        || matches!(object.type_name(), "language-content" | "extension-definition");
    if needs_modified && object.modified().is_none() {
        return Err(ValidationError::new(id, "modified", "is required"));
    }
    if let (Some(c), Some(m)) = (object.created(), object.modified())
        && m < c
    {
        return Err(ValidationError::new(id, "modified", format!("{m} is earlier than created {c}")));
    }
    Ok(())
}
