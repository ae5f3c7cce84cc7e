//! The registry's answers as RDAP responses (RFC 9083 JSON), so that existing RDAP clients can
//! ask a Pacific node: an `ip network` for an address, an `autnum` for an AS number, a `domain`
//! for a name, and the error response when no claim answers.
//!
//! The object is the most specific resource claimed for the query (its range in
//! `startAddress`/`endAddress`, `startAutnum`/`endAutnum`, or its `ldhName`); each claiming
//! party is an `entity` with its 24/7 contact as a jCard (RFC 7095) and the RDAP role of its
//! claim's role: `registrant` for `jurisdiction` and `operator`, `abuse` for `contact`; a
//! remark on the entity names the Pacific role and the claim. Claims tied for one role (a
//! conflict) are all given, and a notice says so.

use serde_json::{Value, json};

use crate::claim::{Claim, Role};
use crate::index::Match;
use crate::resource::{IpPrefix, Resource};

/// The conformance every response declares.
const CONFORMANCE: &str = "rdap_level_0";

/// The RDAP role of a claim's role.
pub fn rdap_role(role: Role) -> &'static str {
    match role {
        Role::Jurisdiction | Role::Operator => "registrant",
        Role::Contact => "abuse",
    }
}

/// A claiming party as an RDAP entity with its 24/7 contact.
fn entity(role: Role, claim: &Claim) -> Value {
    let c = &claim.contact;
    let mut card = vec![
        json!(["version", {}, "text", "4.0"]),
        json!(["fn", {}, "text", c.name]),
    ];
    if let Some(email) = &c.email {
        card.push(json!(["email", {}, "text", email]));
    }
    if let Some(phone) = &c.phone {
        let uri: String = phone.chars().filter(|c| *c != ' ').collect();
        card.push(json!(["tel", {"type": ["voice"]}, "uri", format!("tel:{uri}")]));
    }
    json!({
        "objectClassName": "entity",
        "handle": claim.party.as_str(),
        "vcardArray": ["vcard", card],
        "roles": [rdap_role(role)],
        "remarks": [{
            "title": "Pacific resource claim",
            "description": [
                format!("{} answers as {role} under claim {}", claim.party, claim.id),
                format!("valid from {}{}", claim.valid_from, claim.valid_until.as_ref().map(|u| format!(" until {u}")).unwrap_or_default()),
            ],
        }],
        "events": [
            {"eventAction": "registration", "eventDate": claim.created.to_string()},
            {"eventAction": "last changed", "eventDate": claim.modified.to_string()},
        ],
    })
}

/// The members every object of an answer shares: conformance, entities, notices.
fn answer(mut object: serde_json::Map<String, Value>, matches: &[Match<'_>]) -> Value {
    object.insert("rdapConformance".into(), json!([CONFORMANCE]));
    object.insert(
        "entities".into(),
        Value::Array(matches.iter().map(|m| entity(m.role, m.claim)).collect()),
    );
    object.insert("status".into(), json!(["active"]));
    let mut notices = vec![json!({
        "title": "Source",
        "description": ["Resource claims held by this Pacific node: each party's own signed statement of what it answers for."],
    })];
    for role in Role::ALL {
        if matches.iter().filter(|m| m.role == role).count() > 1 {
            notices.push(json!({
                "title": "Conflicting claims",
                "description": [format!("More than one party claims this resource as {role}.")],
            }));
        }
    }
    object.insert("notices".into(), Value::Array(notices));
    Value::Object(object)
}

/// The most specific resource of the matches (the smallest range; the longest name).
fn most_specific<'a>(matches: &'a [Match<'_>]) -> Option<&'a Resource> {
    matches.iter().map(|m| &m.resource).min_by_key(|r| match r {
        Resource::Ip(IpPrefix::V4(p)) => u128::from(p.last() - p.first()),
        Resource::Ip(IpPrefix::V6(p)) => p.last() - p.first(),
        Resource::Asn(a) => u128::from(a.last() - a.first()),
        Resource::Domain(d) => u128::MAX - d.as_str().len() as u128,
    })
}

/// The `ip network` answer for the matches of an address lookup, `None` if none.
pub fn ip_network(matches: &[Match<'_>]) -> Option<Value> {
    let Some(Resource::Ip(prefix)) = most_specific(matches) else {
        return None;
    };
    let (start, end, version) = match prefix {
        IpPrefix::V4(p) => (
            std::net::Ipv4Addr::from(p.first()).to_string(),
            std::net::Ipv4Addr::from(p.last()).to_string(),
            "v4",
        ),
        IpPrefix::V6(p) => (
            std::net::Ipv6Addr::from(p.first()).to_string(),
            std::net::Ipv6Addr::from(p.last()).to_string(),
            "v6",
        ),
    };
    let mut object = serde_json::Map::new();
    object.insert("objectClassName".into(), json!("ip network"));
    object.insert("handle".into(), json!(prefix.to_string()));
    object.insert("startAddress".into(), json!(start));
    object.insert("endAddress".into(), json!(end));
    object.insert("ipVersion".into(), json!(version));
    Some(answer(object, matches))
}

/// The `autnum` answer for the matches of an AS number lookup, `None` if none.
pub fn autnum(matches: &[Match<'_>]) -> Option<Value> {
    let Some(Resource::Asn(range)) = most_specific(matches) else {
        return None;
    };
    let mut object = serde_json::Map::new();
    object.insert("objectClassName".into(), json!("autnum"));
    object.insert("handle".into(), json!(range.to_string()));
    object.insert("startAutnum".into(), json!(range.first()));
    object.insert("endAutnum".into(), json!(range.last()));
    Some(answer(object, matches))
}

/// The `domain` answer for the matches of a name lookup, `None` if none.
pub fn domain(matches: &[Match<'_>]) -> Option<Value> {
    let Some(Resource::Domain(name)) = most_specific(matches) else {
        return None;
    };
    let mut object = serde_json::Map::new();
    object.insert("objectClassName".into(), json!("domain"));
    object.insert("handle".into(), json!(name.as_str()));
    object.insert("ldhName".into(), json!(name.as_str()));
    Some(answer(object, matches))
}

/// The error response (RFC 9083 §6), e.g. 404 when no claim answers.
pub fn error(code: u16, title: &str, description: &str) -> Value {
    json!({
        "rdapConformance": [CONFORMANCE],
        "errorCode": code,
        "title": title,
        "description": [description],
    })
}
