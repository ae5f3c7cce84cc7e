//! Golden files (`tests/golden/`, see its README): the TAXII 2.1 status resource, pending (as a
//! POST answers it) and complete, built from fixed inputs and compared byte for byte with its
//! file, and each file read back and written again to the same bytes. `PACIFIC_BLESS=1`
//! rewrites the files.

use pacific_core::Timestamp;
use pacific_core::taxii::{Status, StatusDetail, StatusState};
use pacific_golden::{assert_folder_holds_only, assert_golden, read_golden_text};

/// This crate's golden files.
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

/// A golden file's form of a value: pretty JSON (two-space indent, fields in declaration
/// order) with a final newline.
fn pretty(status: &Status) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(status).unwrap();
    text.push('\n');
    text.into_bytes()
}

/// Checks a status resource's golden file both ways: built → file, file → status → same
/// bytes; and that the file compacted is exactly what the node sends.
fn check_status(name: &str, status: &Status) {
    assert_golden(GOLDEN, name, &pretty(status));
    let text = read_golden_text(GOLDEN, name);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        serde_json::to_string(status).unwrap(),
        "{name}, compacted"
    );
    let back: Status = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, status, "{name}");
    assert_eq!(pretty(&back), text.as_bytes(), "{name}");
}

// --- Fixed inputs ----------------------------------------------------------------------------

const STATUS_ID: &str = "2d086da7-4bdc-4f91-900e-d77486753710";
const GOOD: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const ALSO_GOOD: &str = "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
const BAD: &str = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";

/// 2026-03-01T08:00:00.123456789Z, written as the node stamps a POST (`Timestamp::now` goes
/// through the same `from_unix`, which keeps microseconds).
fn requested_at() -> Timestamp {
    Timestamp::from_unix(1_772_352_000, 123_456_789)
}

fn detail(id: &str, message: Option<&str>) -> StatusDetail {
    StatusDetail {
        id: id.into(),
        version: "2026-03-01T07:59:00.000Z".into(),
        message: message.map(Into::into),
    }
}

fn failure() -> StatusDetail {
    detail(
        BAD,
        Some("indicator--a932fcc6-e032-476c-826f-cb970a5a1ade: property `pattern`: is required"),
    )
}

/// As a POST of three objects answers: one invalid, two pending.
fn pending() -> Status {
    Status {
        id: STATUS_ID.into(),
        status: StatusState::Pending,
        request_timestamp: requested_at(),
        total_count: 3,
        success_count: 0,
        successes: vec![],
        failure_count: 1,
        failures: vec![failure()],
        pending_count: 2,
        pendings: vec![detail(GOOD, None), detail(ALSO_GOOD, None)],
    }
}

/// The same POST once stored.
fn complete() -> Status {
    Status {
        id: STATUS_ID.into(),
        status: StatusState::Complete,
        request_timestamp: requested_at(),
        total_count: 3,
        success_count: 2,
        successes: vec![detail(GOOD, None), detail(ALSO_GOOD, None)],
        failure_count: 1,
        failures: vec![failure()],
        pending_count: 0,
        pendings: vec![],
    }
}

const FILES: [&str; 2] = ["taxii-status-pending.json", "taxii-status-complete.json"];

// --- Tests -----------------------------------------------------------------------------------

#[test]
fn the_taxii_status_resource_matches_its_golden_files_and_reads_back() {
    check_status(FILES[0], &pending());
    check_status(FILES[1], &complete());
}

#[test]
fn the_golden_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, &FILES);
}
