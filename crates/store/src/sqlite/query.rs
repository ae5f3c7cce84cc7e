//! Reading pages of object versions from SQLite: `query_objects` and the planning of its
//! sub-queries, each an ordered range scan of one index (see the module docs of [`super`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pacific_core::Timestamp;
use pacific_core::taxii::{ObjectQuery, PageCursor, VersionSelector};
use sqlx::AssertSqlSafe;

use super::{SqliteStore, collection_key, db_err, placeholders, version_from_record};
use crate::{Page, StoreError, StoredVersion};

impl SqliteStore {
    pub(super) async fn query_objects_impl(
        &self,
        collection_id: &str,
        q: &ObjectQuery,
        with_json: bool,
    ) -> Result<Page, StoreError> {
        let ctx = || format!("querying collection {collection_id:?}");
        // One read transaction: every sub-query of the page sees the same snapshot.
        let mut tx = self.pool.begin().await.map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;
        let limit = q.limit.max(1);
        let mut after_seq = q.next.map_or(0, |c| c.0);

        let added_after = q.added_after.as_ref().map(Timestamp::unix_micros);
        if let Some(t) = added_after {
            // date_added grows with seq, so "added after t" is "seq from the first version
            // added after t on": one seek instead of a filter over every earlier version.
            let first: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM object_versions WHERE collection = ? AND date_added_us > ? ORDER BY date_added_us LIMIT 1",
            )
            .bind(key)
            .bind(t)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
            match first {
                Some(s) => after_seq = after_seq.max(s - 1),
                None => {
                    return Ok(Page {
                        items: Vec::new(),
                        next: None,
                    });
                }
            }
        }

        let plans = sub_queries(q);
        // Each sub-query reads its rows' JSON directly: with several sub-queries that reads up
        // to (sub-queries - 1) x (limit + 1) JSON texts the merge drops, which measured far
        // cheaper than a second query fetching the page's JSON by seq.
        let mut merged: BTreeMap<i64, StoredVersion> = BTreeMap::new();
        for plan in &plans {
            // The whole sub-query comes back as one text value: the driver hands rows from its
            // worker thread to the caller one message each, which cost more than the query
            // itself for pages of a thousand versions. Fields are joined by U+001F and records
            // by U+001E, characters that cannot occur raw in ids, timestamps or JSON text.
            let sql = format!(
                "SELECT group_concat(seq || char(31) || object_id || char(31) || type || char(31) || spec_version \
                 || char(31) || version || char(31) || date_added{}, char(30)) FROM ({})",
                if with_json {
                    " || char(31) || json"
                } else {
                    ""
                },
                plan.sql(q, with_json)
            );
            let mut query = sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(sql))
                .bind(key)
                .bind(after_seq);
            for id in plan.ids {
                query = query.bind(id.as_str());
            }
            for t in &plan.types {
                query = query.bind(*t);
            }
            for v in &plan.at {
                query = query.bind(*v);
            }
            for s in &q.spec_versions {
                query = query.bind(s.as_str());
            }
            if let Some(t) = added_after {
                query = query.bind(t);
            }
            query = query.bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
            let records = query
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err(ctx()))?
                .unwrap_or_default();
            for record in records.split('\u{1e}').filter(|r| !r.is_empty()) {
                let version = version_from_record(record, with_json)?;
                merged.insert(version.seq, version);
            }
        }

        let more = merged.len() > limit;
        let items: Vec<StoredVersion> = merged.into_values().take(limit).collect();
        tx.commit().await.map_err(db_err(ctx()))?;
        let next = if more {
            items.last().map(|v| PageCursor(v.seq))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

// -------------------------------------------------------------------------------------------
// Query planning

/// Which rows one sub-query selects, beyond the filters every sub-query shares.
struct SubQuery<'q> {
    /// Object ids (non-empty only for a query by id).
    ids: &'q [String],
    /// Object types (empty: any). One type per sub-query except for a query by id, where
    /// the type only filters the few versions the id index finds.
    types: Vec<&'q str>,
    /// The version condition: `None` for every version.
    flag: Option<&'static str>,
    /// Exact versions (`match[version]=<timestamp>`), OR-ed with `flag` when both are set.
    at: Vec<i64>,
}

/// The sub-queries whose union is the query's result. Each is an ordered scan of one index
/// (see the module docs); a query by ids is a single sub-query, because the id index already
/// bounds its cost and its versions are few.
fn sub_queries(q: &ObjectQuery) -> Vec<SubQuery<'_>> {
    let all = q.versions.is_empty() || q.versions.contains(&VersionSelector::All);
    let at: Vec<i64> = q
        .versions
        .iter()
        .filter_map(|s| match s {
            VersionSelector::At(t) => Some(t.unix_micros()),
            _ => None,
        })
        .collect();
    if !q.ids.is_empty() {
        let flag = if all {
            None
        } else {
            match (
                q.versions.contains(&VersionSelector::Last),
                q.versions.contains(&VersionSelector::First),
            ) {
                (true, true) => Some("(is_latest OR is_first)"),
                (true, false) => Some("is_latest"),
                (false, true) => Some("is_first"),
                (false, false) => Some("FALSE"),
            }
        };
        let types = q.types.iter().map(String::as_str).collect();
        return vec![SubQuery {
            ids: &q.ids,
            types,
            flag,
            at: if all { Vec::new() } else { at },
        }];
    }
    let mut selectors: Vec<(Option<&'static str>, Vec<i64>)> = Vec::new();
    if all {
        selectors.push((None, Vec::new()));
    } else {
        if q.versions.contains(&VersionSelector::Last) {
            selectors.push((Some("is_latest"), Vec::new()));
        }
        if q.versions.contains(&VersionSelector::First) {
            selectors.push((Some("is_first"), Vec::new()));
        }
        if !at.is_empty() {
            selectors.push((Some("FALSE"), at));
        }
    }
    let mut types: Vec<Option<&str>> = q.types.iter().map(|t| Some(t.as_str())).collect();
    types.sort_unstable();
    types.dedup();
    if types.is_empty() {
        types.push(None);
    }
    let mut out = Vec::with_capacity(selectors.len() * types.len());
    for (flag, at) in &selectors {
        for t in &types {
            out.push(SubQuery {
                ids: &[],
                types: t.iter().copied().collect(),
                flag: *flag,
                at: at.clone(),
            });
        }
    }
    out
}

impl SubQuery<'_> {
    /// The index whose ordered range scan answers this sub-query.
    fn index(&self) -> &'static str {
        if !self.ids.is_empty() {
            "object_versions_object"
        } else if !self.types.is_empty() {
            "object_versions_type"
        } else {
            match (self.flag, self.at.is_empty()) {
                (Some("is_latest"), true) => "object_versions_latest",
                (Some("is_first"), true) => "object_versions_first",
                _ => "object_versions_all",
            }
        }
    }

    /// The SQL text; parameters in order: collection, after seq, ids, type, exact versions,
    /// spec versions, added_after, limit.
    fn sql(&self, q: &ObjectQuery, with_json: bool) -> String {
        let mut sql =
            String::from("SELECT seq, object_id, type, spec_version, version, date_added");
        if with_json {
            sql.push_str(", json");
        }
        // The index is named, not left to the planner: without statistics SQLite prefers
        // an index that yields seq order even when the id index would read far fewer rows,
        // and statistics could one day flip a good plan into a sort of the collection.
        let _ = write!(
            sql,
            " FROM object_versions INDEXED BY {} WHERE collection = ? AND seq > ?",
            self.index()
        );
        if !self.ids.is_empty() {
            let _ = write!(sql, " AND object_id IN ({})", placeholders(self.ids.len()));
        }
        match self.types.len() {
            0 => {}
            1 => sql.push_str(" AND type = ?"),
            n => {
                let _ = write!(sql, " AND type IN ({})", placeholders(n));
            }
        }
        match (self.flag, self.at.is_empty()) {
            (None, _) => {}
            // The bare flag is what lets SQLite pick the partial index on it.
            (Some(flag), true) => {
                let _ = write!(sql, " AND {flag}");
            }
            (Some("FALSE"), false) => {
                let _ = write!(sql, " AND version_us IN ({})", placeholders(self.at.len()));
            }
            (Some(flag), false) => {
                let _ = write!(
                    sql,
                    " AND ({flag} OR version_us IN ({}))",
                    placeholders(self.at.len())
                );
            }
        }
        if !q.spec_versions.is_empty() {
            let _ = write!(
                sql,
                " AND spec_version IN ({})",
                placeholders(q.spec_versions.len())
            );
        }
        if q.added_after.is_some() {
            // Implied by the seq bound already (date_added grows with seq); kept as a guard.
            sql.push_str(" AND date_added_us > ?");
        }
        sql.push_str(" ORDER BY seq LIMIT ?");
        sql
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// The plans SQLite picks for each shape of page query: every one must be an ordered
    /// index range scan (no full scan, no sort of the collection).
    #[tokio::test]
    async fn page_queries_use_ordered_index_scans() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        /// Versions asked for, types, ids, and what the case is.
        type Case<'a> = (Vec<VersionSelector>, Vec<&'a str>, Vec<&'a str>, &'a str);
        let cases: Vec<Case> = vec![
            (
                vec![VersionSelector::Last],
                vec![],
                vec![],
                "object_versions_latest",
            ),
            (
                vec![VersionSelector::First],
                vec![],
                vec![],
                "object_versions_first",
            ),
            (
                vec![VersionSelector::All],
                vec![],
                vec![],
                "object_versions_all",
            ),
            (
                vec![VersionSelector::Last],
                vec!["indicator"],
                vec![],
                "object_versions_type",
            ),
            (
                vec![VersionSelector::All],
                vec!["indicator"],
                vec![],
                "object_versions_type",
            ),
            (
                vec![VersionSelector::All],
                vec![],
                vec!["indicator--x"],
                "object_versions_object",
            ),
        ];
        for (versions, types, ids, index) in cases {
            let mut q = ObjectQuery::all(10);
            q.versions = versions;
            q.types = types.iter().map(|s| s.to_string()).collect();
            q.ids = ids.iter().map(|s| s.to_string()).collect();
            for plan in sub_queries(&q) {
                let sql = format!("EXPLAIN QUERY PLAN {}", plan.sql(&q, true));
                let mut query = sqlx::query(AssertSqlSafe(sql)).bind(1i64).bind(0i64);
                for id in plan.ids {
                    query = query.bind(id.as_str());
                }
                for t in &plan.types {
                    query = query.bind(*t);
                }
                query = query.bind(11i64);
                let rows = query.fetch_all(&store.pool).await.unwrap();
                let detail: Vec<String> = rows.iter().map(|r| r.get::<String, _>(3)).collect();
                let text = detail.join(" | ");
                assert!(text.contains(index), "{q:?}: plan {text}");
                if ids.is_empty() {
                    assert!(!text.contains("TEMP B-TREE"), "{q:?}: plan sorts: {text}");
                }
            }
        }

        // The added_after seek, and the reads of add_objects and delete_object.
        for (sql, index) in [
            (
                "SELECT seq FROM object_versions WHERE collection = ? AND date_added_us > ? ORDER BY date_added_us LIMIT 1",
                "object_versions_added",
            ),
            (
                "SELECT object_id, version_us FROM object_versions WHERE collection = ? AND object_id IN (?, ?)",
                "COVERING INDEX object_versions_object",
            ),
            (
                "SELECT seq, version_us, spec_version, is_latest, is_first FROM object_versions WHERE collection = ? AND object_id = ?",
                "object_versions_object",
            ),
            (
                "UPDATE object_versions SET is_latest = FALSE WHERE collection = ? AND object_id IN (?, ?) AND is_latest",
                "object_versions_object",
            ),
            (
                "UPDATE object_versions SET is_first = FALSE WHERE collection = ? AND object_id IN (?, ?) AND is_first",
                "object_versions_object",
            ),
            (
                "SELECT object_id, json FROM object_versions WHERE collection = ? AND is_latest AND object_id IN (?, ?)",
                "object_versions_object",
            ),
        ] {
            let rows = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&store.pool)
                .await
                .unwrap();
            let text = rows
                .iter()
                .map(|r| r.get::<String, _>(3))
                .collect::<Vec<_>>()
                .join(" | ");
            assert!(text.contains(index), "{sql}: plan {text}");
        }
    }
}
