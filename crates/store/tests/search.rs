//! `Store::search_objects`: an analyst's search of a collection's latest versions by a value,
//! type, TLP, origin and date added, newest first, with totals and pages.

use pacific_core::policy::{PartyId, Provenance};
use pacific_core::tlp::{TLP1_AMBER, TLP2_AMBER, TLP2_GREEN, Tlp};
use pacific_core::{StixObject, Timestamp};
use pacific_store::search::{ObjectSearch, OriginFilter, SearchPage, TlpFilter};
use pacific_store::{FederationStore, ProvenanceRecord, SqliteFederationStore, Store};

use crate::common::{COLLECTION, indicator, ipv4, malware, store, ts};

fn marked(object: StixObject, marking: &str) -> StixObject {
    let mut v: serde_json::Value = object.as_map().clone().into();
    v["object_marking_refs"] = serde_json::json!([marking]);
    StixObject::from_value(v).unwrap()
}

fn ids(page: &SearchPage) -> Vec<String> {
    page.hits.iter().map(|h| h.version.id.clone()).collect()
}

fn search() -> ObjectSearch {
    ObjectSearch {
        limit: 50,
        ..ObjectSearch::default()
    }
}

#[tokio::test]
async fn a_value_type_tlp_origin_and_dates_find_exactly_the_latest_versions_that_hold_them() {
    let (dir, store) = store().await;
    let first = indicator(1, "2020-01-01T00:00:00.000Z");
    let amber = marked(indicator(2, "2020-01-01T00:00:00.000Z"), TLP2_AMBER);
    let amber_v1 = marked(malware(3, "2020-01-01T00:00:00.000Z"), TLP1_AMBER);
    let green = marked(ipv4(4, "198.51.100.7"), TLP2_GREEN);
    let odd = ipv4(5, "10.0.0.1"); // a value with no LIKE wildcard in it
    store
        .add_objects(COLLECTION, &[first, amber, amber_v1, green, odd])
        .await
        .unwrap();
    let between = Timestamp::now();
    // A newer version of indicator 1: only the latest version is searched.
    let newer = indicator(1, "2021-01-01T00:00:00.000Z");
    let mut v: serde_json::Value = newer.as_map().clone().into();
    v["name"] = serde_json::json!("renamed 100% sure_thing");
    store
        .add_objects(COLLECTION, &[StixObject::from_value(v).unwrap()])
        .await
        .unwrap();
    // Indicator 2 came from a peer: bravo relayed it, charlie made it.
    let fed = SqliteFederationStore::open(&dir.path().join("pacific.db"))
        .await
        .unwrap();
    fed.put_provenance(&[ProvenanceRecord {
        collection_id: COLLECTION.into(),
        object_id: indicator(2, "2020-01-01T00:00:00.000Z").id().into(),
        version_us: ts("2020-01-01T00:00:00.000Z").unix_micros(),
        provenance: Provenance {
            received_from: PartyId::new("bravo"),
            received_at: ts("2026-03-01T00:00:00Z"),
            origin: PartyId::new("charlie"),
        },
        origin_signature: None,
    }])
    .await
    .unwrap();

    let id = |o: StixObject| o.id().to_owned();
    let (i1, i2, m3, o4, o5) = (
        id(indicator(1, "2020-01-01T00:00:00.000Z")),
        id(indicator(2, "2020-01-01T00:00:00.000Z")),
        id(malware(3, "2020-01-01T00:00:00.000Z")),
        id(ipv4(4, "x")),
        id(ipv4(5, "x")),
    );
    let all = store.search_objects(COLLECTION, &search()).await.unwrap();
    assert_eq!(all.total, 5, "latest versions only");
    assert_eq!(
        ids(&all),
        [
            i1.as_str(),
            o5.as_str(),
            o4.as_str(),
            m3.as_str(),
            i2.as_str()
        ],
        "newest first"
    );

    let find = |f: fn(&mut ObjectSearch)| {
        let mut s = search();
        f(&mut s);
        let store = &store;
        async move { store.search_objects(COLLECTION, &s).await.unwrap() }
    };
    // By value, in the pattern or in a property, in any case.
    let got = find(|s| s.text = Some("10.0.0.2".into())).await;
    assert_eq!(ids(&got), [i2.as_str()]);
    let got = find(|s| s.text = Some("198.51.100.7".into())).await;
    assert_eq!((got.total, ids(&got)), (1, vec![o4.to_owned()]));
    let got = find(|s| s.text = Some("BAD HOST".into())).await;
    assert_eq!(
        ids(&got),
        [i2.as_str()],
        "the older name of indicator 1 is not searched"
    );
    // LIKE's wildcards are literal.
    let got = find(|s| s.text = Some("100%".into())).await;
    assert_eq!(ids(&got), [i1.as_str()]);
    let got = find(|s| s.text = Some("0%".into())).await;
    assert_eq!(ids(&got), [i1.as_str()], "0% is not 0 then anything");
    let got = find(|s| s.text = Some("e_t".into())).await;
    assert_eq!(ids(&got), [i1.as_str()], "_ is not any character");
    // By type, TLP and origin.
    let got = find(|s| s.types = vec!["ipv4-addr".into(), "malware".into()]).await;
    assert_eq!(ids(&got), [o5.as_str(), o4.as_str(), m3.as_str()]);
    let got = find(|s| s.tlp = Some(TlpFilter::Level(Tlp::Amber))).await;
    assert_eq!(
        ids(&got),
        [m3.as_str(), i2.as_str()],
        "TLP 2.0 and TLP 1.0 amber"
    );
    let got = find(|s| s.tlp = Some(TlpFilter::Level(Tlp::Green))).await;
    assert_eq!(ids(&got), [o4.as_str()]);
    let got = find(|s| s.tlp = Some(TlpFilter::Unmarked)).await;
    assert_eq!(ids(&got), [i1.as_str(), o5.as_str()]);
    let got = find(|s| s.origin = Some(OriginFilter::Party("charlie".into()))).await;
    assert_eq!(ids(&got), [i2.as_str()]);
    let received = got.hits[0].received.as_ref().expect("its provenance");
    assert_eq!(
        (received.origin.as_str(), received.from.as_str()),
        ("charlie", "bravo")
    );
    let got = find(|s| s.origin = Some(OriginFilter::Party("bravo".into()))).await;
    assert_eq!(got.total, 0, "bravo relayed it, it is not its origin");
    let got = find(|s| s.origin = Some(OriginFilter::Local)).await;
    assert_eq!(
        ids(&got),
        [i1.as_str(), o5.as_str(), o4.as_str(), m3.as_str()]
    );
    assert!(got.hits.iter().all(|h| h.received.is_none()));
    // By date added.
    let mut s = search();
    s.added_from = Some(between.clone());
    assert_eq!(
        ids(&store.search_objects(COLLECTION, &s).await.unwrap()),
        [i1.as_str()]
    );
    let mut s = search();
    s.added_before = Some(between);
    assert_eq!(store.search_objects(COLLECTION, &s).await.unwrap().total, 4);
    // Filters combine.
    let mut s = search();
    s.text = Some("bad host".into());
    s.tlp = Some(TlpFilter::Unmarked);
    assert_eq!(store.search_objects(COLLECTION, &s).await.unwrap().total, 0);
}

#[tokio::test]
async fn pages_cover_every_hit_once_and_the_total_stays() {
    let (_dir, store) = store().await;
    let objects: Vec<StixObject> = (1..=23)
        .map(|n| indicator(n, "2020-01-01T00:00:00.000Z"))
        .collect();
    store.add_objects(COLLECTION, &objects).await.unwrap();
    let mut seen = Vec::new();
    for page in 0..4 {
        let s = ObjectSearch {
            limit: 10,
            offset: page * 10,
            ..ObjectSearch::default()
        };
        let got = store.search_objects(COLLECTION, &s).await.unwrap();
        assert_eq!(got.total, 23);
        assert_eq!(got.hits.len(), [10, 10, 3, 0][page as usize]);
        seen.extend(ids(&got));
    }
    let mut expected: Vec<String> = objects.iter().rev().map(|o| o.id().to_owned()).collect();
    assert_eq!(seen, expected);
    expected.dedup();
    assert_eq!(expected.len(), 23);
    // A limit of 0 still answers a row; a huge offset answers none.
    let s = ObjectSearch {
        limit: 0,
        offset: u64::MAX,
        ..ObjectSearch::default()
    };
    let got = store.search_objects(COLLECTION, &s).await.unwrap();
    assert_eq!((got.total, got.hits.len()), (23, 0));
}
