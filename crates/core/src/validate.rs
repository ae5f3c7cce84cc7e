//! Validation rules of STIX 2.1 (OASIS STIX Version 2.1, sections 2–7): common properties,
//! identifiers, timestamps, and the required properties of every object type.

use serde_json::{Map, Value};

use crate::stix::{ObjectCategory, StixObject, ValidationError, json_kind};
use crate::time::Timestamp;

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

/// A type name: 3–250 characters of lower-case ASCII letters, digits and single hyphens.
pub(crate) fn check_type_name(type_name: &str, id: Option<&str>) -> Result<(), ValidationError> {
    let ok = (3..=250).contains(&type_name.len())
        && type_name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !type_name.starts_with('-')
        && !type_name.ends_with('-')
        && !type_name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            id,
            "type",
            format!("{type_name:?} is not a valid type name (3-250 chars of a-z, 0-9, '-')"),
        ))
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
        return Err(bad(format!(
            "{value:?} is not an identifier of the form type--UUID"
        )));
    };
    if let Some(t) = expected_type
        && prefix != t
    {
        return Err(bad(format!("identifier {value:?} must start with {t:?}--")));
    }
    check_type_name(prefix, object_id)
        .map_err(|_| bad(format!("identifier {value:?} has an invalid type part")))?;
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

const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: false,
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

use Kind::*;

const ANY: &[&str] = &[];
const SCO_ADDR: &[&str] = &["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];
const COUNT: Kind = Int {
    min: 0,
    max: 999_999_999,
};
const NON_NEGATIVE: Kind = Int {
    min: 0,
    max: i64::MAX,
};

/// Properties every object may carry (spec §3.2, SCO common properties §6.1). Optional everywhere;
/// their presence rules (e.g. SDOs need `created`) are checked in [`validate`].
const COMMON_PROPERTIES: &[Prop] = &[
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

/// Property tables and cross-property rules of every type in STIX 2.1 §4–§7.
pub(crate) const TYPE_RULES: &[TypeRules] = &[
    // --- SDOs (§4) ---
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
        checks: &[indicator_validity],
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
    // --- SROs (§5) ---
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
    // --- SCOs (§6) ---
    TypeRules {
        type_name: "artifact",
        props: &[
            opt("mime_type", Str),
            opt("payload_bin", Binary),
            opt("url", Str),
            opt("hashes", Hashes),
            opt(
                "encryption_algorithm",
                Enum(&["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"]),
            ),
            opt("decryption_key", Str),
        ],
        checks: &[artifact_content],
    },
    TypeRules {
        type_name: "autonomous-system",
        props: &[
            req("number", NON_NEGATIVE),
            opt("name", Str),
            opt("rir", Str),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "directory",
        props: &[
            req("path", Str),
            opt("path_enc", Str),
            opt("ctime", Time),
            opt("mtime", Time),
            opt("atime", Time),
            opt("contains_refs", Refs(&["file", "directory"])),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "domain-name",
        props: &[
            req("value", Str),
            opt(
                "resolves_to_refs",
                Refs(&["ipv4-addr", "ipv6-addr", "domain-name"]),
            ),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "email-addr",
        props: &[
            req("value", Str),
            opt("display_name", Str),
            opt("belongs_to_ref", Ref(&["user-account"])),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "email-message",
        props: &[
            req("is_multipart", Bool),
            opt("date", Time),
            opt("content_type", Str),
            opt("from_ref", Ref(&["email-addr"])),
            opt("sender_ref", Ref(&["email-addr"])),
            opt("to_refs", Refs(&["email-addr"])),
            opt("cc_refs", Refs(&["email-addr"])),
            opt("bcc_refs", Refs(&["email-addr"])),
            opt("message_id", Str),
            opt("subject", Str),
            opt("received_lines", Strs),
            opt("additional_header_fields", Dict),
            opt("body", Str),
            opt("body_multipart", Dicts),
            opt("raw_email_ref", Ref(&["artifact"])),
        ],
        checks: &[email_body],
    },
    TypeRules {
        type_name: "file",
        props: &[
            opt("hashes", Hashes),
            opt("size", NON_NEGATIVE),
            opt("name", Str),
            opt("name_enc", Str),
            opt("magic_number_hex", Hex),
            opt("mime_type", Str),
            opt("ctime", Time),
            opt("mtime", Time),
            opt("atime", Time),
            opt("parent_directory_ref", Ref(&["directory"])),
            opt("contains_refs", Refs(ANY)),
            opt("content_ref", Ref(&["artifact"])),
        ],
        checks: &[file_identity],
    },
    TypeRules {
        type_name: "ipv4-addr",
        props: &[
            req("value", Str),
            opt("resolves_to_refs", Refs(&["mac-addr"])),
            opt("belongs_to_refs", Refs(&["autonomous-system"])),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "ipv6-addr",
        props: &[
            req("value", Str),
            opt("resolves_to_refs", Refs(&["mac-addr"])),
            opt("belongs_to_refs", Refs(&["autonomous-system"])),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "mac-addr",
        props: &[req("value", Str)],
        checks: &[],
    },
    TypeRules {
        type_name: "mutex",
        props: &[req("name", Str)],
        checks: &[],
    },
    TypeRules {
        type_name: "network-traffic",
        props: &[
            opt("start", Time),
            opt("end", Time),
            opt("is_active", Bool),
            opt("src_ref", Ref(SCO_ADDR)),
            opt("dst_ref", Ref(SCO_ADDR)),
            opt("src_port", Int { min: 0, max: 65535 }),
            opt("dst_port", Int { min: 0, max: 65535 }),
            req("protocols", Strs),
            opt("src_byte_count", NON_NEGATIVE),
            opt("dst_byte_count", NON_NEGATIVE),
            opt("src_packets", NON_NEGATIVE),
            opt("dst_packets", NON_NEGATIVE),
            opt("ipfix", Dict),
            opt("src_payload_ref", Ref(&["artifact"])),
            opt("dst_payload_ref", Ref(&["artifact"])),
            opt("encapsulates_refs", Refs(&["network-traffic"])),
            opt("encapsulated_by_ref", Ref(&["network-traffic"])),
        ],
        checks: &[network_traffic_ends, network_traffic_times],
    },
    TypeRules {
        type_name: "process",
        props: &[
            opt("is_hidden", Bool),
            opt(
                "pid",
                Int {
                    min: 0,
                    max: i64::MAX,
                },
            ),
            opt("created_time", Time),
            opt("cwd", Str),
            opt("command_line", Str),
            opt("environment_variables", Dict),
            opt("opened_connection_refs", Refs(&["network-traffic"])),
            opt("creator_user_ref", Ref(&["user-account"])),
            opt("image_ref", Ref(&["file"])),
            opt("parent_ref", Ref(&["process"])),
            opt("child_refs", Refs(&["process"])),
        ],
        checks: &[sco_not_empty],
    },
    TypeRules {
        type_name: "software",
        props: &[
            req("name", Str),
            opt("cpe", Str),
            opt("swid", Str),
            opt("languages", Strs),
            opt("vendor", Str),
            opt("version", Str),
        ],
        checks: &[],
    },
    TypeRules {
        type_name: "url",
        props: &[req("value", Str)],
        checks: &[],
    },
    TypeRules {
        type_name: "user-account",
        props: &[
            opt("user_id", Str),
            opt("credential", Str),
            opt("account_login", Str),
            opt("account_type", Str),
            opt("display_name", Str),
            opt("is_service_account", Bool),
            opt("is_privileged", Bool),
            opt("can_escalate_privs", Bool),
            opt("is_disabled", Bool),
            opt("account_created", Time),
            opt("account_expires", Time),
            opt("credential_last_changed", Time),
            opt("account_first_login", Time),
            opt("account_last_login", Time),
        ],
        checks: &[sco_not_empty],
    },
    TypeRules {
        type_name: "windows-registry-key",
        props: &[
            opt("key", Str),
            opt("values", Dicts),
            opt("modified_time", Time),
            opt("creator_user_ref", Ref(&["user-account"])),
            opt("number_of_subkeys", NON_NEGATIVE),
        ],
        checks: &[sco_not_empty],
    },
    TypeRules {
        type_name: "x509-certificate",
        props: &[
            opt("is_self_signed", Bool),
            opt("hashes", Hashes),
            opt("version", Str),
            opt("serial_number", Str),
            opt("signature_algorithm", Str),
            opt("issuer", Str),
            opt("validity_not_before", Time),
            opt("validity_not_after", Time),
            opt("subject", Str),
            opt("subject_public_key_algorithm", Str),
            opt("subject_public_key_modulus", Str),
            opt("subject_public_key_exponent", NON_NEGATIVE),
            opt("x509_v3_extensions", Dict),
        ],
        checks: &[sco_not_empty],
    },
    // --- Meta objects (§7) ---
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

/// The rules of a specification-defined type; `None` for custom types.
pub(crate) fn rules_for(type_name: &str) -> Option<&'static TypeRules> {
    TYPE_RULES.iter().find(|r| r.type_name == type_name)
}

/// Property names: those the specification defines are all lower-case with underscores, so
/// any other name is custom and must follow §11.1 (a-z, 0-9, `_`, 3–250 characters). `id` is the
/// one defined name shorter than that.
fn check_property_names(obj: &Obj<'_>) -> Result<(), ValidationError> {
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

/// Presence of required properties, then the kind of every property present, in table order.
fn check_props(obj: &Obj<'_>, props: &[Prop]) -> Result<(), ValidationError> {
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
fn check_kind(obj: &Obj<'_>, path: &str, kind: Kind, value: &Value) -> Result<(), ValidationError> {
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

/// §2.5: `source_name` is required, and at least one of description, url, external_id.
fn check_external_reference(
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
fn check_granular_marking(obj: &Obj<'_>, path: &str, value: &Value) -> Result<(), ValidationError> {
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
fn check_extensions(obj: &Obj<'_>, path: &str, value: &Value) -> Result<(), ValidationError> {
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

// --- Cross-property rules -------------------------------------------------------------------

/// `later` must not precede `earlier` (or must follow it strictly when `strict`).
fn ordered(obj: &Obj<'_>, earlier: &str, later: &str, strict: bool) -> Result<(), ValidationError> {
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

fn seen_in_order(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "first_seen", "last_seen", false)
}

fn indicator_validity(obj: &Obj<'_>) -> Result<(), ValidationError> {
    ordered(obj, "valid_from", "valid_until", true)
}

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

fn artifact_content(obj: &Obj<'_>) -> Result<(), ValidationError> {
    match (obj.has("payload_bin"), obj.has("url")) {
        (true, true) => Err(obj.err("url", "must not be present together with payload_bin")),
        (false, false) => Err(obj.err("payload_bin", "one of payload_bin or url is required")),
        (false, true) if !obj.has("hashes") => {
            Err(obj.err("hashes", "is required when url is present"))
        }
        _ => Ok(()),
    }
}

fn email_body(obj: &Obj<'_>) -> Result<(), ValidationError> {
    let multipart = obj.map.get("is_multipart") == Some(&Value::Bool(true));
    if multipart && obj.has("body") {
        return Err(obj.err("body", "must not be present when is_multipart is true"));
    }
    if !multipart && obj.has("body_multipart") {
        return Err(obj.err(
            "body_multipart",
            "must not be present when is_multipart is false",
        ));
    }
    Ok(())
}

fn file_identity(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.has("name") || obj.has("hashes") {
        Ok(())
    } else {
        Err(obj.err("name", "one of name or hashes is required"))
    }
}

fn network_traffic_ends(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.has("src_ref") || obj.has("dst_ref") {
        Ok(())
    } else {
        Err(obj.err("src_ref", "one of src_ref or dst_ref is required"))
    }
}

fn network_traffic_times(obj: &Obj<'_>) -> Result<(), ValidationError> {
    if obj.map.get("is_active") == Some(&Value::Bool(true)) && obj.has("end") {
        return Err(obj.err("end", "must not be present when is_active is true"));
    }
    ordered(obj, "start", "end", false)
}

/// Properties every SCO may have, which do not count as describing the observable.
const SCO_COMMON: &[&str] = &[
    "type",
    "id",
    "spec_version",
    "object_marking_refs",
    "granular_markings",
    "defanged",
];

/// §6.x: a user-account, process, windows-registry-key or x509-certificate must carry at least
/// one property of its own (or of one of its extensions).
fn sco_not_empty(obj: &Obj<'_>) -> Result<(), ValidationError> {
    let has_own = obj.map.iter().any(|(k, v)| match k.as_str() {
        "extensions" => v.as_object().is_some_and(|m| !m.is_empty()),
        k => !SCO_COMMON.contains(&k),
    });
    if has_own {
        Ok(())
    } else {
        let t = obj.id.split_once("--").map_or(obj.id, |(t, _)| t);
        Err(obj.err(
            "*",
            format!("a {t} must have at least one property besides the common ones"),
        ))
    }
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
        assert_eq!(TYPE_RULES.len(), all_types().count());
    }

    /// Every required property in the tables, and every either-or rule, can fail, and the
    /// error names the property.
    #[test]
    fn every_required_property_rule_can_fail() {
        let mut cases: Vec<(&str, &str, &str)> = Vec::new();
        for rules in TYPE_RULES {
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
            for rules in TYPE_RULES {
                for prop in rules.props.iter().chain(COMMON_PROPERTIES) {
                    let mut map = minimal(rules.type_name);
                    map.insert(prop.name.to_owned(), value.clone());
                    let _ = StixObject::from_map(map);
                }
            }
        }
    }
}
