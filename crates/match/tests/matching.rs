//! The matching engine as the issue states it: each supported pattern form matches, and its
//! near misses do not; what is not supported is reported with its reason.

use pacific_match::compile::Unsupported;
use pacific_match::{
    CompileError, Event, Index, Indicator, IndicatorId, Kind, Observable, SharedIndex, Upserted,
};

const NOW: i64 = 1_750_000_000_000_000; // 2025-06-15, Unix µs

fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012x}")
}

fn indicator(n: u32, pattern: &str) -> String {
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1", "id": id(n),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
    })
    .to_string()
}

fn index_of(patterns: &[&str]) -> Index {
    let jsons: Vec<String> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| indicator(i as u32, p))
        .collect();
    let (index, report) = Index::build(jsons.iter().map(String::as_str));
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    index
}

fn event<'a>(obs: &[(Kind, &'a str)]) -> Event<'a> {
    Event {
        line: 1,
        time: None,
        observables: obs.iter().map(|(k, v)| Observable::new(*k, *v)).collect(),
    }
}

/// The ordinals of the indicators (as numbered by `index_of`) an event matches.
fn hits(index: &Index, obs: &[(Kind, &str)]) -> Vec<u32> {
    let mut v: Vec<u32> = index
        .match_event(&event(obs), NOW)
        .map(|m| m.indicator.0 as u32)
        .collect();
    v.sort();
    v
}

fn rejection(pattern: &str) -> CompileError {
    let (_, report) = Index::build([indicator(7, pattern).as_str()]);
    assert_eq!(report.rejected.len(), 1, "{pattern} was compiled");
    assert_eq!(report.rejected[0].id, id(7));
    report.rejected[0].reason.clone()
}

#[test]
fn ipv4_exact_matches_only_that_address() {
    let idx = index_of(&["[ipv4-addr:value = '198.51.100.7']"]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "198.51.100.7")]), [0]);
    assert!(hits(&idx, &[(Kind::Ip, "198.51.100.8")]).is_empty());
    assert!(hits(&idx, &[(Kind::Ip, "198.51.100.70")]).is_empty());
    assert!(hits(&idx, &[(Kind::Domain, "198.51.100.7")]).is_empty());
}

#[test]
fn cidr_edges() {
    let idx = index_of(&[
        "[ipv4-addr:value = '10.1.0.0/16']",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[ipv6-addr:value = '2001:db8::/32']",
        "[ipv4-addr:value = '192.0.2.1/32']",
        "[ipv4-addr:value = '0.0.0.0/0']",
    ]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.1.0.0")]), [0, 1, 4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.1.255.255")]), [0, 1, 4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.2.0.0")]), [1, 4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.0.255.255")]), [1, 4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "11.0.0.0")]), [4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "9.255.255.255")]), [4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "192.0.2.1")]), [3, 4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "192.0.2.2")]), [4]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "2001:db8::1")]), [2]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "2001:db8:ffff:ffff::")]), [2]);
    assert!(hits(&idx, &[(Kind::Ip, "2001:db9::")]).is_empty());
    assert!(hits(&idx, &[(Kind::Ip, "2001:db7:ffff::")]).is_empty());
}

#[test]
fn cidr_with_host_bits_is_masked() {
    let idx = index_of(&["[ipv4-addr:value = '10.1.2.3/24']"]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.1.2.200")]), [0]);
    assert!(hits(&idx, &[(Kind::Ip, "10.1.3.3")]).is_empty());
}

#[test]
fn domain_exact_is_not_subdomain_and_like_suffix_is_only_subdomains() {
    let idx = index_of(&[
        "[domain-name:value = 'Evil.Example.']",
        "[domain-name:value LIKE '%.bad.test']",
        "[domain-name:value LIKE 'plain.test']",
    ]);
    assert_eq!(hits(&idx, &[(Kind::Domain, "evil.example")]), [0]);
    assert_eq!(hits(&idx, &[(Kind::Domain, "EVIL.example.")]), [0]);
    assert!(hits(&idx, &[(Kind::Domain, "www.evil.example")]).is_empty());
    assert!(hits(&idx, &[(Kind::Domain, "notevil.example")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Domain, "a.bad.test")]), [1]);
    assert_eq!(hits(&idx, &[(Kind::Domain, "x.y.bad.test")]), [1]);
    assert!(hits(&idx, &[(Kind::Domain, "bad.test")]).is_empty());
    assert!(hits(&idx, &[(Kind::Domain, "notbad.test")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Domain, "plain.test")]), [2]);
    assert!(hits(&idx, &[(Kind::Domain, "a.plain.test")]).is_empty());
    // A host field is an IP or a domain, whichever it is.
    assert_eq!(hits(&idx, &[(Kind::Host, "q.bad.test")]), [1]);
}

#[test]
fn url_email_and_hashes() {
    let sha256 = "a".repeat(64);
    let idx = index_of(&[
        "[url:value = 'http://evil.example/x?y=1']",
        "[email-addr:value = 'Bob@Example.org']",
        &format!("[file:hashes.'SHA-256' = '{}']", sha256.to_uppercase()),
        "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    ]);
    assert_eq!(
        hits(&idx, &[(Kind::Url, " http://evil.example/x?y=1 ")]),
        [0]
    );
    assert!(hits(&idx, &[(Kind::Url, "http://evil.example/x?y=2")]).is_empty());
    assert!(hits(&idx, &[(Kind::Url, "HTTP://evil.example/x?y=1")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Email, "bob@example.ORG")]), [1]);
    assert!(hits(&idx, &[(Kind::Email, "bob@example.net")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Hash, &sha256)]), [2]);
    assert!(hits(&idx, &[(Kind::Hash, &"a".repeat(63))]).is_empty());
    assert_eq!(
        hits(&idx, &[(Kind::Hash, "D41D8CD98F00B204E9800998ECF8427E")]),
        [3]
    );
    assert_eq!(
        hits(
            &idx,
            &[(Kind::Hash, "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
        ),
        [4]
    );
    assert!(
        hits(
            &idx,
            &[(Kind::Hash, "da39a3ee5e6b4b0d3255bfef95601890afd80708")]
        )
        .is_empty()
    );
}

#[test]
fn in_lists_and_or() {
    let idx = index_of(&[
        "[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
        "[domain-name:value = 'a.test' OR url:value = 'http://b.test/']",
        "[ipv4-addr:value = '192.0.2.9'] OR [domain-name:value = 'c.test']",
    ]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "192.0.2.2")]), [0]);
    assert!(hits(&idx, &[(Kind::Ip, "192.0.2.3")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Url, "http://b.test/")]), [1]);
    assert_eq!(hits(&idx, &[(Kind::Domain, "a.test")]), [1]);
    assert_eq!(hits(&idx, &[(Kind::Domain, "c.test")]), [2]);
    assert_eq!(hits(&idx, &[(Kind::Ip, "192.0.2.9")]), [2]);
}

#[test]
fn and_needs_every_conjunct_in_the_same_event() {
    let idx = index_of(&[
        "[ipv4-addr:value = '203.0.113.5' AND domain-name:value = 'c2.test']",
        "[(ipv4-addr:value = '203.0.113.6' OR ipv4-addr:value = '203.0.113.7') AND url:value = 'http://c2.test/p']",
    ]);
    assert!(hits(&idx, &[(Kind::Ip, "203.0.113.5")]).is_empty());
    assert!(hits(&idx, &[(Kind::Domain, "c2.test")]).is_empty());
    assert_eq!(
        hits(
            &idx,
            &[(Kind::Domain, "c2.test"), (Kind::Ip, "203.0.113.5")]
        ),
        [0]
    );
    assert!(
        hits(
            &idx,
            &[(Kind::Ip, "203.0.113.5"), (Kind::Ip, "203.0.113.5")]
        )
        .is_empty()
    );
    assert_eq!(
        hits(
            &idx,
            &[(Kind::Ip, "203.0.113.7"), (Kind::Url, "http://c2.test/p")]
        ),
        [1]
    );
    assert!(
        hits(
            &idx,
            &[(Kind::Ip, "203.0.113.8"), (Kind::Url, "http://c2.test/p")]
        )
        .is_empty()
    );
    // Each indicator is reported once per event, with the observable that completed it.
    let ev = event(&[
        (Kind::Ip, "203.0.113.5"),
        (Kind::Domain, "c2.test"),
        (Kind::Domain, "c2.test"),
    ]);
    let m: Vec<_> = idx.match_event(&ev, NOW).collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].observable, 1);
    assert_eq!(m[0].indicator.to_string(), id(0));
}

#[test]
fn validity_window_uses_event_time_else_now() {
    let mut idx = Index::new();
    let ind = Indicator {
        id: id(1),
        modified: 0,
        pattern: "[ipv4-addr:value = '192.0.2.1']".into(),
        pattern_type: "stix".into(),
        valid_from: Some(1000),
        valid_until: Some(2000),
        revoked: false,
    };
    assert_eq!(idx.upsert(&ind), Ok(Upserted::Added));
    let at = |t: Option<i64>, now: i64| {
        let mut e = event(&[(Kind::Ip, "192.0.2.1")]);
        e.time = t;
        idx.match_event(&e, now).count()
    };
    assert_eq!(at(Some(999), 0), 0);
    assert_eq!(at(Some(1000), 0), 1);
    assert_eq!(at(Some(1999), 0), 1);
    assert_eq!(
        at(Some(2000), 1500),
        0,
        "valid_until is exclusive; event time wins"
    );
    assert_eq!(at(None, 1500), 1);
    assert_eq!(at(None, 2500), 0);
}

#[test]
fn revoked_and_versions() {
    let mut idx = Index::new();
    let mut ind = Indicator {
        id: id(1),
        modified: 10,
        pattern: "[domain-name:value = 'old.test']".into(),
        pattern_type: "stix".into(),
        valid_from: None,
        valid_until: None,
        revoked: false,
    };
    assert_eq!(idx.upsert(&ind), Ok(Upserted::Added));
    ind.modified = 20;
    ind.pattern = "[domain-name:value = 'new.test']".into();
    assert_eq!(idx.upsert(&ind), Ok(Upserted::Replaced));
    assert_eq!(hits(&idx, &[(Kind::Domain, "new.test")]), [1]);
    assert!(hits(&idx, &[(Kind::Domain, "old.test")]).is_empty());
    // An older version arriving late changes nothing.
    let mut stale = ind.clone();
    stale.modified = 15;
    stale.pattern = "[domain-name:value = 'stale.test']".into();
    assert_eq!(idx.upsert(&stale), Ok(Upserted::Unchanged));
    assert!(hits(&idx, &[(Kind::Domain, "stale.test")]).is_empty());
    // Revocation removes it, and an older unrevoked version does not bring it back.
    ind.modified = 30;
    ind.revoked = true;
    assert_eq!(idx.upsert(&ind), Ok(Upserted::Revoked));
    assert!(hits(&idx, &[(Kind::Domain, "new.test")]).is_empty());
    assert_eq!(idx.len(), 0);
    assert_eq!(idx.upsert(&stale), Ok(Upserted::Unchanged));
    assert!(hits(&idx, &[(Kind::Domain, "stale.test")]).is_empty());
    // Revoked in the JSON too.
    let json = indicator(2, "[domain-name:value = 'r.test']")
        .replace("\"pattern_type\"", "\"revoked\":true,\"pattern_type\"");
    let (idx, report) = Index::build([json.as_str()]);
    assert_eq!(report.revoked, 1);
    assert!(idx.is_empty());
}

#[test]
fn remove_and_many_replacements_purge_cleanly() {
    let mut idx = Index::new();
    for round in 0..5i64 {
        for n in 0..2000u32 {
            let ind = Indicator {
                id: id(n),
                modified: round,
                pattern: format!(
                    "[ipv4-addr:value = '10.0.{}.{}'] OR [ipv4-addr:value = '172.16.0.0/12']",
                    round,
                    n % 250
                ),
                pattern_type: "stix".into(),
                valid_from: None,
                valid_until: None,
                revoked: false,
            };
            idx.upsert(&ind).unwrap();
        }
    }
    assert_eq!(idx.len(), 2000);
    assert!(hits(&idx, &[(Kind::Ip, "10.0.3.7")]).is_empty());
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.0.4.7")]).len(), 8);
    assert_eq!(hits(&idx, &[(Kind::Ip, "172.20.0.1")]).len(), 2000);
    assert!(idx.remove(&id(7)));
    assert!(!idx.remove(&id(7)));
    assert_eq!(hits(&idx, &[(Kind::Ip, "10.0.4.7")]).len(), 7);
    assert_eq!(hits(&idx, &[(Kind::Ip, "172.20.0.1")]).len(), 1999);
}

#[test]
fn upsert_and_remove_while_another_thread_matches() {
    let shared = SharedIndex::new(index_of(&["[domain-name:value = 'steady.test']"]));
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut m = shared.matcher();
            let (mut events, mut steady) = (0u64, 0u64);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ev = event(&[(Kind::Domain, "steady.test")]);
                steady += m.match_event(&ev, NOW).count() as u64;
                events += 1;
            }
            (events, steady)
        });
        for n in 1..=300u32 {
            let ind =
                Indicator::from_json(&indicator(n, &format!("[domain-name:value = 'd{n}.test']")))
                    .unwrap();
            assert_eq!(shared.upsert(&ind), Ok(Upserted::Added));
            if n % 3 == 0 {
                assert!(shared.remove(&id(n)));
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (events, steady) = reader.join().unwrap();
        assert!(events > 0);
        assert_eq!(
            steady, events,
            "the untouched indicator matched every event"
        );
    });
    let idx = shared.read();
    assert_eq!(idx.len(), 201);
    assert_eq!(hits(&idx, &[(Kind::Domain, "d299.test")]), [299]);
    assert!(hits(&idx, &[(Kind::Domain, "d300.test")]).is_empty());
}

#[test]
fn unsupported_patterns_are_reported_with_reasons() {
    use CompileError::Unsupported as U;
    assert_eq!(
        rejection("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.test']"),
        U(Unsupported::MultiObservation("AND"))
    );
    assert_eq!(
        rejection("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']"),
        U(Unsupported::MultiObservation("FOLLOWEDBY"))
    );
    assert_eq!(
        rejection("[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS"),
        U(Unsupported::Qualifier("WITHIN"))
    );
    assert_eq!(
        rejection("[ipv4-addr:value = '1.2.3.4'] REPEATS 3 TIMES"),
        U(Unsupported::Qualifier("REPEATS"))
    );
    assert!(matches!(
        rejection("[ipv4-addr:value != '1.2.3.4']"),
        U(Unsupported::Operator { .. })
    ));
    assert_eq!(
        rejection("[ipv4-addr:value NOT = '1.2.3.4']"),
        U(Unsupported::Negation)
    );
    assert_eq!(
        rejection("[file:name = 'evil.exe']"),
        U(Unsupported::Path("file:name".into()))
    );
    assert_eq!(
        rejection("[domain-name:value LIKE 'evil%']"),
        U(Unsupported::LikeForm("evil%".into()))
    );
    assert_eq!(
        rejection("[domain-name:value LIKE '%.ev%l.test']"),
        U(Unsupported::LikeForm("%.ev%l.test".into()))
    );
    assert!(matches!(
        rejection("[url:value MATCHES '^http']"),
        U(Unsupported::Operator { .. })
    ));
    assert!(matches!(
        rejection("[ipv4-addr:value = '1.2.3.999']"),
        U(Unsupported::BadValue { .. })
    ));
    assert!(matches!(
        rejection("[file:hashes.MD5 = 'abc']"),
        U(Unsupported::BadValue { .. })
    ));
    assert!(matches!(
        rejection("[ipv4-addr:value = '1.2.3.4'"),
        CompileError::Parse(_)
    ));
    let sigma = indicator(7, "title: x").replace("\"stix\"", "\"sigma\"");
    let (_, report) = Index::build([sigma.as_str()]);
    assert_eq!(
        report.rejected[0].reason,
        CompileError::PatternType("sigma".into())
    );
    let (_, report) = Index::build(["{not json", r#"{"type":"malware","id":"malware--1"}"#]);
    assert_eq!(report.rejected.len(), 2);
    assert_eq!(report.rejected[1].id, "malware--1");
}

#[test]
fn escaped_quotes_in_values() {
    let idx = index_of(&[r"[url:value = 'http://x.test/it\'s']"]);
    assert_eq!(hits(&idx, &[(Kind::Url, "http://x.test/it's")]), [0]);
}

#[test]
fn indicator_ids_round_trip() {
    let s = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    assert_eq!(IndicatorId::parse(s).unwrap().to_string(), s);
    assert!(IndicatorId::parse("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3").is_none());
    assert!(IndicatorId::parse("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_none());
}
