//! `search_objects`: a collection's latest versions filtered as [`ObjectSearch`] says, with
//! the provenance of received ones, newest first, and the count of all that match.

use pacific_core::tlp::Tlp;
use sqlx::AssertSqlSafe;

use super::{SqliteStore, collection_key, db_err, timestamp};
use crate::search::{
    MAX_SEARCH_LIMIT, ObjectSearch, OriginFilter, Received, SearchHit, SearchPage, TlpFilter,
};
use crate::{StoreError, StoredVersion};

/// The marking definition ids of a TLP level (TLP 2.0 and, where there is one, TLP 1.0).
fn marking_ids(tlp: Tlp) -> Vec<&'static str> {
    use pacific_core::tlp::*;
    let mut ids = vec![tlp.marking_id()];
    let v1 = match tlp {
        Tlp::Clear => Some(TLP1_WHITE),
        Tlp::Green => Some(TLP1_GREEN),
        Tlp::Amber => Some(TLP1_AMBER),
        Tlp::Red => Some(TLP1_RED),
        _ => None,
    };
    ids.extend(v1.filter(|id| !ids.contains(id)));
    ids
}

const ALL_TLP: [Tlp; 5] = [
    Tlp::Clear,
    Tlp::Green,
    Tlp::Amber,
    Tlp::AmberStrict,
    Tlp::Red,
];

/// `text` as a LIKE pattern that finds it anywhere (its `%`, `_` and `\` taken literally).
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

enum Bind {
    Int(i64),
    Text(String),
}

impl SqliteStore {
    pub(super) async fn search_objects_impl(
        &self,
        collection_id: &str,
        s: &ObjectSearch,
    ) -> Result<SearchPage, StoreError> {
        let ctx = || format!("searching collection {collection_id:?}");
        let mut tx = self.pool.begin().await.map_err(db_err(ctx()))?;
        let key = collection_key(&mut tx, collection_id).await?;

        let mut clauses = vec!["v.collection = ?".to_owned(), "v.is_latest".to_owned()];
        let mut binds = vec![Bind::Int(key)];
        if let Some(text) = s.text.as_deref().filter(|t| !t.is_empty()) {
            clauses.push("v.json LIKE ? ESCAPE '\\'".into());
            binds.push(Bind::Text(contains_pattern(text)));
        }
        if !s.types.is_empty() {
            clauses.push(format!(
                "v.type IN ({})",
                super::placeholders(s.types.len())
            ));
            binds.extend(s.types.iter().map(|t| Bind::Text(t.clone())));
        }
        let marked = |ids: Vec<&str>, binds: &mut Vec<Bind>| {
            let tests: Vec<&str> = ids.iter().map(|_| "instr(v.json, ?) > 0").collect();
            binds.extend(ids.into_iter().map(|id| Bind::Text(id.to_owned())));
            format!("({})", tests.join(" OR "))
        };
        match s.tlp {
            Some(TlpFilter::Level(tlp)) => {
                let clause = marked(marking_ids(tlp), &mut binds);
                clauses.push(clause);
            }
            Some(TlpFilter::Unmarked) => {
                let ids = ALL_TLP.into_iter().flat_map(marking_ids).collect();
                let clause = marked(ids, &mut binds);
                clauses.push(format!("NOT {clause}"));
            }
            None => {}
        }
        match &s.origin {
            Some(OriginFilter::Local) => clauses.push("p.origin IS NULL".into()),
            Some(OriginFilter::Party(party)) => {
                clauses.push("p.origin = ?".into());
                binds.push(Bind::Text(party.clone()));
            }
            None => {}
        }
        if let Some(t) = &s.added_from {
            clauses.push("v.date_added_us >= ?".into());
            binds.push(Bind::Int(t.unix_micros()));
        }
        if let Some(t) = &s.added_before {
            clauses.push("v.date_added_us < ?".into());
            binds.push(Bind::Int(t.unix_micros()));
        }
        // Received versions have one provenance row each (same collection, id and version).
        let from = "FROM object_versions v LEFT JOIN federation_provenance p \
                    ON p.collection_id = ? AND p.object_id = v.object_id \
                    AND (p.version_us = v.version_us OR p.version_us = 0)";
        let filter = clauses.join(" AND ");

        let count_sql = format!("SELECT count(*) {from} WHERE {filter}");
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql)).bind(collection_id);
        for b in &binds {
            count = match b {
                Bind::Int(i) => count.bind(*i),
                Bind::Text(t) => count.bind(t.as_str()),
            };
        }
        let total = count.fetch_one(&mut *tx).await.map_err(db_err(ctx()))?;

        let limit = s.limit.clamp(1, MAX_SEARCH_LIMIT) as i64;
        let offset = i64::try_from(s.offset).unwrap_or(i64::MAX);
        let rows_sql = format!(
            "SELECT v.seq, v.object_id, v.type, v.spec_version, v.version, v.date_added, v.json, \
             p.origin, p.received_from, p.received_at {from} WHERE {filter} \
             ORDER BY v.seq DESC LIMIT ? OFFSET ?"
        );
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let mut rows = sqlx::query_as::<_, Row>(AssertSqlSafe(rows_sql)).bind(collection_id);
        for b in &binds {
            rows = match b {
                Bind::Int(i) => rows.bind(*i),
                Bind::Text(t) => rows.bind(t.as_str()),
            };
        }
        let rows = rows
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err(ctx()))?;
        let mut hits = Vec::with_capacity(rows.len());
        for (seq, id, type_name, spec_version, version, added, json, origin, from, at) in rows {
            let received = match (origin, from, at) {
                (Some(origin), Some(from), Some(at)) => Some(Received { origin, from, at }),
                _ => None,
            };
            hits.push(SearchHit {
                version: StoredVersion {
                    seq,
                    id,
                    version: timestamp(&version, "object_versions.version")?,
                    date_added: timestamp(&added, "object_versions.date_added")?,
                    spec_version,
                    type_name,
                    json,
                },
                received,
            });
        }
        Ok(SearchPage {
            total: u64::try_from(total).unwrap_or(0),
            hits,
        })
    }
}
