//! STIX Domain Objects (STIX 2.1 §4): the property table of each type and its cross-property
//! rules.

use serde_json::Value;

use super::props::{ANY, Kind::*, opt, ordered, req, seen_in_order};
use super::{Obj, TypeRules};
use crate::stix::ValidationError;

/// Property tables and cross-property rules of every SDO type (§4).
pub(super) const RULES: &[TypeRules] = &[
    TypeRules {
        type_name: "attack-pattern",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("aliases", Strs),
            opt("kill_chain_phases", KillChainPhases),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "campaign",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("aliases", Strs),
            opt("first_seen", Time),
            opt("last_seen", Time),
            opt("objective", Str),
        ],
        checks: &[seen_in_order],
    },
    TypeRules {
        type_name: "course-of-action",
        props: &[req("name", Str), opt("description", Str)],
        checks: &[],
    },
    TypeRules {
        type_name: "grouping",
        props: &[
            opt("name", Str),
            opt("description", Str),
            req("context", Str),
            req("object_refs", Refs(ANY)),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "identity",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("roles", Strs),
            opt("identity_class", Str),
            opt("sectors", Strs),
            opt("contact_information", Str),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "incident",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("kill_chain_phases", KillChainPhases),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "indicator",
        props: &[
            opt("name", Str),
            opt("description", Str),
            opt("indicator_types", Strs),
            req("pattern", Str),
            req("pattern_type", Str),
            opt("pattern_version", Str),
            req("valid_from", Time),
            opt("valid_until", Time),
            opt("kill_chain_phases", KillChainPhases),
        ],
        checks: &[indicator_validity, indicator_pattern],
    },
    TypeRules {
        type_name: "infrastructure",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("infrastructure_types", Strs),
            opt("aliases", Strs),
            opt("kill_chain_phases", KillChainPhases),
            opt("first_seen", Time),
            opt("last_seen", Time),
        ],
        checks: &[seen_in_order],
    },
    TypeRules {
        type_name: "intrusion-set",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("aliases", Strs),
            opt("first_seen", Time),
            opt("last_seen", Time),
            opt("goals", Strs),
            opt("resource_level", Str),
            opt("primary_motivation", Str),
            opt("secondary_motivations", Strs),
        ],
        checks: &[seen_in_order],
    },
    TypeRules {
        type_name: "location",
        props: &[
            opt("name", Str),
            opt("description", Str),
            opt(
                "latitude",
                Float {
                    min: -90.0,
                    max: 90.0,
                },
            ),
            opt(
                "longitude",
                Float {
                    min: -180.0,
                    max: 180.0,
                },
            ),
            opt(
                "precision",
                Float {
                    min: 0.0,
                    max: f64::MAX,
                },
            ),
            opt("region", Str),
            opt("country", Str),
            opt("administrative_area", Str),
            opt("city", Str),
            opt("street_address", Str),
            opt("postal_code", Str),
        ],
        checks: &[location_place],
    },
    TypeRules {
        type_name: "malware",
        props: &[
            opt("name", Str),
            opt("description", Str),
            opt("malware_types", Strs),
            req("is_family", Bool),
            opt("aliases", Strs),
            opt("kill_chain_phases", KillChainPhases),
            opt("first_seen", Time),
            opt("last_seen", Time),
            opt("operating_system_refs", Refs(&["software"])),
            opt("architecture_execution_envs", Strs),
            opt("implementation_languages", Strs),
            opt("capabilities", Strs),
            opt("sample_refs", Refs(&["file", "artifact"])),
        ],
        checks: &[malware_family_name, seen_in_order],
    },
    TypeRules {
        type_name: "malware-analysis",
        props: &[
            req("product", Str),
            opt("version", Str),
            opt("host_vm_ref", Ref(&["software"])),
            opt("operating_system_ref", Ref(&["software"])),
            opt("installed_software_refs", Refs(&["software"])),
            opt("configuration_version", Str),
            opt("modules", Strs),
            opt("analysis_engine_version", Str),
            opt("analysis_definition_version", Str),
            opt("submitted", Time),
            opt("analysis_started", Time),
            opt("analysis_ended", Time),
            opt("result_name", Str),
            opt("result", Str),
            opt("analysis_sco_refs", Refs(ANY)),
            opt("sample_ref", Ref(&["file", "network-traffic", "artifact"])),
        ],
        checks: &[malware_analysis_outcome],
    },
    TypeRules {
        type_name: "note",
        props: &[
            opt("abstract", Str),
            req("content", Str),
            opt("authors", Strs),
            req("object_refs", Refs(ANY)),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "observed-data",
        props: &[
            req("first_observed", Time),
            req("last_observed", Time),
            req(
                "number_observed",
                Int {
                    min: 1,
                    max: 999_999_999,
                },
            ),
            opt("objects", Dict),
            opt("object_refs", Refs(ANY)),
        ],
        checks: &[observed_data_content],
    },
    TypeRules {
        type_name: "opinion",
        props: &[
            opt("explanation", Str),
            opt("authors", Strs),
            req(
                "opinion",
                Enum(&[
                    "strongly-disagree",
                    "disagree",
                    "neutral",
                    "agree",
                    "strongly-agree",
                ]),
            ),
            req("object_refs", Refs(ANY)),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "report",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("report_types", Strs),
            req("published", Time),
            req("object_refs", Refs(ANY)),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "threat-actor",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("threat_actor_types", Strs),
            opt("aliases", Strs),
            opt("first_seen", Time),
            opt("last_seen", Time),
            opt("roles", Strs),
            opt("goals", Strs),
            opt("sophistication", Str),
            opt("resource_level", Str),
            opt("primary_motivation", Str),
            opt("secondary_motivations", Strs),
            opt("personal_motivations", Strs),
        ],
        checks: &[seen_in_order],
    },
    TypeRules {
        type_name: "tool",
        props: &[
            req("name", Str),
            opt("description", Str),
            opt("tool_types", Strs),
            opt("aliases", Strs),
            opt("kill_chain_phases", KillChainPhases),
            opt("tool_version", Str),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "vulnerability",
        props: &[req("name", Str), opt("description", Str)],
        checks: &[],
    },
];

fn indicator_validity(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "valid_from", "valid_until", true)
}

/// A pattern in the STIX patterning language must parse: a broken one would be stored, shared
/// and silently never match. Patterns of other languages (`snort`, `yara`, …) are not checked.
fn indicator_pattern(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.map.get("pattern_type").and_then(Value::as_str) != Some("stix") {
        return Ok(());
    }
    let Some(pattern) = obj.map.get("pattern").and_then(Value::as_str) else {
        return Ok(());
    };
    crate::pattern::parse(pattern)
        .map(|_| ())
        .map_err(|e| obj.err("pattern", format!("is not a valid STIX pattern: {e}")))
}

fn malware_family_name(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.map.get("is_family") == Some(&Value::Bool(true)) && !obj.has("name") {
        return Err(obj.err("name", "is required when is_family is true"));
    }
    Ok(())
}

fn location_place(obj: &Obj<'_>) -> Result<(), ValidationError> {
    match (obj.has("latitude"), obj.has("longitude")) {
        (true, false) => return Err(obj.err("longitude", "is required when latitude is present")),
        (false, true) => return Err(obj.err("latitude", "is required when longitude is present")),
        (false, false) if obj.has("precision") => {
            return Err(obj.err("precision", "requires latitude and longitude"));
        }
        _ => {}
    }
    if !(obj.has("region") || obj.has("country") || obj.has("latitude")) {
        return Err(obj.err(
            "region",
            "one of region, country or latitude+longitude is required",
        ));
    }
    Ok(())
}

fn malware_analysis_outcome(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.has("result") || obj.has("analysis_sco_refs") {
        Ok(())
    } else {
        Err(obj.err("result", "one of result or analysis_sco_refs is required"))
    }
}

fn observed_data_content(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "first_observed", "last_observed", false)?;
    match (obj.has("objects"), obj.has("object_refs")) {
        (true, true) => Err(obj.err("objects", "must not be present together with object_refs")),
        (false, false) => Err(obj.err(
            "object_refs",
            "one of object_refs or (deprecated) objects is required",
        )),
        _ => Ok(()),
    }
}
