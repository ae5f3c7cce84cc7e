//! Records as STIX 2.1 objects: valid for the project's validator, valid against their
//! published JSON Schemas, and read back unchanged.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use pacific_coop::consultation::*;
use pacific_coop::dispute::*;
use pacific_coop::hotline::*;
use pacific_coop::request::*;
use pacific_coop::stix::{definitions, schema};
use pacific_coop::*;
use pacific_core::StixObject;
use serde_json::{Map, Value};

/// A small JSON Schema check for the keywords the published schemas use: `$ref` (to
/// `#/$defs/…`), `const`, `enum`, `type`, `required`, `properties`, `additionalProperties:
/// false`, `items`, `minItems`, `minLength`. (`pattern` is not checked here: the project's
/// STIX validator checks ids and timestamps.)
fn check(schema: &Value, root: &Value, value: &Value, path: &str) -> Result<(), String> {
    let s = schema.as_object().expect("a schema is an object");
    if let Some(Value::String(r)) = s.get("$ref") {
        let name = r.strip_prefix("#/$defs/").expect("local refs only");
        return check(&root["$defs"][name], root, value, path);
    }
    if let Some(c) = s.get("const")
        && c != value
    {
        return Err(format!("{path}: {value} is not {c}"));
    }
    if let Some(Value::Array(options)) = s.get("enum")
        && !options.contains(value)
    {
        return Err(format!("{path}: {value} not in {options:?}"));
    }
    if let Some(Value::String(t)) = s.get("type") {
        let ok = match t.as_str() {
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            other => panic!("type {other}"),
        };
        if !ok {
            return Err(format!("{path}: {value} is not of type {t}"));
        }
    }
    if let (Some(n), Some(text)) = (s.get("minLength"), value.as_str())
        && (text.chars().count() as u64) < n.as_u64().unwrap()
    {
        return Err(format!("{path}: too short"));
    }
    if let Some(items) = value.as_array() {
        if let Some(n) = s.get("minItems")
            && (items.len() as u64) < n.as_u64().unwrap()
        {
            return Err(format!("{path}: fewer than {n} items"));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                check(item_schema, root, item, &format!("{path}.{i}"))?;
            }
        }
    }
    if let Some(map) = value.as_object() {
        if let Some(Value::Array(required)) = s.get("required") {
            for r in required {
                if !map.contains_key(r.as_str().unwrap()) {
                    return Err(format!("{path}: missing {r}"));
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            match props.and_then(|p| p.get(k)) {
                Some(p) => check(p, root, v, &format!("{path}.{k}"))?,
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{path}: unexpected property {k}"));
                }
                None => {}
            }
        }
    }
    Ok(())
}

fn schema_of(t: RecordType) -> Value {
    serde_json::from_str(schema(t)).expect("the schema is JSON")
}

/// The record's STIX form passes the project's validator (from its JSON text), its schema, and
/// reads back as the same record.
fn assert_good<R: StixRecord + PartialEq + std::fmt::Debug>(record: &R) -> Map<String, Value> {
    let object = record.to_stix().expect("to_stix");
    let reparsed = StixObject::from_json(&object.to_json()).expect("valid for pacific_core");
    let root = schema_of(R::RECORD_TYPE);
    let value = Value::Object(reparsed.as_map().clone());
    check(&root, &root, &value, "$")
        .unwrap_or_else(|e| panic!("{}: {e}\n{value:#}", R::RECORD_TYPE));
    let back = R::from_stix(&reparsed).expect("from_stix");
    assert_eq!(&back, record);
    reparsed.into_map()
}

/// The schema's `required` list is exactly what a freshly created record emits, except the
/// properties named in `optional` (present at creation, absent later, e.g. a dispute's
/// `stage_deadline` once it is settled or decided).
fn assert_required_matches<R: StixRecord + PartialEq + std::fmt::Debug>(
    fresh: &R,
    optional: &[&str],
) {
    let map = assert_good(fresh);
    let emitted: BTreeSet<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !optional.contains(k))
        .collect();
    let root = schema_of(R::RECORD_TYPE);
    let required: BTreeSet<&str> = root["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(emitted, required, "{}", R::RECORD_TYPE);
}

fn fresh_request() -> AssistanceRequest {
    let e = AssistanceRequest::draft(
        &liaison(REQUESTER),
        &uuid(1),
        RequestSpec {
            recipient: RECIPIENT.into(),
            urgency: Urgency::Routine,
            title: "who runs this?".into(),
            details: RequestKind::Information(Information {
                question: "who runs AS64500?".into(),
                context: String::new(),
            }),
            evidence_refs: vec![],
            attachments: vec![],
            requested_deadline: None,
        },
        None,
        &t0(),
        &DeadlinePolicy::default(),
        &HotlinePolicy::default(),
    )
    .unwrap();
    AssistanceRequest::replay(&[e]).unwrap()
}

fn fresh_dispute() -> Dispute {
    let e = Dispute::open(
        &liaison("alpha"),
        &uuid(2),
        "bravo".into(),
        "s".into(),
        "c".into(),
        vec![],
        &DisputePolicy::default(),
        None,
        &t0(),
    )
    .unwrap();
    Dispute::replay(&[e]).unwrap()
}

fn fresh_consultation() -> Consultation {
    let e = Consultation::open(
        &liaison("alpha"),
        &uuid(3),
        "t".into(),
        ["bravo".into()].into(),
        vec![],
        None,
        &t0(),
    )
    .unwrap();
    Consultation::replay(&[e]).unwrap()
}

fn contact() -> HotlineContact {
    let e = HotlineContact::declare(
        &liaison("bravo"),
        &uuid(4),
        "duty officer".into(),
        Channel {
            medium: Medium::Signal,
            address: "+000 555 0100".into(),
        },
        None,
        &t0(),
    )
    .unwrap();
    HotlineContact::replay(&[e]).unwrap()
}

fn ping() -> HotlinePing {
    let e = HotlinePing::send(
        &liaison("alpha"),
        &uuid(5),
        "bravo".into(),
        &t0(),
        &HotlinePolicy::default(),
    )
    .unwrap();
    HotlinePing::replay(&[e]).unwrap()
}

#[test]
fn the_schemas_required_lists_are_what_every_record_always_emits() {
    assert_required_matches(&fresh_request(), &[]);
    assert_required_matches(&fresh_dispute(), &["stage_deadline"]);
    assert_required_matches(&fresh_consultation(), &[]);
    assert_required_matches(&contact(), &[]);
    assert_required_matches(&ping(), &[]);
}

#[test]
fn requests_in_every_state_are_valid_stix_and_round_trip() {
    for state in RequestState::ALL {
        let (mut r, now) = request_in(state);
        if state == RequestState::Sent {
            // An intact and a flagged hand-over.
            r.execute(
                &liaison(RECIPIENT),
                RequestCommand::RecordCustody {
                    attachment: sha("headers"),
                    observed_sha256: sha("headers"),
                    observed_size: 7,
                },
                &now,
            )
            .unwrap();
        }
        let map = assert_good(&r);
        assert_eq!(map["state"], state.as_str());
        assert_eq!(
            map["created_by_ref"],
            "identity--8e2e2d2b-7f1c-4b0a-9c3d-1e2f3a4b5c6d"
        );
    }
    let mut emergency = drafted(
        RequestKind::Preservation(preservation()),
        Urgency::Emergency,
    );
    emergency
        .execute(&liaison(REQUESTER), RequestCommand::Send, &at_hours(1))
        .unwrap();
    for event in emergency.resend_due(&at_hours(2)) {
        emergency.apply(&event);
    }
    assert!(assert_good(&emergency).contains_key("escalation"));
}

#[test]
fn modified_advances_with_every_event() {
    let (r, _) = request_in(RequestState::Answered);
    assert!(r.meta.modified > r.meta.created);
    let map = assert_good(&r);
    assert_ne!(map["modified"], map["created"]);
}

#[test]
fn disputes_consultations_and_hotline_records_are_valid_stix_and_round_trip() {
    use DisputeCommand as C;
    let mut d = fresh_dispute();
    let panel: BTreeSet<_> = ["delta", "echo", "foxtrot"]
        .into_iter()
        .map(Into::into)
        .collect();
    let steps: Vec<(&str, C)> = vec![
        (
            "alpha",
            C::ProposeMediator {
                mediator: "golf".into(),
            },
        ),
        ("bravo", C::AcceptMediator),
        ("alpha", C::ProposePanel { members: panel }),
        ("bravo", C::AcceptPanel),
        (
            "delta",
            C::Vote {
                finding: Finding::Rejected,
                reasons: "r".into(),
            },
        ),
        (
            "echo",
            C::Vote {
                finding: Finding::Rejected,
                reasons: "r".into(),
            },
        ),
    ];
    for (h, (who, c)) in steps.into_iter().enumerate() {
        d.execute(&liaison(who), c, &at_hours(h as u64 + 1))
            .unwrap();
        assert_good(&d);
    }
    assert_eq!(d.stage, Stage::Decided);

    let mut c = fresh_consultation();
    c.execute(
        &liaison("bravo"),
        ConsultationCommand::Post {
            text: "hello".into(),
            object_refs: vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
        },
        &at_hours(1),
    )
    .unwrap();
    c.execute(
        &liaison("alpha"),
        ConsultationCommand::ProposeMinutes { text: "m".into() },
        &at_hours(2),
    )
    .unwrap();
    c.execute(
        &liaison("alpha"),
        ConsultationCommand::SignMinutes { version: 1 },
        &at_hours(3),
    )
    .unwrap();
    assert_good(&c);

    let mut p = ping();
    p.execute(&liaison("bravo"), PingCommand::Answer, &at_secs(30))
        .unwrap();
    assert_good(&p);
    let mut q = ping();
    let events = q.timeout_due(&at_hours(1));
    q.apply(&events[0]);
    assert_good(&q);
}

#[test]
fn a_record_names_its_audience_for_the_policy_gate() {
    let (r, _) = request_in(RequestState::Sent);
    let map = assert_good(&r);
    assert_eq!(
        map["x_pacific_recipients"],
        serde_json::json!([REQUESTER, RECIPIENT])
    );
    let markings =
        pacific_core::policy::Markings::read(&r.to_stix().unwrap(), pacific_core::tlp::Tlp::Amber)
            .unwrap();
    assert!(markings.names(&RECIPIENT.into()));
    assert!(!markings.names(&OUTSIDER.into()));
}

#[test]
fn a_stix_object_of_another_type_or_without_the_extension_is_refused() {
    let r = fresh_request();
    let object = r.to_stix().unwrap();
    assert!(Dispute::from_stix(&object).is_err());
    let mut map = object.into_map();
    map.insert("extensions".into(), serde_json::json!({}));
    let stripped = StixObject::from_map(map).unwrap();
    assert!(AssistanceRequest::from_stix(&stripped).is_err());
}

#[test]
fn the_extension_definitions_are_valid_stix_and_carry_the_schemas() {
    let defs = definitions();
    assert_eq!(defs.len(), 1 + RecordType::ALL.len() + 1);
    assert!(
        defs.iter()
            .any(|d| d.id() == pacific_coop::wire::EVENT_EXTENSION_ID)
    );
    for t in RecordType::ALL {
        let d = defs
            .iter()
            .find(|d| d.id() == t.extension_definition_id())
            .unwrap();
        StixObject::from_json(&d.to_json()).unwrap();
        assert_eq!(
            d.get("extension_types").unwrap(),
            &serde_json::json!(["new-sdo"])
        );
        let s: Value = serde_json::from_str(d.get("schema").unwrap().as_str().unwrap()).unwrap();
        assert_eq!(s["properties"]["type"]["const"], t.type_name());
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
}
