//! The snapshot never changes results: a start from it and the feed after it gives what a
//! load from the store gives, and a damaged, stale or foreign one is not used.

use std::path::Path;
use std::sync::Arc;

use pacific_core::policy::{PartyId, Provenance};
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_match::{InputOptions, Validity, Window};
use pacific_store::{
    Collection, FederationStore, ProvenanceRecord, SqliteFederationStore, SqliteStore, Store,
};

use super::super::{Assets, MatchService, MatchSettings};
use super::SNAPSHOT_FILE;

const COLLECTIONS: [&str; 2] = [
    "2c1e7a4b-6d3f-4e8a-9b1c-0d2e3f4a5b6c",
    "7f0a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c",
];

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const PATTERNS: [&str; 8] = [
    "[ipv4-addr:value = '198.51.100.1']",
    "[ipv4-addr:value = '198.51.100.2'] OR [domain-name:value = 'c2.example.net']",
    "[domain-name:value LIKE '%.example.org']",
    "[process:name = 'evil.exe']",
    "[ipv4-addr:value ISSUBSET '10.1.0.0/16' AND url:value = 'https://a.example.com/x']",
    "[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'c2.example.net']",
    "[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']",
    "[email-addr:value = 'x@example.com']",
];

fn indicator_id(n: u64) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012x}")
}

/// Random versions of a few indicators and `indicates` relationships: newer and older
/// versions, revoked ones, patterns not evaluated, validity windows, names and phases.
fn objects(r: &mut Rng, count: usize) -> Vec<StixObject> {
    let mut out = Vec::new();
    for _ in 0..count {
        let day = 1 + r.below(28);
        let time = format!("2026-01-{day:02}T00:00:00.000Z");
        let revoked = r.below(8) == 0;
        let json = if r.below(5) == 0 {
            let target = match r.below(3) {
                0 => "malware--00000000-0000-4000-8000-000000000001",
                1 => "campaign--00000000-0000-4000-8000-000000000002",
                _ => "malware--00000000-0000-4000-8000-000000000003",
            };
            serde_json::json!({
                "type": "relationship", "spec_version": "2.1",
                "id": format!("relationship--00000000-0000-4000-8000-{:012x}", r.below(15)),
                "created": "2026-01-01T00:00:00.000Z", "modified": time,
                "relationship_type": if r.below(6) == 0 { "uses" } else { "indicates" },
                "source_ref": indicator_id(r.below(30)), "target_ref": target,
                "revoked": revoked,
            })
        } else {
            let mut v = serde_json::json!({
                "type": "indicator", "spec_version": "2.1", "id": indicator_id(r.below(30)),
                "created": "2026-01-01T00:00:00.000Z", "modified": time,
                "name": format!("v{day}"),
                "pattern": PATTERNS[r.below(PATTERNS.len() as u64) as usize],
                "pattern_type": "stix",
                "valid_from": if r.below(4) == 0 { "2026-05-01T00:00:00Z" } else { "2026-01-01T00:00:00Z" },
                "kill_chain_phases": [{"kill_chain_name": "k", "phase_name": format!("p{}", r.below(3))}],
                "revoked": revoked,
            });
            if r.below(4) == 0 {
                v["valid_until"] = "2026-09-01T00:00:00Z".into();
            }
            v
        };
        out.push(StixObject::from_value(json).expect("a valid object"));
    }
    out
}

struct Dir {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    store: Arc<dyn Store>,
    federation: Arc<dyn FederationStore>,
}

async fn data_dir() -> Dir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let root = tmp.path().to_owned();
    let db = root.join("pacific.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).await.expect("a store"));
    let federation: Arc<dyn FederationStore> = Arc::new(
        SqliteFederationStore::open(&db)
            .await
            .expect("a federation store"),
    );
    for id in COLLECTIONS {
        store
            .create_collection(&Collection {
                id: id.into(),
                title: id.into(),
                description: None,
                alias: None,
            })
            .await
            .expect("a collection");
    }
    // Some indicators came from a peer.
    let records: Vec<ProvenanceRecord> = (0..30)
        .filter(|n| n % 4 == 1)
        .map(|n| ProvenanceRecord {
            collection_id: COLLECTIONS[0].into(),
            object_id: indicator_id(n),
            version_us: 0,
            provenance: Provenance {
                received_from: PartyId::new("bravo"),
                received_at: Timestamp::now(),
                origin: PartyId::new(if n % 8 == 1 { "bravo" } else { "charlie" }),
            },
            origin_signature: None,
        })
        .collect();
    federation
        .put_provenance(&records)
        .await
        .expect("provenance");
    Dir {
        _tmp: tmp,
        root,
        store,
        federation,
    }
}

fn settings(party: &str) -> MatchSettings {
    MatchSettings {
        party: PartyId::new(party),
        marking: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        share_sightings_with_producer: false,
        abuse_notices: false,
        max_line_bytes: 1 << 20,
    }
}

/// A service opened as a data directory's is (snapshot read if usable, then the feed), or
/// with no snapshot at all when `snapshot` is false.
async fn open(dir: &Dir, party: &str, snapshot: bool) -> Arc<MatchService> {
    let mut service = MatchService::new(
        Arc::clone(&dir.store),
        Some(Arc::clone(&dir.federation)),
        Assets::default(),
        settings(party),
    );
    if snapshot {
        service.snapshot_path = Some(dir.root.join(SNAPSHOT_FILE));
    }
    let service = Arc::new(service);
    service.load_snapshot().await;
    service.refresh().await.expect("loaded");
    service
}

async fn add(dir: &Dir, r: &mut Rng, count: usize) {
    for chunk in objects(r, count).chunks(7) {
        let c = COLLECTIONS[r.below(2) as usize];
        dir.store.add_objects(c, chunk).await.expect("stored");
    }
}

/// Everything a start gives that results depend on: the matches of a set of events (in the
/// order found) with what validity skipped, each indicator's details, the relationships and
/// their targets, and the number of indicators.
fn state(service: &MatchService) -> String {
    let events = [
        r#"{"dst_ip":"198.51.100.1","domain":"c2.example.net"}"#,
        r#"{"dst_ip":"198.51.100.2","ts":"2026-02-01T00:00:00Z"}"#,
        r#"{"domain":"c2.example.net","ts":"2026-10-01T00:00:00Z"}"#,
        r#"{"domain":"a.example.org","ts":"2026-04-01T00:00:00Z"}"#,
        r#"{"src_ip":"10.1.2.3","url":"https://a.example.com/x"}"#,
        r#"{"md5":"0123456789abcdef0123456789abcdef","email":"x@example.com"}"#,
    ]
    .join("\n");
    let now = Timestamp::parse("2026-04-15T00:00:00Z")
        .expect("a time")
        .unix_micros();
    let mut out = Vec::new();
    let index = service.index.read();
    for window in [Window::Valid, Window::Retro] {
        let mut validity = Validity::default();
        pacific_match::read_events(events.as_bytes(), &InputOptions::default(), |event| {
            let mut found = Vec::new();
            index.match_event_counted(event, now, window, &mut found, &mut validity);
            out.push(format!("{} {found:?}", event.line));
        })
        .expect("events read");
        out.push(format!("{validity:?}"));
    }
    out.push(format!("{} indicators", index.len()));
    let catalog = service.catalog.read().expect("the catalog");
    let mut meta: Vec<_> = catalog
        .meta
        .iter()
        .map(|(k, m)| format!("{k:x} {m:?}"))
        .collect();
    meta.sort();
    let mut relationships: Vec<_> = catalog
        .relationships
        .iter()
        .map(|(k, v)| format!("{k} {v:?}"))
        .collect();
    relationships.sort();
    let mut targets: Vec<_> = catalog
        .targets
        .iter()
        .flat_map(|(k, t)| t.iter().map(move |(t, n)| format!("{k:x} {t} {n}")))
        .collect();
    targets.sort();
    out.extend(meta);
    out.extend(relationships);
    out.extend(targets);
    out.join("\n")
}

async fn delete_some(dir: &Dir, r: &mut Rng) -> u64 {
    let mut deleted = 0;
    for _ in 0..4 {
        let id = if r.below(3) == 0 {
            format!("relationship--00000000-0000-4000-8000-{:012x}", r.below(15))
        } else {
            indicator_id(r.below(30))
        };
        let versions = if r.below(2) == 0 {
            VersionSelector::Last
        } else {
            VersionSelector::All
        };
        for c in COLLECTIONS {
            let q = ObjectQuery {
                versions: vec![versions.clone()],
                ..ObjectQuery::all(100)
            };
            deleted += dir.store.delete_object(c, &id, &q).await.expect("deleted");
        }
    }
    deleted
}

#[tokio::test]
async fn snapshot_and_feed_give_what_loading_from_the_store_gives() {
    for seed in 1..=8u64 {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let dir = data_dir().await;
        add(&dir, &mut r, 150).await;
        let first = open(&dir, "alpha", true).await;
        assert!(first.load_source().contains("no snapshot"), "seed {seed}");
        assert!(first.snapshot_due(10_000), "loaded from the store");
        assert!(first.save_snapshot().await.expect("written").is_some());
        assert_eq!(
            state(&*open(&dir, "alpha", true).await),
            state(&first),
            "seed {seed}: the snapshot alone"
        );

        // More versions (newer and older ones, revocations) after the snapshot; on even seeds
        // some versions deleted too.
        add(&dir, &mut r, 120).await;
        let deletes = seed % 2 == 0 && delete_some(&dir, &mut r).await > 0;
        let started = open(&dir, "alpha", true).await;
        let scratch = open(&dir, "alpha", false).await;
        let source = started.load_source();
        if deletes {
            assert!(source.contains("deleted since it was taken"), "{source}");
        } else {
            assert!(source.starts_with("snapshot at seq"), "{source}");
        }
        let expected = state(&scratch);
        assert!(
            expected.contains("Match {"),
            "seed {seed}: something matches"
        );
        assert_eq!(state(&started), expected, "seed {seed}: {source}");

        // The service that wrote the snapshot followed the same versions; after a deletion it
        // writes none (it cannot know the deletion is reflected), else one that reads back
        // to the same state.
        first.refresh().await.expect("followed");
        let written = first.save_snapshot().await.expect("no error");
        assert_eq!(written.is_none(), deletes, "seed {seed}");
        let again = open(&dir, "alpha", true).await;
        assert_eq!(
            state(&again),
            expected,
            "seed {seed}: after a second snapshot"
        );
    }
}

/// Opens the data directory after `damage` was done to its snapshot: the index loads from the
/// store (the same state as without a snapshot), and the reason says why.
async fn refused(dir: &Dir, party: &str, reason: &str) {
    let service = open(dir, party, true).await;
    let source = service.load_source();
    assert!(
        source.starts_with("store (") && source.contains(reason),
        "{source:?} should say {reason:?}"
    );
    assert_eq!(state(&service), state(&*open(dir, party, false).await));
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).expect("the snapshot");
    f(&mut bytes);
    std::fs::write(path, bytes).expect("written");
}

#[tokio::test]
async fn a_damaged_stale_or_foreign_snapshot_is_ignored_with_its_reason() {
    let mut r = Rng(77);
    let dir = data_dir().await;
    add(&dir, &mut r, 150).await;
    let path = dir.root.join(SNAPSHOT_FILE);
    let service = open(&dir, "alpha", true).await;
    service.save_snapshot().await.expect("written");
    let good = std::fs::read(&path).expect("a snapshot");
    assert!(
        open(&dir, "alpha", true)
            .await
            .load_source()
            .starts_with("snapshot")
    );

    for cut in [0, 7, 20, good.len() / 2, good.len() - 1] {
        std::fs::write(&path, &good[..cut]).expect("written");
        refused(&dir, "alpha", "ignored").await;
    }
    edit(&path, |b| {
        *b = good.clone();
        b.push(0);
    });
    refused(&dir, "alpha", "trailing").await;
    for at in [30, good.len() / 3, good.len() - 2] {
        edit(&path, |b| {
            *b = good.clone();
            b[at] ^= 0x20;
        });
        refused(&dir, "alpha", "checksum").await;
    }
    edit(&path, |b| {
        *b = good.clone();
        b[0] = b'X';
    });
    refused(&dir, "alpha", "not a snapshot").await;
    edit(&path, |b| {
        *b = good.clone();
        b[8] = 99;
    });
    refused(&dir, "alpha", "of format 99").await;

    // Whole, but not for this start: another party, another database, a deletion since.
    std::fs::write(&path, &good).expect("written");
    refused(&dir, "delta", "another party").await;
    let other = data_dir().await;
    add(&other, &mut Rng(77), 150).await;
    std::fs::write(other.root.join(SNAPSHOT_FILE), &good).expect("copied");
    refused(&other, "alpha", "another database").await;
    std::fs::write(&path, &good).expect("written");
    assert!(delete_some(&dir, &mut r).await > 0);
    refused(&dir, "alpha", "deleted since it was taken").await;
}
