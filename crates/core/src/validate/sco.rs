//! STIX Cyber-observable Objects (STIX 2.1 §6): the property table of each type and its
//! cross-property rules.

use serde_json::Value;

use super::props::Kind::{self, *};
use super::props::{ANY, opt, ordered, req};
use super::{Obj, TypeRules};
use crate::stix::ValidationError;

const SCO_ADDR: &[&str] = &["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"];
const NON_NEGATIVE: Kind = Int {
    min: 0,
    max: i64::MAX,
};

/// Property tables and cross-property rules of every SCO type (§6).
pub(super) const RULES: &[TypeRules] = &[
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
];

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
