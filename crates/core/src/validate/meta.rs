//! STIX meta objects (STIX 2.1 §7): the property tables of language contents, marking
//! definitions and extension definitions, and their cross-property rules.

use serde_json::Value;

use super::props::{ANY, Kind::*, opt, req};
use super::{Obj, TypeRules};
use crate::stix::ValidationError;

/// Property tables and cross-property rules of the meta object types (§7).
pub(super) const RULES: &[TypeRules] = &[
    TypeRules {
        type_name: "language-content",
        props: &[
            req("object_ref", Ref(ANY)),
            opt("object_modified", Time),
            req("contents", Dict),
        ],
        checks: &[language_contents],
    },
    TypeRules {
        type_name: "marking-definition",
        props: &[
            opt("name", Str),
            opt("definition_type", Str),
            opt("definition", Dict),
        ],
        checks: &[marking_definition_body],
    },
    TypeRules {
        type_name: "extension-definition",
        props: &[
            req("created_by_ref", Ref(&["identity"])),
            req("name", Str),
            opt("description", Str),
            req("schema", Str),
            req("version", Str),
            req(
                "extension_types",
                Enums(&[
                    "new-sdo",
                    "new-sco",
                    "new-sro",
                    "property-extension",
                    "toplevel-property-extension",
                ]),
            ),
            opt("extension_properties", Strs),
        ],
        checks: &[],
    },
];

fn marking_definition_body(obj: &Obj<'_>) -> Result<(), ValidationError> {
    let Some(definition_type) = obj.map.get("definition_type").and_then(Value::as_str) else {
        if obj.has("extensions") {
            return Ok(());
        }
        return Err(obj.err(
            "definition_type",
            "is required unless the marking is defined by extensions",
        ));
    };
    let Some(definition) = obj.map.get("definition").and_then(Value::as_object) else {
        return Err(obj.err("definition", "is required with definition_type"));
    };
    match definition_type {
        "tlp" => match definition.get("tlp").and_then(Value::as_str) {
            Some("white" | "green" | "amber" | "red") => Ok(()),
            _ => Err(obj.err("definition.tlp", "must be one of white, green, amber, red")),
        },
        "statement" => match definition.get("statement") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(obj.err("definition.statement", "must be a string")),
        },
        // Other definition types are defined by the parties using them.
        _ => Ok(()),
    }
}

fn language_contents(obj: &Obj<'_>) -> Result<(), ValidationError> {
    let contents = obj.map.get("contents").and_then(Value::as_object);
    let Some(contents) = contents.filter(|c| !c.is_empty()) else {
        return Err(obj.err("contents", "must hold at least one language"));
    };
    for (lang, props) in contents {
        if !props.is_object() {
            return Err(obj.err(
                format!("contents.{lang}"),
                "must be an object of translated properties",
            ));
        }
    }
    Ok(())
}
