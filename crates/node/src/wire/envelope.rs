//! Envelopes and acknowledgements: signed messages between nodes.
//!
//! # Wire form
//!
//! ```json
//! {"objects":[{"object":"<STIX object JSON text>","origin":"alpha-cert","origin_signature":"<128 hex>"}],
//!  "recipient":"bravo-police-cyber-unit","sender":"alpha-cert","sender_key":"<64 hex>",
//!  "seq":42,"signature":"<128 hex>","time":"2026-01-01T00:00:00.000Z"}
//! ```
//!
//! # Canonical encoding
//!
//! The signature is Ed25519 (the sender's identity key) over
//! `"pacific-envelope/v1\n"` followed by the RFC 8785 (JCS) form of the envelope without its
//! `signature` member. Every member is a string, an integer below 2^53 or an array of objects
//! of strings, and the structs below declare their members in lexicographic order, so
//! serde_json's output of them *is* their JCS form (JCS and serde_json escape strings alike:
//! `\"`, `\\`, `\b\f\n\r\t`, other control characters as `\u00xx`, nothing else). STIX objects
//! travel as JSON *strings* holding their exact stored text, so the signature covers their
//! bytes and they are stored as received; any change to an object, an origin, the sequence
//! number, the time or the addresses breaks the signature.
//!
//! Acknowledgements are signed the same way with the prefix `"pacific-ack/v1\n"`.
//!
//! # Origin signatures
//!
//! The envelope's signature says who *sent* it; each object also carries its **origin's**
//! signature, so that a node relaying a third party's object cannot forge or alter it: Ed25519
//! by the origin's identity key over `"pacific-origin/v1\n" + origin + "\n" +` the lower-case
//! hex SHA-256 of the object's exact text ([`sign_origin`], [`verify_origin`]). The origin
//! makes it when it first sends the object; every relay passes it on unchanged; the receiver
//! checks it with the key it registered for the origin, and keeps it with the object's
//! provenance.
//!
//! # Receipts
//!
//! An ack is also a *receipt bound to the receiver's log*: for every object of the envelope
//! the receiver holds after applying it (stored now or already), it appended an
//! `object-received` entry (peer = the envelope's sender) to its transparency log and lists
//! the entry's exact bytes and leaf index in `received`, with its log's origin and the log
//! size just after those entries. Signed by the receiver's identity key (the key that signs
//! its checkpoints), the receipt lets the sender prove later, against any checkpoint of that
//! log of at least `log_size`, with one inclusion proof per entry ([`verify_receipt_entry`]),
//! that the receiver logged receiving exactly those objects (id, version, SHA-256).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use pacific_tlog::checkpoint::Checkpoint;
use pacific_tlog::entry::{Act, Entry, ObjectRef};
use pacific_tlog::merkle::{self, Hash};
use serde::{Deserialize, Serialize};

/// Where a node receives envelopes from its peers.
pub const INBOX_PATH: &str = "/federation/inbox";

const ENVELOPE_CONTEXT: &[u8] = b"pacific-envelope/v1\n";
const ACK_CONTEXT: &[u8] = b"pacific-ack/v1\n";
/// Sequence numbers stay exact in every JSON reader (IEEE doubles).
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// One object of an envelope: its exact JSON text and the party that created it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeObject {
    pub object: String,
    pub origin: String,
    /// The origin's signature of `object` (hex), see [`sign_origin`].
    pub origin_signature: String,
}

impl EnvelopeObject {
    /// An object of `origin`'s own, signed by it (`key` is the origin's identity key).
    pub fn signed(key: &SigningKey, origin: &str, object: String) -> Self {
        let origin_signature = sign_origin(key, origin, &object);
        EnvelopeObject {
            object,
            origin: origin.to_owned(),
            origin_signature,
        }
    }
}

const ORIGIN_CONTEXT: &str = "pacific-origin/v1\n";

fn origin_message(origin: &str, object: &str) -> Vec<u8> {
    let digest = hex::encode(pacific_tlog::entry::sha256(object.as_bytes()));
    format!("{ORIGIN_CONTEXT}{origin}\n{digest}").into_bytes()
}

/// The origin's signature of an object's exact text (hex).
pub fn sign_origin(key: &SigningKey, origin: &str, object: &str) -> String {
    hex::encode(key.sign(&origin_message(origin, object)).to_bytes())
}

/// Whether `signature` is `origin`'s (with `key`) over this exact object text.
pub fn verify_origin(key: &VerifyingKey, origin: &str, object: &str, signature: &str) -> bool {
    verify(key, &origin_message(origin, object), signature)
}

/// A signed message from one node to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub objects: Vec<EnvelopeObject>,
    pub recipient: String,
    pub sender: String,
    /// The sender's Ed25519 public key, hex.
    pub sender_key: String,
    /// Per-link sequence number: strictly increasing from this sender to this recipient.
    pub seq: u64,
    /// Ed25519 signature, hex.
    pub signature: String,
    /// When it was signed (RFC 3339 UTC).
    pub time: String,
}

/// The signed part of an [`Envelope`], members in lexicographic order.
#[derive(Serialize)]
struct EnvelopeBody<'a> {
    objects: &'a [EnvelopeObject],
    recipient: &'a str,
    sender: &'a str,
    sender_key: &'a str,
    seq: u64,
    time: &'a str,
}

impl Envelope {
    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let body = EnvelopeBody {
            objects: &self.objects,
            recipient: &self.recipient,
            sender: &self.sender,
            sender_key: &self.sender_key,
            seq: self.seq,
            time: &self.time,
        };
        let mut bytes = ENVELOPE_CONTEXT.to_vec();
        serde_json::to_writer(&mut bytes, &body).expect("strings and integers always serialise");
        bytes
    }

    /// Builds and signs an envelope.
    pub fn sign(
        key: &SigningKey,
        sender: &str,
        recipient: &str,
        seq: u64,
        time: &str,
        objects: Vec<EnvelopeObject>,
    ) -> Self {
        let mut envelope = Envelope {
            objects,
            recipient: recipient.to_owned(),
            sender: sender.to_owned(),
            sender_key: hex::encode(key.verifying_key().to_bytes()),
            seq,
            signature: String::new(),
            time: time.to_owned(),
        };
        envelope.signature = hex::encode(key.sign(&envelope.signed_bytes()).to_bytes());
        envelope
    }

    /// Whether the signature is the sender's over this exact envelope.
    pub fn verify_signature(&self, key: &VerifyingKey) -> bool {
        verify(key, &self.signed_bytes(), &self.signature)
    }
}

fn verify(key: &VerifyingKey, bytes: &[u8], signature_hex: &str) -> bool {
    let Some(sig) = hex::decode(signature_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    key.verify(bytes, &Signature::from_bytes(&sig)).is_ok()
}

/// An object of an accepted envelope that was not stored, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedObject {
    pub id: String,
    pub reason: String,
}

/// One `object-received` entry of the receiver's log, as a receipt lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedEntry {
    /// The entry's exact canonical bytes (UTF-8 JSON).
    pub entry: String,
    /// Its leaf index in the receiver's log.
    pub index: u64,
}

/// The receiver's signed answer to an accepted envelope, and its receipt (see the module
/// documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// Objects stored as new versions.
    pub accepted: u64,
    /// Objects already held (same id and version): nothing changed.
    pub duplicates: u64,
    /// The origin of the receiver's transparency log.
    pub log_origin: String,
    /// The receiver's log size just after the `received` entries were appended.
    pub log_size: u64,
    /// The receiver's `object-received` entries for this envelope's objects.
    pub received: Vec<ReceivedEntry>,
    /// The envelope's sender.
    pub recipient: String,
    pub rejected: Vec<RejectedObject>,
    /// The receiver, who signs the ack.
    pub sender: String,
    /// The acknowledged envelope's sequence number.
    pub seq: u64,
    pub signature: String,
    pub time: String,
}

#[derive(Serialize)]
struct AckBody<'a> {
    accepted: u64,
    duplicates: u64,
    log_origin: &'a str,
    log_size: u64,
    received: &'a [ReceivedEntry],
    recipient: &'a str,
    rejected: &'a [RejectedObject],
    sender: &'a str,
    seq: u64,
    time: &'a str,
}

impl Ack {
    pub fn signed_bytes(&self) -> Vec<u8> {
        let body = AckBody {
            accepted: self.accepted,
            duplicates: self.duplicates,
            log_origin: &self.log_origin,
            log_size: self.log_size,
            received: &self.received,
            recipient: &self.recipient,
            rejected: &self.rejected,
            sender: &self.sender,
            seq: self.seq,
            time: &self.time,
        };
        let mut bytes = ACK_CONTEXT.to_vec();
        serde_json::to_writer(&mut bytes, &body).expect("strings and integers always serialise");
        bytes
    }

    pub fn sign(mut self, key: &SigningKey) -> Self {
        self.signature = hex::encode(key.sign(&self.signed_bytes()).to_bytes());
        self
    }

    pub fn verify_signature(&self, key: &VerifyingKey) -> bool {
        verify(key, &self.signed_bytes(), &self.signature)
    }

    /// The objects this receipt says the receiver logged as received from `self.recipient`,
    /// with each entry's index. Checks that every entry decodes, is an `object-received`
    /// entry naming the envelope's sender as the peer, lies below `log_size`, and that the
    /// indices are distinct. Check the signature first ([`Ack::verify_signature`]).
    pub fn receipt_objects(&self) -> Result<Vec<(u64, ObjectRef)>, String> {
        let mut out: Vec<(u64, ObjectRef)> = Vec::with_capacity(self.received.len());
        let mut seen = std::collections::HashSet::with_capacity(self.received.len());
        for r in &self.received {
            let entry = Entry::decode(r.entry.as_bytes())
                .map_err(|e| format!("receipt entry {}: {e}", r.index))?;
            let Act::ObjectReceived { object, peer } = entry.act else {
                return Err(format!(
                    "receipt entry {} is not an object-received entry",
                    r.index
                ));
            };
            if peer != self.recipient {
                return Err(format!(
                    "receipt entry {} names peer {peer:?}, not {:?}",
                    r.index, self.recipient
                ));
            }
            if r.index >= self.log_size {
                return Err(format!(
                    "receipt entry {} is not below the receipt's log size {}",
                    r.index, self.log_size
                ));
            }
            if !seen.insert(r.index) {
                return Err(format!("receipt lists index {} twice", r.index));
            }
            out.push((r.index, object));
        }
        Ok(out)
    }
}

/// Verifies one entry of a receipt against a checkpoint of the receiver's log (already opened
/// with the receiver's key, e.g. by `pacific_tlog::checkpoint::open_checkpoint`) and an RFC 9162
/// inclusion proof of the entry's index in that checkpoint's tree.
pub fn verify_receipt_entry(
    ack: &Ack,
    entry: &ReceivedEntry,
    checkpoint: &Checkpoint,
    proof: &[Hash],
) -> Result<(), String> {
    if checkpoint.origin() != ack.log_origin {
        return Err(format!(
            "the checkpoint is of log {:?}, the receipt of {:?}",
            checkpoint.origin(),
            ack.log_origin
        ));
    }
    if checkpoint.size() < ack.log_size {
        return Err(format!(
            "the checkpoint (size {}) predates the receipt (log size {})",
            checkpoint.size(),
            ack.log_size
        ));
    }
    let leaf = merkle::leaf_hash(entry.entry.as_bytes());
    merkle::verify_inclusion(
        &leaf,
        entry.index,
        checkpoint.size(),
        proof,
        checkpoint.root(),
    )
    .map_err(|e| {
        format!(
            "receipt entry {} is not in the receiver's log at size {}: {e}",
            entry.index,
            checkpoint.size()
        )
    })
}

/// Why an envelope was refused as a whole. Each has a stable label (the API error label, the
/// metrics `reason`) and decides the HTTP status: 401 when the sender is not authenticated,
/// 403 when it is but the envelope may not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeRejection {
    #[error("the envelope is not well-formed: {0}")]
    Malformed(String),
    #[error("the sender {0:?} is not a peer of this node")]
    UnknownSender(String),
    #[error("the envelope's key is not the one registered for {0:?}")]
    KeyMismatch(String),
    #[error("the signature does not verify (forged or altered envelope)")]
    BadSignature,
    #[error("the envelope is addressed to {0:?}, not to this node")]
    WrongRecipient(String),
    #[error("the envelope's time {time} is more than {window_secs} s from this node's clock")]
    ClockSkew { time: String, window_secs: i64 },
    #[error(
        "sequence number {seq} is not above the last one accepted from this sender (replayed or reordered)"
    )]
    Replay { seq: u64 },
    #[error("the envelope carries {count} objects; this node takes at most {max} in one")]
    TooManyObjects { count: usize, max: usize },
}

impl EnvelopeRejection {
    pub fn label(&self) -> &'static str {
        match self {
            EnvelopeRejection::Malformed(_) => "envelope-malformed",
            EnvelopeRejection::UnknownSender(_) => "envelope-unknown-sender",
            EnvelopeRejection::KeyMismatch(_) => "envelope-key-mismatch",
            EnvelopeRejection::BadSignature => "envelope-bad-signature",
            EnvelopeRejection::WrongRecipient(_) => "envelope-wrong-recipient",
            EnvelopeRejection::ClockSkew { .. } => "envelope-clock-skew",
            EnvelopeRejection::Replay { .. } => "envelope-replay",
            EnvelopeRejection::TooManyObjects { .. } => "envelope-too-many-objects",
        }
    }

    /// Whether the sender is unauthenticated (401) rather than refused (403).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            EnvelopeRejection::UnknownSender(_)
                | EnvelopeRejection::KeyMismatch(_)
                | EnvelopeRejection::BadSignature
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn sample() -> Envelope {
        let object = "{\"id\":\"x\",\"d\":\"é\\n\\u0001\"}";
        let objects = vec![EnvelopeObject::signed(&key(1), "alpha", object.into())];
        Envelope::sign(
            &key(1),
            "alpha",
            "bravo",
            7,
            "2026-01-01T00:00:00.000Z",
            objects,
        )
    }

    #[test]
    fn signed_envelopes_verify_and_any_change_breaks_them() {
        let e = sample();
        let pk = key(1).verifying_key();
        assert!(e.verify_signature(&pk));
        assert!(!e.verify_signature(&key(2).verifying_key()));
        let reparsed: Envelope = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert!(reparsed.verify_signature(&pk));
        for change in [
            |e: &mut Envelope| e.seq += 1,
            |e: &mut Envelope| e.recipient.push('x'),
            |e: &mut Envelope| e.sender.push('x'),
            |e: &mut Envelope| e.time.push('x'),
            |e: &mut Envelope| e.objects[0].object.push(' '),
            |e: &mut Envelope| e.objects[0].origin.push('x'),
            |e: &mut Envelope| e.objects[0].origin_signature.insert(0, '0'),
            |e: &mut Envelope| e.objects.clear(),
        ] {
            let mut altered = e.clone();
            change(&mut altered);
            assert!(!altered.verify_signature(&pk));
        }
    }

    #[test]
    fn an_origin_signature_binds_the_origin_and_the_exact_text() {
        let (alpha, mallory) = (key(1), key(9));
        let text = "{\"id\":\"indicator--1\"}";
        let sig = sign_origin(&alpha, "alpha", text);
        assert!(verify_origin(&alpha.verifying_key(), "alpha", text, &sig));
        // Another key, another origin name, another text (one byte) or a garbled signature.
        assert!(!verify_origin(
            &mallory.verifying_key(),
            "alpha",
            text,
            &sig
        ));
        assert!(!verify_origin(&alpha.verifying_key(), "bravo", text, &sig));
        assert!(!verify_origin(
            &alpha.verifying_key(),
            "alpha",
            "{\"id\":\"indicator--2\"}",
            &sig
        ));
        assert!(!verify_origin(&alpha.verifying_key(), "alpha", text, "00"));
        assert!(!verify_origin(
            &alpha.verifying_key(),
            "alpha",
            text,
            "not hex"
        ));
        // A relay cannot make one in the origin's name.
        let forged = sign_origin(&mallory, "alpha", text);
        assert!(!verify_origin(
            &alpha.verifying_key(),
            "alpha",
            text,
            &forged
        ));
    }

    #[test]
    fn the_signed_bytes_are_canonical_json() {
        let e = sample();
        let bytes = e.signed_bytes();
        let text = std::str::from_utf8(&bytes[ENVELOPE_CONTEXT.len()..]).unwrap();
        // Members sorted, no whitespace, the object carried as a string.
        assert!(
            text.starts_with("{\"objects\":[{\"object\":\"{\\\"id\\\""),
            "{text}"
        );
        assert!(text.contains("\"recipient\":\"bravo\",\"sender\":\"alpha\",\"sender_key\":\""));
        assert!(text.ends_with(",\"seq\":7,\"time\":\"2026-01-01T00:00:00.000Z\"}"));
        // Escapes as RFC 8785: control characters as \u00xx, non-ASCII as is.
        assert!(text.contains("é\\\\n\\\\u0001"));
        // Equivalent input spellings canonicalise to the same bytes.
        let spelled = serde_json::to_string(&e)
            .unwrap()
            .replace("\"alpha\"", "\"\\u0061lpha\"");
        let reparsed: Envelope = serde_json::from_str(&spelled).unwrap();
        assert_eq!(reparsed.signed_bytes(), bytes);
    }

    #[test]
    fn acks_verify() {
        let ack = Ack {
            accepted: 1,
            duplicates: 0,
            log_origin: "pacific/bravo/0000000000000000".into(),
            log_size: 1,
            received: vec![ReceivedEntry {
                entry: "{}".into(),
                index: 0,
            }],
            recipient: "alpha".into(),
            rejected: vec![RejectedObject {
                id: "x".into(),
                reason: "not-originator".into(),
            }],
            sender: "bravo".into(),
            seq: 3,
            signature: String::new(),
            time: "t".into(),
        }
        .sign(&key(2));
        assert!(ack.verify_signature(&key(2).verifying_key()));
        let mut forged = ack.clone();
        forged.accepted = 9;
        assert!(!forged.verify_signature(&key(2).verifying_key()));
        let mut forged = ack.clone();
        forged.received[0].index = 1;
        assert!(!forged.verify_signature(&key(2).verifying_key()));
        let mut forged = ack.clone();
        forged.log_size = 2;
        assert!(!forged.verify_signature(&key(2).verifying_key()));
    }
}
