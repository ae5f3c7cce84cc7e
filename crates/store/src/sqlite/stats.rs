//! Matching statistics (`match_stats`, migration 0014) and the versions-of-types feed the
//! matching engine follows.

use std::fmt::Write as _;

use sqlx::{AssertSqlSafe, SqlitePool};

use super::{db_err, to_u64, version_from_record};
use crate::{FeedVersion, MatchInput, MatchStat, StoreError, StoredVersion, TypedVersion};

/// Adds every count in one transaction (upsert-add). The caller holds the write lock.
pub(super) async fn add(pool: &SqlitePool, stats: &[MatchStat]) -> Result<(), StoreError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(db_err("adding match statistics"))?;
    for s in stats {
        let n = i64::try_from(s.count)
            .map_err(|_| StoreError::Database(format!("match count {} is too large", s.count)))?;
        sqlx::query(
            "INSERT INTO match_stats (day, dimension, key, count) VALUES (?, ?, ?, ?) \
             ON CONFLICT (day, dimension, key) DO UPDATE SET count = count + excluded.count",
        )
        .bind(&s.day)
        .bind(&s.dimension)
        .bind(&s.key)
        .bind(n)
        .execute(&mut *tx)
        .await
        .map_err(db_err("adding match statistics"))?;
    }
    tx.commit()
        .await
        .map_err(db_err("adding match statistics"))?;
    Ok(())
}

/// Counts of days `from..=to` (YYYY-MM-DD), of one dimension or all, ordered by day,
/// dimension, count (largest first), key.
pub(super) async fn range(
    pool: &SqlitePool,
    from: &str,
    to: &str,
    dimension: Option<&str>,
) -> Result<Vec<MatchStat>, StoreError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT day, dimension, key, count FROM match_stats \
         WHERE day >= ? AND day <= ? AND (? IS NULL OR dimension = ?) \
         ORDER BY day, dimension, count DESC, key",
    )
    .bind(from)
    .bind(to)
    .bind(dimension)
    .bind(dimension)
    .fetch_all(pool)
    .await
    .map_err(db_err("reading match statistics"))?;
    rows.into_iter()
        .map(|(day, dimension, key, count)| {
            Ok(MatchStat {
                day,
                dimension,
                key,
                count: to_u64(count, "match_stats.count")?,
            })
        })
        .collect()
}

/// The recording of the input with this digest, if any (`match_inputs`, migration 0017).
pub(super) async fn input(
    pool: &SqlitePool,
    sha256: &str,
) -> Result<Option<MatchInput>, StoreError> {
    let row: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT sha256, recorded_at, bytes, matches FROM match_inputs WHERE sha256 = ?",
    )
    .bind(sha256)
    .fetch_optional(pool)
    .await
    .map_err(db_err("reading recorded match inputs"))?;
    row.map(|(sha256, recorded_at, bytes, matches)| {
        Ok(MatchInput {
            sha256,
            recorded_at,
            bytes: to_u64(bytes, "match_inputs.bytes")?,
            matches: to_u64(matches, "match_inputs.matches")?,
        })
    })
    .transpose()
}

/// Notes a recorded input, replacing an earlier note of it. The caller holds the write lock.
pub(super) async fn add_input(pool: &SqlitePool, input: &MatchInput) -> Result<(), StoreError> {
    let number =
        |n: u64| i64::try_from(n).map_err(|_| StoreError::Database(format!("{n} is too large")));
    sqlx::query(
        "INSERT INTO match_inputs (sha256, recorded_at, bytes, matches) VALUES (?, ?, ?, ?) \
         ON CONFLICT (sha256) DO UPDATE SET recorded_at = excluded.recorded_at, \
         bytes = excluded.bytes, matches = excluded.matches",
    )
    .bind(&input.sha256)
    .bind(&input.recorded_at)
    .bind(number(input.bytes)?)
    .bind(number(input.matches)?)
    .execute(pool)
    .await
    .map_err(db_err("noting a recorded match input"))?;
    Ok(())
}

/// The start of the `WHERE` clause of a by-type feed, up to the types' placeholders: with one
/// type, the `(type, seq)` index gives its versions in `seq` order; with several, a range of
/// that index per type would have to be sorted after (a temporary B-tree of every version past
/// the cursor, for each page: quadratic over a load), so the types are tested on a scan of the
/// table in `seq` order instead (`+` keeps the planner off the index).
fn type_filter(types: &[&str]) -> &'static str {
    if types.len() == 1 {
        "v.type IN ("
    } else {
        "+v.type IN ("
    }
}

/// Up to `limit` versions of the given types with `seq > after`, in `seq` order, with JSON
/// and the id of the collection holding each.
pub(super) async fn versions_of_types_after(
    pool: &SqlitePool,
    types: &[&str],
    after: i64,
    limit: usize,
) -> Result<Vec<TypedVersion>, StoreError> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT c.id, v.seq || char(31) || v.object_id || char(31) || v.type || char(31) \
         || v.spec_version || char(31) || v.version || char(31) || v.date_added || char(31) \
         || v.json FROM object_versions v JOIN collections c ON c.key = v.collection \
         WHERE ",
    );
    sql.push_str(type_filter(types));
    for i in 0..types.len() {
        let _ = write!(sql, "{}?", if i == 0 { "" } else { ", " });
    }
    sql.push_str(") AND v.seq > ? ORDER BY v.seq LIMIT ?");
    let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
    for t in types {
        query = query.bind(*t);
    }
    let rows = query
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db_err("reading versions by type"))?;
    rows.into_iter()
        .map(|(collection_id, record)| {
            let version: StoredVersion = version_from_record(&record, true)?;
            Ok(TypedVersion {
                collection_id,
                version,
            })
        })
        .collect()
}

/// Up to `limit` versions of the given types with `seq > after`, in `seq` order: what the
/// matching engine compiles, with each object's remembered origin joined in the same scan.
pub(super) async fn match_feed_after(
    pool: &SqlitePool,
    types: &[&str],
    after: i64,
    limit: usize,
) -> Result<Vec<FeedVersion>, StoreError> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT v.seq, v.object_id, v.type, v.version_us, v.json, o.origin \
         FROM object_versions v LEFT JOIN federation_origins o ON o.object_id = v.object_id \
         WHERE ",
    );
    sql.push_str(type_filter(types));
    for i in 0..types.len() {
        let _ = write!(sql, "{}?", if i == 0 { "" } else { ", " });
    }
    sql.push_str(") AND v.seq > ? ORDER BY v.seq LIMIT ?");
    let mut query =
        sqlx::query_as::<_, (i64, String, String, i64, String, Option<String>)>(AssertSqlSafe(sql));
    for t in types {
        query = query.bind(*t);
    }
    let rows = query
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db_err("reading the matching feed"))?;
    Ok(rows
        .into_iter()
        .map(
            |(seq, id, type_name, version_us, json, origin)| FeedVersion {
                seq,
                id,
                type_name,
                version_us,
                json,
                origin,
            },
        )
        .collect())
}

/// What the matching index's snapshot is checked against ([`crate::FeedState`]), read in one
/// transaction.
pub(super) async fn feed_state(
    pool: &SqlitePool,
    seq: i64,
) -> Result<crate::FeedState, StoreError> {
    let err = db_err("reading the feed's state");
    let mut tx = pool.begin().await.map_err(err)?;
    let counter = |name: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT value FROM counters WHERE name = ?").bind(name)
    };
    let instance = counter("store_instance")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("reading the store's instance"))?;
    let versions_deleted = counter("versions_deleted")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("reading the deleted versions' count"))?;
    let last_seq: Option<i64> =
        sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'object_versions'")
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("reading the last seq"))?;
    let at_seq: Option<(String, i64)> =
        sqlx::query_as("SELECT object_id, version_us FROM object_versions WHERE seq = ?")
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("reading a version by seq"))?;
    tx.commit()
        .await
        .map_err(db_err("reading the feed's state"))?;
    Ok(crate::FeedState {
        instance,
        versions_deleted,
        last_seq: last_seq.unwrap_or(0),
        at_seq,
    })
}

#[cfg(test)]
mod tests {
    use pacific_core::StixObject;
    use serde_json::json;

    use crate::{Collection, MatchStat, SqliteStore, Store};

    fn stat(day: &str, dimension: &str, key: &str, count: u64) -> MatchStat {
        MatchStat {
            day: day.into(),
            dimension: dimension.into(),
            key: key.into(),
            count,
        }
    }

    #[tokio::test]
    async fn counts_add_up_and_read_back_by_range_and_dimension() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        store
            .add_match_stats(&[
                stat("2026-03-01", "sector", "energy", 2),
                stat("2026-03-01", "indicator", "indicator--a", 1),
                stat("2026-03-02", "sector", "energy", 5),
            ])
            .await
            .unwrap();
        store
            .add_match_stats(&[stat("2026-03-01", "sector", "energy", 3)])
            .await
            .unwrap();
        let all = store
            .match_stats("2026-03-01", "2026-03-01", None)
            .await
            .unwrap();
        assert_eq!(
            all,
            vec![
                stat("2026-03-01", "indicator", "indicator--a", 1),
                stat("2026-03-01", "sector", "energy", 5),
            ]
        );
        let sectors = store
            .match_stats("2026-01-01", "2026-12-31", Some("sector"))
            .await
            .unwrap();
        assert_eq!(sectors.iter().map(|s| s.count).collect::<Vec<_>>(), [5, 5]);
    }

    #[tokio::test]
    async fn versions_of_types_follow_seq_across_collections() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        for id in [
            "11111111-1111-4111-8111-111111111111",
            "22222222-2222-4222-8222-222222222222",
        ] {
            store
                .create_collection(&Collection {
                    id: id.into(),
                    title: "c".into(),
                    description: None,
                    alias: None,
                })
                .await
                .unwrap();
        }
        let indicator = |n: u32| {
            StixObject::from_value(json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z"
            }))
            .unwrap()
        };
        let malware = StixObject::from_value(json!({
            "type": "malware", "spec_version": "2.1",
            "id": "malware--33333333-3333-4333-8333-333333333333",
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "name": "m", "is_family": true
        }))
        .unwrap();
        store
            .add_objects(
                "11111111-1111-4111-8111-111111111111",
                &[indicator(1), malware],
            )
            .await
            .unwrap();
        store
            .add_objects("22222222-2222-4222-8222-222222222222", &[indicator(2)])
            .await
            .unwrap();
        let all = store
            .versions_of_types_after(&["indicator"], 0, 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].collection_id, "22222222-2222-4222-8222-222222222222");
        assert!(all[0].version.json.contains("192.0.2.1"));
        let later = store
            .versions_of_types_after(&["indicator"], all[0].version.seq, 10)
            .await
            .unwrap();
        assert_eq!(later.len(), 1);
        assert!(
            store
                .versions_of_types_after(&[], 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn the_matching_feed_is_the_versions_of_types_with_their_origin() {
        use crate::{FederationStore, ProvenanceRecord, SqliteFederationStore};
        use pacific_core::Timestamp;
        use pacific_core::policy::{PartyId, Provenance};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = SqliteStore::open(&path).await.unwrap();
        let federation = SqliteFederationStore::open(&path).await.unwrap();
        let collection = "11111111-1111-4111-8111-111111111111";
        store
            .create_collection(&Collection {
                id: collection.into(),
                title: "c".into(),
                description: None,
                alias: None,
            })
            .await
            .unwrap();
        let object = |kind: &str, n: u32| {
            let mut value = json!({
                "type": kind, "spec_version": "2.1",
                "id": format!("{kind}--{n:08x}-0000-4000-8000-000000000000"),
                "created": "2026-01-01T00:00:00Z", "modified": format!("2026-01-0{n}T00:00:00Z"),
            });
            match kind {
                "indicator" => {
                    value["pattern"] = json!("[ipv4-addr:value = '192.0.2.1']");
                    value["pattern_type"] = json!("stix");
                    value["valid_from"] = json!("2026-01-01T00:00:00Z");
                }
                "relationship" => {
                    value["relationship_type"] = json!("indicates");
                    value["source_ref"] = json!("indicator--00000001-0000-4000-8000-000000000000");
                    value["target_ref"] = json!("malware--00000003-0000-4000-8000-000000000000");
                }
                _ => {
                    value["name"] = json!("m");
                    value["is_family"] = json!(true);
                }
            }
            StixObject::from_value(value).unwrap()
        };
        store
            .add_objects(
                collection,
                &[
                    object("indicator", 1),
                    object("malware", 3),
                    object("indicator", 2),
                    object("relationship", 4),
                    object("indicator", 5),
                ],
            )
            .await
            .unwrap();
        let received = "indicator--00000002-0000-4000-8000-000000000000";
        federation
            .put_provenance(&[ProvenanceRecord {
                collection_id: collection.into(),
                object_id: received.into(),
                version_us: 0,
                provenance: Provenance {
                    received_from: PartyId::new("bravo"),
                    received_at: Timestamp::now(),
                    origin: PartyId::new("charlie"),
                },
                origin_signature: None,
            }])
            .await
            .unwrap();
        let types = ["indicator", "relationship"];
        let expected = store.versions_of_types_after(&types, 0, 100).await.unwrap();
        for page in [1, 2, 100] {
            let mut feed = Vec::new();
            let mut after = 0;
            loop {
                let got = store.match_feed_after(&types, after, page).await.unwrap();
                let Some(last) = got.last() else { break };
                after = last.seq;
                feed.extend(got);
            }
            let shown: Vec<_> = feed
                .iter()
                .map(|v| {
                    (
                        v.seq,
                        v.id.as_str(),
                        v.type_name.as_str(),
                        v.version_us,
                        v.json.as_str(),
                    )
                })
                .collect();
            let wanted: Vec<_> = expected
                .iter()
                .map(|t| {
                    let v = &t.version;
                    (
                        v.seq,
                        v.id.as_str(),
                        v.type_name.as_str(),
                        v.version.unix_micros(),
                        v.json.as_str(),
                    )
                })
                .collect();
            assert_eq!(shown, wanted, "pages of {page}");
            let origins: Vec<_> = feed
                .iter()
                .filter_map(|v| Some((v.id.as_str(), v.origin.as_deref()?)))
                .collect();
            assert_eq!(origins, [(received, "charlie")]);
        }
        assert!(store.match_feed_after(&[], 0, 10).await.unwrap().is_empty());
    }
}
