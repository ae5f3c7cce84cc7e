//! Validation rules of STIX 2.1 (OASIS STIX Version 2.1, sections 2–7): common properties,
//! identifiers, timestamps, and the required properties of every object type.
//!
//! The entry points are here ([`validate`], and the identifier checks of [`ident`]); the rules
//! live beside them by concern:
//!
//! - [`ident`]: type names and identifiers;
//! - [`props`]: the kinds a property's value can have, and how values are checked against them;
//! - [`common`]: the properties every object may carry, and the rules for property names;
//! - [`sdo`], [`sro`], [`sco`], [`meta`]: the property tables and cross-property rules of the
//!   domain (§4), relationship (§5), cyber-observable (§6) and meta (§7) object types.

mod common;
mod ident;
mod meta;
mod props;
mod sco;
mod sdo;
mod sro;

use serde_json::{Map, Value};

use crate::stix::{ObjectCategory, StixObject, ValidationError};
use crate::time::Timestamp;
use common::{COMMON_PROPERTIES, check_property_names};
pub(crate) use ident::{check_identifier, check_type_name};
use props::{Prop, check_props};

/// STIX Domain Object types (spec §4).
pub const DOMAIN_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];
/// STIX Relationship Object types (spec §5).
pub const RELATIONSHIP_TYPES: &[&str] = &["relationship", "sighting"];
/// STIX Cyber-observable Object types (spec §6).
pub const OBSERVABLE_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];
/// STIX meta object types (spec §7).
pub const META_TYPES: &[&str] = &[
    "language-content",
    "marking-definition",
    "extension-definition",
];

/// All rules beyond id and type, which `StixObject::from_map` checked already.
///
/// Order: versioning, property names, common properties, then (for types the specification
/// defines) the type's own property table and its cross-property rules. The first failure is
/// reported, naming the property.
pub(crate) fn validate(object: &StixObject) -> Result<(), ValidationError> {
    let id = Some(object.id());
    let category = object.category();
    let needs_spec_version = category != ObjectCategory::Observable;
    match object.get("spec_version") {
        Some(Value::String(v)) if v == "2.1" => {}
        Some(Value::String(v)) => {
            return Err(ValidationError::new(
                id,
                "spec_version",
                format!("must be \"2.1\", found {v:?}"),
            ));
        }
        Some(_) => return Err(ValidationError::new(id, "spec_version", "must be a string")),
        None if needs_spec_version => {
            return Err(ValidationError::new(id, "spec_version", "is required"));
        }
        None => {}
    }
    let needs_created = matches!(
        category,
        ObjectCategory::Domain | ObjectCategory::Relationship | ObjectCategory::Meta
    );
    if needs_created && object.created().is_none() {
        return Err(ValidationError::new(id, "created", "is required"));
    }
    let needs_modified = matches!(
        category,
        ObjectCategory::Domain | ObjectCategory::Relationship
    ) || matches!(
        object.type_name(),
        "language-content" | "extension-definition"
    );
    if needs_modified && object.modified().is_none() {
        return Err(ValidationError::new(id, "modified", "is required"));
    }
    if let (Some(c), Some(m)) = (object.created(), object.modified())
        && m < c
    {
        return Err(ValidationError::new(
            id,
            "modified",
            format!("{m} is earlier than created {c}"),
        ));
    }

    let obj = Obj {
        id: object.id(),
        map: object.as_map(),
    };
    check_property_names(&obj)?;
    check_props(&obj, COMMON_PROPERTIES)?;
    // Custom object types get only the common rules: their own properties are theirs to define.
    if category != ObjectCategory::Custom
        && let Some(rules) = rules_for(object.type_name())
    {
        check_props(&obj, rules.props)?;
        for check in rules.checks {
            check(&obj)?;
        }
    }
    Ok(())
}

/// The object under validation: its id (for error messages) and its properties.
pub(crate) struct Obj<'a> {
    id: &'a str,
    map: &'a Map<String, Value>,
}

impl Obj<'_> {
    fn err(&self, property: impl Into<String>, reason: impl Into<String>) -> ValidationError {
        ValidationError::new(Some(self.id), property, reason)
    }

    fn has(&self, property: &str) -> bool {
        self.map.contains_key(property)
    }

    /// A timestamp property already checked by the property table; `None` when absent.
    fn time(&self, property: &str) -> Option<Timestamp> {
        self.map
            .get(property)
            .and_then(Value::as_str)
            .and_then(|s| Timestamp::parse(s).ok())
    }
}

/// A rule that relates several properties (e.g. `valid_until` after `valid_from`).
type Check = fn(&Obj<'_>) -> Result<(), ValidationError>;

/// The rules of one object type the specification defines.
pub(crate) struct TypeRules {
    pub(crate) type_name: &'static str,
    pub(crate) props: &'static [Prop],
    checks: &'static [Check],
}

/// The property tables of every type the specification defines, by category in the order of
/// its sections (§4–§7).
const TYPE_RULES: &[&[TypeRules]] = &[sdo::RULES, sro::RULES, sco::RULES, meta::RULES];

/// Every type's rules, in table order.
fn type_rules() -> impl Iterator<Item = &'static TypeRules> {
    TYPE_RULES.iter().flat_map(|rules| rules.iter())
}

/// The rules of a specification-defined type; `None` for custom types.
pub(crate) fn rules_for(type_name: &str) -> Option<&'static TypeRules> {
    type_rules().find(|r| r.type_name == type_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const UUID: &str = "f519126e-7607-4abb-9553-899d6f59b506";
    const IDENTITY: &str = "identity--979c725c-d8ed-4c84-9dc3-a09a61fe32ba";
    const TARGET: &str = "malware--8e7ae54a-adc0-40a3-a6c8-f57e578fe7f7";
    const T0: &str = "2024-01-01T00:00:00.000Z";
    const T1: &str = "2024-02-01T00:00:00.000Z";

    /// The smallest valid object of each specification type: only what its rules demand.
    fn type_props(type_name: &str) -> Value {
        match type_name {
            "attack-pattern" | "campaign" | "course-of-action" | "identity" | "incident"
            | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
                json!({"name": "n"})
            }
            "grouping" => json!({"context": "suspicious-activity", "object_refs": [TARGET]}),
            "indicator" => {
                json!({"pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": T0})
            }
            "location" => json!({"region": "oceania"}),
            "malware" => json!({"is_family": false}),
            "malware-analysis" => json!({"product": "sandbox", "result": "malicious"}),
            "note" => json!({"content": "c", "object_refs": [TARGET]}),
            "observed-data" => json!({
                "first_observed": T0, "last_observed": T1, "number_observed": 1,
                "object_refs": ["ipv4-addr--74b7a90c-688d-4e0c-b592-b5a2882aeb4e"],
            }),
            "opinion" => json!({"opinion": "agree", "object_refs": [TARGET]}),
            "report" => json!({"name": "r", "published": T1, "object_refs": [TARGET]}),
            "relationship" => {
                json!({"relationship_type": "uses", "source_ref": IDENTITY, "target_ref": TARGET})
            }
            "sighting" => json!({"sighting_of_ref": TARGET}),
            "artifact" => json!({"payload_bin": "aGVsbG8="}),
            "autonomous-system" => json!({"number": 64496}),
            "directory" => json!({"path": "/tmp"}),
            "domain-name" => json!({"value": "example.org"}),
            "email-addr" => json!({"value": "a@example.org"}),
            "email-message" => json!({"is_multipart": false}),
            "file" => json!({"name": "a.exe"}),
            "ipv4-addr" => json!({"value": "198.51.100.1"}),
            "ipv6-addr" => json!({"value": "2001:db8::1"}),
            "mac-addr" => json!({"value": "00:00:5e:00:53:01"}),
            "mutex" => json!({"name": "m"}),
            "network-traffic" => {
                json!({"protocols": ["tcp"], "src_ref": "ipv4-addr--74b7a90c-688d-4e0c-b592-b5a2882aeb4e"})
            }
            "process" => json!({"pid": 4}),
            "software" => json!({"name": "s"}),
            "url" => json!({"value": "https://example.org/"}),
            "user-account" => json!({"user_id": "1001"}),
            "windows-registry-key" => json!({"key": "HKEY_LOCAL_MACHINE\\System"}),
            "x509-certificate" => json!({"serial_number": "01"}),
            "language-content" => json!({"object_ref": TARGET, "contents": {"de": {"name": "n"}}}),
            "marking-definition" => {
                json!({"definition_type": "statement", "definition": {"statement": "s"}})
            }
            "extension-definition" => json!({
                "created_by_ref": IDENTITY, "name": "e", "schema": "https://example.org/schema.json",
                "version": "1.0.0", "extension_types": ["property-extension"],
            }),
            other => panic!("no minimal object for {other}"),
        }
    }

    fn minimal(type_name: &str) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("type".into(), json!(type_name));
        map.insert("id".into(), json!(format!("{type_name}--{UUID}")));
        let category = crate::stix::category_of(type_name);
        if category != ObjectCategory::Observable {
            map.insert("spec_version".into(), json!("2.1"));
            map.insert("created".into(), json!(T0));
            if type_name != "marking-definition" {
                map.insert("modified".into(), json!(T0));
            }
        }
        if let Value::Object(props) = type_props(type_name) {
            map.extend(props);
        }
        map
    }

    fn all_types() -> impl Iterator<Item = &'static str> {
        DOMAIN_TYPES
            .iter()
            .chain(RELATIONSHIP_TYPES)
            .chain(OBSERVABLE_TYPES)
            .chain(META_TYPES)
            .copied()
    }

    fn error_of(map: Map<String, Value>) -> ValidationError {
        match StixObject::from_map(map.clone()) {
            Ok(_) => panic!("accepted: {}", Value::Object(map)),
            Err(e) => e,
        }
    }

    fn with(type_name: &str, changes: Value) -> Map<String, Value> {
        let mut map = minimal(type_name);
        if let Value::Object(changes) = changes {
            for (k, v) in changes {
                if v.is_null() {
                    map.remove(&k);
                } else {
                    map.insert(k, v);
                }
            }
        }
        map
    }

    #[test]
    fn every_type_has_rules_and_a_minimal_valid_object() {
        for t in all_types() {
            assert!(rules_for(t).is_some(), "no rules for {t}");
            if let Err(e) = StixObject::from_map(minimal(t)) {
                panic!("minimal {t} rejected: {e}");
            }
        }
        assert_eq!(type_rules().count(), all_types().count());
    }

    /// Every required property in the tables, and every either-or rule, can fail, and the
    /// error names the property.
    #[test]
    fn every_required_property_rule_can_fail() {
        let mut cases: Vec<(&str, &str, &str)> = Vec::new();
        for rules in type_rules() {
            for prop in rules.props.iter().filter(|p| p.required) {
                cases.push((rules.type_name, prop.name, prop.name));
            }
        }
        for t in all_types() {
            if crate::stix::category_of(t) != ObjectCategory::Observable {
                cases.push((t, "spec_version", "spec_version"));
                cases.push((t, "created", "created"));
            }
        }
        // Rules that are not a single required property: (type, removed, property named).
        cases.extend([
            ("indicator", "modified", "modified"),
            ("relationship", "modified", "modified"),
            ("location", "region", "region"),
            ("malware-analysis", "result", "result"),
            ("observed-data", "object_refs", "object_refs"),
            ("marking-definition", "definition_type", "definition_type"),
            ("marking-definition", "definition", "definition"),
            ("artifact", "payload_bin", "payload_bin"),
            ("file", "name", "name"),
            ("network-traffic", "src_ref", "src_ref"),
            ("user-account", "user_id", "*"),
            ("process", "pid", "*"),
            ("windows-registry-key", "key", "*"),
            ("x509-certificate", "serial_number", "*"),
        ]);
        for (t, removed, named) in cases {
            let mut map = minimal(t);
            assert!(map.remove(removed).is_some(), "minimal {t} lacks {removed}");
            let e = error_of(map);
            assert_eq!(e.property, named, "{t} without {removed}: {e}");
            assert_eq!(
                e.object_id.as_deref(),
                Some(format!("{t}--{UUID}").as_str())
            );
        }
        // malware: name becomes required with is_family.
        let e = error_of(with("malware", json!({"is_family": true})));
        assert_eq!(e.property, "name");
    }

    /// Regression: `"pattern": "[ipv4-addr:value = "` was stored. A STIX pattern must parse;
    /// patterns of other languages are not checked, and a pattern that parses but that the
    /// matcher does not evaluate (here `FOLLOWEDBY`) is kept.
    #[test]
    fn a_stix_pattern_must_parse_other_languages_are_kept() {
        for broken in [
            "[ipv4-addr:value = ",
            "",
            "ipv4-addr:value = '1.2.3.4'",
            "[x:y = 'a'] AND",
        ] {
            let e = error_of(with("indicator", json!({"pattern": broken})));
            assert_eq!(e.property, "pattern", "{broken:?}");
            assert!(e.to_string().contains("is not a valid STIX pattern"), "{e}");
        }
        for kept in [
            json!({"pattern": "alert tcp any any -> any any (msg:\"x\";)", "pattern_type": "snort"}),
            json!({"pattern": "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']"}),
        ] {
            assert!(
                StixObject::from_map(with("indicator", kept.clone())).is_ok(),
                "{kept}"
            );
        }
    }

    #[test]
    fn property_kinds_are_checked() {
        let cases: &[(&str, Value, &str)] = &[
            ("indicator", json!({"revoked": "yes"}), "revoked"),
            ("indicator", json!({"confidence": 101}), "confidence"),
            ("indicator", json!({"confidence": 5.5}), "confidence"),
            ("indicator", json!({"lang": 7}), "lang"),
            ("indicator", json!({"labels": ["a", 1]}), "labels.1"),
            ("indicator", json!({"labels": []}), "labels"),
            (
                "indicator",
                json!({"created_by_ref": TARGET}),
                "created_by_ref",
            ),
            (
                "indicator",
                json!({"object_marking_refs": [IDENTITY]}),
                "object_marking_refs.0",
            ),
            (
                "indicator",
                json!({"external_references": [{"url": "https://example.org"}]}),
                "external_references.0.source_name",
            ),
            (
                "indicator",
                json!({"external_references": [{"source_name": "x"}]}),
                "external_references.0",
            ),
            (
                "indicator",
                json!({"granular_markings": [{"selectors": [], "lang": "en"}]}),
                "granular_markings.0.selectors",
            ),
            (
                "indicator",
                json!({"granular_markings": [{"selectors": ["name"]}]}),
                "granular_markings.0.marking_ref",
            ),
            (
                "indicator",
                json!({"extensions": {"bogus": {}}}),
                "extensions.bogus",
            ),
            (
                "indicator",
                json!({"extensions": {"x-acme-ext": 1}}),
                "extensions.x-acme-ext",
            ),
            ("indicator", json!({"Bad-Name": 1}), "Bad-Name"),
            ("indicator", json!({"xy": 1}), "xy"),
            ("indicator", json!({"valid_until": T0}), "valid_until"),
            (
                "indicator",
                json!({"valid_from": "yesterday"}),
                "valid_from",
            ),
            (
                "indicator",
                json!({"kill_chain_phases": [{"kill_chain_name": "k"}]}),
                "kill_chain_phases.0.phase_name",
            ),
            ("malware", json!({"is_family": "true"}), "is_family"),
            (
                "campaign",
                json!({"first_seen": T1, "last_seen": T0}),
                "last_seen",
            ),
            (
                "relationship",
                json!({"relationship_type": "Uses"}),
                "relationship_type",
            ),
            (
                "relationship",
                json!({"source_ref": "nothing"}),
                "source_ref",
            ),
            ("sighting", json!({"count": -1}), "count"),
            (
                "sighting",
                json!({"where_sighted_refs": [TARGET]}),
                "where_sighted_refs.0",
            ),
            (
                "observed-data",
                json!({"number_observed": 0}),
                "number_observed",
            ),
            (
                "observed-data",
                json!({"last_observed": "2023-01-01T00:00:00Z"}),
                "last_observed",
            ),
            (
                "observed-data",
                json!({"objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.1"}}}),
                "objects",
            ),
            ("opinion", json!({"opinion": "maybe"}), "opinion"),
            ("location", json!({"latitude": 10.0}), "longitude"),
            (
                "location",
                json!({"latitude": 91.0, "longitude": 0}),
                "latitude",
            ),
            ("artifact", json!({"url": "https://example.org/a"}), "url"),
            (
                "artifact",
                json!({"payload_bin": null, "url": "https://example.org/a"}),
                "hashes",
            ),
            ("file", json!({"hashes": {}}), "hashes"),
            ("file", json!({"size": -1}), "size"),
            (
                "email-message",
                json!({"is_multipart": true, "body": "b"}),
                "body",
            ),
            ("network-traffic", json!({"dst_port": 70000}), "dst_port"),
            ("network-traffic", json!({"protocols": "tcp"}), "protocols"),
            ("autonomous-system", json!({"number": "AS1"}), "number"),
            (
                "marking-definition",
                json!({"definition_type": "tlp", "definition": {"tlp": "purple"}}),
                "definition.tlp",
            ),
            (
                "extension-definition",
                json!({"extension_types": ["new-thing"]}),
                "extension_types.0",
            ),
            (
                "extension-definition",
                json!({"extension_types": []}),
                "extension_types",
            ),
            ("language-content", json!({"contents": {}}), "contents"),
        ];
        for (t, changes, named) in cases {
            let e = error_of(with(t, changes.clone()));
            assert_eq!(e.property, *named, "{t} with {changes}: {e}");
        }
    }

    #[test]
    fn allowed_variants_pass() {
        let cases: &[(&str, Value)] = &[
            (
                "indicator",
                json!({"x_mitre_version": "1.0", "external_references": [{"source_name": "s", "external_id": "T1"}]}),
            ),
            (
                "indicator",
                json!({"granular_markings": [{"selectors": ["name"], "marking_ref": crate::tlp::TLP2_RED}]}),
            ),
            (
                "indicator",
                json!({"extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension"}}}),
            ),
            (
                "location",
                json!({"region": null, "latitude": -33.8, "longitude": 151.2, "precision": 10}),
            ),
            ("malware", json!({"is_family": true, "name": "n"})),
            (
                "malware-analysis",
                json!({"result": null, "analysis_sco_refs": [TARGET]}),
            ),
            (
                "artifact",
                json!({"payload_bin": null, "url": "https://example.org/a", "hashes": {"SHA-256": "ab"}}),
            ),
            (
                "file",
                json!({"name": null, "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}}),
            ),
            (
                "marking-definition",
                json!({"definition_type": null, "definition": null, "name": "TLP:GREEN",
                "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "green"}}}),
            ),
            (
                "user-account",
                json!({"user_id": null, "extensions": {"unix-account-ext": {"gid": 1}}}),
            ),
            (
                "observed-data",
                json!({"object_refs": null, "objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.1"}}}),
            ),
            ("relationship", json!({"description": ""})),
        ];
        for (t, changes) in cases {
            if let Err(e) = StixObject::from_map(with(t, changes.clone())) {
                panic!("{t} with {changes} rejected: {e}");
            }
        }
    }

    #[test]
    fn custom_types_get_only_common_rules() {
        let custom = json!({
            "type": "x-mitre-tactic", "id": format!("x-mitre-tactic--{UUID}"), "spec_version": "2.1",
            "created": T0, "modified": T0, "x_mitre_shortname": "impact", "tactic_refs": "anything",
        });
        assert!(StixObject::from_value(custom.clone()).is_ok());
        let mut bad = custom;
        bad["confidence"] = json!(-3);
        assert_eq!(
            StixObject::from_value(bad).unwrap_err().property,
            "confidence"
        );
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-z0-9:.'\\[\\]= -]{0,12}".prop_map(Value::String),
            Just(json!(T0)),
            Just(json!(TARGET)),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever value any defined property holds, validation answers without panicking.
        #[test]
        fn no_panic_on_any_property_value(value in any_json()) {
            for rules in type_rules() {
                for prop in rules.props.iter().chain(COMMON_PROPERTIES) {
                    let mut map = minimal(rules.type_name);
                    map.insert(prop.name.to_owned(), value.clone());
                    let _ = StixObject::from_map(map);
                }
            }
        }
    }
}
