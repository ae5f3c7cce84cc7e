//! The prefilter in front of the exact-value maps changes speed, never results: whatever the
//! indicators, the updates between events and the events, the index matches exactly what it
//! matches with the prefilter turned off.

use pacific_match::{Event, Index, Indicator, Kind, Observable};
use proptest::prelude::*;

const NOW: i64 = 1_750_000_000_000_000;

/// Indicators upserted in bulk get ids from here on (the small pool stays below).
const FLOOD_BASE: u32 = 100_000;
/// Enough indicators in one flood to outgrow the smallest prefilter, and when drained, to
/// make the index purge (and so rebuild its prefilter).
const FLOOD: u32 = 1_500;

fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012x}")
}

/// One comparison of a pattern, and a value an observable of `kind` can carry to hit it,
/// from a small pool of each kind so that events hit often.
fn comparison(kind: u8, v: u8) -> (String, Kind, String) {
    match kind % 10 {
        0 => {
            let ip = format!("10.0.0.{v}");
            (format!("ipv4-addr:value = '{ip}'"), Kind::Ip, ip)
        }
        1 => (
            format!("ipv4-addr:value ISSUBSET '10.0.{v}.0/24'"),
            Kind::Ip,
            format!("10.0.{v}.9"),
        ),
        2 => {
            let ip = format!("2001:db8::{v:x}");
            (format!("ipv6-addr:value = '{ip}'"), Kind::Ip, ip)
        }
        3 => {
            let d = format!("d{v}.example");
            (format!("domain-name:value = '{d}'"), Kind::Domain, d)
        }
        4 => (
            format!("domain-name:value LIKE '%.s{v}.example'"),
            Kind::Host,
            format!("www.s{v}.example"),
        ),
        5 => {
            let u = format!("http://u{v}.test/x?q={v}");
            (format!("url:value = '{u}'"), Kind::Url, u)
        }
        6 => {
            let e = format!("user{v}@mail.test");
            (format!("email-addr:value = '{e}'"), Kind::Email, e)
        }
        7 => {
            let h = format!("{v:032x}");
            (format!("file:hashes.MD5 = '{h}'"), Kind::Hash, h)
        }
        8 => {
            let h = format!("{v:040x}");
            (format!("file:hashes.'SHA-1' = '{h}'"), Kind::Hash, h)
        }
        _ => {
            let h = format!("{v:064x}");
            (
                format!("file:hashes.'SHA-256' = '{h}'"),
                Kind::Hash,
                h.to_uppercase(),
            )
        }
    }
}

fn indicator(n: u32, modified: i64, pattern: String) -> Indicator {
    Indicator {
        id: id(n),
        modified,
        pattern,
        pattern_type: "stix".into(),
        valid_from: None,
        valid_until: None,
        revoked: false,
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Upsert indicator `n` at version `modified`: its comparisons joined by `AND` or `OR`.
    Upsert {
        n: u32,
        modified: i64,
        and: bool,
        comparisons: Vec<(u8, u8)>,
    },
    Remove(u32),
    Forget(u32),
    /// [`FLOOD`] single-address indicators, from `10.1.0.0` up.
    Flood,
    /// Removes the flood again.
    Drain,
    /// An event of these observables (kind, pool value); values past the pool miss.
    Event(Vec<(u8, u8)>),
}

fn op() -> impl Strategy<Value = Op> {
    let pool = (0u8..10, 0u8..12);
    prop_oneof![
        4 => (0u32..24, 1i64..4, any::<bool>(), prop::collection::vec(pool.clone(), 1..4))
            .prop_map(|(n, modified, and, comparisons)| Op::Upsert { n, modified, and, comparisons }),
        1 => (0u32..24).prop_map(Op::Remove),
        1 => (0u32..24).prop_map(Op::Forget),
        1 => Just(Op::Flood),
        1 => Just(Op::Drain),
        6 => prop::collection::vec(pool, 1..6).prop_map(Op::Event),
    ]
}

/// The indicators (by the low bits of their ids) `event` matches, in order.
fn matches(index: &Index, event: &Event<'_>) -> Vec<u32> {
    let mut ids: Vec<u32> = index
        .match_event(event, NOW)
        .map(|m| m.indicator.0 as u32)
        .collect();
    ids.sort_unstable();
    ids
}

fn check(index: &mut Index, event: &Event<'_>) -> Result<Vec<u32>, TestCaseError> {
    index.set_prefilter(false);
    let unfiltered = matches(index, event);
    index.set_prefilter(true);
    let filtered = matches(index, event);
    prop_assert_eq!(&filtered, &unfiltered, "event {:?}", event.observables);
    Ok(filtered)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn filtered_matches_are_exactly_the_unfiltered_ones(ops in prop::collection::vec(op(), 1..60)) {
        let mut index = Index::new();
        let mut flooded = 0u32;
        for op in ops {
            match op {
                Op::Upsert { n, modified, and, comparisons } => {
                    let joiner = if and { " AND " } else { " OR " };
                    let body: Vec<String> =
                        comparisons.iter().map(|&(k, v)| comparison(k, v).0).collect();
                    let pattern = format!("[{}]", body.join(joiner));
                    let _ = index.upsert(&indicator(n, modified, pattern));
                }
                Op::Remove(n) => {
                    index.remove(&id(n));
                }
                Op::Forget(n) => {
                    index.forget(&id(n));
                }
                Op::Flood => {
                    flooded += 1;
                    for k in 0..FLOOD {
                        let pattern = format!("[ipv4-addr:value = '10.1.{}.{}']", k / 250, k % 250);
                        let _ = index.upsert(&indicator(FLOOD_BASE + k, i64::from(flooded), pattern));
                    }
                }
                Op::Drain => {
                    for k in 0..FLOOD {
                        index.forget(&id(FLOOD_BASE + k));
                    }
                }
                Op::Event(observables) => {
                    let values: Vec<(Kind, String)> = observables
                        .iter()
                        .map(|&(k, v)| {
                            let (_, kind, value) = comparison(k, v);
                            (kind, value)
                        })
                        .chain([(Kind::Ip, format!("10.1.{}.{}", observables.len(), observables[0].1))])
                        .collect();
                    let event = Event {
                        line: 1,
                        time: None,
                        observables: values.iter().map(|(k, v)| Observable::new(*k, v.as_str())).collect(),
                    };
                    check(&mut index, &event)?;
                }
            }
        }
    }
}

/// Across growth (many more keys than the first prefilter was sized for) and a purge (which
/// rebuilds it), every value still in the index is found and every value taken out is not.
#[test]
fn every_live_value_passes_the_prefilter_through_growth_and_purges() {
    let mut index = Index::new();
    let url = |k: u32| format!("http://h{k}.test/p");
    let upsert = |index: &mut Index, k: u32, modified: i64| {
        let pattern = format!(
            "[url:value = '{}' OR domain-name:value = 'h{k}.test']",
            url(k)
        );
        index.upsert(&indicator(k, modified, pattern)).unwrap();
    };
    for k in 0..10_000 {
        upsert(&mut index, k, 1);
    }
    // Out with two thirds of them (well past the purge threshold), in with as many new ones.
    for k in 0..10_000 {
        if k % 3 != 0 {
            assert!(index.forget(&id(k)));
        }
    }
    for k in 10_000..16_000 {
        upsert(&mut index, k, 1);
    }
    for k in 0..16_000u32 {
        let live = k >= 10_000 || k % 3 == 0;
        let u = url(k);
        let d = format!("h{k}.test");
        let event = Event {
            line: 1,
            time: None,
            observables: vec![
                Observable::new(Kind::Url, u.as_str()),
                Observable::new(Kind::Domain, d.as_str()),
            ],
        };
        let expected: Vec<u32> = if live { vec![k] } else { vec![] };
        assert_eq!(matches(&index, &event), expected, "{u}");
    }
}
