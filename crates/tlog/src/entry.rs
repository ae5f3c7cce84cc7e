//! The log entry: one act the node records (an object version stored, received, sent,
//! withheld or deleted; a peer added or removed; the export policy changed; a user added or
//! removed, their role, token or collection grant changed; a witness's cosignature of this log
//! received, or this node's cosignature of a peer's log sent).
//!
//! An entry is a flat JSON object in RFC 8785 canonical form (keys sorted, no whitespace,
//! minimal string escaping, integers only), so the same entry always has the same bytes and
//! hence the same leaf hash ([`Entry::leaf_hash`]). It is self-describing: `v` is the format
//! version (1), `kind` names the act, and every other key is fixed by the kind:
//!
//! | kind | fields besides `v`, `kind`, `time`, `actor` |
//! |---|---|
//! | `object-stored` | `object_id`, `object_version`, `object_sha256` |
//! | `object-received` | the object fields, `peer` |
//! | `object-sent` | the object fields, `peer`, `rule` (the policy rule that allowed it) |
//! | `object-withheld` | the object fields, `peer`, `reason` |
//! | `peer-added` | `peer`, `peer_key` (hex Ed25519 public key) |
//! | `peer-removed` | `peer` |
//! | `policy-changed` | `policy_sha256` |
//! | `object-deleted` | the object fields (the deleted version), `collection` (the collection's id) |
//! | `user-added` | `user`, `role` |
//! | `user-removed` | `user` (their grants went with them) |
//! | `user-role-changed` | `user`, `role` (the new role) |
//! | `token-revoked` | `user`, `token_id` (the public id of the token that no longer works) |
//! | `token-issued` | `user`, `token_id` (of the new token), `expires` (only when it expires: RFC 3339, UTC) |
//! | `grant-changed` | `user`, `collection` (id), `can_read`, `can_write` (booleans) |
//! | `receipt-received` | `peer`, `log_size`, `receipt_sha256` (a peer's signed receipt for objects sent to it) |
//! | `cosignature-received` | `peer` (the witness), `tree_size`, `root_hash` (of this log's cosigned checkpoint), `key_id` (the cosignature key's C2SP key ID, 8 lowercase hex digits) |
//! | `cosignature-sent` | `peer`, `tree_size`, `root_hash` (of the peer's checkpoint this node cosigned and handed to it) |
//! | `charter-installed` | `federation` (the federation id: SHA-256 of its charter, hex) |
//! | `proposal-closed` | `proposal` (the id of its propose act), `outcome` (`adopted`, `rejected`, `no-quorum`, `blocked`), `tally_sha256` (of the tally's canonical JSON) |
//!
//! `time` is milliseconds since the Unix epoch (UTC), at most 2^53 - 1. `actor` names who acted
//! (a user, a peer, or the node itself). Hashes are 64 lowercase hex digits; `object_sha256` is
//! the SHA-256 of the object's canonical JSON. Entries name objects by id, version and hash
//! only, never by content, so the log leaks nothing that the policy would withhold.
//!
//! [`Entry::decode`] accepts exactly what [`Entry::encode`] produces: a truncated, tampered,
//! reordered or re-spaced entry, an unknown kind or an unknown field is
//! [`TlogError::MalformedEntry`]. A tampered entry that still decodes changes its leaf hash, so
//! inclusion proof verification catches it.
//!
//! This module does no I/O.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::TlogError;
use crate::merkle::{self, Hash};

/// The entry format version written in `v`.
pub const ENTRY_FORMAT_VERSION: u64 = 1;

/// Largest encoded entry accepted, in bytes.
pub const MAX_ENTRY_LEN: usize = 16 * 1024;

/// Largest `time` value: 2^53 - 1, the largest integer JSON numbers carry exactly.
pub const MAX_TIME: u64 = (1 << 53) - 1;

/// SHA-256 of some bytes (e.g. an object's canonical JSON, for [`ObjectRef::sha256`]).
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// An object version, named without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// The STIX id, e.g. `indicator--…`.
    pub id: String,
    /// The version (the STIX `modified` timestamp, as stored).
    pub version: String,
    /// SHA-256 of the object's canonical JSON.
    pub sha256: Hash,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// An object version was stored (from a local user or ingest).
    ObjectStored {
        /// The object version.
        object: ObjectRef,
    },
    /// An object version was received from a peer and stored.
    ObjectReceived {
        /// The object version.
        object: ObjectRef,
        /// The peer it came from.
        peer: String,
    },
    /// An object version was sent to a peer.
    ObjectSent {
        /// The object version.
        object: ObjectRef,
        /// The recipient.
        peer: String,
        /// The policy rule that allowed it.
        rule: String,
    },
    /// An object version was withheld from a peer.
    ObjectWithheld {
        /// The object version.
        object: ObjectRef,
        /// The peer it was withheld from.
        peer: String,
        /// Why (the policy gate's reason).
        reason: String,
    },
    /// A peer was added.
    PeerAdded {
        /// The peer's name.
        peer: String,
        /// The peer's Ed25519 public key.
        peer_key: [u8; 32],
    },
    /// A peer was removed.
    PeerRemoved {
        /// The peer's name.
        peer: String,
    },
    /// The export policy changed.
    PolicyChanged {
        /// SHA-256 of the new policy's canonical form.
        policy_sha256: Hash,
    },
    /// A user was added.
    UserAdded {
        /// The user's name.
        user: String,
        /// The user's role.
        role: String,
    },
    /// An object version was deleted from a collection (TAXII DELETE).
    ObjectDeleted {
        /// The deleted version.
        object: ObjectRef,
        /// The id of the collection it was deleted from.
        collection: String,
    },
    /// A user was removed (with their collection grants).
    UserRemoved {
        /// The user's name.
        user: String,
    },
    /// A user's role changed.
    UserRoleChanged {
        /// The user's name.
        user: String,
        /// The new role.
        role: String,
    },
    /// A user's API token was revoked: it no longer authenticates.
    TokenRevoked {
        /// The user's name.
        user: String,
        /// The revoked token's public id.
        token_id: String,
    },
    /// A new API token was issued to an existing user (re-issue after a revocation).
    TokenIssued {
        /// The user's name.
        user: String,
        /// The new token's public id.
        token_id: String,
        /// When the token stops working (RFC 3339, UTC), if it does.
        expires: Option<String>,
    },
    /// A user's rights on one collection were set.
    GrantChanged {
        /// The user's name.
        user: String,
        /// The collection's id.
        collection: String,
        /// May read the collection.
        can_read: bool,
        /// May write to the collection.
        can_write: bool,
    },
    /// A peer's signed receipt (bound to its log) for objects sent to it was received.
    ReceiptReceived {
        /// The peer that signed the receipt.
        peer: String,
        /// The peer's log size the receipt is bound to.
        log_size: u64,
        /// SHA-256 of the receipt's exact bytes.
        receipt_sha256: Hash,
    },
    /// A witness's cosignature of one of this log's checkpoints was received and kept.
    CosignatureReceived {
        /// The witness (a peer).
        peer: String,
        /// The cosigned checkpoint's tree size.
        tree_size: u64,
        /// The cosigned checkpoint's root hash.
        root_hash: Hash,
        /// The C2SP key ID of the witness's cosignature key.
        key_id: [u8; 4],
    },
    /// The node installed its federation's charter, signed by every founding member.
    CharterInstalled {
        /// The federation id: SHA-256 of the charter.
        federation: Hash,
    },
    /// A proposal's voting closed and this node tallied it.
    ProposalClosed {
        /// The id of its propose act.
        proposal: String,
        /// `adopted`, `rejected`, `no-quorum` or `blocked`.
        outcome: String,
        /// SHA-256 of the tally's canonical JSON.
        tally_sha256: Hash,
    },
    /// This node's cosignature of a peer's checkpoint was handed to that peer.
    CosignatureSent {
        /// The peer whose log was cosigned.
        peer: String,
        /// The cosigned checkpoint's tree size.
        tree_size: u64,
        /// The cosigned checkpoint's root hash.
        root_hash: Hash,
    },
}

/// The kinds of the cosignature acts ([`Act::CosignatureReceived`], [`Act::CosignatureSent`]):
/// entries about witnessing itself, which a cosignature need not be logged for (see the store).
pub const COSIGNATURE_KINDS: [&str; 2] = ["cosignature-received", "cosignature-sent"];

impl Act {
    /// The `kind` string of this act.
    pub fn kind(&self) -> &'static str {
        match self {
            Act::ObjectStored { .. } => "object-stored",
            Act::ObjectReceived { .. } => "object-received",
            Act::ObjectSent { .. } => "object-sent",
            Act::ObjectWithheld { .. } => "object-withheld",
            Act::PeerAdded { .. } => "peer-added",
            Act::PeerRemoved { .. } => "peer-removed",
            Act::PolicyChanged { .. } => "policy-changed",
            Act::UserAdded { .. } => "user-added",
            Act::ObjectDeleted { .. } => "object-deleted",
            Act::UserRemoved { .. } => "user-removed",
            Act::UserRoleChanged { .. } => "user-role-changed",
            Act::TokenRevoked { .. } => "token-revoked",
            Act::TokenIssued { .. } => "token-issued",
            Act::GrantChanged { .. } => "grant-changed",
            Act::ReceiptReceived { .. } => "receipt-received",
            Act::CosignatureReceived { .. } => COSIGNATURE_KINDS[0],
            Act::CosignatureSent { .. } => COSIGNATURE_KINDS[1],
            Act::CharterInstalled { .. } => "charter-installed",
            Act::ProposalClosed { .. } => "proposal-closed",
        }
    }

    /// The object this act concerns, if any.
    pub fn object(&self) -> Option<&ObjectRef> {
        match self {
            Act::ObjectStored { object }
            | Act::ObjectReceived { object, .. }
            | Act::ObjectSent { object, .. }
            | Act::ObjectWithheld { object, .. }
            | Act::ObjectDeleted { object, .. } => Some(object),
            _ => None,
        }
    }
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Milliseconds since the Unix epoch, UTC.
    pub time: u64,
    /// Who acted.
    pub actor: String,
    /// What happened.
    pub act: Act,
}

/// A field value, borrowed from the entry.
#[derive(Clone, Copy)]
enum Val<'a> {
    Str(&'a str),
    /// 32 bytes, written as 64 lowercase hex digits.
    Hex(&'a [u8; 32]),
    /// A 4-byte key ID, written as 8 lowercase hex digits.
    KeyId(&'a [u8; 4]),
    Int(u64),
    Bool(bool),
}

/// The most fields any kind has (`object-withheld`: v, kind, time, actor, 3 object fields,
/// peer, reason).
const MAX_FIELDS: usize = 9;

/// An entry's fields, on the stack, in canonical (sorted) key order once [`Fields::sorted`].
struct Fields<'a> {
    items: [(&'static str, Val<'a>); MAX_FIELDS],
    len: usize,
}

impl<'a> Fields<'a> {
    fn push(&mut self, k: &'static str, v: Val<'a>) {
        self.items[self.len] = (k, v);
        self.len += 1;
    }
    fn sorted(mut self) -> Self {
        // RFC 8785 sorts keys by UTF-16 code units; every key here is ASCII, so byte order.
        self.items[..self.len].sort_unstable_by_key(|(k, _)| *k);
        self
    }
    fn as_slice(&self) -> &[(&'static str, Val<'a>)] {
        &self.items[..self.len]
    }
}

/// Fields of an entry, without building an [`Entry`]: `time`, `actor`, `kind`, `v`, then the
/// object's fields (if any) and `extra`.
fn fields_of<'a>(
    time: u64,
    actor: &'a str,
    kind: &'static str,
    object: Option<(&'a str, &'a str, &'a [u8; 32])>,
    extra: &[(&'static str, Val<'a>)],
) -> Fields<'a> {
    let mut f = Fields {
        items: [("", Val::Int(0)); MAX_FIELDS],
        len: 0,
    };
    f.push("v", Val::Int(ENTRY_FORMAT_VERSION));
    f.push("kind", Val::Str(kind));
    f.push("time", Val::Int(time));
    f.push("actor", Val::Str(actor));
    if let Some((id, version, sha)) = object {
        f.push("object_id", Val::Str(id));
        f.push("object_version", Val::Str(version));
        f.push("object_sha256", Val::Hex(sha));
    }
    for (k, v) in extra {
        f.push(k, *v);
    }
    f.sorted()
}

/// Checks fields as [`Entry::encode`] requires: `time` at most [`MAX_TIME`], no empty string.
fn check_fields(time: u64, fields: &Fields<'_>) -> Result<(), TlogError> {
    if time > MAX_TIME {
        return Err(TlogError::entry(format!("time {time} exceeds 2^53 - 1")));
    }
    for (k, v) in fields.as_slice() {
        if let Val::Str(s) = v
            && s.is_empty()
        {
            return Err(TlogError::entry(format!("field {k} is empty")));
        }
    }
    Ok(())
}

/// The canonical bytes of checked, sorted fields.
fn write_fields(fields: &Fields<'_>) -> Result<Vec<u8>, TlogError> {
    let mut len = 2;
    for (k, v) in fields.as_slice() {
        len += k.len()
            + 4
            + match v {
                Val::Str(s) => s.len() + 2,
                Val::Hex(_) => 66,
                Val::KeyId(_) => 10,
                Val::Int(_) => 20,
                Val::Bool(_) => 5,
            };
    }
    let mut out = String::with_capacity(len);
    out.push('{');
    for (i, (k, v)) in fields.as_slice().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(&mut out, k);
        out.push(':');
        match v {
            Val::Str(s) => write_json_string(&mut out, s),
            Val::Hex(h) => {
                let mut buf = [0u8; 64];
                // Cannot fail: the buffer is exactly twice the input.
                let _ = hex::encode_to_slice(h, &mut buf);
                out.push('"');
                out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
                out.push('"');
            }
            Val::KeyId(id) => {
                let mut buf = [0u8; 8];
                // Cannot fail: the buffer is exactly twice the input.
                let _ = hex::encode_to_slice(id, &mut buf);
                out.push('"');
                out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
                out.push('"');
            }
            Val::Int(n) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{n}"));
            }
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    out.push('}');
    if out.len() > MAX_ENTRY_LEN {
        return Err(TlogError::entry(format!(
            "encoded entry longer than {MAX_ENTRY_LEN} bytes"
        )));
    }
    Ok(out.into_bytes())
}

/// The canonical bytes of an `object-stored` entry, exactly
/// `Entry { time, actor, act: Act::ObjectStored { object } }.encode()` with `object` made of
/// `object_id`, `object_version` and `object_sha256`, without building the entry (the store
/// writes one per stored object version).
pub fn encode_object_stored(
    time: u64,
    actor: &str,
    object_id: &str,
    object_version: &str,
    object_sha256: &Hash,
) -> Result<Vec<u8>, TlogError> {
    let fields = fields_of(
        time,
        actor,
        "object-stored",
        Some((object_id, object_version, object_sha256)),
        &[],
    );
    check_fields(time, &fields)?;
    write_fields(&fields)
}

impl Entry {
    /// An entry; checks it as [`Entry::encode`] would.
    pub fn new(time: u64, actor: impl Into<String>, act: Act) -> Result<Self, TlogError> {
        let e = Entry {
            time,
            actor: actor.into(),
            act,
        };
        e.check()?;
        Ok(e)
    }

    fn check(&self) -> Result<(), TlogError> {
        check_fields(self.time, &self.fields())
    }

    fn fields(&self) -> Fields<'_> {
        let object = self
            .act
            .object()
            .map(|o| (o.id.as_str(), o.version.as_str(), &o.sha256));
        let extra: &[(&'static str, Val<'_>)] = match &self.act {
            Act::ObjectStored { .. } => &[],
            Act::ObjectReceived { peer, .. } | Act::PeerRemoved { peer } => {
                &[("peer", Val::Str(peer))]
            }
            Act::ObjectSent { peer, rule, .. } => {
                &[("peer", Val::Str(peer)), ("rule", Val::Str(rule))]
            }
            Act::ObjectWithheld { peer, reason, .. } => {
                &[("peer", Val::Str(peer)), ("reason", Val::Str(reason))]
            }
            Act::PeerAdded { peer, peer_key } => {
                &[("peer", Val::Str(peer)), ("peer_key", Val::Hex(peer_key))]
            }
            Act::PolicyChanged { policy_sha256 } => &[("policy_sha256", Val::Hex(policy_sha256))],
            Act::CharterInstalled { federation } => &[("federation", Val::Hex(federation))],
            Act::ProposalClosed {
                proposal,
                outcome,
                tally_sha256,
            } => &[
                ("proposal", Val::Str(proposal)),
                ("outcome", Val::Str(outcome)),
                ("tally_sha256", Val::Hex(tally_sha256)),
            ],
            Act::UserAdded { user, role } | Act::UserRoleChanged { user, role } => {
                &[("user", Val::Str(user)), ("role", Val::Str(role))]
            }
            Act::ObjectDeleted { collection, .. } => &[("collection", Val::Str(collection))],
            Act::UserRemoved { user } => &[("user", Val::Str(user))],
            Act::TokenRevoked { user, token_id }
            | Act::TokenIssued {
                user,
                token_id,
                expires: None,
            } => &[("user", Val::Str(user)), ("token_id", Val::Str(token_id))],
            Act::TokenIssued {
                user,
                token_id,
                expires: Some(expires),
            } => &[
                ("user", Val::Str(user)),
                ("token_id", Val::Str(token_id)),
                ("expires", Val::Str(expires)),
            ],
            Act::GrantChanged {
                user,
                collection,
                can_read,
                can_write,
            } => &[
                ("user", Val::Str(user)),
                ("collection", Val::Str(collection)),
                ("can_read", Val::Bool(*can_read)),
                ("can_write", Val::Bool(*can_write)),
            ],
            Act::ReceiptReceived {
                peer,
                log_size,
                receipt_sha256,
            } => &[
                ("peer", Val::Str(peer)),
                ("log_size", Val::Int(*log_size)),
                ("receipt_sha256", Val::Hex(receipt_sha256)),
            ],
            Act::CosignatureReceived {
                peer,
                tree_size,
                root_hash,
                key_id,
            } => &[
                ("peer", Val::Str(peer)),
                ("tree_size", Val::Int(*tree_size)),
                ("root_hash", Val::Hex(root_hash)),
                ("key_id", Val::KeyId(key_id)),
            ],
            Act::CosignatureSent {
                peer,
                tree_size,
                root_hash,
            } => &[
                ("peer", Val::Str(peer)),
                ("tree_size", Val::Int(*tree_size)),
                ("root_hash", Val::Hex(root_hash)),
            ],
        };
        fields_of(self.time, &self.actor, self.act.kind(), object, extra)
    }

    /// The canonical bytes of the entry (what is hashed into the log).
    pub fn encode(&self) -> Result<Vec<u8>, TlogError> {
        let fields = self.fields();
        check_fields(self.time, &fields)?;
        write_fields(&fields)
    }

    /// The entry's leaf hash in the log: `SHA-256(0x00 || encode())`.
    pub fn leaf_hash(&self) -> Result<Hash, TlogError> {
        Ok(merkle::leaf_hash(&self.encode()?))
    }

    /// Decodes canonical entry bytes. Anything that [`Entry::encode`] would not produce
    /// byte for byte is rejected.
    pub fn decode(bytes: &[u8]) -> Result<Self, TlogError> {
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(TlogError::entry(format!(
                "longer than {MAX_ENTRY_LEN} bytes"
            )));
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| TlogError::entry(format!("not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(TlogError::entry("not a JSON object"));
        };
        let mut r = Reader {
            map,
            used: Vec::new(),
        };
        let v = r.int("v")?;
        if v != ENTRY_FORMAT_VERSION {
            return Err(TlogError::entry(format!("unsupported format version {v}")));
        }
        let kind = r.string("kind")?;
        let time = r.int("time")?;
        let actor = r.string("actor")?;
        let act = match kind.as_str() {
            "object-stored" => Act::ObjectStored {
                object: r.object()?,
            },
            "object-received" => Act::ObjectReceived {
                object: r.object()?,
                peer: r.string("peer")?,
            },
            "object-sent" => Act::ObjectSent {
                object: r.object()?,
                peer: r.string("peer")?,
                rule: r.string("rule")?,
            },
            "object-withheld" => Act::ObjectWithheld {
                object: r.object()?,
                peer: r.string("peer")?,
                reason: r.string("reason")?,
            },
            "peer-added" => Act::PeerAdded {
                peer: r.string("peer")?,
                peer_key: r.hash("peer_key")?,
            },
            "peer-removed" => Act::PeerRemoved {
                peer: r.string("peer")?,
            },
            "policy-changed" => Act::PolicyChanged {
                policy_sha256: r.hash("policy_sha256")?,
            },
            "charter-installed" => Act::CharterInstalled {
                federation: r.hash("federation")?,
            },
            "proposal-closed" => Act::ProposalClosed {
                proposal: r.string("proposal")?,
                outcome: r.string("outcome")?,
                tally_sha256: r.hash("tally_sha256")?,
            },
            "user-added" => Act::UserAdded {
                user: r.string("user")?,
                role: r.string("role")?,
            },
            "object-deleted" => Act::ObjectDeleted {
                object: r.object()?,
                collection: r.string("collection")?,
            },
            "user-removed" => Act::UserRemoved {
                user: r.string("user")?,
            },
            "user-role-changed" => Act::UserRoleChanged {
                user: r.string("user")?,
                role: r.string("role")?,
            },
            "token-revoked" => Act::TokenRevoked {
                user: r.string("user")?,
                token_id: r.string("token_id")?,
            },
            "token-issued" => Act::TokenIssued {
                user: r.string("user")?,
                token_id: r.string("token_id")?,
                expires: r.optional_string("expires")?,
            },
            "grant-changed" => Act::GrantChanged {
                user: r.string("user")?,
                collection: r.string("collection")?,
                can_read: r.boolean("can_read")?,
                can_write: r.boolean("can_write")?,
            },
            "receipt-received" => Act::ReceiptReceived {
                peer: r.string("peer")?,
                log_size: r.int("log_size")?,
                receipt_sha256: r.hash("receipt_sha256")?,
            },
            "cosignature-received" => Act::CosignatureReceived {
                peer: r.string("peer")?,
                tree_size: r.int("tree_size")?,
                root_hash: r.hash("root_hash")?,
                key_id: r.key_id("key_id")?,
            },
            "cosignature-sent" => Act::CosignatureSent {
                peer: r.string("peer")?,
                tree_size: r.int("tree_size")?,
                root_hash: r.hash("root_hash")?,
            },
            other => return Err(TlogError::entry(format!("unknown kind {other:?}"))),
        };
        if let Some(k) = r.map.keys().find(|k| !r.used.contains(&k.as_str())) {
            return Err(TlogError::entry(format!(
                "unknown field {k:?} for kind {kind}"
            )));
        }
        let entry = Entry { time, actor, act };
        if entry.encode()? != bytes {
            return Err(TlogError::entry("not in canonical form"));
        }
        Ok(entry)
    }
}

struct Reader {
    map: serde_json::Map<String, Value>,
    used: Vec<&'static str>,
}

impl Reader {
    fn get(&mut self, k: &'static str) -> Result<&Value, TlogError> {
        self.used.push(k);
        self.map
            .get(k)
            .ok_or_else(|| TlogError::entry(format!("missing field {k}")))
    }
    fn string(&mut self, k: &'static str) -> Result<String, TlogError> {
        match self.get(k)? {
            Value::String(s) => Ok(s.clone()),
            _ => Err(TlogError::entry(format!("field {k} is not a string"))),
        }
    }
    /// A string field that may be absent (never `null`, never empty: [`Entry::encode`] leaves
    /// an absent value out).
    fn optional_string(&mut self, k: &'static str) -> Result<Option<String>, TlogError> {
        if self.map.contains_key(k) {
            self.string(k).map(Some)
        } else {
            Ok(None)
        }
    }
    fn boolean(&mut self, k: &'static str) -> Result<bool, TlogError> {
        self.get(k)?
            .as_bool()
            .ok_or_else(|| TlogError::entry(format!("field {k} is not a boolean")))
    }
    fn int(&mut self, k: &'static str) -> Result<u64, TlogError> {
        self.get(k)?
            .as_u64()
            .ok_or_else(|| TlogError::entry(format!("field {k} is not a non-negative integer")))
    }
    fn hash(&mut self, k: &'static str) -> Result<Hash, TlogError> {
        let s = self.string(k)?;
        let bytes = hex::decode(&s)
            .ok()
            .and_then(|b| <Hash>::try_from(b).ok())
            .filter(|_| s.bytes().all(|b| !b.is_ascii_uppercase()))
            .ok_or_else(|| TlogError::entry(format!("field {k} is not 64 lowercase hex digits")))?;
        Ok(bytes)
    }
    fn key_id(&mut self, k: &'static str) -> Result<[u8; 4], TlogError> {
        let s = self.string(k)?;
        hex::decode(&s)
            .ok()
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .filter(|_| s.bytes().all(|b| !b.is_ascii_uppercase()))
            .ok_or_else(|| TlogError::entry(format!("field {k} is not 8 lowercase hex digits")))
    }
    fn object(&mut self) -> Result<ObjectRef, TlogError> {
        Ok(ObjectRef {
            id: self.string("object_id")?,
            version: self.string("object_version")?,
            sha256: self.hash("object_sha256")?,
        })
    }
}

/// Writes `s` as an RFC 8785 JSON string: `"` and `\` escaped, the short escapes for
/// backspace, tab, newline, form feed and carriage return, `\u00xx` (lowercase) for the other
/// control characters, everything else as is.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    // Most strings (ids, timestamps, names) need no escape: copy them whole.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> ObjectRef {
        ObjectRef {
            id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".into(),
            version: "2024-01-01T00:00:00.000Z".into(),
            sha256: sha256(b"{}"),
        }
    }

    #[test]
    fn encoding_is_canonical_and_round_trips() {
        let e = Entry::new(
            1_700_000_000_123,
            "alice",
            Act::ObjectSent {
                object: obj(),
                peer: "beta.example/node".into(),
                rule: "tlp:green to members".into(),
            },
        )
        .unwrap();
        let b = e.encode().unwrap();
        let s = std::str::from_utf8(&b).unwrap();
        assert_eq!(
            s,
            "{\"actor\":\"alice\",\"kind\":\"object-sent\",\"object_id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\",\
             \"object_sha256\":\"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\
             \"object_version\":\"2024-01-01T00:00:00.000Z\",\"peer\":\"beta.example/node\",\
             \"rule\":\"tlp:green to members\",\"time\":1700000000123,\"v\":1}"
        );
        assert_eq!(Entry::decode(&b).unwrap(), e);
    }

    #[test]
    fn encode_object_stored_matches_encode() {
        for (actor, id) in [
            ("local", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            ("a\"b\n\u{1}é", "x--\\y"),
        ] {
            let o = ObjectRef {
                id: id.into(),
                version: "2024-01-01T00:00:00.000Z".into(),
                sha256: sha256(b"{}"),
            };
            let e = Entry {
                time: 1_700_000_000_123,
                actor: actor.into(),
                act: Act::ObjectStored { object: o.clone() },
            };
            assert_eq!(
                encode_object_stored(e.time, actor, &o.id, &o.version, &o.sha256).unwrap(),
                e.encode().unwrap()
            );
        }
        assert!(encode_object_stored(1, "", "x", "y", &[0; 32]).is_err());
        assert!(encode_object_stored(MAX_TIME + 1, "a", "x", "y", &[0; 32]).is_err());
    }

    #[test]
    fn receipt_received_round_trips() {
        let e = Entry::new(
            7,
            "local",
            Act::ReceiptReceived {
                peer: "bravo".into(),
                log_size: 42,
                receipt_sha256: sha256(b"r"),
            },
        )
        .unwrap();
        let b = e.encode().unwrap();
        let s = std::str::from_utf8(&b).unwrap();
        assert!(s.starts_with("{\"actor\":\"local\",\"kind\":\"receipt-received\",\"log_size\":42,\"peer\":\"bravo\",\"receipt_sha256\":\""), "{s}");
        assert_eq!(Entry::decode(&b).unwrap(), e);
    }

    #[test]
    fn cosignature_acts_round_trip() {
        let received = Entry::new(
            7,
            "peer:alpha",
            Act::CosignatureReceived {
                peer: "alpha".into(),
                tree_size: 12,
                root_hash: [0xab; 32],
                key_id: [0x01, 0x2f, 0xa0, 0xff],
            },
        )
        .unwrap();
        let b = received.encode().unwrap();
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            format!(
                "{{\"actor\":\"peer:alpha\",\"key_id\":\"012fa0ff\",\"kind\":\"cosignature-received\",\
                 \"peer\":\"alpha\",\"root_hash\":\"{}\",\"time\":7,\"tree_size\":12,\"v\":1}}",
                "ab".repeat(32)
            )
        );
        assert_eq!(Entry::decode(&b).unwrap(), received);
        assert_eq!(received.act.kind(), COSIGNATURE_KINDS[0]);

        let sent = Entry::new(
            8,
            "local",
            Act::CosignatureSent {
                peer: "bravo".into(),
                tree_size: 0,
                root_hash: sha256(b""),
            },
        )
        .unwrap();
        let b = sent.encode().unwrap();
        let s = std::str::from_utf8(&b).unwrap();
        assert!(
            s.starts_with("{\"actor\":\"local\",\"kind\":\"cosignature-sent\",\"peer\":\"bravo\",\"root_hash\":\"e3b0c442"),
            "{s}"
        );
        assert!(s.ends_with(",\"time\":8,\"tree_size\":0,\"v\":1}"), "{s}");
        assert_eq!(Entry::decode(&b).unwrap(), sent);
        assert_eq!(sent.act.kind(), COSIGNATURE_KINDS[1]);
        assert!(sent.act.object().is_none());

        // The key ID is exactly 8 lowercase hex digits; a sent entry carries no key ID, and
        // no field may be missing.
        let text = std::str::from_utf8(&received.encode().unwrap())
            .unwrap()
            .to_owned();
        for bad in [
            text.replace("012fa0ff", "012FA0FF"),
            text.replace("012fa0ff", "012fa0"),
            text.replace("012fa0ff", "012fa0ff00"),
            text.replace("\"key_id\":\"012fa0ff\",", ""),
            text.replace("\"tree_size\":12,", ""),
            text.replace("cosignature-received", "cosignature-sent"),
        ] {
            assert!(Entry::decode(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(
            Entry::new(
                1,
                "local",
                Act::CosignatureSent {
                    peer: String::new(),
                    tree_size: 1,
                    root_hash: [0; 32]
                }
            )
            .is_err()
        );
    }

    #[test]
    fn governance_acts_round_trip_in_their_canonical_form() {
        let closed = Entry::new(
            9,
            "local",
            Act::ProposalClosed {
                proposal: "x-pacific-gov-act--1".into(),
                outcome: "adopted".into(),
                tally_sha256: [0xcd; 32],
            },
        )
        .unwrap();
        let b = closed.encode().unwrap();
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            format!(
                "{{\"actor\":\"local\",\"kind\":\"proposal-closed\",\"outcome\":\"adopted\",\
                 \"proposal\":\"x-pacific-gov-act--1\",\"tally_sha256\":\"{}\",\"time\":9,\"v\":1}}",
                "cd".repeat(32)
            )
        );
        assert_eq!(Entry::decode(&b).unwrap(), closed);
        let installed = Entry::new(
            10,
            "local",
            Act::CharterInstalled {
                federation: [0x01; 32],
            },
        )
        .unwrap();
        let b = installed.encode().unwrap();
        assert_eq!(Entry::decode(&b).unwrap(), installed);
        let text = std::str::from_utf8(&b).unwrap();
        assert!(text.contains("\"kind\":\"charter-installed\""), "{text}");
        assert!(Entry::decode(text.replace("\"federation\"", "\"federal\"").as_bytes()).is_err());
    }

    #[test]
    fn user_and_deletion_acts_round_trip_and_refuse_what_encode_would_not_write() {
        let acts = [
            Act::ObjectDeleted {
                object: obj(),
                collection: "c0ffee00-0000-4000-8000-000000000001".into(),
            },
            Act::UserRemoved { user: "ana".into() },
            Act::UserRoleChanged {
                user: "ana".into(),
                role: "reader".into(),
            },
            Act::TokenRevoked {
                user: "ana".into(),
                token_id: "0a1b2c3d4e5f".into(),
            },
            Act::TokenIssued {
                user: "ana".into(),
                token_id: "0a1b2c3d4e60".into(),
                expires: None,
            },
            Act::TokenIssued {
                user: "ana".into(),
                token_id: "0a1b2c3d4e61".into(),
                expires: Some("2026-06-01T00:00:00Z".into()),
            },
            Act::GrantChanged {
                user: "ana".into(),
                collection: "c0ffee00-0000-4000-8000-000000000001".into(),
                can_read: true,
                can_write: false,
            },
        ];
        for act in acts {
            let e = Entry::new(9, "admin", act).unwrap();
            let b = e.encode().unwrap();
            assert_eq!(
                Entry::decode(&b).unwrap(),
                e,
                "{}",
                String::from_utf8_lossy(&b)
            );
        }
        let grant = std::str::from_utf8(
            &Entry::new(
                9,
                "admin",
                Act::GrantChanged {
                    user: "ana".into(),
                    collection: "c".into(),
                    can_read: true,
                    can_write: false,
                },
            )
            .unwrap()
            .encode()
            .unwrap(),
        )
        .unwrap()
        .to_owned();
        assert_eq!(
            grant,
            "{\"actor\":\"admin\",\"can_read\":true,\"can_write\":false,\"collection\":\"c\",\
             \"kind\":\"grant-changed\",\"time\":9,\"user\":\"ana\",\"v\":1}"
        );
        let issued = std::str::from_utf8(
            &Entry::new(
                9,
                "admin",
                Act::TokenIssued {
                    user: "ana".into(),
                    token_id: "01".into(),
                    expires: Some("2026-06-01T00:00:00Z".into()),
                },
            )
            .unwrap()
            .encode()
            .unwrap(),
        )
        .unwrap()
        .to_owned();
        for bad in [
            grant.replace("\"can_read\":true", "\"can_read\":\"true\""),
            grant.replace("\"can_read\":true", "\"can_read\":1"),
            grant.replace("\"can_write\":false,", ""),
            issued.replace("\"2026-06-01T00:00:00Z\"", "null"),
            issued.replace("\"2026-06-01T00:00:00Z\"", "\"\""),
        ] {
            assert!(Entry::decode(bad.as_bytes()).is_err(), "{bad}");
        }
        // An absent expiry is left out, never written empty.
        assert!(
            Entry::new(
                1,
                "admin",
                Act::TokenIssued {
                    user: "ana".into(),
                    token_id: "01".into(),
                    expires: Some(String::new()),
                }
            )
            .is_err()
        );
    }

    #[test]
    fn escapes_follow_rfc_8785() {
        let mut s = String::new();
        write_json_string(&mut s, "a\"b\\c\n\u{1}\u{7f}é\u{2028}");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001\u{7f}é\u{2028}\"");
    }
}
