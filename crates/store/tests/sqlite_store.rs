//! The SQLite store against the `Store` contract: versions and their selectors, TAXII
//! pagination and filters, deletes, users, grants, statuses, persistence.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;

use common::*;
use pacific_core::Timestamp;
use pacific_core::access::{CollectionGrant, Role};
use pacific_core::taxii::{
    ObjectQuery, PageCursor, Status, StatusDetail, StatusState, VersionSelector,
};
use pacific_store::{AddOutcome, Page, SqliteStore, Store, StoreError, StoredVersion, User};

fn query(versions: Vec<VersionSelector>) -> ObjectQuery {
    ObjectQuery {
        versions,
        ..ObjectQuery::all(1000)
    }
}

async fn page(store: &SqliteStore, q: &ObjectQuery) -> Page {
    store.query_objects(COLLECTION, q, true).await.unwrap()
}

/// Every matching version, following `next` to the end.
async fn all_pages(store: &SqliteStore, q: &ObjectQuery) -> Vec<StoredVersion> {
    let mut q = q.clone();
    let mut out = Vec::new();
    loop {
        let p = page(store, &q).await;
        assert!(p.items.len() <= q.limit);
        out.extend(p.items);
        match p.next {
            Some(n) => q.next = Some(n),
            None => return out,
        }
    }
}

fn versions_of(items: &[StoredVersion]) -> Vec<&str> {
    items.iter().map(|v| v.version.as_str()).collect()
}

fn added(outcomes: &[AddOutcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, AddOutcome::Added { .. }))
        .count()
}

#[tokio::test]
async fn an_added_object_comes_back_exactly_as_given() {
    let (_dir, store) = store().await;
    let object = indicator(1, "2021-01-01T00:00:00.000Z");
    let out = store
        .add_objects(COLLECTION, std::slice::from_ref(&object))
        .await
        .unwrap();
    let AddOutcome::Added { date_added } = &out[0] else {
        panic!("not added: {out:?}")
    };

    let p = page(&store, &ObjectQuery::all(10)).await;
    assert_eq!(p.next, None);
    let [v] = &p.items[..] else { panic!("{p:?}") };
    assert_eq!(v.id, object.id());
    assert_eq!(v.type_name, "indicator");
    assert_eq!(v.spec_version, "2.1");
    assert_eq!(v.version.as_str(), "2021-01-01T00:00:00.000Z");
    assert_eq!(&v.date_added, date_added);
    assert_eq!(v.json, object.to_json());

    let meta = store
        .query_objects(COLLECTION, &ObjectQuery::all(10), false)
        .await
        .unwrap();
    assert_eq!(meta.items[0].json, "", "metadata queries carry no JSON");
    assert_eq!(meta.items[0].seq, v.seq);
}

#[tokio::test]
async fn re_adding_a_stored_version_is_already_present() {
    let (_dir, store) = store().await;
    let v1 = indicator(1, "2021-01-01T00:00:00.000Z");
    assert_eq!(
        added(
            &store
                .add_objects(COLLECTION, std::slice::from_ref(&v1))
                .await
                .unwrap()
        ),
        1
    );
    // Same id and version, later call, and twice within one call.
    let out = store
        .add_objects(
            COLLECTION,
            &[
                v1.clone(),
                indicator(2, "2021-01-01T00:00:00Z"),
                indicator(2, "2021-01-01T00:00:00.000Z"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(out[0], AddOutcome::AlreadyPresent);
    assert!(matches!(out[1], AddOutcome::Added { .. }));
    assert_eq!(
        out[2],
        AddOutcome::AlreadyPresent,
        "the same instant written differently is the same version"
    );
    assert_eq!(store.stats().await.unwrap().object_versions, 2);
}

#[tokio::test]
async fn a_resent_observable_is_already_present_and_a_changed_one_a_new_version() {
    let (_dir, store) = store().await;
    let ip = ipv4(1, "198.51.100.7");
    assert_eq!(
        added(
            &store
                .add_objects(COLLECTION, &[ip.clone(), ip.clone()])
                .await
                .unwrap()
        ),
        1
    );
    assert_eq!(
        store
            .add_objects(COLLECTION, std::slice::from_ref(&ip))
            .await
            .unwrap(),
        [AddOutcome::AlreadyPresent]
    );
    // The same properties in another order are the same observable.
    let reordered = pacific_core::StixObject::from_json(&format!(
        r#"{{"value":"198.51.100.7","id":"{}","spec_version":"2.1","type":"ipv4-addr"}}"#,
        ip.id()
    ))
    .unwrap();
    assert_eq!(
        store.add_objects(COLLECTION, &[reordered]).await.unwrap(),
        [AddOutcome::AlreadyPresent]
    );

    // Different content under the same id is stored as a new version, versioned by date_added.
    let changed = ipv4(1, "198.51.100.8");
    let out = store
        .add_objects(COLLECTION, std::slice::from_ref(&changed))
        .await
        .unwrap();
    let AddOutcome::Added { date_added } = &out[0] else {
        panic!("{out:?}")
    };
    let all = all_pages(&store, &query(vec![VersionSelector::All])).await;
    assert_eq!(all.len(), 2);
    assert_eq!(&all[1].version, date_added);
    assert_eq!(all[1].json, changed.to_json());
    let last = all_pages(&store, &query(vec![VersionSelector::Last])).await;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].json, changed.to_json());

    // An observable stored in another collection is a separate object there.
    store
        .create_collection(&collection("2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa"))
        .await
        .unwrap();
    let out = store
        .add_objects("2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa", &[ip])
        .await
        .unwrap();
    assert_eq!(added(&out), 1);
}

#[tokio::test]
async fn version_selectors_follow_versions_arriving_in_any_order() {
    let (_dir, store) = store().await;
    let (t0, t1, t2, t3) = (
        "2021-01-01T00:00:00.000Z",
        "2021-02-01T00:00:00.000Z",
        "2021-03-01T00:00:00.000Z",
        "2021-04-01T00:00:00.000Z",
    );
    store
        .add_objects(COLLECTION, &[indicator(1, t1), indicator(1, t3)])
        .await
        .unwrap();
    store
        .add_objects(COLLECTION, &[indicator(2, t2)])
        .await
        .unwrap();
    // A version between the stored ones, then one older than all of them, arrive late.
    store
        .add_objects(COLLECTION, &[indicator(1, t2)])
        .await
        .unwrap();
    store
        .add_objects(COLLECTION, &[indicator(1, t0)])
        .await
        .unwrap();

    let one = indicator(1, t0).id().to_owned();
    let two = indicator(2, t0).id().to_owned();
    let ids = |items: &[StoredVersion]| {
        items
            .iter()
            .map(|v| (v.id.clone(), v.version.as_str().to_owned()))
            .collect::<Vec<_>>()
    };

    let last = all_pages(&store, &query(vec![VersionSelector::Last])).await;
    assert_eq!(
        ids(&last),
        [(one.clone(), t3.into()), (two.clone(), t2.into())]
    );
    let first = all_pages(&store, &query(vec![VersionSelector::First])).await;
    assert_eq!(
        ids(&first),
        [(two.clone(), t2.into()), (one.clone(), t0.into())],
        "insertion order, not version order"
    );
    let all = all_pages(&store, &query(vec![VersionSelector::All])).await;
    assert_eq!(versions_of(&all), [t1, t3, t2, t2, t0]);
    let at = all_pages(
        &store,
        &query(vec![VersionSelector::At(ts("2021-03-01T00:00:00Z"))]),
    )
    .await;
    assert_eq!(
        ids(&at),
        [(two.clone(), t2.into()), (one.clone(), t2.into())]
    );

    // Several selectors are OR-ed; a version matching two of them comes once.
    let both = all_pages(
        &store,
        &query(vec![VersionSelector::First, VersionSelector::Last]),
    )
    .await;
    assert_eq!(
        ids(&both),
        [
            (one.clone(), t3.into()),
            (two.clone(), t2.into()),
            (one.clone(), t0.into())
        ]
    );
    let mixed = all_pages(
        &store,
        &query(vec![VersionSelector::At(ts(t1)), VersionSelector::Last]),
    )
    .await;
    assert_eq!(
        ids(&mixed),
        [
            (one.clone(), t1.into()),
            (one.clone(), t3.into()),
            (two.clone(), t2.into())
        ]
    );

    // The same selectors restricted to one id take the id index; same answers.
    let mut by_id = query(vec![VersionSelector::First, VersionSelector::Last]);
    by_id.ids = vec![one.clone()];
    assert_eq!(
        ids(&all_pages(&store, &by_id).await),
        [(one.clone(), t3.into()), (one.clone(), t0.into())]
    );
    by_id.versions = vec![VersionSelector::At(ts(t2))];
    assert_eq!(
        ids(&all_pages(&store, &by_id).await),
        [(one.clone(), t2.into())]
    );
}

#[tokio::test]
async fn pages_follow_next_to_the_end_without_gaps_or_repeats() {
    let (_dir, store) = store().await;
    let objects: Vec<_> = (0..95)
        .map(|n| indicator(n, "2021-01-01T00:00:00.000Z"))
        .collect();
    store.add_objects(COLLECTION, &objects).await.unwrap();

    let mut q = ObjectQuery::all(10);
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let p = page(&store, &q).await;
        pages += 1;
        if p.next.is_some() {
            assert_eq!(p.items.len(), 10, "only the last page may be short");
            assert_eq!(p.next, Some(PageCursor(p.items[9].seq)));
        }
        seen.extend(p.items.into_iter().map(|v| v.id));
        match p.next {
            Some(n) => q.next = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 10);
    let expected: Vec<String> = objects.iter().map(|o| o.id().to_owned()).collect();
    assert_eq!(seen, expected);

    // An exact fit: the page that ends the results says so.
    let mut q = ObjectQuery::all(95);
    assert_eq!(page(&store, &q).await.next, None);
    q.limit = 94;
    assert!(page(&store, &q).await.next.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_while_objects_are_added_misses_and_repeats_nothing() {
    let (_dir, store) = store().await;
    let store = Arc::new(store);
    store
        .add_objects(
            COLLECTION,
            &(0..300)
                .map(|n| indicator(n, "2021-01-01T00:00:00.000Z"))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();

    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for batch in 0..40u64 {
                let objects: Vec<_> = (0..25)
                    .map(|i| indicator(1000 + batch * 25 + i, "2021-01-01T00:00:00.000Z"))
                    .collect();
                store.add_objects(COLLECTION, &objects).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };

    let mut q = ObjectQuery {
        versions: vec![VersionSelector::All],
        ..ObjectQuery::all(37)
    };
    let mut seen: Vec<StoredVersion> = Vec::new();
    let mut writer_done = false;
    loop {
        let p = store.query_objects(COLLECTION, &q, false).await.unwrap();
        if let Some(last) = p.items.last() {
            q.next = Some(PageCursor(last.seq));
        }
        let empty = p.items.is_empty();
        seen.extend(p.items);
        // A client polling a live collection: once it has caught up, it polls again from its
        // last position; it stops when the writer is done and a poll finds nothing new.
        if p.next.is_none() {
            if writer_done && empty {
                break;
            }
            writer_done = writer.is_finished();
        }
    }
    writer.await.unwrap();

    let ids: Vec<&str> = seen.iter().map(|v| v.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a version was returned twice");
    assert_eq!(ids.len(), 300 + 40 * 25, "a version was missed");
    for pair in seen.windows(2) {
        assert!(pair[0].seq < pair[1].seq);
        assert!(
            pair[0].date_added < pair[1].date_added,
            "date_added must grow with seq"
        );
    }
}

#[tokio::test]
async fn added_after_is_strictly_after() {
    let (_dir, store) = store().await;
    let out = store
        .add_objects(
            COLLECTION,
            &(0..20)
                .map(|n| indicator(n, "2021-01-01T00:00:00.000Z"))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let times: Vec<Timestamp> = out
        .iter()
        .map(|o| match o {
            AddOutcome::Added { date_added } => date_added.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[0] < pair[1],
            "each version gets its own date_added, even within one call"
        );
    }

    let mut q = ObjectQuery::all(5);
    q.added_after = Some(times[11].clone());
    let got = all_pages(&store, &q).await;
    assert_eq!(got.len(), 8);
    assert_eq!(got[0].date_added, times[12]);

    // Times between and beyond the stored ones.
    q.added_after = Some(Timestamp::from_unix_micros(times[11].unix_micros() - 1));
    assert_eq!(all_pages(&store, &q).await.len(), 9);
    q.added_after = Some(times[19].clone());
    assert_eq!(
        page(&store, &q).await,
        Page {
            items: vec![],
            next: None
        }
    );
    q.added_after = Some(ts("2000-01-01T00:00:00Z"));
    assert_eq!(all_pages(&store, &q).await.len(), 20);

    // Combined with a cursor, the later of the two bounds wins.
    q.added_after = Some(times[3].clone());
    let first = page(&store, &q).await;
    q.next = first.next;
    let second = page(&store, &q).await;
    assert_eq!(second.items[0].date_added, times[9]);
}

#[tokio::test]
async fn type_id_and_spec_version_filters() {
    let (_dir, store) = store().await;
    let t = "2021-01-01T00:00:00.000Z";
    store
        .add_objects(
            COLLECTION,
            &[
                indicator(1, t),
                malware(2, t),
                ipv4(3, "192.0.2.1"),
                indicator(4, t),
                malware(5, t),
            ],
        )
        .await
        .unwrap();
    let types = |items: &[StoredVersion]| {
        items
            .iter()
            .map(|v| v.type_name.clone())
            .collect::<Vec<_>>()
    };

    let mut q = ObjectQuery::all(2);
    q.types = vec!["malware".into()];
    assert_eq!(types(&all_pages(&store, &q).await), ["malware", "malware"]);
    q.types = vec!["malware".into(), "ipv4-addr".into(), "malware".into()];
    assert_eq!(
        types(&all_pages(&store, &q).await),
        ["malware", "ipv4-addr", "malware"]
    );
    q.types = vec!["report".into()];
    assert!(all_pages(&store, &q).await.is_empty());

    let mut q = ObjectQuery::all(10);
    q.ids = vec![
        malware(5, t).id().to_owned(),
        indicator(1, t).id().to_owned(),
        "tool--00000000-0000-4000-8000-000000000000".into(),
    ];
    let got = all_pages(&store, &q).await;
    assert_eq!(
        got.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        [indicator(1, t).id(), malware(5, t).id()]
    );
    q.types = vec!["malware".into()];
    assert_eq!(
        all_pages(&store, &q).await.len(),
        1,
        "id and type filters combine"
    );

    let mut q = ObjectQuery::all(10);
    q.spec_versions = vec!["2.0".into()];
    assert!(all_pages(&store, &q).await.is_empty());
    q.spec_versions = vec!["2.0".into(), "2.1".into()];
    assert_eq!(all_pages(&store, &q).await.len(), 5);
}

#[tokio::test]
async fn multi_selector_multi_type_pages_match_the_unpaged_answer() {
    let (_dir, store) = store().await;
    let months = [
        "2021-01-01T00:00:00.000Z",
        "2021-02-01T00:00:00.000Z",
        "2021-03-01T00:00:00.000Z",
    ];
    for (round, m) in months.iter().enumerate() {
        let objects: Vec<_> = (0..12u64)
            .filter(|n| (*n as usize) % 3 >= round)
            .map(|n| {
                if n % 2 == 0 {
                    indicator(n, m)
                } else {
                    malware(n, m)
                }
            })
            .collect();
        store.add_objects(COLLECTION, &objects).await.unwrap();
    }
    for versions in [
        vec![VersionSelector::First, VersionSelector::Last],
        vec![VersionSelector::Last, VersionSelector::At(ts(months[1]))],
        vec![VersionSelector::All],
    ] {
        let mut q = query(versions);
        q.types = vec!["indicator".into(), "malware".into()];
        let whole = all_pages(&store, &q).await;
        q.limit = 4;
        let paged = all_pages(&store, &q).await;
        assert_eq!(paged, whole, "{:?}", q.versions);
        assert!(whole.windows(2).all(|w| w[0].seq < w[1].seq));
    }
}

#[tokio::test]
async fn deleting_versions_moves_the_first_and_last_flags() {
    let (_dir, store) = store().await;
    let vs = [
        "2021-01-01T00:00:00.000Z",
        "2021-02-01T00:00:00.000Z",
        "2021-03-01T00:00:00.000Z",
        "2021-04-01T00:00:00.000Z",
    ];
    store
        .add_objects(
            COLLECTION,
            &vs.iter().map(|v| indicator(1, v)).collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    store
        .add_objects(COLLECTION, &[indicator(2, vs[0])])
        .await
        .unwrap();
    let id = indicator(1, vs[0]).id().to_owned();
    let only = |versions| ObjectQuery {
        ids: vec![id.clone()],
        ..query(versions)
    };

    assert_eq!(
        store
            .delete_object(COLLECTION, &id, &query(vec![VersionSelector::Last]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::Last])).await),
        [vs[2]]
    );
    assert_eq!(
        store
            .delete_object(COLLECTION, &id, &query(vec![VersionSelector::First]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::First])).await),
        [vs[1]]
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::All])).await),
        [vs[1], vs[2]]
    );

    // Nothing matches: nothing deleted.
    assert_eq!(
        store
            .delete_object(
                COLLECTION,
                &id,
                &query(vec![VersionSelector::At(ts(vs[0]))])
            )
            .await
            .unwrap(),
        0
    );
    let mut other_spec = query(vec![VersionSelector::All]);
    other_spec.spec_versions = vec!["2.0".into()];
    assert_eq!(
        store
            .delete_object(COLLECTION, &id, &other_spec)
            .await
            .unwrap(),
        0
    );

    // The middle-aged survivor becomes both first and last.
    assert_eq!(
        store
            .delete_object(
                COLLECTION,
                &id,
                &query(vec![VersionSelector::At(ts(vs[2]))])
            )
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::Last])).await),
        [vs[1]]
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::First])).await),
        [vs[1]]
    );
    assert_eq!(store.stats().await.unwrap().object_versions, 2);

    // A later, older version still finds the flags right.
    store
        .add_objects(COLLECTION, &[indicator(1, vs[0])])
        .await
        .unwrap();
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::First])).await),
        [vs[0]]
    );
    assert_eq!(
        versions_of(&all_pages(&store, &only(vec![VersionSelector::Last])).await),
        [vs[1]]
    );

    assert_eq!(
        store
            .delete_object(COLLECTION, &id, &query(vec![VersionSelector::All]))
            .await
            .unwrap(),
        2
    );
    assert!(
        all_pages(&store, &only(vec![VersionSelector::All]))
            .await
            .is_empty()
    );
    assert_eq!(
        all_pages(&store, &query(vec![VersionSelector::Last]))
            .await
            .len(),
        1,
        "other objects untouched"
    );
    assert_eq!(store.stats().await.unwrap().object_versions, 1);
}

#[tokio::test]
async fn sequence_numbers_are_never_reused_after_a_delete() {
    let (_dir, store) = store().await;
    let t = "2021-01-01T00:00:00.000Z";
    store
        .add_objects(COLLECTION, &[indicator(1, t), indicator(2, t)])
        .await
        .unwrap();
    let before = all_pages(&store, &ObjectQuery::all(10)).await;
    store
        .delete_object(
            COLLECTION,
            indicator(2, t).id(),
            &query(vec![VersionSelector::All]),
        )
        .await
        .unwrap();
    store
        .add_objects(COLLECTION, &[indicator(3, t)])
        .await
        .unwrap();
    // A client whose cursor is the deleted version's seq still sees the new one.
    let q = ObjectQuery {
        next: Some(PageCursor(before[1].seq)),
        ..ObjectQuery::all(10)
    };
    let after = page(&store, &q).await;
    assert_eq!(after.items.len(), 1);
    assert_eq!(after.items[0].id, indicator(3, t).id());
    assert!(after.items[0].date_added > before[1].date_added);
}

#[tokio::test]
async fn unknown_collections_are_reported() {
    let (_dir, store) = store().await;
    let missing = "00000000-0000-4000-8000-000000000000";
    let t = "2021-01-01T00:00:00.000Z";
    assert!(
        matches!(store.add_objects(missing, &[indicator(1, t)]).await, Err(StoreError::UnknownCollection(c)) if c == missing)
    );
    assert!(matches!(
        store
            .query_objects(missing, &ObjectQuery::all(1), true)
            .await,
        Err(StoreError::UnknownCollection(_))
    ));
    assert!(matches!(
        store
            .delete_object(missing, indicator(1, t).id(), &ObjectQuery::all(1))
            .await,
        Err(StoreError::UnknownCollection(_))
    ));
    assert_eq!(store.collection(missing).await.unwrap(), None);
}

#[tokio::test]
async fn collections_round_trip_and_are_unique() {
    let (_dir, store) = store().await;
    let mut c = collection("2b0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa");
    c.description = Some("Indicators shared with CERTs".into());
    c.alias = Some("certs".into());
    store.create_collection(&c).await.unwrap();
    assert_eq!(store.collection(&c.id).await.unwrap(), Some(c.clone()));
    assert_eq!(
        store.collections().await.unwrap(),
        [collection(COLLECTION), c.clone()]
    );
    assert!(matches!(
        store.create_collection(&c).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let same_alias = pacific_store::Collection {
        id: "3c0a4fd1-5d4a-4f1e-8a38-3b5d3a8b11aa".into(),
        ..c
    };
    assert!(
        matches!(store.create_collection(&same_alias).await, Err(StoreError::AlreadyExists(m)) if m.contains("alias"))
    );
}

fn user(name: &str, role: Role) -> User {
    User {
        name: name.into(),
        role,
        token_id: format!("tok-{name}"),
        token_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        created: ts("2024-05-01T10:00:00.123456Z"),
        expires: None,
        revoked: None,
    }
}

#[tokio::test]
async fn users_and_grants_round_trip() {
    let (_dir, store) = store().await;
    let alice = user("alice", Role::Analyst);
    let bob = user("bob", Role::Reader);
    store.add_user(&bob).await.unwrap();
    store.add_user(&alice).await.unwrap();
    assert_eq!(store.user("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(
        store.user_by_token_id("tok-bob").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.user("carol").await.unwrap(), None);
    assert_eq!(store.user_by_token_id("tok-carol").await.unwrap(), None);
    assert_eq!(store.users().await.unwrap(), [alice.clone(), bob.clone()]);

    assert!(
        matches!(store.add_user(&alice).await, Err(StoreError::AlreadyExists(m)) if m.contains("alice"))
    );
    let token_thief = User {
        name: "mallory".into(),
        ..alice.clone()
    };
    assert!(
        matches!(store.add_user(&token_thief).await, Err(StoreError::AlreadyExists(m)) if m.contains("token"))
    );

    let grant = CollectionGrant {
        collection_id: COLLECTION.into(),
        can_read: true,
        can_write: false,
    };
    assert_eq!(store.grant("alice", COLLECTION).await.unwrap(), None);
    store.set_grant("alice", &grant).await.unwrap();
    assert_eq!(
        store.grant("alice", COLLECTION).await.unwrap(),
        Some(grant.clone())
    );
    let replaced = CollectionGrant {
        can_read: false,
        can_write: true,
        ..grant.clone()
    };
    store.set_grant("alice", &replaced).await.unwrap();
    assert_eq!(
        store.grant("alice", COLLECTION).await.unwrap(),
        Some(replaced)
    );
    assert_eq!(
        store.grant("bob", COLLECTION).await.unwrap(),
        None,
        "grants are per user"
    );

    assert!(
        matches!(store.set_grant("carol", &grant).await, Err(StoreError::UnknownUser(u)) if u == "carol")
    );
    let elsewhere = CollectionGrant {
        collection_id: "00000000-0000-4000-8000-000000000000".into(),
        ..grant
    };
    assert!(matches!(
        store.set_grant("alice", &elsewhere).await,
        Err(StoreError::UnknownCollection(_))
    ));
}

#[tokio::test]
async fn statuses_round_trip_and_are_replaced() {
    let (_dir, store) = store().await;
    let mut status = Status {
        id: "2d086da7-4bdc-4f91-900e-d77486753710".into(),
        status: StatusState::Pending,
        request_timestamp: ts("2024-05-01T10:00:00.000Z"),
        total_count: 2,
        success_count: 1,
        successes: vec![StatusDetail {
            id: indicator(1, "2021-01-01T00:00:00Z").id().into(),
            version: "2021-01-01T00:00:00Z".into(),
            message: None,
        }],
        failure_count: 0,
        failures: vec![],
        pending_count: 1,
        pendings: vec![StatusDetail {
            id: "malware--00000000-0000-4000-8000-000000000002".into(),
            version: "2021-01-01T00:00:00Z".into(),
            message: Some("queued".into()),
        }],
    };
    assert_eq!(store.status(&status.id).await.unwrap(), None);
    store.put_status(&status).await.unwrap();
    assert_eq!(
        store.status(&status.id).await.unwrap(),
        Some(status.clone())
    );
    status.status = StatusState::Complete;
    status.pending_count = 0;
    status.pendings.clear();
    status.success_count = 2;
    store.put_status(&status).await.unwrap();
    assert_eq!(store.status(&status.id).await.unwrap(), Some(status));
}

#[tokio::test]
async fn everything_survives_closing_and_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pacific.db");
    let t = "2021-01-01T00:00:00.000Z";
    let (last_added, before) = {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .create_collection(&collection(COLLECTION))
            .await
            .unwrap();
        let out = store
            .add_objects(COLLECTION, &[indicator(1, t), ipv4(2, "192.0.2.9")])
            .await
            .unwrap();
        store.add_user(&user("alice", Role::Admin)).await.unwrap();
        store
            .set_grant(
                "alice",
                &CollectionGrant {
                    collection_id: COLLECTION.into(),
                    can_read: true,
                    can_write: true,
                },
            )
            .await
            .unwrap();
        let before = all_pages(&store, &ObjectQuery::all(10)).await;
        let stats = store.stats().await.unwrap();
        assert_eq!(stats.object_versions, 2);
        assert!(stats.size_bytes > 0);
        store.close().await;
        let AddOutcome::Added { date_added } = out[1].clone() else {
            panic!()
        };
        (date_added, before)
    };

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.collections().await.unwrap(), [collection(COLLECTION)]);
    assert_eq!(all_pages(&store, &ObjectQuery::all(10)).await, before);
    assert_eq!(
        store.user("alice").await.unwrap(),
        Some(user("alice", Role::Admin))
    );
    assert!(store.grant("alice", COLLECTION).await.unwrap().is_some());
    assert_eq!(store.stats().await.unwrap().object_versions, 2);
    // Duplicate detection and date_added ordering carry over.
    assert_eq!(
        store
            .add_objects(COLLECTION, &[indicator(1, t), ipv4(2, "192.0.2.9")])
            .await
            .unwrap(),
        [AddOutcome::AlreadyPresent, AddOutcome::AlreadyPresent]
    );
    let out = store
        .add_objects(COLLECTION, &[indicator(3, t)])
        .await
        .unwrap();
    let AddOutcome::Added { date_added } = &out[0] else {
        panic!("{out:?}")
    };
    assert!(*date_added > last_added);
}

#[tokio::test]
async fn the_in_memory_store_works_too() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    store
        .create_collection(&collection(COLLECTION))
        .await
        .unwrap();
    store
        .add_objects(COLLECTION, &[indicator(1, "2021-01-01T00:00:00.000Z")])
        .await
        .unwrap();
    assert_eq!(page(&store, &ObjectQuery::all(10)).await.items.len(), 1);
    assert_eq!(
        store.stats().await.unwrap(),
        pacific_store::StoreStats {
            object_versions: 1,
            size_bytes: 0
        }
    );
}

/// While the store is watched (`changes`, as a serving node does), a WAL grown past 16 MiB is
/// checkpointed in the background, so writers keep reusing it instead of growing it until a
/// commit has to checkpoint 160 MiB itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_store_checkpoints_its_wal_in_the_background_while_writes_go_on() {
    let (dir, store) = common::store().await;
    let _watching = store.changes();
    let wal = dir.path().join("pacific.db-wal");
    let padding = "x".repeat(4000);
    let mut largest = 0;
    for batch in 0..25u64 {
        let objects: Vec<_> = (0..500u64)
            .map(|i| {
                let mut o =
                    common::indicator(batch * 1000 + i, "2021-01-01T00:00:00.000Z").to_json();
                o.insert_str(o.len() - 1, &format!(",\"description\":\"{padding}\""));
                pacific_core::StixObject::from_json(&o).unwrap()
            })
            .collect();
        store
            .add_objects(common::COLLECTION, &objects)
            .await
            .unwrap();
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    // About 50 MiB were written; the WAL stayed near the threshold plus a batch or two.
    assert!(
        largest < 36 * 1024 * 1024,
        "the WAL grew to {largest} bytes"
    );
}

#[tokio::test]
async fn the_feed_state_moves_with_every_deletion_and_differs_between_stores() {
    let (_other_dir, other) = store().await;
    let (_dir, store) = store().await;
    let empty = store.feed_state(1).await.unwrap();
    assert_eq!(
        (empty.versions_deleted, empty.last_seq, empty.at_seq),
        (0, 0, None)
    );
    assert_ne!(
        empty.instance,
        other.feed_state(1).await.unwrap().instance,
        "two databases, two instances"
    );
    let vs = ["2021-01-01T00:00:00.000Z", "2021-02-01T00:00:00.000Z"];
    store
        .add_objects(COLLECTION, &[indicator(1, vs[0]), indicator(1, vs[1])])
        .await
        .unwrap();
    let id = indicator(1, vs[0]).id().to_owned();
    let added = store.feed_state(2).await.unwrap();
    assert_eq!(added.instance, empty.instance);
    assert_eq!(added.last_seq, 2);
    assert_eq!(added.at_seq, Some((id.clone(), ts(vs[1]).unix_micros())));
    assert_eq!(added.versions_deleted, 0);

    let deleted = store
        .delete_object(COLLECTION, &id, &query(vec![VersionSelector::All]))
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let after = store.feed_state(2).await.unwrap();
    assert_eq!(after.versions_deleted, 2);
    assert_eq!(after.last_seq, 2, "the last seq given survives its row");
    assert_eq!(after.at_seq, None);
    assert_eq!(after.instance, empty.instance);
}
