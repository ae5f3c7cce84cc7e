//! What is known of each indicator besides its pattern: kill-chain phases, origin party, the
//! malware and campaign it indicates.

use std::collections::HashMap;
use std::sync::Arc;

use pacific_match::{CompileReport, Index, IndicatorId, Upserted};
use pacific_store::StoredVersion;
use serde_json::Value;

#[derive(Clone, Debug, Default)]
pub(crate) struct IndicatorMeta {
    pub(crate) name: Option<Box<str>>,
    /// `kill_chain_name:phase_name`.
    pub(crate) phases: Vec<Box<str>>,
    /// The party that produced it, if it was received.
    pub(crate) origin: Option<Arc<str>>,
}

#[derive(Default)]
pub(crate) struct Catalog {
    pub(crate) meta: HashMap<u128, IndicatorMeta>,
    /// `indicates` relationships: id → (version, (indicator, target) unless revoked).
    pub(crate) relationships: HashMap<String, (i64, Option<(u128, String)>)>,
    /// Targets (`malware--…`, `campaign--…`) of each indicator, with how many relationships
    /// name them.
    pub(crate) targets: HashMap<u128, HashMap<String, u32>>,
}

impl Catalog {
    pub(crate) fn relationship(&mut self, value: &Value, version: i64) {
        let Some(id) = value.get("id").and_then(Value::as_str) else {
            return;
        };
        if let Some((known, _)) = self.relationships.get(id)
            && *known >= version
        {
            return;
        }
        let s = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default();
        let pair = (s("relationship_type") == "indicates"
            && !value
                .get("revoked")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            && (s("target_ref").starts_with("malware--")
                || s("target_ref").starts_with("campaign--")))
        .then(|| IndicatorId::parse(s("source_ref")))
        .flatten()
        .map(|ind| (ind.0, s("target_ref").to_owned()));
        let old = self
            .relationships
            .insert(id.to_owned(), (version, pair.clone()));
        if let Some((_, Some((ind, target)))) = old {
            self.untarget(ind, &target);
        }
        if let Some((ind, target)) = pair {
            *self
                .targets
                .entry(ind)
                .or_default()
                .entry(target)
                .or_default() += 1;
        }
    }

    /// Forgets a relationship and every version of it seen (its versions were deleted).
    pub(crate) fn forget_relationship(&mut self, id: &str) {
        if let Some((_, Some((ind, target)))) = self.relationships.remove(id) {
            self.untarget(ind, &target);
        }
    }

    pub(crate) fn untarget(&mut self, ind: u128, target: &str) {
        if let Some(t) = self.targets.get_mut(&ind)
            && let Some(n) = t.get_mut(target)
        {
            *n -= 1;
            if *n == 0 {
                t.remove(target);
            }
        }
    }
}

/// Applies one stored `indicator` version to the index and the catalog.
pub(crate) fn apply_indicator(
    index: &mut Index,
    catalog: &mut Catalog,
    v: &StoredVersion,
    value: &Value,
    origin: Option<Arc<str>>,
    report: &mut CompileReport,
) {
    let before = index.len();
    if index.upsert_json(&v.json, report) == Some(Upserted::Unchanged) {
        // This version, or a newer one, is known already: its details stay.
        return;
    }
    if let Some(id) = IndicatorId::parse(&v.id) {
        if index.len() < before || value.get("revoked").and_then(Value::as_bool) == Some(true) {
            catalog.meta.remove(&id.0);
        } else {
            catalog.meta.insert(id.0, meta_of(value, origin));
        }
    }
}

pub(crate) fn meta_of(value: &Value, origin: Option<Arc<str>>) -> IndicatorMeta {
    let phases = value
        .get("kill_chain_phases")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let chain = p.get("kill_chain_name")?.as_str()?;
                    let phase = p.get("phase_name")?.as_str()?;
                    Some(format!("{chain}:{phase}").into_boxed_str())
                })
                .collect()
        })
        .unwrap_or_default();
    IndicatorMeta {
        name: value.get("name").and_then(Value::as_str).map(Into::into),
        phases,
        origin,
    }
}
