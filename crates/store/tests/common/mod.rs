//! Builders shared by the store tests.

#![allow(dead_code)]

use pacific_core::StixObject;
use pacific_store::{Collection, SqliteStore, Store};

pub const COLLECTION: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";

/// A store in a fresh temporary file, with one collection ([`COLLECTION`]).
pub async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("pacific.db"))
        .await
        .unwrap();
    store
        .create_collection(&collection(COLLECTION))
        .await
        .unwrap();
    (dir, store)
}

pub fn collection(id: &str) -> Collection {
    Collection {
        id: id.to_owned(),
        title: format!("Collection {id}"),
        description: None,
        alias: None,
    }
}

/// A UUID made from a number, so tests can name objects `indicator(7, …)`.
pub fn uuid(n: u64) -> String {
    format!("{:08x}-{:04x}-4000-8000-{:012x}", n >> 16, n & 0xffff, n)
}

/// An indicator with every property the validator requires; `modified` picks the version.
pub fn indicator(n: u64, modified: &str) -> StixObject {
    StixObject::from_json(&format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"bad host {n}","pattern":"[ipv4-addr:value = '10.0.{}.{}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#,
        uuid(n),
        (n >> 8) & 0xff,
        n & 0xff
    ))
    .unwrap()
}

pub fn malware(n: u64, modified: &str) -> StixObject {
    StixObject::from_json(&format!(
        r#"{{"type":"malware","spec_version":"2.1","id":"malware--{}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"strain {n}","is_family":true}}"#,
        uuid(n)
    ))
    .unwrap()
}

/// An observable: no created/modified, so its version is the time it was added.
pub fn ipv4(n: u64, value: &str) -> StixObject {
    StixObject::from_json(&format!(
        r#"{{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--{}","value":"{value}"}}"#,
        uuid(n)
    ))
    .unwrap()
}

pub fn ts(s: &str) -> pacific_core::Timestamp {
    pacific_core::Timestamp::parse(s).unwrap()
}
