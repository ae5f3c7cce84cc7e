//! The common properties (STIX 2.1 §3.2, and §6.1 for cyber-observables) every object may
//! carry, the data types only they use (external references, granular markings, extensions),
//! and the rules for property names (§11.1).

use serde_json::Value;

use super::Obj;
use super::ident::check_identifier;
use super::props::{Kind::*, Prop, check_kind, opt};
use crate::stix::{ValidationError, json_kind};

/// Properties every object may carry (spec §3.2, SCO common properties §6.1). Optional everywhere;
/// their presence rules (e.g. SDOs need `created`) are checked in [`super::validate`].
pub(super) const COMMON_PROPERTIES: &[Prop] = &[
    opt("created_by_ref", Ref(&["identity"])),
    opt("revoked", Bool),
    opt("labels", Strs),
    opt("confidence", Int { min: 0, max: 100 }),
    opt("lang", Str),
    opt("external_references", ExternalReferences),
    opt("object_marking_refs", Refs(&["marking-definition"])),
    opt("granular_markings", GranularMarkings),
    opt("extensions", Extensions),
    opt("defanged", Bool),
];

/// Property names: those the specification defines are all lower-case with underscores, so
/// any other name is custom and must follow §11.1 (a-z, 0-9, `_`, 3–250 characters). `id` is the
/// one defined name shorter than that.
pub(super) fn check_property_names(obj: &Obj<'_>) -> Result<(), ValidationError> {
    for name in obj.map.keys() {
        if name != "id" && !is_property_name(name) {
            return Err(obj.err(
                name.as_str(),
                "property names must be 3-250 characters of a-z, 0-9 and '_'",
            ));
        }
    }
    Ok(())
}

fn is_property_name(name: &str) -> bool {
    (3..=250).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// §2.5: `source_name` is required, and at least one of description, url, external_id.
pub(super) fn check_external_reference(
    obj: &Obj<'_>,
    path: &str,
    value: &Value,
) -> Result<(), ValidationError> {
    let r = value
        .as_object()
        .ok_or_else(|| obj.err(path, "must be an external-reference object"))?;
    match r.get("source_name") {
        Some(v) => check_kind(obj, &format!("{path}.source_name"), Str, v)?,
        None => return Err(obj.err(format!("{path}.source_name"), "is required")),
    }
    for (field, kind) in [
        ("description", Str),
        ("url", Str),
        ("external_id", Str),
        ("hashes", Hashes),
    ] {
        if let Some(v) = r.get(field) {
            check_kind(obj, &format!("{path}.{field}"), kind, v)?;
        }
    }
    if !["description", "url", "external_id"]
        .iter()
        .any(|f| r.contains_key(*f))
    {
        return Err(obj.err(
            path,
            "needs at least one of description, url or external_id",
        ));
    }
    Ok(())
}

/// §7.2.3: non-empty `selectors`, and exactly one of `marking_ref` or `lang`.
pub(super) fn check_granular_marking(
    obj: &Obj<'_>,
    path: &str,
    value: &Value,
) -> Result<(), ValidationError> {
    let m = value
        .as_object()
        .ok_or_else(|| obj.err(path, "must be a granular-marking object"))?;
    let selectors = format!("{path}.selectors");
    match m.get("selectors") {
        Some(v) => check_kind(obj, &selectors, Strs, v)?,
        None => return Err(obj.err(selectors, "is required")),
    }
    match (m.get("marking_ref"), m.get("lang")) {
        (Some(r), None) => check_kind(
            obj,
            &format!("{path}.marking_ref"),
            Ref(&["marking-definition"]),
            r,
        ),
        (None, Some(l)) => check_kind(obj, &format!("{path}.lang"), Str, l),
        (Some(_), Some(_)) => Err(obj.err(path, "must have marking_ref or lang, not both")),
        (None, None) => Err(obj.err(
            format!("{path}.marking_ref"),
            "one of marking_ref or lang is required",
        )),
    }
}

/// §3.2 / §7.3: keys are extension-definition ids or predefined `*-ext` names; values objects.
pub(super) fn check_extensions(
    obj: &Obj<'_>,
    path: &str,
    value: &Value,
) -> Result<(), ValidationError> {
    let map = value.as_object().ok_or_else(|| {
        obj.err(
            path,
            format!("must be an object, found {}", json_kind(value)),
        )
    })?;
    for (key, ext) in map {
        let key_path = format!("{path}.{key}");
        if key.starts_with("extension-definition--") {
            check_identifier(key, Some("extension-definition"), Some(obj.id), &key_path)?;
        } else {
            let named = key.len() > 4
                && key.ends_with("-ext")
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !named {
                return Err(obj.err(
                    key_path,
                    "extension keys must be extension-definition ids or *-ext names",
                ));
            }
        }
        if !ext.is_object() {
            return Err(obj.err(
                key_path,
                format!("must be an object, found {}", json_kind(ext)),
            ));
        }
    }
    Ok(())
}
