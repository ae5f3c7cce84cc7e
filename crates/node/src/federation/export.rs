//! Export to a file for a peer: the third outbound path (`pacific export --for <peer>`).
//!
//! Every object of the collection is put to the gate ([`Federation::decide`], path `export`)
//! for the named peer, with its stored provenance, exactly as a push or a peer's TAXII read
//! would be; only what is allowed is written, as its stored JSON text. What is held back is
//! reported with the reason's label, never written.

use std::io::Write;

use pacific_core::StixObject;
use pacific_core::policy::{Decision, OutboundPath};
use pacific_core::taxii::ObjectQuery;
use pacific_store::Collection;

use super::{Federation, peer_party};
use crate::NodeError;

/// One object the gate held back from the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldBack {
    pub object_id: String,
    pub type_name: String,
    /// The reason's stable label (`tlp-red`, `amber-not-named-recipient`, …).
    pub label: &'static str,
    pub reason: String,
}

/// What an export for a peer wrote and held back.
#[derive(Clone, Debug, Default)]
pub struct ExportReport {
    pub exported: u64,
    pub held_back: Vec<HeldBack>,
}

impl ExportReport {
    /// Held-back objects counted by reason label, most frequent first.
    pub fn by_reason(&self) -> Vec<(&'static str, u64)> {
        let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
        for h in &self.held_back {
            *counts.entry(h.label).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

/// Writes a STIX bundle of the objects of `collection` selected by `query` that the gate lets
/// go to the peer `peer_id` by export. Fails if `peer_id` is not a registered peer (asking for
/// this node's own party is a local export, not this function).
pub async fn export_for_peer<W: Write>(
    fed: &Federation,
    peer_id: &str,
    collection: &Collection,
    mut query: ObjectQuery,
    out: &mut W,
) -> Result<ExportReport, NodeError> {
    if peer_id == fed.local().id.as_str() {
        return Err(NodeError::Setup(format!(
            "{peer_id} is this node's own party: export without --for"
        )));
    }
    let (peers, members) = fed.members().await?;
    let peer = peers
        .iter()
        .find(|p| p.party_id.as_str() == peer_id)
        .ok_or_else(|| {
            NodeError::Setup(format!(
                "unknown peer {peer_id:?}; `pacific peer list` shows the peers"
            ))
        })?;
    let recipient = peer_party(peer);
    let io = |e: std::io::Error| NodeError::Setup(format!("cannot write the bundle: {e}"));

    let mut report = ExportReport::default();
    write!(
        out,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
        crate::new_uuid()
    )
    .map_err(io)?;
    loop {
        let page = fed
            .objects()
            .query_objects(&collection.id, &query, true)
            .await?;
        for item in &page.items {
            let object = match StixObject::from_json(&item.json) {
                Ok(o) => o,
                Err(e) => {
                    report.held_back.push(HeldBack {
                        object_id: item.id.clone(),
                        type_name: item.type_name.clone(),
                        label: "unreadable-object",
                        reason: format!("the stored object does not parse: {e}"),
                    });
                    continue;
                }
            };
            let (decision, _) = fed
                .decide(
                    &object,
                    &recipient,
                    &members,
                    collection,
                    OutboundPath::Export,
                )
                .await?;
            match decision {
                Decision::Allow { .. } => {
                    if report.exported > 0 {
                        out.write_all(b",").map_err(io)?;
                    }
                    out.write_all(item.json.as_bytes()).map_err(io)?;
                    report.exported += 1;
                }
                Decision::Deny(reason) => report.held_back.push(HeldBack {
                    object_id: item.id.clone(),
                    type_name: item.type_name.clone(),
                    label: reason.label(),
                    reason: reason.to_string(),
                }),
            }
        }
        match page.next {
            Some(next) => query.next = Some(next),
            None => break,
        }
    }
    out.write_all(b"]}\n").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(report)
}
