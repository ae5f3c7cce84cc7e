//! STIX Relationship Objects (STIX 2.1 §5): the property tables of `relationship` and
//! `sighting` and their cross-property rules.

use serde_json::Value;

use super::props::Kind::{self, *};
use super::props::{ANY, opt, ordered, req, seen_in_order};
use super::{Obj, TypeRules};
use crate::stix::ValidationError;

const COUNT: Kind = Int {
    min: 0,
    max: 999_999_999,
};

/// Property tables and cross-property rules of the SRO types (§5).
pub(super) const RULES: &[TypeRules] = &[
    TypeRules {
        type_name: "relationship",
        props: &[
            req("relationship_type", Str),
            opt("description", Str),
            req("source_ref", Ref(ANY)),
            req("target_ref", Ref(ANY)),
            opt("start_time", Time),
            opt("stop_time", Time),
        ],
        checks: &[relationship_type_chars, relationship_times],
    },
    TypeRules {
        type_name: "sighting",
        props: &[
            opt("description", Str),
            opt("first_seen", Time),
            opt("last_seen", Time),
            opt("count", COUNT),
            req("sighting_of_ref", Ref(ANY)),
            opt("observed_data_refs", Refs(&["observed-data"])),
            opt("where_sighted_refs", Refs(&["identity", "location"])),
            opt("summary", Bool),
        ],
        checks: &[seen_in_order],
    },
];

fn relationship_times(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "start_time", "stop_time", true)
}

/// §5.1.1: relationship_type is limited to a-z, 0-9 and hyphen.
fn relationship_type_chars(obj: &Obj<'_>) -> Result<(), ValidationError> {
    let t = obj
        .map
        .get("relationship_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err(obj.err(
            "relationship_type",
            format!("{t:?} must be non-empty and only a-z, 0-9, '-'"),
        ))
    }
}
