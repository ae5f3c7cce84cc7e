//! What crosses the wire between nodes and to clients, in one place, shared by the server
//! (`crate::http`), the services and the clients: federation envelopes and acks
//! (`envelope`), the peer header (`peer_header`), the `/coop` API's command bodies (`coop`), the admin API's bodies (`users`), the transparency log's views and proofs, and
//! the witness exchange. A change here is a protocol change.

pub mod coop;
pub mod envelope;
pub mod gov;
pub mod peer_header;
pub mod registry;
pub mod users;

/// Most entries one `GET /log/entries` returns.
pub const MAX_ENTRIES: u64 = 1000;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry as `GET /log/entries` serves it. To a peer, an entry the policy gate holds back
/// is `redacted`: its index and leaf hash only.
#[derive(Debug, Serialize, Deserialize)]
pub struct EntryView {
    pub index: u64,
    /// Hex RFC 9162 leaf hash of the entry's bytes.
    pub leaf_hash: String,
    /// The exact entry bytes, standard base64; absent when redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_b64: Option<String>,
    /// The entry decoded, for reading; absent when redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Value>,
    /// Whether the entry is held back from this reader (a peer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
}

/// `GET /log/proof/inclusion`.
#[derive(Debug, Serialize, Deserialize)]
pub struct InclusionProofView {
    pub index: u64,
    pub size: u64,
    /// Hex root of the tree of `size` entries.
    pub root: String,
    /// Hex proof hashes, RFC 9162 order.
    pub hashes: Vec<String>,
}

/// `GET /log/proof/consistency`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConsistencyProofView {
    pub old: u64,
    pub new: u64,
    pub old_root: String,
    pub new_root: String,
    pub hashes: Vec<String>,
}

/// `POST /log/cosign` body: another log's signed checkpoint, the log's key, and the
/// consistency proof from the checkpoint this witness saw last of that log (empty the first
/// time; ask `GET /log/proof/consistency?old=<last size>&new=<size>` of the log).
///
/// The key is taken from the request: if the origin names a registered peer's key
/// (`pacific/<name>/<key prefix>`), it must be that peer's key; otherwise it is trusted on
/// first use, and the witness checks that it also verifies the last checkpoint it recorded
/// for that origin, so a key cannot be swapped later.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CosignRequest {
    /// The signed checkpoint note.
    pub checkpoint: String,
    /// The log's verifier key (`vkey`); its name must be the checkpoint's origin.
    pub vkey: String,
    /// Hex consistency proof hashes from the witness's last seen size.
    #[serde(default)]
    pub proof: Vec<String>,
}

/// `POST /log/cosignatures` body: a witness's cosignature of one of this log's checkpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CosignaturePush {
    /// This log's signed checkpoint, as the witness verified it (other signature lines, e.g.
    /// other witnesses' cosignatures, are ignored).
    pub checkpoint: String,
    /// The witness's cosignature line of that checkpoint (`— <name> <base64>`).
    pub cosignature: String,
    /// The witness's cosignature verifier key (`vkey`, type 0x04). Its name is the witness's
    /// log origin (`pacific/<name>/<first 8 bytes of its identity key, hex>`).
    pub cosigner_vkey: String,
    /// [`sign_cosigner_key`]: the witness's registered identity key binding `cosigner_vkey` to
    /// the witness's party id.
    pub statement: String,
}

/// `POST /log/cosignatures` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CosignatureAnswer {
    /// Whether the cosignature is now the witness's kept one.
    pub kept: bool,
    /// Whether a `cosignature-received` entry was appended for it (absent from older nodes).
    #[serde(default)]
    pub logged: bool,
    /// The witness's party id.
    pub witness: String,
    /// The cosigned checkpoint's tree size.
    pub size: u64,
}
