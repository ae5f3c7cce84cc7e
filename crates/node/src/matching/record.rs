//! Recording what a match found: sightings of the matched indicators (one per indicator and
//! day, a new version as counts grow), incidents on critical-infrastructure assets and the
//! day's statistics, in the node's `sightings` and `incidents` collections, under a file lock
//! so that `pacific match --record` and a serving node never record the same run twice.

use super::*;

impl MatchService {
    async fn collections(&self) -> Result<(String, String), NodeError> {
        let mut ids = Vec::new();
        for (alias, title) in [
            (SIGHTINGS_ALIAS, "Sightings"),
            (INCIDENTS_ALIAS, "Incidents"),
        ] {
            let id = match crate::find_collection(self.store.as_ref(), alias).await? {
                Some(c) => c.id,
                None => {
                    let c = Collection {
                        id: crate::new_uuid(),
                        title: title.into(),
                        description: Some(format!(
                            "{title} recorded by matching events against this node's indicators"
                        )),
                        alias: Some(alias.into()),
                    };
                    match self.store.create_collection(&c).await {
                        Ok(()) => c.id,
                        Err(pacific_store::StoreError::AlreadyExists(_)) => {
                            crate::find_collection(self.store.as_ref(), alias)
                                .await?
                                .map(|c| c.id)
                                .ok_or_else(|| {
                                    NodeError::Setup(format!("collection {alias} vanished"))
                                })?
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            ids.push(id);
        }
        Ok((ids.remove(0), ids.remove(0)))
    }

    /// The latest stored version of `id` in `collection`.
    async fn latest(&self, collection: &str, id: &str) -> Result<Option<Value>, NodeError> {
        let mut q = ObjectQuery::all(1);
        q.ids = vec![id.to_owned()];
        let page = self.store.query_objects(collection, &q, true).await?;
        Ok(page
            .items
            .first()
            .and_then(|v| serde_json::from_str(&v.json).ok()))
    }

    /// Stores what a tally adds up to: statistics, a new version of each indicator's
    /// sighting, and incidents not raised yet.
    pub async fn record(&self, tally: Tally) -> Result<Recorded, NodeError> {
        if tally.is_empty() {
            return Ok(Recorded::default());
        }
        let mut guard = self.record.lock().await;
        let _file_lock = match &self.record_lock {
            Some(path) => Some(lock_file(path).await?),
            None => None,
        };
        self.record_locked(&mut guard, tally).await
    }

    /// Records what a whole input added up to ([`MatchService::record`]) unless an input with
    /// the same digest was recorded already and `force` is not set: then nothing is recorded
    /// and the earlier recording is returned. Either way the input is noted as recorded now
    /// when it was. The check and the recording hold the recording locks together, so two
    /// recordings of one input (in this process or another) record it once.
    pub async fn record_input(
        &self,
        input: &InputDigest,
        tally: Tally,
        force: bool,
    ) -> Result<InputRecording, NodeError> {
        let mut guard = self.record.lock().await;
        let _file_lock = match &self.record_lock {
            Some(path) => Some(lock_file(path).await?),
            None => None,
        };
        let previous = self.store.match_input(&input.sha256).await?;
        if previous.is_some() && !force {
            return Ok(InputRecording {
                sha256: input.sha256.clone(),
                recorded: None,
                previous,
            });
        }
        let matches = tally.matches;
        let recorded = if tally.is_empty() {
            Recorded::default()
        } else {
            self.record_locked(&mut guard, tally).await?
        };
        self.store
            .add_match_input(&MatchInput {
                sha256: input.sha256.clone(),
                recorded_at: Timestamp::now().as_str().to_owned(),
                bytes: input.bytes,
                matches,
            })
            .await?;
        Ok(InputRecording {
            sha256: input.sha256.clone(),
            recorded: Some(recorded),
            previous,
        })
    }

    async fn record_locked(
        &self,
        guard: &mut Option<(String, String)>,
        tally: Tally,
    ) -> Result<Recorded, NodeError> {
        let mut done = Recorded::default();
        if guard.is_none() {
            *guard = Some(self.collections().await?);
        }
        let (sightings, incidents) = guard.clone().expect("collections resolved");

        let stats: Vec<MatchStat> = tally
            .stats
            .into_iter()
            .map(|((day, dimension, key), count)| MatchStat {
                day,
                dimension: dimension.to_owned(),
                key,
                count,
            })
            .collect();
        self.store.add_match_stats(&stats).await?;

        let now = Timestamp::now().unix_micros();
        let mut objects = Vec::new();
        let mut ids: Vec<_> = tally.sightings.into_iter().collect();
        ids.sort_unstable_by_key(|(id, _)| *id);
        for (id, seen) in ids {
            let indicator = IndicatorId(id).to_string();
            let origin = self.origin(id);
            let object = self
                .sighting(&sightings, &indicator, seen, origin, now)
                .await?;
            match object {
                (o, true) => {
                    done.sightings_created += 1;
                    objects.push(o);
                }
                (o, false) => {
                    done.sightings_updated += 1;
                    objects.push(o);
                }
            }
        }
        self.store.add_objects(&sightings, &objects).await?;

        let mut raised = Vec::new();
        let mut notices = Vec::new();
        let mut keys: Vec<_> = tally.incidents.into_iter().collect();
        keys.sort();
        for ((asset, id, day), (value, count)) in keys {
            let Some(asset) = self.assets.get(asset) else {
                continue;
            };
            let indicator = IndicatorId(id).to_string();
            let incident_id = derived_id(
                "incident",
                &[self.settings.party.as_str(), &asset.name, &indicator, &day],
            );
            if self
                .incidents
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(&incident_id)
            {
                continue;
            }
            if self.latest(&incidents, &incident_id).await?.is_some() {
                self.incidents
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(incident_id);
                continue;
            }
            let name = self.indicator_name(id);
            let origin = self.origin(id).map(|o| o.to_string());
            let created = Timestamp::now();
            let mut value_json = json!({
                "type": "incident",
                "spec_version": "2.1",
                "id": incident_id,
                "created": created.as_str(),
                "modified": created.as_str(),
                "name": format!("Indicator matched on {} ({})", asset.name, asset.sector),
                "description": format!(
                    "{count} event(s) on {day} touching asset {:?} ({}, sector {}) matched indicator {}{} with {value:?}.",
                    asset.name,
                    asset.cidr,
                    asset.sector,
                    indicator,
                    name.map(|n| format!(" ({n})")).unwrap_or_default(),
                ),
                "object_marking_refs": [self.settings.marking],
                "x_pacific_asset": asset.name,
                "x_pacific_sector": asset.sector,
                "x_pacific_indicator": indicator,
                "x_pacific_value": value,
                "x_pacific_day": day,
            });
            if let Some(origin) = &origin {
                value_json["x_pacific_indicator_origin"] = json!(origin);
            }
            let answered = self.who_answers(&value).await;
            if let Some(lookup) = &answered
                && !lookup.answers.is_empty()
            {
                value_json["x_pacific_answered_by"] = json!(
                    lookup
                        .answers
                        .iter()
                        .map(|a| json!({
                            "role": a.role,
                            "party": a.claim.party,
                            "claim": a.claim.id,
                            "resource": a.resource.to_string(),
                            "in_conflict": !a.conflicts.is_empty(),
                        }))
                        .collect::<Vec<_>>()
                );
            }
            if let Some(notice) = answered
                .as_ref()
                .and_then(|l| self.abuse_notice(l, &incident_id, &indicator, &value, &day, count))
            {
                notices.push(notice?);
            }
            let object = StixObject::from_value(value_json)
                .map_err(|e| NodeError::Input(format!("an incident is not valid STIX: {e}")))?;
            tracing::warn!(
                incident = %incident_id,
                asset = %asset.name,
                sector = %asset.sector,
                %indicator,
                %value,
                "match on a critical-infrastructure asset: incident raised"
            );
            raised.push((
                object,
                MatchEvent::Incident {
                    incident_id: incident_id.clone(),
                    asset: asset.name.clone(),
                    sector: asset.sector.clone(),
                    indicator_id: indicator,
                    indicator_origin: origin,
                    value,
                    day,
                },
            ));
            self.incidents
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(incident_id);
        }
        if !notices.is_empty() {
            self.store.add_objects(&sightings, &notices).await?;
            done.abuse_notices += notices.len() as u64;
        }
        if !raised.is_empty() {
            let objects: Vec<StixObject> = raised.iter().map(|(o, _)| o.clone()).collect();
            self.store.add_objects(&incidents, &objects).await?;
            done.incidents += raised.len() as u64;
            for (_, event) in raised {
                let _ = self.events.send(event.clone());
                done.raised.push(event);
            }
        }
        Ok(done)
    }

    /// What the jurisdiction registry says about a matched value, if it is an address or a
    /// domain (a URL or a hash is nothing anyone claims) and a registry is at hand.
    async fn who_answers(&self, value: &str) -> Option<crate::registry::Lookup> {
        let registry = self.registry.as_ref()?;
        match registry.lookup(value).await {
            Ok(lookup) => Some(lookup),
            Err(crate::registry::RegistryError::Invalid(_)) => None,
            Err(e) => {
                tracing::warn!(%value, error = %e, "the registry could not be consulted for a match");
                None
            }
        }
    }

    /// With `matching.abuse_notices`, the abuse notice of an incident to the party the
    /// registry names for its value ([`crate::registry::Lookup::abuse_addressee`]): a TLP:AMBER
    /// `sighting` of the indicator addressed to that party alone, carrying the registry's
    /// answer; the policy gate decides whether it leaves. None for this party's own space.
    fn abuse_notice(
        &self,
        lookup: &crate::registry::Lookup,
        incident_id: &str,
        indicator: &str,
        value: &str,
        day: &str,
        count: u64,
    ) -> Option<Result<StixObject, NodeError>> {
        if !self.settings.abuse_notices {
            return None;
        }
        let answer = lookup.abuse_addressee()?;
        let party = &answer.claim.party;
        if *party == self.settings.party {
            return None;
        }
        let now = Timestamp::now();
        let value_json = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": derived_id("sighting", &[self.settings.party.as_str(), "abuse-notice", incident_id]),
            "created": now.as_str(),
            "modified": now.as_str(),
            "sighting_of_ref": indicator,
            "first_seen": now.as_str(),
            "count": count.min(MAX_COUNT),
            "description": format!(
                "Abuse notice from {}: {value} matched indicator {indicator} in {count} event(s) on {day} against a critical asset. The jurisdiction registry names {party} as {} for {} (claim {}).",
                self.settings.party, answer.role, answer.resource, answer.claim.id
            ),
            "object_marking_refs": [pacific_core::tlp::TLP2_AMBER],
            "x_pacific_recipients": [party],
            "x_pacific_abuse_notice": {
                "value": value,
                "day": day,
                "role": answer.role,
                "party": party,
                "claim": answer.claim.id,
                "resource": answer.resource.to_string(),
            },
        });
        Some(
            StixObject::from_value(value_json)
                .map_err(|e| NodeError::Input(format!("an abuse notice is not valid STIX: {e}"))),
        )
    }

    fn origin(&self, id: u128) -> Option<Arc<str>> {
        self.catalog
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .meta
            .get(&id)
            .and_then(|m| m.origin.clone())
    }

    fn indicator_name(&self, id: u128) -> Option<String> {
        self.catalog
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .meta
            .get(&id)
            .and_then(|m| m.name.as_deref().map(str::to_owned))
    }

    /// The next version of the sighting of `indicator`, and whether it is the first.
    async fn sighting(
        &self,
        collection: &str,
        indicator: &str,
        seen: Seen,
        origin: Option<Arc<str>>,
        now: i64,
    ) -> Result<(StixObject, bool), NodeError> {
        let id = derived_id("sighting", &[self.settings.party.as_str(), indicator]);
        let previous = self.latest(collection, &id).await?;
        let time = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .and_then(|s| Timestamp::parse(s).ok())
                .map(|t| t.unix_micros())
        };
        let (created, modified, count, first, last) = match &previous {
            Some(p) => (
                p.get("created")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| Timestamp::from_unix_micros(now).as_str().to_owned()),
                now.max(time(p, "modified").unwrap_or(i64::MIN).saturating_add(1)),
                p.get("count")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .saturating_add(seen.count),
                seen.first.min(time(p, "first_seen").unwrap_or(i64::MAX)),
                seen.last.max(time(p, "last_seen").unwrap_or(i64::MIN)),
            ),
            None => (
                Timestamp::from_unix_micros(now).as_str().to_owned(),
                now,
                seen.count,
                seen.first,
                seen.last,
            ),
        };
        let mut value = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": id,
            "created": created,
            "modified": Timestamp::from_unix_micros(modified).as_str(),
            "sighting_of_ref": indicator,
            "first_seen": Timestamp::from_unix_micros(first).as_str(),
            "last_seen": Timestamp::from_unix_micros(last).as_str(),
            "count": count.min(MAX_COUNT),
            "object_marking_refs": [self.settings.marking],
        });
        if self.settings.share_sightings_with_producer
            && let Some(origin) = origin
        {
            value["x_pacific_recipients"] = json!([&*origin]);
        }
        let object = StixObject::from_value(value)
            .map_err(|e| NodeError::Input(format!("a sighting is not valid STIX: {e}")))?;
        Ok((object, previous.is_none()))
    }
}

/// What [`MatchService::record_input`] did.
#[derive(Clone, Debug)]
pub struct InputRecording {
    pub sha256: String,
    /// What was recorded; `None` when the input had been recorded already (not forced).
    pub recorded: Option<Recorded>,
    /// The earlier recording of the same input, if any.
    pub previous: Option<MatchInput>,
}

/// The file [`MatchService::record`] locks in the data directory.
pub const RECORD_LOCK_FILE: &str = "match-record.lock";

/// Opens (creating it if needed) and locks `path` exclusively, waiting for another holder
/// (in this process or another) to let go; the lock goes with the returned file.
async fn lock_file(path: &Path) -> Result<std::fs::File, NodeError> {
    let path = path.to_owned();
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| NodeError::Setup(format!("locking {shown}: {e}")))?
    .map_err(|e| NodeError::Setup(format!("locking {shown}: {e}")))
}

/// A stable STIX id of `type_name` derived from `parts` (a UUID in the version 8 layout of
/// RFC 9562, made of SHA-256 bits), so the same sighting or incident always has the same id.
fn derived_id(type_name: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"pacific-match/v1\n");
    h.update(type_name.as_bytes());
    for p in parts {
        h.update(b"\n");
        h.update(p.as_bytes());
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!(
        "{type_name}--{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::derived_id;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id("sighting", &["bravo", "indicator--x"]);
        assert_eq!(a, derived_id("sighting", &["bravo", "indicator--x"]));
        assert_ne!(a, derived_id("sighting", &["alpha", "indicator--x"]));
        assert!(a.starts_with("sighting--") && a.len() == "sighting--".len() + 36);
    }
}
