//! The `/registry/` API's bodies and views, shared by the server and `pacific`'s client.

use pacific_core::Timestamp;
use pacific_registry::claim::{Contact, Role};
use pacific_registry::{Claim, Conflict};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `POST /registry/claims`: a new claim of this party.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    pub role: Role,
    /// Each `203.0.113.0/24`, `2001:db8::/32`, `AS64500`, `AS64500-AS64511` or `example.xa`.
    pub resources: Vec<String>,
    pub contact: Contact,
    /// RFC 3339; default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// What the claim rests on, one line each (e.g. the RIR delegation lines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// `POST /registry/claims/{id}/marks`: this node's delegation data to check a claim against.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    /// What the data is (e.g. the statistics file's name and date).
    pub source: String,
    /// The resources the data gives, as in a claim.
    pub data: Vec<String>,
}

/// A claim as the API shows it. IPv6 address counts (up to 2^128) are decimal strings: JSON
/// numbers beyond 2^64 do not survive most readers.
pub fn claim_view(c: &Claim) -> Value {
    let strings = |v: Vec<String>| json!(v);
    let t = c.resources.totals();
    json!({
        "id": c.id,
        "party": c.party,
        "role": c.role,
        "revoked": c.revoked,
        "created": c.created,
        "modified": c.modified,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "contact": c.contact,
        "ipv4_prefixes": strings(c.resources.ipv4.iter().map(ToString::to_string).collect()),
        "ipv6_prefixes": strings(c.resources.ipv6.iter().map(ToString::to_string).collect()),
        "as_numbers": strings(c.resources.asns.iter().map(ToString::to_string).collect()),
        "domain_suffixes": strings(c.resources.domains.iter().map(ToString::to_string).collect()),
        "totals": {
            "ipv4_prefixes": t.ipv4_prefixes,
            "ipv4_addresses": t.ipv4_addresses,
            "ipv6_prefixes": t.ipv6_prefixes,
            "ipv6_addresses": t.ipv6_addresses.to_string(),
            "as_ranges": t.as_ranges,
            "asns": t.asns,
            "domains": t.domains,
        },
        "evidence_lines": c.evidence.len(),
    })
}

/// A conflict as the API shows it.
pub fn conflict_view(c: &Conflict) -> Value {
    json!(c)
}
