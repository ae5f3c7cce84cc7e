//! The inbox: where envelopes from peers are checked and applied (served at
//! `POST /federation/inbox` by `crate::http::inbox`).
//!
//! No user token: the envelope's signature authenticates the sender. Checks, in order (each
//! failure is counted by reason and answered with an error carrying the reason's label):
//! size (413), JSON shape (400 `envelope-malformed`), sender is a registered peer (401
//! `envelope-unknown-sender`), at most `federation.max_envelope_objects` objects (413
//! `envelope-too-many-objects`), the envelope's key is the registered one (401
//! `envelope-key-mismatch`), the signature (401 `envelope-bad-signature`: forged or altered),
//! recipient is this node (403 `envelope-wrong-recipient`), time within the window (403
//! `envelope-clock-skew`), sequence number above every one accepted from this sender (403
//! `envelope-replay`). Then each object is judged on its own (see [`apply`]); an accepted
//! envelope is answered with a signed [`Ack`].
//!
//! # Who may send what (the origin rule)
//!
//! Every object in an envelope names its `origin`, the party that created it, and carries the
//! origin's signature of its exact text (see `envelope`). A sender may send its own objects
//! (origin = sender) and relay other parties' objects (origin = that party, signed by it). An
//! object whose origin is neither this node nor a registered peer is rejected
//! (`origin-unknown`: its signature cannot be checked); one whose origin signature does not
//! verify with the origin's registered key is rejected (`origin-bad-signature`: forged or
//! altered by a relay). This node also remembers, per object id, the first origin it learnt
//! (or itself, for objects it holds that it did not receive). An object is rejected
//! (`not-originator`) when its claimed origin differs from the remembered one — e.g. a new
//! version of a third party's object presented as the sender's own, or a version of this
//! node's own object that this node never made. Objects that are not valid STIX are rejected
//! (`invalid-object`). Rejected objects are listed in the ack and counted; the rest of the
//! envelope is applied.
//!
//! Objects pulled in a catch-up come from a TAXII read; a Pacific node adds each object's
//! origin and origin signature to its answer to a peer (`x_pacific_origins`), and they are
//! checked like an envelope's. An object without them (another TAXII server) gets the
//! remembered origin, else the peer it came from, and no signature: such a version is not
//! relayed further (the outbox holds it back as `origin-unsigned`) unless a later envelope
//! from its origin brings the signature before the outbox reaches it.

use pacific_core::policy::{PartyId, Provenance};
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_core::{StixObject, Timestamp};
use pacific_store::{AddOutcome, LogEntryData, ProvenanceRecord, StoreError};
use pacific_tlog::entry::{Act, ObjectRef, sha256};

use super::envelope::{Ack, Envelope, EnvelopeRejection, MAX_SEQ, ReceivedEntry, RejectedObject};
use super::{Event, Federation, version_key};

pub use crate::wire::envelope::INBOX_PATH;

/// Why an envelope, or a batch of objects from a peer, was not taken.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The envelope was refused (the reason's label and whether the sender is authenticated
    /// decide the answer).
    #[error(transparent)]
    Rejected(#[from] EnvelopeRejection),
    #[error("this node has no default collection to receive into")]
    NoCollection,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl Federation {
    /// Takes an envelope's bytes from a peer: parses and checks it ([`verify`], each refusal
    /// counted by reason), applies its objects ([`apply`]), announces what came, and answers
    /// the signed [`Ack`] naming this log (`log_origin`) and the entries it appended.
    pub async fn receive_envelope(
        &self,
        bytes: &[u8],
        log_origin: &str,
    ) -> Result<Ack, InboxError> {
        let envelope: Envelope = match serde_json::from_slice(bytes) {
            Ok(e) => e,
            Err(e) => {
                let r = EnvelopeRejection::Malformed(e.to_string());
                self.reject("unknown", r.label(), &r.to_string()).await;
                return Err(r.into());
            }
        };
        if let Err(r) = verify(self, &envelope).await {
            // Unknown senders are counted together: a stranger must not grow the counters.
            let who = if matches!(r, EnvelopeRejection::UnknownSender(_)) {
                "unknown"
            } else {
                envelope.sender.as_str()
            };
            self.reject(who, r.label(), &r.to_string()).await;
            return Err(r.into());
        }
        let from = PartyId::new(envelope.sender.clone());
        let items = envelope
            .objects
            .into_iter()
            .map(|o| Incoming {
                text: o.object,
                origin: Some(SignedOrigin {
                    party: o.origin,
                    signature: o.origin_signature,
                }),
            })
            .collect();
        let outcome = apply(self, &from, items).await?;
        self.emit(Event::Received {
            from: from.clone(),
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            rejected: outcome.rejected.len() as u64,
        });
        Ok(Ack {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            log_origin: log_origin.to_owned(),
            log_size: outcome.log_size,
            received: outcome.received,
            recipient: envelope.sender,
            rejected: outcome.rejected,
            sender: self.local().id.to_string(),
            seq: envelope.seq,
            signature: String::new(),
            time: Timestamp::now().as_str().to_owned(),
        }
        .sign(self.key()))
    }
}

/// Every envelope-level check, the sender's registration first; on success the envelope's
/// sequence number is consumed.
pub async fn verify(fed: &Federation, e: &Envelope) -> Result<(), EnvelopeRejection> {
    let internal =
        |err: StoreError| EnvelopeRejection::Malformed(format!("cannot check the envelope: {err}"));
    // The sender first: nothing is counted, kept or looked at for a party this node does not
    // know (a stranger must not grow the counters or the database with made-up names).
    let peer = fed
        .store()
        .peer(&e.sender)
        .await
        .map_err(internal)?
        .ok_or_else(|| EnvelopeRejection::UnknownSender(e.sender.clone()))?;
    if e.seq == 0 || e.seq > MAX_SEQ {
        return Err(EnvelopeRejection::Malformed(format!(
            "sequence number {} out of range",
            e.seq
        )));
    }
    // Before the signature is checked over all of them, and before the sequence number is
    // consumed or anything is stored.
    if e.objects.len() > fed.max_envelope_objects {
        return Err(EnvelopeRejection::TooManyObjects {
            count: e.objects.len(),
            max: fed.max_envelope_objects,
        });
    }
    if !peer.public_key.eq_ignore_ascii_case(e.sender_key.trim()) {
        return Err(EnvelopeRejection::KeyMismatch(e.sender.clone()));
    }
    let key = super::parse_public_key(&peer.public_key)
        .ok_or_else(|| EnvelopeRejection::KeyMismatch(e.sender.clone()))?;
    if !e.verify_signature(&key) {
        return Err(EnvelopeRejection::BadSignature);
    }
    if e.recipient != fed.local().id.as_str() {
        return Err(EnvelopeRejection::WrongRecipient(e.recipient.clone()));
    }
    let window = fed.max_skew_secs;
    let skewed = match Timestamp::parse(&e.time) {
        Ok(t) => (Timestamp::now().unix().0 - t.unix().0).abs() > window,
        Err(_) => true,
    };
    if skewed {
        return Err(EnvelopeRejection::ClockSkew {
            time: e.time.clone(),
            window_secs: window,
        });
    }
    if !fed
        .store()
        .accept_in_seq(&e.sender, e.seq)
        .await
        .map_err(internal)?
    {
        return Err(EnvelopeRejection::Replay { seq: e.seq });
    }
    Ok(())
}

/// What applying a batch of received objects did.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<RejectedObject>,
    /// The `object-received` log entries appended for the objects held after applying.
    pub received: Vec<ReceivedEntry>,
    /// The log size just after those entries (the log's size when none were appended).
    pub log_size: u64,
}

/// The versions (as version keys) of an object this node holds in any collection.
async fn held_versions(fed: &Federation, object_id: &str) -> Result<Vec<i64>, StoreError> {
    let mut keys = Vec::new();
    for c in fed.objects().collections().await? {
        let mut q = ObjectQuery::all(100);
        q.ids = vec![object_id.to_owned()];
        q.versions = vec![VersionSelector::All];
        for v in fed.objects().query_objects(&c.id, &q, true).await?.items {
            keys.push(
                StixObject::from_json(&v.json)
                    .map(|o| version_key(&o))
                    .unwrap_or(0),
            );
        }
    }
    Ok(keys)
}

/// Just the `id` of an object's JSON, to look a batch up before validating it.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

/// Counts a refused object and names it for the ack.
async fn refuse(
    fed: &Federation,
    from: &PartyId,
    id: &str,
    reason: &'static str,
    detail: String,
) -> RejectedObject {
    fed.reject(from.as_str(), reason, &detail).await;
    RejectedObject {
        id: id.to_owned(),
        reason: reason.into(),
    }
}

/// One object received from a peer: its exact JSON text and, when it came in an envelope, its
/// origin's signed claim.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub text: String,
    /// `None` means "unknown", as in a catch-up pull: the remembered origin, else the sender.
    pub origin: Option<SignedOrigin>,
}

/// The party that created an object and its signature of the object's text.
#[derive(Clone, Debug)]
pub struct SignedOrigin {
    pub party: String,
    pub signature: String,
}

/// Applies objects received from peer `from` to the default collection: the origin rules,
/// then provenance, then the objects (idempotently).
pub async fn apply(
    fed: &Federation,
    from: &PartyId,
    items: Vec<Incoming>,
) -> Result<Applied, InboxError> {
    let collection = crate::find_collection(fed.objects().as_ref(), "default")
        .await?
        .ok_or(InboxError::NoCollection)?;
    let local = fed.local().id.clone();
    let now = Timestamp::now();
    let mut out = Applied::default();
    let mut records = Vec::new();
    let mut objects = Vec::new();
    // Origins and local holdings of the whole batch in one read, not two queries per object.
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| serde_json::from_str::<IdOnly>(&i.text).ok().map(|o| o.id))
        .collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let known = fed.store().origins_and_held(&id_refs).await?;
    // The keys origin signatures are checked with: the registered peers'.
    let keys: std::collections::HashMap<String, ed25519_dalek::VerifyingKey> = fed
        .store()
        .peers()
        .await?
        .into_iter()
        .filter_map(|p| super::parse_public_key(&p.public_key).map(|k| (p.party_id.to_string(), k)))
        .collect();
    for Incoming { text, origin } in items {
        let object = match StixObject::from_json(&text) {
            Ok(o) => o,
            Err(e) => {
                let id = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                fed.reject(from.as_str(), "invalid-object", &e.to_string())
                    .await;
                out.rejected.push(RejectedObject {
                    id,
                    reason: "invalid-object".into(),
                });
                continue;
            }
        };
        let remembered = match known.origins.get(object.id()) {
            Some(o) => Some(o.clone()),
            None if known.held.contains(object.id()) => Some(local.clone()),
            None => None,
        };
        let (claimed, origin_signature) = match origin {
            Some(o) => (PartyId::new(o.party), Some(o.signature)),
            None => (remembered.clone().unwrap_or_else(|| from.clone()), None),
        };
        let key = version_key(&object);
        let id = object.id().to_owned();
        let refuse = |reason, detail| refuse(fed, from, &id, reason, detail);
        if claimed != local
            && let Some(signature) = &origin_signature
        {
            let Some(origin_key) = keys.get(claimed.as_str()) else {
                let detail = format!(
                    "{} names origin {claimed}, which is not a registered peer",
                    object.id()
                );
                out.rejected.push(refuse("origin-unknown", detail).await);
                continue;
            };
            if !super::envelope::verify_origin(origin_key, claimed.as_str(), &text, signature) {
                let detail = format!(
                    "{}'s origin signature is not {claimed}'s over the object as sent by {from}",
                    object.id()
                );
                out.rejected
                    .push(refuse("origin-bad-signature", detail).await);
                continue;
            }
        }
        if claimed == local {
            let held = held_versions(fed, object.id()).await?;
            if held.contains(&key) || (key == 0 && !held.is_empty()) {
                out.duplicates += 1;
            } else {
                let detail = format!("{} claims this node made {}", from, object.id());
                out.rejected.push(refuse("not-originator", detail).await);
            }
            continue;
        }
        if let Some(r) = remembered.as_ref().filter(|r| **r != claimed) {
            let detail = format!(
                "{} is {}'s object; {} presented a version as {}'s",
                object.id(),
                r,
                from,
                claimed
            );
            out.rejected.push(refuse("not-originator", detail).await);
            continue;
        }
        records.push(ProvenanceRecord {
            collection_id: collection.id.clone(),
            object_id: object.id().to_owned(),
            version_us: key,
            provenance: Provenance {
                received_from: from.clone(),
                received_at: now.clone(),
                origin: claimed,
            },
            origin_signature,
        });
        objects.push(object);
    }
    if objects.is_empty() {
        return Ok(out);
    }
    let actor = crate::principal::peer_actor(from.as_str());
    let time = super::outbox::now_ms();
    // The `object-received` entry of one object, from the object and what storing it did.
    let received = |object: &StixObject, outcome: &AddOutcome| {
        let version = match (object.version(), outcome) {
            (Some(v), _) => v.as_str().to_owned(),
            (None, AddOutcome::Added { date_added }) => date_added.as_str().to_owned(),
            (None, AddOutcome::AlreadyPresent) => "unversioned".to_owned(),
        };
        let object = ObjectRef {
            id: object.id().to_owned(),
            version,
            sha256: sha256(object.to_json().as_bytes()),
        };
        let act = Act::ObjectReceived {
            object,
            peer: from.to_string(),
        };
        LogEntryData::new(time, actor.clone(), act).map_err(|e| StoreError::Log(e.to_string()))
    };
    // Provenance, objects (with their `object-stored` entries) and the receipt's entries in
    // one transaction: an object received from a peer never exists here without its
    // provenance, nor without the entry its receipt names.
    let (outcomes, appended) = fed
        .objects()
        .add_received_objects(&actor, &collection.id, &objects, &records, &received)
        .await?;
    for outcome in &outcomes {
        match outcome {
            AddOutcome::Added { .. } => out.accepted += 1,
            AddOutcome::AlreadyPresent => out.duplicates += 1,
        }
    }
    // The log size just after this batch's entries; when it appended none (every version was
    // held already), the log's size now, so the receipt still binds to a real log state.
    out.log_size = match appended.last() {
        Some(e) => e.index + 1,
        None => fed.objects().log_size().await?,
    };
    for e in appended {
        let text = String::from_utf8(e.entry).map_err(|e| InboxError::Internal(e.to_string()))?;
        out.received.push(ReceivedEntry {
            entry: text,
            index: e.index,
        });
    }
    Ok(out)
}
