//! Golden files (`tests/golden/`, see its README): the STIX form of a record of every type and
//! two `x-pacific-coop-event` acts, each built from fixed inputs (times, UUIDs, policies) and
//! compared byte for byte with its file, and each file read back and written again to the same
//! bytes. `PACIFIC_BLESS=1` rewrites the files.

use std::collections::BTreeSet;
use std::time::Duration;

use pacific_coop::consultation::*;
use pacific_coop::deadline::ByUrgency;
use pacific_coop::dispute::*;
use pacific_coop::hotline::*;
use pacific_coop::request::*;
use pacific_coop::wire::{self, EVENT_TYPE};
use pacific_coop::*;
use pacific_core::policy::PartyId;
use pacific_core::{StixObject, Timestamp};
use pacific_golden::{assert_folder_holds_only, assert_golden, read_golden_text};
use serde_json::Value;

/// This crate's golden files.
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

/// The file `name` (written by [`assert_golden`] just before), as a STIX object, after checking
/// that its compact form is exactly `wire` (the bytes the node sends).
fn read_golden(name: &str, wire: &StixObject) -> StixObject {
    let text = read_golden_text(GOLDEN, name);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        wire.to_json(),
        "{name}, compacted"
    );
    StixObject::from_json(&text).unwrap_or_else(|e| panic!("{name} is not valid STIX: {e}"))
}

/// A golden file's form of an object: pretty JSON (two-space indent, properties in the order
/// the crate writes them) with a final newline.
fn pretty(object: &StixObject) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(object).unwrap();
    text.push('\n');
    text.into_bytes()
}

/// Checks a record's golden file both ways: built → file, file → record → same bytes.
fn check_record<R: StixRecord + PartialEq + std::fmt::Debug>(name: &str, record: &R) {
    let object = record.to_stix().unwrap();
    assert_golden(GOLDEN, name, &pretty(&object));
    let back = R::from_stix(&read_golden(name, &object)).unwrap();
    assert_eq!(&back, record, "{name}");
    assert_eq!(pretty(&back.to_stix().unwrap()), pretty(&object), "{name}");
}

// --- Fixed inputs ----------------------------------------------------------------------------

const ALPHA_IDENTITY: &str = "identity--0b1c2d3e-4f50-4a61-8b72-c3d4e5f60718";
const BRAVO_IDENTITY: &str = "identity--1c2d3e4f-5061-4b72-9c83-d4e5f6071829";

/// 2026-03-01T08:00:00Z.
fn t0() -> Timestamp {
    Timestamp::parse("2026-03-01T08:00:00.000000Z").unwrap()
}

fn at_secs(s: u64) -> Timestamp {
    pacific_coop::common::plus(&t0(), Duration::from_secs(s))
}

/// The record (or act) UUID ending in `n`.
fn uuid(n: u8) -> String {
    format!("3f8e2a1c-6b4d-4e7f-8a9b-0c1d2e3f4a{n:02x}")
}

fn liaison(p: &str) -> Actor {
    Actor::new(p, CoopRole::Liaison)
}

/// Deadlines spelled out here rather than taken from `DeadlinePolicy::default`, so a change of
/// the defaults does not change the files.
fn deadlines() -> DeadlinePolicy {
    const H: u64 = 3600;
    let by = |routine: u64, urgent: u64, emergency: u64| ByUrgency {
        routine_secs: routine * H,
        urgent_secs: urgent * H,
        emergency_secs: emergency * H,
    };
    DeadlinePolicy {
        preservation: by(72, 24, 4),
        disclosure: by(720, 168, 24),
        takedown: by(168, 48, 4),
        incident_assistance: by(72, 24, 4),
        information: by(720, 168, 24),
        acknowledgement: by(72, 24, 1),
        min_preservation_secs: 60 * 24 * H,
    }
}

fn hotline() -> HotlinePolicy {
    HotlinePolicy {
        first_resend_secs: 300,
        max_resend_secs: 1800,
        ping_timeout_secs: 900,
    }
}

fn disputes() -> DisputePolicy {
    const DAY: u64 = 86_400;
    DisputePolicy {
        negotiation_secs: 30 * DAY,
        mediation_secs: 60 * DAY,
        arbitration_secs: 90 * DAY,
    }
}

/// An urgent preservation request from alpha to bravo, drafted at `t0`; with the events of
/// sending it an hour later.
fn request() -> (AssistanceRequest, Vec<RequestEvent>) {
    let spec = RequestSpec {
        recipient: "bravo".into(),
        urgency: Urgency::Urgent,
        title: "phishing accounts".into(),
        details: RequestKind::Preservation(Preservation {
            requesting_authority: "Alpha national police, cybercrime unit".into(),
            offence: "computer fraud".into(),
            summary_of_facts: "phishing campaign against Alpha's banks".into(),
            data_sought: "mailbox contents and logs of account x@example.org".into(),
            link_to_offence: "the account sent the phishing mails".into(),
            custodian_or_location: "Example Mail Ltd, Bravo".into(),
            necessity: "the provider deletes logs after 30 days".into(),
            mla_intent: true,
        }),
        evidence_refs: vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
        attachments: vec![Attachment {
            sha256: Sha256Hex::of(b"golden headers"),
            size: 14,
            name: "headers.eml".into(),
            media_type: Some("message/rfc822".into()),
        }],
        requested_deadline: None,
    };
    let drafted = AssistanceRequest::draft(
        &liaison("alpha"),
        &uuid(0x01),
        spec,
        Some(ALPHA_IDENTITY.into()),
        &t0(),
        &deadlines(),
        &hotline(),
    )
    .unwrap();
    let mut r = AssistanceRequest::replay(&[drafted]).unwrap();
    let sent = r
        .execute(&liaison("alpha"), RequestCommand::Send, &at_secs(3600))
        .unwrap();
    (r, sent)
}

/// The request sent, then acknowledged and started by bravo.
fn request_in_progress() -> AssistanceRequest {
    let (mut r, _) = request();
    r.execute(
        &liaison("bravo"),
        RequestCommand::Acknowledge,
        &at_secs(2 * 3600),
    )
    .unwrap();
    r.execute(&liaison("bravo"), RequestCommand::Start, &at_secs(3 * 3600))
        .unwrap();
    r
}

/// A dispute alpha opened against bravo, with a mediator proposed.
fn dispute() -> Dispute {
    let opened = Dispute::open(
        &liaison("alpha"),
        &uuid(0x02),
        "bravo".into(),
        "a request left unanswered".into(),
        "the preservation request was not answered within its deadline".into(),
        vec!["x-pacific-assistance-request--3f8e2a1c-6b4d-4e7f-8a9b-0c1d2e3f4a01".into()],
        &disputes(),
        Some(ALPHA_IDENTITY.into()),
        &t0(),
    )
    .unwrap();
    let mut d = Dispute::replay(&[opened]).unwrap();
    d.execute(
        &liaison("alpha"),
        DisputeCommand::ProposeMediator {
            mediator: "charlie".into(),
        },
        &at_secs(3600),
    )
    .unwrap();
    d
}

/// A consultation alpha opened with bravo and charlie, with one message from bravo.
fn consultation() -> Consultation {
    let opened = Consultation::open(
        &liaison("alpha"),
        &uuid(0x03),
        "phishing wave against banks".into(),
        ["bravo".into(), "charlie".into()].into(),
        vec!["indicators seen".into(), "next steps".into()],
        Some(ALPHA_IDENTITY.into()),
        &t0(),
    )
    .unwrap();
    let mut c = Consultation::replay(&[opened]).unwrap();
    c.execute(
        &liaison("bravo"),
        ConsultationCommand::Post {
            text: "we see the same sender domains".into(),
            object_refs: vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
        },
        &at_secs(600),
    )
    .unwrap();
    c
}

/// Bravo's hotline contact, as declared: the creating event too.
fn contact() -> (HotlineContact, ContactEvent) {
    let declared = HotlineContact::declare(
        &liaison("bravo"),
        &uuid(0x04),
        "duty officer, national CSIRT".into(),
        Channel {
            medium: Medium::Phone,
            address: "+000 555 0100".into(),
        },
        Some(BRAVO_IDENTITY.into()),
        &t0(),
    )
    .unwrap();
    (
        HotlineContact::replay(std::slice::from_ref(&declared)).unwrap(),
        declared,
    )
}

/// Alpha's ping of bravo's hotline, answered after 30 seconds.
fn ping() -> HotlinePing {
    let sent = HotlinePing::send(
        &liaison("alpha"),
        &uuid(0x05),
        "bravo".into(),
        &t0(),
        &hotline(),
    )
    .unwrap();
    let mut p = HotlinePing::replay(&[sent]).unwrap();
    p.execute(&liaison("bravo"), PingCommand::Answer, &at_secs(30))
        .unwrap();
    p
}

const FILES: [&str; 7] = [
    "assistance-request.json",
    "consultation.json",
    "dispute.json",
    "hotline-contact.json",
    "hotline-ping.json",
    "event-request-sent.json",
    "event-hotline-contact-declared.json",
];

// --- Tests -----------------------------------------------------------------------------------

#[test]
fn a_record_of_every_type_matches_its_golden_file_and_reads_back() {
    check_record("assistance-request.json", &request_in_progress());
    check_record("consultation.json", &consultation());
    check_record("dispute.json", &dispute());
    check_record("hotline-contact.json", &contact().0);
    check_record("hotline-ping.json", &ping());
}

/// Checks an act's golden file both ways; the file's recipients give the audience it is
/// written again for.
fn check_act(name: &str, n: u8, act: &wire::Act, audience: &Audience, by: &str) {
    let object = wire::to_stix(&uuid(n), act, audience, Some(by), &act_time(act)).unwrap();
    assert_golden(GOLDEN, name, &pretty(&object));

    let read = read_golden(name, &object);
    let published = wire::from_stix(&read).unwrap();
    assert_eq!(&published.act, act, "{name}");
    let audience = match read.get("x_pacific_recipients") {
        Some(Value::Array(parties)) => Audience::Only(
            parties
                .iter()
                .map(|p| PartyId::from(p.as_str().unwrap()))
                .collect::<BTreeSet<_>>(),
        ),
        _ => Audience::Federation,
    };
    let uuid = published
        .id
        .strip_prefix(&format!("{EVENT_TYPE}--"))
        .unwrap();
    let by = read.get("created_by_ref").and_then(Value::as_str);
    let again = wire::to_stix(uuid, &published.act, &audience, by, &published.modified).unwrap();
    assert_eq!(pretty(&again), pretty(&object), "{name}");
}

fn act_time(act: &wire::Act) -> Timestamp {
    let at = match act {
        wire::Act::Request(e) => &e[0].at,
        wire::Act::Contact(e) => &e[0].at,
        _ => unreachable!("the golden acts are a request's and a contact's"),
    };
    at.clone()
}

#[test]
fn the_coop_event_acts_match_their_golden_files_and_read_back() {
    // Addressed to the request's parties (TLP:AMBER with recipients).
    let (request, sent) = request();
    check_act(
        "event-request-sent.json",
        0x11,
        &wire::Act::Request(sent),
        &request.audience(),
        ALPHA_IDENTITY,
    );
    // For the whole federation (TLP:GREEN, no recipients).
    let (contact, declared) = contact();
    check_act(
        "event-hotline-contact-declared.json",
        0x12,
        &wire::Act::Contact(vec![declared]),
        &contact.audience(),
        BRAVO_IDENTITY,
    );
}

#[test]
fn the_golden_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, &FILES);
}
