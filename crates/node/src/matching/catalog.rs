//! What is known of each indicator besides its pattern: kill-chain phases, origin party, the
//! malware and campaign it indicates.

use std::collections::HashMap;
use std::sync::Arc;

use pacific_match::{CompileReport, Index, Indicator, IndicatorDetails, IndicatorId, Upserted};
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

/// A map with foldhash's fast hasher: the catalog holds an entry per indicator and per
/// relationship, built at every start (from the store or the index snapshot).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
pub(crate) struct Catalog {
    pub(crate) meta: FastMap<u128, IndicatorMeta>,
    /// `indicates` relationships: id → (version, (indicator, target) unless revoked).
    pub(crate) relationships: FastMap<String, (i64, Option<(u128, String)>)>,
    /// Targets (`malware--…`, `campaign--…`) of each indicator, with how many relationships
    /// name them.
    pub(crate) targets: FastMap<u128, HashMap<String, u32>>,
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

/// One stored version of an `indicator` or `relationship` to apply, as the store's feed or a
/// collection query gives it.
pub(crate) struct VersionToApply<'a> {
    pub(crate) id: &'a str,
    pub(crate) type_name: &'a str,
    /// The TAXII version, Unix microseconds.
    pub(crate) version_us: i64,
    pub(crate) json: &'a str,
    /// The party it came from, when received from a peer.
    pub(crate) origin: Option<Arc<str>>,
}

/// Applies one stored version to the index and the catalog, parsing its JSON once into only
/// the fields used. Gives exactly what parsing it whole ([`apply_indicator`]) gives: any text
/// the single pass refuses (not JSON, a field of an unexpected type, a repeated field) takes
/// that path, so its outcome and its reason in the report stay the same.
pub(crate) fn apply_version(
    index: &mut Index,
    catalog: &mut Catalog,
    v: VersionToApply<'_>,
    report: &mut CompileReport,
) {
    match v.type_name {
        "relationship" => {
            if let Ok(value) = serde_json::from_str::<Value>(v.json) {
                catalog.relationship(&value, v.version_us);
            }
        }
        "indicator" => match Indicator::from_json_with_details(v.json) {
            Ok((indicator, details)) => {
                let before = index.len();
                let outcome = index.upsert(&indicator);
                report.record(&indicator.id, outcome.clone());
                if outcome == Ok(Upserted::Unchanged) {
                    // This version, or a newer one, is known already: its details stay.
                    return;
                }
                if let Some(id) = IndicatorId::parse(v.id) {
                    if index.len() < before || indicator.revoked {
                        catalog.meta.remove(&id.0);
                    } else {
                        catalog
                            .meta
                            .insert(id.0, meta_of_details(&details, v.origin));
                    }
                }
            }
            Err(_) => {
                if let Ok(value) = serde_json::from_str::<Value>(v.json) {
                    apply_indicator_json(index, catalog, v.id, v.json, &value, v.origin, report);
                }
            }
        },
        _ => {}
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
    apply_indicator_json(index, catalog, &v.id, &v.json, value, origin, report);
}

/// [`apply_indicator`] on the version's id and text, `value` being that text parsed.
fn apply_indicator_json(
    index: &mut Index,
    catalog: &mut Catalog,
    id: &str,
    json: &str,
    value: &Value,
    origin: Option<Arc<str>>,
    report: &mut CompileReport,
) {
    let before = index.len();
    if index.upsert_json(json, report) == Some(Upserted::Unchanged) {
        // This version, or a newer one, is known already: its details stay.
        return;
    }
    if let Some(id) = IndicatorId::parse(id) {
        if index.len() < before || value.get("revoked").and_then(Value::as_bool) == Some(true) {
            catalog.meta.remove(&id.0);
        } else {
            catalog.meta.insert(id.0, meta_of(value, origin));
        }
    }
}

/// [`meta_of`] from the details read in the single pass: the same name and phases.
fn meta_of_details(details: &IndicatorDetails<'_>, origin: Option<Arc<str>>) -> IndicatorMeta {
    let phases = details
        .kill_chain_phases
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .map(|phases| phases_of(&phases))
        .unwrap_or_default();
    IndicatorMeta {
        name: details
            .name
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
            .map(Into::into),
        phases,
        origin,
    }
}

pub(crate) fn meta_of(value: &Value, origin: Option<Arc<str>>) -> IndicatorMeta {
    let phases = value
        .get("kill_chain_phases")
        .map(phases_of)
        .unwrap_or_default();
    IndicatorMeta {
        name: value.get("name").and_then(Value::as_str).map(Into::into),
        phases,
        origin,
    }
}

/// `kill_chain_name:phase_name` of each well-formed phase of a `kill_chain_phases` value.
fn phases_of(phases: &Value) -> Vec<Box<str>> {
    phases
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let chain = p.get("kill_chain_name")?.as_str()?;
                    let phase = p.get("phase_name")?.as_str()?;
                    Some(format!("{chain}:{phase}").into_boxed_str())
                })
                .collect()
        })
        .unwrap_or_default()
}
