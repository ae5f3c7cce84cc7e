//! RDAP answers: the members RFC 9083 requires, the claiming parties as entities with their
//! contacts, conflicts noticed.

use pacific_registry::{ClaimSet, Index, Query, Role, rdap};
use serde_json::Value;

use crate::common::*;

fn index() -> Index {
    let mut set = ClaimSet::new();
    for c in [
        claim(
            1,
            "xa",
            Role::Jurisdiction,
            &["41.0.0.0/11", "2c0f:f000::/20", "AS37000-AS37999", "xa"],
        ),
        claim(
            2,
            "cert-xa",
            Role::Contact,
            &["41.0.5.0/24", "AS37001", "example.xa"],
        ),
        claim(3, "xb", Role::Jurisdiction, &["2c0f:f000::/20"]),
    ] {
        set.insert(c).unwrap();
    }
    Index::build(&set, &t("2026-03-05T00:00:00Z"))
}

fn lookup<'a>(index: &'a Index, q: &str) -> Vec<pacific_registry::Match<'a>> {
    index.lookup(&q.parse::<Query>().unwrap())
}

/// Checks what every RDAP object answer holds (RFC 9083 §4.1, §5.1, jCard of RFC 7095).
fn check_common(v: &Value, class: &str) {
    assert_eq!(v["rdapConformance"][0], "rdap_level_0");
    assert_eq!(v["objectClassName"], class);
    assert!(v["handle"].is_string());
    for e in v["entities"].as_array().unwrap() {
        assert_eq!(e["objectClassName"], "entity");
        assert!(e["handle"].is_string());
        let card = &e["vcardArray"];
        assert_eq!(card[0], "vcard");
        let props = card[1].as_array().unwrap();
        assert_eq!(props[0], serde_json::json!(["version", {}, "text", "4.0"]));
        for p in props {
            let p = p.as_array().unwrap();
            assert_eq!(
                p.len(),
                4,
                "a jCard property is [name, params, type, value]"
            );
            assert!(p[1].is_object());
        }
        assert!(props.iter().any(|p| p[0] == "fn"));
        for r in e["roles"].as_array().unwrap() {
            assert!(["registrant", "abuse"].contains(&r.as_str().unwrap()));
        }
        for ev in e["events"].as_array().unwrap() {
            assert!(ev["eventAction"].is_string() && ev["eventDate"].is_string());
        }
    }
}

#[test]
fn an_address_is_answered_as_an_ip_network_with_its_parties_as_entities() {
    let index = index();
    let v = rdap::ip_network(&lookup(&index, "41.0.5.9")).unwrap();
    check_common(&v, "ip network");
    assert_eq!(
        v["handle"], "41.0.5.0/24",
        "the most specific range claimed"
    );
    assert_eq!(v["startAddress"], "41.0.5.0");
    assert_eq!(v["endAddress"], "41.0.5.255");
    assert_eq!(v["ipVersion"], "v4");
    let entities = v["entities"].as_array().unwrap();
    let who: Vec<(&str, &str)> = entities
        .iter()
        .map(|e| {
            (
                e["handle"].as_str().unwrap(),
                e["roles"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(who, [("xa", "registrant"), ("cert-xa", "abuse")]);
    let card = entities[1]["vcardArray"][1].as_array().unwrap();
    assert!(card.contains(&serde_json::json!([
        "email",
        {},
        "text",
        "duty@cert.example.xa"
    ])));
    assert!(
        card.contains(&serde_json::json!(["tel", {"type": ["voice"]}, "uri", "tel:+9995550100"]))
    );
    assert_eq!(
        v["notices"].as_array().unwrap().len(),
        1,
        "no conflict here"
    );
}

#[test]
fn claims_in_conflict_are_all_given_and_noticed() {
    let index = index();
    let v = rdap::ip_network(&lookup(&index, "2c0f:f000::1")).unwrap();
    check_common(&v, "ip network");
    assert_eq!(v["ipVersion"], "v6");
    assert_eq!(v["entities"].as_array().unwrap().len(), 2);
    let notices = v["notices"].as_array().unwrap();
    assert!(notices.iter().any(|n| n["title"] == "Conflicting claims"));
}

#[test]
fn as_numbers_and_names_are_answered_as_autnum_and_domain() {
    let index = index();
    let v = rdap::autnum(&lookup(&index, "AS37001")).unwrap();
    check_common(&v, "autnum");
    assert_eq!(
        (v["startAutnum"].as_u64(), v["endAutnum"].as_u64()),
        (Some(37001), Some(37001))
    );
    let v = rdap::domain(&lookup(&index, "www.example.xa")).unwrap();
    check_common(&v, "domain");
    assert_eq!(v["ldhName"], "example.xa");
    assert!(rdap::ip_network(&lookup(&index, "42.0.0.1")).is_none());
    let e = rdap::error(404, "Not found", "no claim answers for 42.0.0.1");
    assert_eq!(e["errorCode"], 404);
    assert_eq!(e["rdapConformance"][0], "rdap_level_0");
}
