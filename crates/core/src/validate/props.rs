//! Property kinds: what a property's value must be ([`Kind`]), the tables that give each
//! property its kind ([`Prop`]), how values are checked against them, and the cross-property
//! rules several object types share.

use serde_json::Value;

use super::Obj;
use super::common::{check_extensions, check_external_reference, check_granular_marking};
use super::ident::check_identifier;
use crate::stix::{ValidationError, json_kind};
use crate::time::Timestamp;

/// What a property's value must be. List kinds require a non-empty list: STIX 2.1 §2.7 forbids
/// empty lists in place of an omitted property.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Str,
    Bool,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// Any JSON number in `min..=max`.
    Float {
        min: f64,
        max: f64,
    },
    Time,
    /// Base64 text (`*_bin` properties).
    Binary,
    /// Hexadecimal text (`*_hex` properties).
    Hex,
    /// An identifier whose type is one of these (any type when empty).
    Ref(&'static [&'static str]),
    /// A list of identifiers, each of one of these types (any type when empty).
    Refs(&'static [&'static str]),
    /// A list of strings.
    Strs,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A list of values, each one of these strings.
    Enums(&'static [&'static str]),
    /// A JSON object (STIX dictionary).
    Dict,
    /// A list of JSON objects.
    Dicts,
    /// A hashes dictionary: non-empty, every value a non-empty string.
    Hashes,
    /// A list of kill-chain-phase objects.
    KillChainPhases,
    /// A list of external-reference objects.
    ExternalReferences,
    /// A list of granular-marking objects.
    GranularMarkings,
    /// The `extensions` dictionary.
    Extensions,
}

/// One property of an object type's table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
}

pub(super) const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: true,
    }
}

pub(super) const fn opt(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: false,
    }
}

use Kind::*;

pub(super) const ANY: &[&str] = &[];

/// Presence of required properties, then the kind of every property present, in table order.
pub(super) fn check_props(obj: &Obj<'_>, props: &[Prop]) -> Result<(), ValidationError> {
    for prop in props {
        match obj.map.get(prop.name) {
            Some(value) => check_kind(obj, prop.name, prop.kind, value)?,
            None if prop.required => return Err(obj.err(prop.name, "is required")),
            None => {}
        }
    }
    Ok(())
}

/// Checks one value against its kind; `path` names it in errors (dotted for nested values).
pub(super) fn check_kind(
    obj: &Obj<'_>,
    path: &str,
    kind: Kind,
    value: &Value,
) -> Result<(), ValidationError> {
    let wrong = |expected: &str| {
        obj.err(
            path,
            format!("must be {expected}, found {}", json_kind(value)),
        )
    };
    match kind {
        Str => value.as_str().map(drop).ok_or_else(|| wrong("a string")),
        Bool => value.as_bool().map(drop).ok_or_else(|| wrong("a boolean")),
        Int { min, max } => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            Some(n) => Err(obj.err(path, format!("{n} is outside {min}..={max}"))),
            None if value.is_number() => {
                Err(obj.err(path, format!("{value} is not an integer in {min}..={max}")))
            }
            None => Err(wrong("an integer")),
        },
        Float { min, max } => match value.as_f64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            Some(n) => Err(obj.err(path, format!("{n} is outside {min}..={max}"))),
            None => Err(wrong("a number")),
        },
        Time => {
            let text = value.as_str().ok_or_else(|| wrong("a timestamp string"))?;
            Timestamp::parse(text)
                .map(drop)
                .map_err(|e| obj.err(path, e.to_string()))
        }
        Binary => {
            let text = value.as_str().ok_or_else(|| wrong("a base64 string"))?;
            let ok = text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if ok {
                Ok(())
            } else {
                Err(obj.err(path, "is not base64 text"))
            }
        }
        Hex => {
            let text = value.as_str().ok_or_else(|| wrong("a hex string"))?;
            if text.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                Err(obj.err(path, "is not hexadecimal text"))
            }
        }
        Ref(types) => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong("an identifier string"))?;
            check_ref(obj, path, text, types)
        }
        Refs(types) => each(obj, path, value, |p, v| match v.as_str() {
            Some(text) => check_ref(obj, p, text, types),
            None => Err(obj.err(
                p,
                format!("must be an identifier string, found {}", json_kind(v)),
            )),
        }),
        Strs => each(obj, path, value, |p, v| check_kind(obj, p, Str, v)),
        Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            Some(s) => Err(obj.err(path, format!("{s:?} is not one of {}", allowed.join(", ")))),
            None => Err(wrong("a string")),
        },
        Enums(allowed) => each(obj, path, value, |p, v| {
            check_kind(obj, p, Enum(allowed), v)
        }),
        Dict => value
            .as_object()
            .map(drop)
            .ok_or_else(|| wrong("an object")),
        Dicts => each(obj, path, value, |p, v| check_kind(obj, p, Dict, v)),
        Hashes => {
            let map = value
                .as_object()
                .ok_or_else(|| wrong("an object of hash values"))?;
            if map.is_empty() {
                return Err(obj.err(path, "must hold at least one hash"));
            }
            for (algorithm, hash) in map {
                match hash.as_str() {
                    Some(h) if !h.is_empty() => {}
                    _ => {
                        return Err(
                            obj.err(format!("{path}.{algorithm}"), "must be a non-empty string")
                        );
                    }
                }
            }
            Ok(())
        }
        KillChainPhases => each(obj, path, value, |p, v| {
            let phase = v
                .as_object()
                .ok_or_else(|| obj.err(p, "must be a kill-chain-phase object"))?;
            for field in ["kill_chain_name", "phase_name"] {
                match phase.get(field) {
                    Some(f) => check_kind(obj, &format!("{p}.{field}"), Str, f)?,
                    None => return Err(obj.err(format!("{p}.{field}"), "is required")),
                }
            }
            Ok(())
        }),
        ExternalReferences => each(obj, path, value, |p, v| check_external_reference(obj, p, v)),
        GranularMarkings => each(obj, path, value, |p, v| check_granular_marking(obj, p, v)),
        Extensions => check_extensions(obj, path, value),
    }
}

/// Applies `check` to each element of a non-empty list, naming elements `path.index`.
fn each(
    obj: &Obj<'_>,
    path: &str,
    value: &Value,
    mut check: impl FnMut(&str, &Value) -> Result<(), ValidationError>,
) -> Result<(), ValidationError> {
    let items = value
        .as_array()
        .ok_or_else(|| obj.err(path, format!("must be a list, found {}", json_kind(value))))?;
    if items.is_empty() {
        return Err(obj.err(
            path,
            "must not be an empty list (omit the property instead)",
        ));
    }
    for (i, item) in items.iter().enumerate() {
        check(&format!("{path}.{i}"), item)?;
    }
    Ok(())
}

fn check_ref(obj: &Obj<'_>, path: &str, text: &str, types: &[&str]) -> Result<(), ValidationError> {
    check_identifier(text, None, Some(obj.id), path)?;
    let prefix = text.split_once("--").map_or(text, |(t, _)| t);
    if types.is_empty() || types.contains(&prefix) {
        Ok(())
    } else {
        Err(obj.err(
            path,
            format!(
                "{text:?} must be an identifier of type {}",
                types.join(" or ")
            ),
        ))
    }
}

// --- Cross-property rules -------------------------------------------------------------------

/// `later` must not precede `earlier` (or must follow it strictly when `strict`).
pub(super) fn ordered(
    obj: &Obj<'_>,
    earlier: &str,
    later: &str,
    strict: bool,
) -> Result<(), ValidationError> {
    if let (Some(a), Some(b)) = (obj.time(earlier), obj.time(later)) {
        let bad = if strict { b <= a } else { b < a };
        if bad {
            let relation = if strict {
                "later than"
            } else {
                "later than or equal to"
            };
            return Err(obj.err(later, format!("{b} must be {relation} {earlier} {a}")));
        }
    }
    Ok(())
}

pub(super) fn seen_in_order(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "first_seen", "last_seen", false)
}
