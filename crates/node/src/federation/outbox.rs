//! Outbox delivery to one peer: the rounds a worker runs (workers are started by the
//! `supervisor`, one per peer).
//!
//! The object-versions table is the outbox. A worker reads the versions after its link's
//! delivery cursor in `seq` order ([`pacific_store::FederationStore::versions_after`]), asks the
//! gate about each for its peer ([`Federation::decide`], path `federation-push`), signs what is
//! allowed into one envelope with a fresh link sequence number, posts it to the peer's inbox,
//! checks the peer's signed ack, and only then moves the cursor past the batch. Delivery is
//! therefore ordered per peer and at-least-once; once acknowledged nothing is sent again, and
//! receivers apply duplicates idempotently. A failed send is retried with exponential back-off
//! (100 ms doubling to 10 s); a peer that was down gets everything when it returns.
//!
//! At start (and after each outage) the worker first **catches up**: it pulls the peer's
//! `default` collection over TAXII with `added_after` (signed `Pacific-Peer` requests, so the
//! peer's own gate decides what it returns) and applies it like an envelope.
//!
//! Objects the peer itself sent or created are not echoed back to it.

use std::collections::HashMap;

use pacific_core::policy::{Decision, OutboundPath, PartyId};
use pacific_core::{StixObject, Timestamp};
use pacific_store::{Collection, Delivery, LOCAL_ACTOR, LogEntryData, Peer, StoredReceipt};
use pacific_tlog::entry::{Act, ObjectRef, sha256};

use super::envelope::{Ack, Envelope, EnvelopeObject};
use super::inbox::{INBOX_PATH, Incoming, SignedOrigin, apply};
use super::{Event, Federation, parse_public_key, peer_party};
use crate::NodeError;
use crate::client::{Credentials, TaxiiClient};

/// Versions read per round.
const BATCH: usize = 500;
/// Bytes of object text per envelope (well under the default inbox limit of 16 MiB).
const MAX_PAYLOAD: usize = 4 * 1024 * 1024;
/// Objects per envelope: half the inbox's default `federation.max_envelope_objects`, so a peer
/// that lowered it to 500 still takes every envelope.
pub const MAX_OBJECTS: usize = 500;
const _: () = assert!(MAX_OBJECTS <= crate::config::DEFAULT_MAX_ENVELOPE_OBJECTS);

async fn collections_by_id(fed: &Federation) -> Result<HashMap<String, Collection>, NodeError> {
    Ok(fed
        .objects()
        .collections()
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect())
}

/// One round: reads the next batch after the cursor, sends what the gate allows, moves the
/// cursor once the peer acknowledged. `Ok(false)` when there was nothing to do.
pub async fn deliver_once(
    fed: &Federation,
    http: &reqwest::Client,
    peer_id: &PartyId,
) -> Result<bool, NodeError> {
    let store = fed.store();
    let peer = store
        .peer(peer_id.as_str())
        .await?
        .ok_or_else(|| NodeError::Setup(format!("peer {peer_id} is gone")))?;
    let link = store.link(peer_id.as_str()).await?.unwrap_or_default();
    let items = store.versions_after(link.out_cursor, BATCH).await?;
    let Some(first) = items.first() else {
        return Ok(false);
    };
    let mut last_seq = first.version.seq;
    let collections = collections_by_id(fed).await?;
    let (_, members) = fed.members().await?;
    let recipient = peer_party(&peer);

    let mut payload = Vec::new();
    let mut sent = Vec::new();
    let mut held = Vec::new();
    let mut bytes = 0;
    for item in &items {
        if bytes > MAX_PAYLOAD || payload.len() >= MAX_OBJECTS {
            break;
        }
        last_seq = item.version.seq;
        let (Some(collection), Ok(object)) = (
            collections.get(&item.collection_id),
            StixObject::from_json(&item.version.json),
        ) else {
            continue;
        };
        let provenance = item.provenance.clone();
        let decision = fed.decide_known(
            &object,
            &recipient,
            &members,
            collection,
            OutboundPath::FederationPush,
            provenance.as_ref(),
        );
        // Not echoed back to the peer it came from or that made it.
        if provenance
            .as_ref()
            .is_some_and(|p| &p.received_from == peer_id || &p.origin == peer_id)
        {
            continue;
        }
        match decision {
            Decision::Allow { rule } => {
                // This node signs its own objects; a received one is relayed with its origin's
                // signature, or not at all while it has none (caught up over TAXII).
                let envelope_object = match (provenance, &item.origin_signature) {
                    (None, _) => EnvelopeObject {
                        object: item.version.json.clone(),
                        origin: fed.local().id.to_string(),
                        origin_signature: fed
                            .own_origin_signature(item.version.seq, &item.version.json),
                    },
                    (Some(p), Some(signature)) => EnvelopeObject {
                        object: item.version.json.clone(),
                        origin: p.origin.to_string(),
                        origin_signature: signature.clone(),
                    },
                    (Some(_), None) => {
                        let reason = "the object was caught up without its origin's signature, so a relay could not prove who made it";
                        held.push((
                            object.id().to_owned(),
                            object.type_name().to_owned(),
                            "origin-unsigned",
                            reason.to_owned(),
                            object_ref(item),
                        ));
                        continue;
                    }
                };
                bytes += item.version.json.len();
                payload.push(envelope_object);
                sent.push((
                    object.id().to_owned(),
                    object.type_name().to_owned(),
                    rule,
                    object_ref(item),
                ));
            }
            Decision::Deny(reason) => {
                held.push((
                    object.id().to_owned(),
                    object.type_name().to_owned(),
                    reason.label(),
                    reason.to_string(),
                    object_ref(item),
                ));
            }
        }
    }

    let mut receipt = None;
    if !payload.is_empty() {
        let seq = store.next_out_seq(peer_id.as_str()).await?;
        let envelope = Envelope::sign(
            fed.key(),
            fed.local().id.as_str(),
            peer_id.as_str(),
            seq,
            Timestamp::now().as_str(),
            payload,
        );
        let (ack, text) = send(fed, http, &peer, &envelope).await?;
        receipt = Some((seq, ack, text));
    }
    // What crossed the border (after the peer's ack), what the gate held back and the peer's
    // receipt, logged in the transaction that moves the cursor past the batch: a crash before
    // it re-sends the batch (at-least-once, like delivery), and nothing is logged twice.
    let now = now_ms();
    let mut entries = Vec::with_capacity(sent.len() + held.len());
    for (_, _, rule, object) in &sent {
        entries.push(log_entry(
            now,
            Act::ObjectSent {
                object: object.clone(),
                peer: peer_id.to_string(),
                rule: non_empty(rule),
            },
        )?);
    }
    for (_, _, label, _, object) in &held {
        entries.push(log_entry(
            now,
            Act::ObjectWithheld {
                object: object.clone(),
                peer: peer_id.to_string(),
                reason: (*label).to_owned(),
            },
        )?);
    }
    let mut kept = None;
    if let Some((seq, ack, text)) = receipt {
        // The peer's receipt, by hash in the log and whole in the federation store, so this
        // node can later show what the peer acknowledged.
        let act = Act::ReceiptReceived {
            peer: peer_id.to_string(),
            log_size: ack.log_size,
            receipt_sha256: sha256(text.as_bytes()),
        };
        entries.push(log_entry(now, act)?);
        kept = Some(StoredReceipt {
            peer: peer_id.clone(),
            out_seq: seq,
            log_size: ack.log_size,
            receipt: text,
            received_at: Timestamp::now(),
        });
    }
    store
        .record_delivery(&Delivery {
            peer: peer_id.clone(),
            cursor: last_seq,
            receipt: kept,
            entries,
        })
        .await?;
    for (object_id, type_name, rule, _) in sent {
        fed.emit(Event::Sent {
            to: peer_id.clone(),
            object_id,
            type_name,
            rule,
        });
    }
    // One log line per reason with its count, not one per object (a catalogue of thousands of
    // unmarked objects would otherwise flood the log); each object at debug level.
    let mut held_by_label: std::collections::BTreeMap<&'static str, u64> = Default::default();
    for (_, _, label, _, _) in &held {
        *held_by_label.entry(*label).or_default() += 1;
    }
    for (label, count) in held_by_label {
        tracing::info!(peer = %peer_id, reason = label, count, "held back from a peer");
    }
    for (object_id, type_name, label, reason, _) in held {
        fed.count("held_back", peer_id.as_str(), label);
        tracing::debug!(peer = %peer_id, object = %object_id, reason = label, "held back from a peer");
        fed.emit(Event::HeldBack {
            to: peer_id.clone(),
            object_id,
            type_name,
            label,
            reason,
        });
    }
    Ok(true)
}

/// An object version named for the log: id, version and the SHA-256 of its stored JSON text
/// (as the `object-stored` entry names it).
fn object_ref(item: &pacific_store::OutboxItem) -> ObjectRef {
    ObjectRef {
        id: item.version.id.clone(),
        version: item.version.version.as_str().to_owned(),
        sha256: sha256(item.version.json.as_bytes()),
    }
}

fn non_empty(s: &str) -> String {
    if s.is_empty() {
        "default".to_owned()
    } else {
        s.to_owned()
    }
}

/// Milliseconds since the Unix epoch, for log entries.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn log_entry(time: u64, act: Act) -> Result<LogEntryData, NodeError> {
    LogEntryData::new(time, LOCAL_ACTOR, act)
        .map_err(|e| NodeError::Input(format!("log entry: {e}")))
}

/// Posts an envelope and checks the peer's signed ack (and receipt); returns it with its exact
/// text.
async fn send(
    fed: &Federation,
    http: &reqwest::Client,
    peer: &Peer,
    envelope: &Envelope,
) -> Result<(Ack, String), NodeError> {
    let url = format!("{}{INBOX_PATH}", peer.url.trim_end_matches('/'));
    let client = crate::client::peer::PeerClient {
        http,
        key: fed.key(),
        local: fed.local().id.as_str(),
        peer,
    };
    let text = client
        .deliver(serde_json::to_string(envelope).map_err(|e| NodeError::Input(e.to_string()))?)
        .await?;
    let ack: Ack = serde_json::from_str(&text)
        .map_err(|e| NodeError::Remote(format!("{url} answered no ack: {e}")))?;
    let key = parse_public_key(&peer.public_key)
        .ok_or_else(|| NodeError::Setup(format!("peer {} has a bad key", peer.party_id)))?;
    if !ack.verify_signature(&key)
        || ack.seq != envelope.seq
        || ack.sender != peer.party_id.as_str()
        || ack.recipient != envelope.sender
    {
        return Err(NodeError::Remote(format!(
            "{url} answered an ack that does not match the envelope or its signature"
        )));
    }
    check_receipt(&ack, peer, envelope)
        .map_err(|e| NodeError::Remote(format!("{url} answered a bad receipt: {e}")))?;
    Ok((ack, text))
}

/// Checks the receipt part of a (signature-checked) ack: it is bound to a log the peer's key
/// signs, and every `object-received` entry names an object of the envelope, by id and the
/// SHA-256 of its exact text. Objects the peer rejected are absent from it.
pub fn check_receipt(ack: &Ack, peer: &Peer, envelope: &Envelope) -> Result<(), String> {
    let key = parse_public_key(&peer.public_key).ok_or("the peer's registered key is unusable")?;
    let suffix = format!("/{}", hex::encode(&key.as_bytes()[..8]));
    if !ack.log_origin.starts_with("pacific/") || !ack.log_origin.ends_with(&suffix) {
        return Err(format!(
            "log origin {:?} is not one of the peer's key",
            ack.log_origin
        ));
    }
    // What was sent, by the SHA-256 of each object's exact text: one hash per object, not one
    // per object and receipt entry.
    let mut sent: HashMap<[u8; 32], Option<String>> =
        HashMap::with_capacity(envelope.objects.len());
    for o in &envelope.objects {
        sent.entry(sha256(o.object.as_bytes()))
            .or_insert_with(|| serde_json::from_str::<IdOnly>(&o.object).ok().map(|v| v.id));
    }
    for (index, object) in ack.receipt_objects()? {
        if sent.get(&object.sha256).and_then(Option::as_deref) != Some(object.id.as_str()) {
            return Err(format!(
                "entry {index} names {} (sha256 {}), which was not sent",
                object.id,
                hex::encode(object.sha256)
            ));
        }
    }
    Ok(())
}

/// The `id` of an object's JSON text, read without building the rest.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

/// Pulls what the peer's gate lets this node see of its `default` collection since the last
/// catch-up, and applies it.
pub async fn catch_up(fed: &Federation, peer_id: &PartyId) -> Result<u64, NodeError> {
    let store = fed.store();
    let peer = store
        .peer(peer_id.as_str())
        .await?
        .ok_or_else(|| NodeError::Setup(format!("peer {peer_id} is gone")))?;
    let after = store
        .link(peer_id.as_str())
        .await?
        .unwrap_or_default()
        .pull_after;
    let credentials = Credentials::Peer {
        sender: fed.local().id.to_string(),
        recipient: peer_id.to_string(),
        key: fed.key().clone(),
    };
    let client = TaxiiClient::new(
        &format!("{}/taxii2/", peer.url.trim_end_matches('/')),
        credentials,
        None,
    )?;
    let mut applied = 0;
    let report = client
        .pull("default", after.as_deref(), Some(500), |page| {
            // With the origins a Pacific peer adds to its answer, caught-up objects are checked
            // and kept like those of an envelope (and can be relayed); without, they are not.
            let items: Vec<Incoming> = page
                .objects
                .iter()
                .enumerate()
                .map(|(i, o)| Incoming {
                    text: o.to_string(),
                    origin: page
                        .origins
                        .get(i)
                        .filter(|(_, signature)| !signature.is_empty())
                        .map(|(party, signature)| SignedOrigin {
                            party: party.clone(),
                            signature: signature.clone(),
                        }),
                })
                .collect();
            applied += items.len() as u64;
            async move {
                apply(fed, peer_id, items)
                    .await
                    .map_err(|e| NodeError::Remote(format!("applying caught-up objects: {e}")))?;
                Ok(())
            }
        })
        .await?;
    if let Some(last) = report.last_added {
        store.set_pull_after(peer_id.as_str(), &last).await?;
    }
    if applied > 0 {
        tracing::info!(peer = %peer_id, objects = applied, "caught up from a peer");
    }
    Ok(applied)
}
