//! The node's transparency log over HTTP, its checkpoint publisher, the witness endpoint, the
//! endpoint where peers hand in their cosignatures of this log, and the verification client.
//!
//! Routes (who may call each is in the authorisation table, `crate::authz::ROUTES`: the reads
//! take a user of any role or a peer's signed `Pacific-Peer` request; `POST /log/cosign` takes
//! admins and peers; `POST /log/cosignatures` takes peers only):
//!
//! | route | answer |
//! |---|---|
//! | `GET /log/checkpoint` | the latest signed checkpoint (C2SP signed note), `text/plain`, followed by the cosignature lines of the witnesses that cosigned exactly that checkpoint |
//! | `GET /log/checkpoint/cosigned` | the newest checkpoint that witnesses cosigned, with all their cosignature lines, `text/plain`; 404 while no witness has cosigned one |
//! | `GET /log/key` | the log's verifier key (`vkey`), `text/plain` — trust it out of band |
//! | `GET /log/witness-key` | this node's cosignature key as a witness: `{party, identity_key, cosigner_vkey, statement}`; the statement ([`sign_cosigner_key`]) binds the key to the party under its identity key, so whoever knows that identity key can check this node's cosignature lines |
//! | `GET /log/entries?start=&end=` | `{"entries": [{index, leaf_hash, entry_b64, entry}]}`, at most [`MAX_ENTRIES`]; to a peer, an entry the gate holds back is `{index, leaf_hash, "redacted": true}` (`crate::federation::log_view`) |
//! | `GET /log/proof/inclusion?index=&size=` | `{index, size, root, hashes}` (hex) |
//! | `GET /log/proof/consistency?old=&new=` | `{old, new, old_root, new_root, hashes}` (hex) |
//! | `POST /log/cosign` | witness another log's checkpoint: [`CosignRequest`] in, cosignature line out |
//! | `POST /log/cosignatures` | a peer's cosignature of one of this log's checkpoints: [`CosignaturePush`] in, [`CosignatureAnswer`] (`{"kept", "logged", "witness", "size"}`) out |
//!
//! `POST /log/cosignatures` answers 401 without a valid peer signature, 403 to a user token
//! (only peers witness) or when the statement binding the cosignature key is not signed by the
//! peer's registered identity key, 400 for bad input (not JSON, a malformed key or line, a
//! checkpoint not signed by this log, a cosignature that does not verify, a timestamp in the
//! future), and 409 (`log-conflict`) for a checkpoint signed with this log's key whose root is
//! not this log's root at that size: a witness was shown another history of this log. That
//! checkpoint and its cosignature are kept as split-view evidence about this log's own origin
//! and a warning is logged. Only accepted cosignatures are stored, the latest per witness, with
//! their `cosignature-received` log entry (by `peer:<witness>`: the witness, size, root hash and
//! key ID) in the same transaction ([`Store::add_cosignature`]) when they attest something new:
//! a larger tree than the witness's kept cosignature whose new entries are not all cosignature
//! acts. A cosignature handed in again, or of a checkpoint that grew only by the entries logging
//! cosignatures, is kept without an entry, so witnessing does not grow the log forever. The
//! answer's `logged` says whether it was logged; the witness logs its `cosignature-sent` only
//! then, so both logs record the same exchange once.
//!
//! Bad ranges (an index not below the size, a size beyond the log, `start > end`, too many
//! entries) are 400. `entry` is the decoded JSON for reading; `entry_b64` the exact bytes that
//! are hashed, which a verifier must use.
//!
//! The log's identity: its origin is `pacific/<party>/<first 8 bytes of the public key, hex>`
//! (spaces and `+` in the party name become `-`), which is also the signing key's name. The
//! checkpoint key is the node's Ed25519 identity key; cosignatures use a key derived from it
//! (SHA-256 of a label and the secret), so the two kinds of signature never share a key.
//! [`LogState::cosign`] is the one place this node cosigns, for `POST /log/cosign` and for the
//! pull witness (`crate::witness`). Since nobody can derive the cosignature key from the public
//! identity key, a witness pushing its cosignature binds that key to its party with a statement
//! signed by its identity key ([`cosigner_key_statement`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use pacific_core::Timestamp;
use pacific_store::{SplitViewEvidence, Store, StoreError, StoredCheckpoint, StoredCosignature};
use pacific_tlog::TlogError;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, Cosigner};
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::{self, Hash, MemoryTree};
use pacific_tlog::signed_note::{Ed25519Signer, Ed25519Verifier, Note, NoteSignature};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::NodeError;
use crate::authz::Principal;
use crate::error::ApiError;
use crate::server::AppState;

/// How often the publisher looks for growth and signs a new checkpoint.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(2);

/// Most entries one `GET /log/entries` returns.
pub const MAX_ENTRIES: u64 = 1000;

/// Largest `POST /log/cosign` body.
const MAX_COSIGN_BODY: usize = 256 * 1024;

const TEXT: &str = "text/plain; charset=utf-8";

/// The log's identity: origin, checkpoint signer and witness cosigner.
pub struct LogState {
    origin: String,
    signer: Ed25519Signer,
    cosigner: Cosigner,
    /// Serialises witnessing (read the last seen checkpoint, check, record):
    /// `crate::witness::observe` holds it.
    witness_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LogState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogState")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// The origin of the log of party `party` with public key `key`.
pub fn log_origin(party: &str, key: &VerifyingKey) -> String {
    let name: String = party
        .trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '+' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let name = if name.is_empty() {
        "node".to_owned()
    } else {
        name
    };
    format!("pacific/{name}/{}", hex::encode(&key.as_bytes()[..8]))
}

impl LogState {
    /// The log identity of party `party` with identity key `key`.
    pub fn new(party: &str, key: SigningKey) -> Result<Self, NodeError> {
        let origin = log_origin(party, &key.verifying_key());
        let signer = Ed25519Signer::new(origin.clone(), key.clone())
            .map_err(|e| NodeError::Setup(format!("log key: {e}")))?;
        let mut seed = Sha256::new();
        seed.update(b"pacific witness cosigning key v1\n");
        seed.update(key.to_bytes());
        let cosign_key = SigningKey::from_bytes(&seed.finalize().into());
        let cosigner = Cosigner::new(origin.clone(), cosign_key)
            .map_err(|e| NodeError::Setup(format!("cosigning key: {e}")))?;
        Ok(Self {
            origin,
            signer,
            cosigner,
            witness_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// A log identity with a fresh random key (nodes built from parts, in tests).
    pub fn ephemeral(party: &str) -> Self {
        Self::new(party, SigningKey::from_bytes(&crate::random_bytes::<32>()))
            .expect("a fresh key makes a valid log identity")
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Held while a checkpoint of another log is witnessed (`crate::witness::observe`).
    pub(crate) async fn witness_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.witness_lock.lock().await
    }

    /// The verifier of this log's checkpoints.
    pub fn verifier(&self) -> Ed25519Verifier {
        self.signer.verifier()
    }

    /// The verifier of this node's cosignatures (as a witness).
    pub fn cosignature_verifier(&self) -> CosignatureVerifier {
        self.cosigner.verifier()
    }

    /// Cosigns another log's `checkpoint` now (C2SP `cosignature/v1`, timestamped with the
    /// current time) with this node's cosigning key. The caller has verified the checkpoint and
    /// checked it against the last one seen of that log. The only place this node cosigns.
    pub fn cosign(&self, checkpoint: &Checkpoint) -> Result<NoteSignature, NodeError> {
        let now = u64::try_from(Timestamp::now().unix().0).unwrap_or(0);
        self.cosigner
            .cosign(checkpoint, now)
            .map_err(|e| NodeError::Setup(format!("cosigning: {e}")))
    }
}

/// The statement a witness signs with its identity key to bind its cosignature key (`vkey`) to
/// its party: `"pacific-cosigner-key/v1\n" + party id + "\n" + vkey + "\n"`.
pub fn cosigner_key_statement(party: &str, vkey: &str) -> String {
    format!("pacific-cosigner-key/v1\n{party}\n{vkey}\n")
}

/// The statement binding `vkey` to `party`, signed with `identity` (standard base64).
pub fn sign_cosigner_key(identity: &SigningKey, party: &str, vkey: &str) -> String {
    use ed25519_dalek::Signer as _;
    let sig = identity.sign(cosigner_key_statement(party, vkey).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
}

/// Whether `statement` (standard base64) is `identity`'s signature binding `vkey` to `party`.
pub fn verify_cosigner_key(
    identity: &VerifyingKey,
    party: &str,
    vkey: &str,
    statement: &str,
) -> bool {
    let Some(sig) = base64::engine::general_purpose::STANDARD
        .decode(statement.trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    identity
        .verify_strict(
            cosigner_key_statement(party, vkey).as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .is_ok()
}

fn tlog_err(what: &str) -> impl Fn(TlogError) -> NodeError + '_ {
    move |e| NodeError::Input(format!("{what}: {e}"))
}

/// Signs and stores a checkpoint of the current log if the log grew since the latest one (or
/// none exists yet). Returns the latest checkpoint either way.
pub async fn publish_checkpoint(
    store: &dyn Store,
    log: &LogState,
) -> Result<StoredCheckpoint, NodeError> {
    let latest = store.latest_checkpoint().await?;
    let size = store.log_size().await?;
    if let Some(latest) = latest
        && latest.size >= size
    {
        return Ok(latest);
    }
    let root = store.log_root(size).await?;
    let cp = Checkpoint::new(log.origin.clone(), size, root).map_err(tlog_err("checkpoint"))?;
    let note = sign_checkpoint(&cp, &log.signer)
        .map_err(tlog_err("signing the checkpoint"))?
        .to_string();
    store.put_checkpoint(size, &note).await?;
    Ok(StoredCheckpoint { size, note })
}

/// Runs [`publish_checkpoint`] every [`PUBLISH_INTERVAL`] until the task is aborted.
pub fn spawn_publisher(store: Arc<dyn Store>, log: Arc<LogState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PUBLISH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = None;
        loop {
            tick.tick().await;
            match publish_checkpoint(store.as_ref(), &log).await {
                Ok(cp) => {
                    if last != Some(cp.size) {
                        tracing::debug!(size = cp.size, "published log checkpoint");
                        last = Some(cp.size);
                    }
                }
                Err(e) => tracing::error!(error = %e, "publishing the log checkpoint failed"),
            }
        }
    })
}

// -------------------------------------------------------------------------------------------
// Routes

/// The `/log` routes; `log` is the node's log identity.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/checkpoint/cosigned", get(cosigned_checkpoint))
        .route("/log/key", get(key))
        .route("/log/witness-key", get(witness_key))
        .route("/log/entries", get(entries))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
        .route("/log/cosign", post(cosign))
        .route("/log/cosignatures", post(receive_cosignature))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_COSIGN_BODY))
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Log(m) => ApiError::BadRequest(m),
        other => other.into(),
    }
}

fn node_err(e: NodeError) -> ApiError {
    match e {
        NodeError::Store(e) => store_err(e),
        other => ApiError::Internal(other.to_string()),
    }
}

fn number(q: &HashMap<String, String>, name: &str) -> Result<u64, ApiError> {
    let v = q
        .get(name)
        .ok_or_else(|| ApiError::BadRequest(format!("query parameter {name} is required")))?;
    v.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "query parameter {name}={v:?} is not a non-negative integer"
        ))
    })
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, TEXT)], body).into_response()
}

async fn checkpoint(State(state): State<AppState>, _who: Principal) -> Result<Response, ApiError> {
    let log = state.log();
    let cp = match state.store().latest_checkpoint().await.map_err(store_err)? {
        Some(cp) => cp,
        None => publish_checkpoint(state.store().as_ref(), log)
            .await
            .map_err(node_err)?,
    };
    let cosigned = with_cosignatures(state.store().as_ref(), cp)
        .await
        .map_err(node_err)?;
    Ok(text(cosigned.note))
}

async fn cosigned_checkpoint(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Response, ApiError> {
    match newest_cosigned(state.store().as_ref())
        .await
        .map_err(node_err)?
    {
        Some(c) => Ok(text(c.note)),
        None => Err(ApiError::NotFound(
            "a cosigned checkpoint (no witness has cosigned a checkpoint of this log yet)".into(),
        )),
    }
}

/// One of this log's checkpoints with the cosignatures witnesses made of exactly it.
#[derive(Clone, Debug)]
pub struct CosignedCheckpoint {
    pub size: u64,
    /// The signed note: this log's signature, then one cosignature line per witness.
    pub note: String,
    /// The cosignatures on `note`, by witness.
    pub cosignatures: Vec<StoredCosignature>,
}

/// Adds the cosignature lines of `cosignatures` that are of exactly `note`'s checkpoint (same
/// size and body) to `note`. Lines that do not parse (a corrupt row) are left out.
fn attach(note: &str, size: u64, cosignatures: &[StoredCosignature]) -> CosignedCheckpoint {
    let mut out = CosignedCheckpoint {
        size,
        note: note.to_owned(),
        cosignatures: Vec::new(),
    };
    let Ok(mut parsed) = Note::parse(note) else {
        return out;
    };
    for c in cosignatures.iter().filter(|c| c.size == size) {
        let same = Note::parse(&c.checkpoint).is_ok_and(|n| n.text() == parsed.text());
        let added = same
            && NoteSignature::from_line(&c.line)
                .and_then(|sig| parsed.add_signature(sig))
                .is_ok();
        if added {
            out.cosignatures.push(c.clone());
        } else {
            tracing::warn!(witness = %c.witness, size, "a kept cosignature is not of this checkpoint or does not parse; left out");
        }
    }
    out.note = parsed.to_string();
    out
}

/// `cp` (one of this log's published checkpoints) with the cosignatures kept of exactly it.
pub async fn with_cosignatures(
    store: &dyn Store,
    cp: StoredCheckpoint,
) -> Result<CosignedCheckpoint, NodeError> {
    let all = store.cosignatures().await?;
    Ok(attach(&cp.note, cp.size, &all))
}

/// The newest checkpoint of this log that witnesses cosigned, with all its cosignatures;
/// `None` while no witness has cosigned any.
pub async fn newest_cosigned(store: &dyn Store) -> Result<Option<CosignedCheckpoint>, NodeError> {
    let all = store.cosignatures().await?;
    // Largest tree first: the first row names the newest cosigned checkpoint.
    Ok(all.first().map(|c| attach(&c.checkpoint, c.size, &all)))
}

async fn key(State(state): State<AppState>, _who: Principal) -> Response {
    text(format!("{}\n", state.log().verifier().to_vkey()))
}

async fn witness_key(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<Json<Value>, ApiError> {
    let log = state.log();
    let fed = state.federation();
    let party = fed.local().id.as_str();
    let vkey = log.cosignature_verifier().to_vkey();
    Ok(Json(json!({
        "party": party,
        "identity_key": fed.public_key_hex(),
        "statement": sign_cosigner_key(fed.key(), party, &vkey),
        "cosigner_vkey": vkey,
    })))
}

/// One entry as `GET /log/entries` serves it. To a peer, an entry the policy gate holds back
/// is `redacted`: its index and leaf hash only (`crate::federation::log_view`).
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

async fn entries(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    who: Principal,
) -> Result<Response, ApiError> {
    let start = number(&q, "start")?;
    let end = number(&q, "end")?;
    if start > end {
        return Err(ApiError::BadRequest(format!(
            "start {start} is after end {end}"
        )));
    }
    if end - start > MAX_ENTRIES {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_ENTRIES} entries per request (asked for {})",
            end - start
        )));
    }
    let rows = state
        .store()
        .log_entries(start, end)
        .await
        .map_err(store_err)?;
    let mut views = Vec::with_capacity(rows.len());
    for e in rows {
        let shown = match who.peer() {
            None => true,
            Some(peer) => state
                .federation()
                .log_entry_visible_to(peer, &e.entry)
                .await
                .map_err(store_err)?,
        };
        views.push(EntryView {
            index: e.index,
            leaf_hash: hex::encode(merkle::leaf_hash(&e.entry)),
            entry_b64: shown.then(|| base64::engine::general_purpose::STANDARD.encode(&e.entry)),
            entry: shown.then(|| serde_json::from_slice(&e.entry).unwrap_or(Value::Null)),
            redacted: !shown,
        });
    }
    Ok(Json(json!({ "entries": views })).into_response())
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

fn hexes(h: &[Hash]) -> Vec<String> {
    h.iter().map(hex::encode).collect()
}

async fn inclusion(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    _who: Principal,
) -> Result<Response, ApiError> {
    let index = number(&q, "index")?;
    let size = number(&q, "size")?;
    if index >= size {
        return Err(ApiError::BadRequest(format!(
            "index {index} is not below size {size}"
        )));
    }
    let hashes = state
        .store()
        .log_inclusion_proof(index, size)
        .await
        .map_err(store_err)?;
    let root = state.store().log_root(size).await.map_err(store_err)?;
    Ok(Json(InclusionProofView {
        index,
        size,
        root: hex::encode(root),
        hashes: hexes(&hashes),
    })
    .into_response())
}

async fn consistency(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    _who: Principal,
) -> Result<Response, ApiError> {
    let old = number(&q, "old")?;
    let new = number(&q, "new")?;
    if old > new {
        return Err(ApiError::BadRequest(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    let hashes = state
        .store()
        .log_consistency_proof(old, new)
        .await
        .map_err(store_err)?;
    let old_root = state.store().log_root(old).await.map_err(store_err)?;
    let new_root = state.store().log_root(new).await.map_err(store_err)?;
    Ok(Json(ConsistencyProofView {
        old,
        new,
        old_root: hex::encode(old_root),
        new_root: hex::encode(new_root),
        hashes: hexes(&hashes),
    })
    .into_response())
}

// -------------------------------------------------------------------------------------------
// Witnessing

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

fn conflict(message: String, evidence: Option<&SplitViewEvidence>, latest: &str) -> Response {
    let body = json!({
        "title": "Conflict",
        "description": message,
        "error_code": "log-conflict",
        "http_status": "409",
        "latest_seen": latest,
        "evidence": evidence.map(|e| json!({
            "id": e.id,
            "origin": e.origin,
            "detected": e.detected.as_str(),
            "reason": e.reason,
            "kept_checkpoint": e.kept_note,
            "presented_checkpoint": e.new_note,
        })),
    });
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// `POST /log/cosign`: witness a checkpoint and cosign it. A peer presents its own log (by the
/// key it is registered with); an admin may present any other log, by its `vkey` (the
/// registered key when it is a peer's origin, else trusted on first use).
async fn cosign(
    State(state): State<AppState>,
    who: Principal,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let log = state.log();
    use crate::witness::{WitnessError, Witnessed, observe};
    let req: CosignRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("cosign request is not valid JSON: {e}")))?;
    let target = watched_log(&state, log, &who, &req).await?;
    let proof = req
        .proof
        .iter()
        .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| ApiError::BadRequest("proof hashes must be 64 hex digits each".into()))?;
    let store = state.store();
    let witnessed = observe(
        store.as_ref(),
        log,
        &target,
        &req.checkpoint,
        |_, _| async { Ok(proof) },
    )
    .await
    .map_err(|e| match e {
        WitnessError::Unverifiable(m) => ApiError::BadRequest(m),
        WitnessError::Inconsistent(m) => ApiError::Unprocessable(m),
        WitnessError::Proof(e) => ApiError::BadRequest(e.to_string()),
        WitnessError::Store(e) => store_err(e),
    })?;
    let origin = &target.origin;
    let latest = || async {
        Ok::<_, ApiError>(
            store
                .witnessed_checkpoint(origin)
                .await
                .map_err(store_err)?
                .map(|s| s.note)
                .unwrap_or_default(),
        )
    };
    match witnessed {
        Witnessed::SplitView {
            evidence_id,
            reason,
            ..
        } => {
            let evidence = store
                .split_view_evidence(origin)
                .await
                .map_err(store_err)?
                .into_iter()
                .find(|e| e.id == evidence_id);
            Ok(conflict(
                format!("split view of {origin}: {reason}"),
                evidence.as_ref(),
                &latest().await?,
            ))
        }
        Witnessed::Shrank { old, new, .. } => Ok(conflict(
            format!("checkpoint of size {new} is older than the size {old} already seen"),
            None,
            &latest().await?,
        )),
        Witnessed::First { .. } | Witnessed::Unchanged { .. } | Witnessed::Advanced { .. } => {
            let (cp, _) = open_checkpoint(&req.checkpoint, origin, &target.verifier)
                .map_err(|e| ApiError::BadRequest(format!("checkpoint: {e}")))?;
            let sig = log
                .cosign(&cp)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(text(sig.to_line()))
        }
    }
}

/// The log a `POST /log/cosign` asks about, and the key to check it with (see [`cosign`]).
async fn watched_log(
    state: &AppState,
    log: &LogState,
    who: &Principal,
    req: &CosignRequest,
) -> Result<crate::witness::WatchedLog, ApiError> {
    use crate::witness::{WatchedLog, WitnessError};
    let bad = |what: &str, e: TlogError| ApiError::BadRequest(format!("{what}: {e}"));
    let unverifiable = |e: WitnessError| ApiError::BadRequest(e.to_string());
    let verifier = Ed25519Verifier::from_vkey(req.vkey.trim()).map_err(|e| bad("vkey", e))?;
    let peers = state
        .federation()
        .store()
        .peers()
        .await
        .map_err(store_err)?;
    // The registered key decides for a peer's log, whoever presents it.
    let registered = |party: &str| {
        ApiError::BadRequest(format!(
            "the vkey is not the key registered for peer {party}"
        ))
    };
    if let Some(party) = who.peer() {
        let peer =
            peers
                .iter()
                .find(|p| p.party_id == *party)
                .ok_or_else(|| ApiError::Forbidden {
                    user: who.actor(),
                    action: "present a checkpoint (not a registered peer)".into(),
                })?;
        let target = WatchedLog::of_peer(peer, &req.checkpoint).map_err(unverifiable)?;
        if target.verifier.public_key() != verifier.public_key() {
            return Err(registered(party.as_str()));
        }
        return Ok(target);
    }
    let origin = pacific_tlog::signed_note::NoteVerifier::name(&verifier).to_owned();
    if origin == log.origin {
        return Err(ApiError::BadRequest(
            "a node does not witness its own log".into(),
        ));
    }
    for peer in &peers {
        if let Ok(own) = WatchedLog::of_peer(peer, &req.checkpoint)
            && own.origin == origin
            && own.verifier.public_key() != verifier.public_key()
        {
            return Err(registered(peer.party_id.as_str()));
        }
    }
    Ok(WatchedLog {
        origin,
        verifier,
        presenter: who.actor(),
    })
}

// -------------------------------------------------------------------------------------------
// Witnesses' cosignatures of this log

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

impl CosignaturePush {
    /// The push of `cosignature` of `checkpoint` by the node with identity key `identity`,
    /// party id `party` and log identity `log`.
    pub fn new(
        identity: &SigningKey,
        party: &str,
        log: &LogState,
        checkpoint: &str,
        cosignature: &NoteSignature,
    ) -> Self {
        let vkey = log.cosignature_verifier().to_vkey();
        CosignaturePush {
            checkpoint: checkpoint.to_owned(),
            cosignature: cosignature.to_line(),
            statement: sign_cosigner_key(identity, party, &vkey),
            cosigner_vkey: vkey,
        }
    }
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

/// Most a cosignature's timestamp may be ahead of this node's clock, in seconds.
const MAX_COSIGNATURE_AHEAD: u64 = 300;

async fn receive_cosignature(
    State(state): State<AppState>,
    who: Principal,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let log = state.log();
    let forbidden = |user: &str, action: &str| ApiError::Forbidden {
        user: user.to_owned(),
        action: action.to_owned(),
    };
    let fed = state.federation();
    let Some(party) = who.peer().map(|p| p.as_str()) else {
        return Err(forbidden(
            &who.actor(),
            "hand in cosignatures (only peers witness this log, with a Pacific-Peer request)",
        ));
    };
    let req: CosignaturePush = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("cosignature is not valid JSON: {e}")))?;
    let bad = |what: &str, e: TlogError| ApiError::BadRequest(format!("{what}: {e}"));

    // The witness: a registered peer whose identity key bound this cosignature key to it.
    let peer = fed
        .store()
        .peer(party)
        .await
        .map_err(store_err)?
        .ok_or_else(|| forbidden(&who.actor(), "hand in cosignatures (not a registered peer)"))?;
    let identity = crate::federation::parse_public_key(&peer.public_key).ok_or_else(|| {
        ApiError::Internal(format!("peer {party} has an unusable registered key"))
    })?;
    let vkey = req.cosigner_vkey.trim();
    let cosigner = CosignatureVerifier::from_vkey(vkey).map_err(|e| bad("cosigner_vkey", e))?;
    if !verify_cosigner_key(&identity, party, vkey, &req.statement) {
        return Err(forbidden(
            &who.actor(),
            "use a cosignature key that its registered identity key has not bound to it (statement does not verify)",
        ));
    }
    let name = pacific_tlog::signed_note::NoteVerifier::name(&cosigner);
    let suffix = format!("/{}", hex::encode(&identity.as_bytes()[..8]));
    if !name.starts_with("pacific/") || !name.ends_with(&suffix) {
        return Err(ApiError::BadRequest(format!(
            "the cosignature key's name {name:?} is not a log origin of peer {party}'s key ({suffix})"
        )));
    }

    // The checkpoint: one this log signed.
    let (cp, _) = open_checkpoint(&req.checkpoint, &log.origin, &log.verifier())
        .map_err(|e| bad("the checkpoint is not one this log signed", e))?;
    let sig = NoteSignature::from_line(&req.cosignature).map_err(|e| bad("cosignature", e))?;
    let timestamp = cosigner
        .verify_cosignature(&cp, &sig)
        .map_err(|e| bad("the cosignature does not verify with cosigner_vkey", e))?;
    let now = u64::try_from(Timestamp::now().unix().0).unwrap_or(0);
    if timestamp > now + MAX_COSIGNATURE_AHEAD {
        return Err(ApiError::BadRequest(format!(
            "the cosignature's time {timestamp} is ahead of this node's clock ({now})"
        )));
    }
    // Exactly this log's signature: the stored checkpoint carries no one else's lines.
    let ours = sign_checkpoint(&cp, &log.signer)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .to_string();

    // The root: this log's at that size, else a witness was shown another history of it.
    let store = state.store();
    let log_size = store.log_size().await.map_err(store_err)?;
    let root = if cp.size() <= log_size {
        Some(store.log_root(cp.size()).await.map_err(store_err)?)
    } else {
        None
    };
    if root.as_ref() != Some(cp.root()) {
        return another_history(store.as_ref(), log, party, &cp, root, &ours, &sig).await;
    }

    // Kept, and logged (`cosignature-received`, by the peer) in the same transaction when it
    // attests entries other than cosignature acts.
    let actor = who.actor();
    let added = store
        .add_cosignature(
            &StoredCosignature {
                witness: party.to_owned(),
                cosigner_vkey: cosigner.to_vkey(),
                key_statement: req.statement.trim().to_owned(),
                size: cp.size(),
                checkpoint: ours,
                line: sig.to_line(),
                timestamp,
                received: Timestamp::now(),
            },
            *cp.root(),
            &actor,
        )
        .await
        .map_err(store_err)?;
    tracing::debug!(witness = %party, size = cp.size(), kept = added.kept, entry = ?added.entry, "a witness cosigned this log's checkpoint");
    Ok(Json(CosignatureAnswer {
        kept: added.kept,
        logged: added.entry.is_some(),
        witness: party.to_owned(),
        size: cp.size(),
    })
    .into_response())
}

/// A checkpoint signed with this log's key whose root is not this log's at that size, cosigned
/// by witness `party`: kept (once) as split-view evidence about this log's own origin, beside
/// this log's true checkpoint of that size (or its latest, if the log never had that size).
async fn another_history(
    store: &dyn Store,
    log: &LogState,
    party: &str,
    cp: &Checkpoint,
    root: Option<Hash>,
    presented: &str,
    cosignature: &NoteSignature,
) -> Result<Response, ApiError> {
    let size = cp.size();
    let (kept_note, reason) = match root {
        Some(root) => {
            let truth = Checkpoint::new(log.origin.clone(), size, root)
                .and_then(|c| sign_checkpoint(&c, &log.signer))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            (
                truth.to_string(),
                format!(
                    "witness {party} cosigned a checkpoint of this log with root {} for tree size {size}; this log's root at that size is {}",
                    hex::encode(cp.root()),
                    hex::encode(root)
                ),
            )
        }
        None => {
            let latest = publish_checkpoint(store, log).await.map_err(node_err)?;
            (
                latest.note,
                format!(
                    "witness {party} cosigned a checkpoint of this log of tree size {size}; this log has {} entries",
                    latest.size
                ),
            )
        }
    };
    let new_note = format!("{presented}{}", cosignature.to_line());
    let known = store
        .split_view_evidence(&log.origin)
        .await
        .map_err(store_err)?;
    let evidence = match known
        .into_iter()
        .find(|k| k.new_note.starts_with(presented))
    {
        Some(k) => k,
        None => {
            let mut e = SplitViewEvidence {
                id: 0,
                origin: log.origin.clone(),
                detected: Timestamp::now(),
                reason: reason.clone(),
                kept_note: kept_note.clone(),
                new_note,
            };
            e.id = store.add_split_view_evidence(&e).await.map_err(store_err)?;
            e
        }
    };
    tracing::warn!(witness = %party, origin = %log.origin, %reason, evidence = evidence.id, "a witness was shown another history of this log (signed with this log's key); evidence kept");
    Ok(conflict(
        format!("another history of this log: {reason}"),
        Some(&evidence),
        &kept_note,
    ))
}

// -------------------------------------------------------------------------------------------
// Verification client

/// What [`verify_remote`] checked.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// One line per check made, in order.
    pub checks: Vec<String>,
    /// The verified checkpoint note (save it for the next `--since`).
    pub checkpoint: String,
    pub size: u64,
}

/// A log key given on the command line: a `vkey`, or 64 hex digits of an Ed25519 public key
/// (named after the checkpoint's origin).
pub fn parse_log_key(key: &str, origin: &str) -> Result<Ed25519Verifier, NodeError> {
    let key = key.trim();
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes: [u8; 32] = hex::decode(key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| NodeError::Input("bad hex key".into()))?;
        let vk = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| NodeError::Input(format!("not an Ed25519 public key: {e}")))?;
        return Ed25519Verifier::new(origin, vk).map_err(tlog_err("log key"));
    }
    Ed25519Verifier::from_vkey(key).map_err(tlog_err("log key (expected a vkey or 64 hex digits)"))
}

struct Remote {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Remote {
    async fn get(&self, path: &str, query: &[(&str, u64)]) -> Result<reqwest::Response, NodeError> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .query(query)
            .send()
            .await
            .map_err(|e| NodeError::Remote(format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            return Err(NodeError::Remote(format!(
                "GET {url}: {status}: {}",
                body.trim()
            )));
        }
        Ok(resp)
    }
    async fn text(&self, path: &str) -> Result<String, NodeError> {
        self.get(path, &[])
            .await?
            .text()
            .await
            .map_err(|e| NodeError::Remote(format!("reading {path}: {e}")))
    }
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, u64)],
    ) -> Result<T, NodeError> {
        self.get(path, query)
            .await?
            .json()
            .await
            .map_err(|e| NodeError::Remote(format!("{path}: unexpected answer: {e}")))
    }
}

fn parse_hashes(hs: &[String], what: &str) -> Result<Vec<Hash>, NodeError> {
    hs.iter()
        .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| NodeError::Input(format!("{what}: a hash is not 64 hex digits")))
}

/// Verifies a node's log over HTTP: the latest checkpoint's signature (with `key`, else with
/// the key the node serves at `/log/key`, trusted on first use); if `since` (an older signed
/// checkpoint of the same log) is given, a consistency proof from it; then every entry after
/// it: each decodes, its leaf hash matches, its inclusion proof verifies against the new
/// checkpoint, and (from an empty start) all entries rebuild the checkpoint's root.
pub async fn verify_remote(
    url: &str,
    token: &str,
    since: Option<&str>,
    key: Option<&str>,
) -> Result<VerifyReport, NodeError> {
    crate::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| NodeError::Setup(format!("HTTP client: {e}")))?;
    let remote = Remote {
        http,
        base: url.trim_end_matches('/').to_owned(),
        token: token.to_owned(),
    };
    let mut report = VerifyReport::default();

    let note_text = remote.text("/log/checkpoint").await?;
    let note = Note::parse(&note_text).map_err(tlog_err("the served checkpoint"))?;
    let body = Checkpoint::parse(note.text()).map_err(tlog_err("the served checkpoint"))?;
    let verifier = match key {
        Some(k) => parse_log_key(k, body.origin())?,
        None => {
            let vkey = remote.text("/log/key").await?;
            report.checks.push(format!(
                "no --key given: trusting the key the node serves ({})",
                vkey.trim()
            ));
            Ed25519Verifier::from_vkey(vkey.trim()).map_err(tlog_err("the served key"))?
        }
    };
    let origin = pacific_tlog::signed_note::NoteVerifier::name(&verifier).to_owned();
    let (new_cp, _) = open_checkpoint(&note_text, &origin, &verifier)
        .map_err(tlog_err("checkpoint signature"))?;
    report.checks.push(format!(
        "checkpoint signature OK: origin {origin}, size {}, root {}",
        new_cp.size(),
        hex::encode(new_cp.root())
    ));

    let old_size = match since {
        Some(old_text) => {
            let (old_cp, _) = open_checkpoint(old_text, &origin, &verifier)
                .map_err(tlog_err("the --since checkpoint"))?;
            if old_cp.size() > new_cp.size() {
                return Err(NodeError::Input(format!(
                    "the log shrank: size {} before, {} now",
                    old_cp.size(),
                    new_cp.size()
                )));
            }
            let p: ConsistencyProofView = remote
                .json(
                    "/log/proof/consistency",
                    &[("old", old_cp.size()), ("new", new_cp.size())],
                )
                .await?;
            let hashes = parse_hashes(&p.hashes, "consistency proof")?;
            merkle::verify_consistency(
                old_cp.size(),
                new_cp.size(),
                old_cp.root(),
                new_cp.root(),
                &hashes,
            )
            .map_err(|e| {
                NodeError::Input(format!(
                    "the log is NOT consistent with the old checkpoint (size {} to {}): {e}",
                    old_cp.size(),
                    new_cp.size()
                ))
            })?;
            report.checks.push(format!(
                "consistency proof OK: size {} -> {} ({} hashes)",
                old_cp.size(),
                new_cp.size(),
                hashes.len()
            ));
            old_cp.size()
        }
        None => 0,
    };

    let size = new_cp.size();
    let mut tree = (old_size == 0).then(MemoryTree::new);
    let mut pos = old_size;
    while pos < size {
        let end = (pos + MAX_ENTRIES).min(size);
        let page: EntriesView = remote
            .json("/log/entries", &[("start", pos), ("end", end)])
            .await?;
        if page.entries.len() as u64 != end - pos {
            return Err(NodeError::Input(format!(
                "asked for entries {pos}..{end}, got {}",
                page.entries.len()
            )));
        }
        for (i, e) in page.entries.iter().enumerate() {
            let index = pos + i as u64;
            if e.index != index {
                return Err(NodeError::Input(format!(
                    "entry {index} came back as index {}",
                    e.index
                )));
            }
            let leaf = match &e.entry_b64 {
                Some(b64) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| {
                            NodeError::Input(format!("entry {index}: entry_b64 is not base64"))
                        })?;
                    Entry::decode(&bytes).map_err(|err| {
                        NodeError::Input(format!("entry {index} is malformed: {err}"))
                    })?;
                    let leaf = merkle::leaf_hash(&bytes);
                    if hex::encode(leaf) != e.leaf_hash {
                        return Err(NodeError::Input(format!(
                            "entry {index}: served leaf hash does not match its bytes"
                        )));
                    }
                    leaf
                }
                // Held back from this reader: only its leaf hash, which the proof checks.
                None if e.redacted => {
                    parse_hashes(std::slice::from_ref(&e.leaf_hash), "leaf hash")?[0]
                }
                None => {
                    return Err(NodeError::Input(format!(
                        "entry {index} has no entry_b64 and is not marked redacted"
                    )));
                }
            };
            let p: InclusionProofView = remote
                .json("/log/proof/inclusion", &[("index", index), ("size", size)])
                .await?;
            let hashes = parse_hashes(&p.hashes, "inclusion proof")?;
            merkle::verify_inclusion(&leaf, index, size, &hashes, new_cp.root()).map_err(
                |err| {
                    NodeError::Input(format!(
                        "entry {index} is NOT included in the checkpoint of size {size}: {err}"
                    ))
                },
            )?;
            if let Some(t) = tree.as_mut() {
                t.push_leaf_hash(leaf)
                    .map_err(tlog_err("rebuilding the tree"))?;
            }
        }
        pos = end;
    }
    report.checks.push(format!(
        "{} entries ({old_size}..{size}) decode and have valid inclusion proofs",
        size - old_size
    ));
    if let Some(t) = tree {
        if t.root() != *new_cp.root() {
            return Err(NodeError::Input(
                "the entries do NOT rebuild the checkpoint's root".into(),
            ));
        }
        report
            .checks
            .push(format!("all {size} entries rebuild the checkpoint's root"));
    }
    report.checkpoint = note_text;
    report.size = size;
    Ok(report)
}

#[derive(Debug, Deserialize)]
struct EntriesView {
    entries: Vec<EntryView>,
}
