//! The node's transparency log over HTTP, its checkpoint publisher, the witness endpoint, and
//! the verification client.
//!
//! Routes (every one requires an authenticated user of any role, like TAXII):
//!
//! | route | answer |
//! |---|---|
//! | `GET /log/checkpoint` | the latest signed checkpoint (C2SP signed note), `text/plain` |
//! | `GET /log/key` | the log's verifier key (`vkey`), `text/plain` — trust it out of band |
//! | `GET /log/entries?start=&end=` | `{"entries": [{index, leaf_hash, entry_b64, entry}]}`, at most [`MAX_ENTRIES`] |
//! | `GET /log/proof/inclusion?index=&size=` | `{index, size, root, hashes}` (hex) |
//! | `GET /log/proof/consistency?old=&new=` | `{old, new, old_root, new_root, hashes}` (hex) |
//! | `POST /log/cosign` | witness another log's checkpoint: [`CosignRequest`] in, cosignature line out |
//!
//! Bad ranges (an index not below the size, a size beyond the log, `start > end`, too many
//! entries) are 400. `entry` is the decoded JSON for reading; `entry_b64` the exact bytes that
//! are hashed, which a verifier must use.
//!
//! The log's identity: its origin is `pacific/<party>/<first 8 bytes of the public key, hex>`
//! (spaces and `+` in the party name become `-`), which is also the signing key's name. The
//! checkpoint key is the node's Ed25519 identity key; cosignatures use a key derived from it
//! (SHA-256 of a label and the secret), so the two kinds of signature never share a key.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use pacific_core::Timestamp;
use pacific_store::{SplitViewEvidence, Store, StoreError, StoredCheckpoint};
use pacific_tlog::TlogError;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, Cosigner, check_witness_update};
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::{self, Hash, MemoryTree};
use pacific_tlog::signed_note::{Ed25519Signer, Ed25519Verifier, Note};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::NodeError;
use crate::auth::Principal;
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
    /// Serialises cosign requests (read the last seen checkpoint, check, record).
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

    /// The verifier of this log's checkpoints.
    pub fn verifier(&self) -> Ed25519Verifier {
        self.signer.verifier()
    }

    /// The verifier of this node's cosignatures (as a witness).
    pub fn cosignature_verifier(&self) -> CosignatureVerifier {
        self.cosigner.verifier()
    }
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
pub fn routes(log: Arc<LogState>) -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/key", get(key))
        .route("/log/entries", get(entries))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
        .route("/log/cosign", post(cosign))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_COSIGN_BODY))
        .layer(Extension(log))
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

async fn checkpoint(
    State(state): State<AppState>,
    Extension(log): Extension<Arc<LogState>>,
    _who: Principal,
) -> Result<Response, ApiError> {
    let cp = match state.store().latest_checkpoint().await.map_err(store_err)? {
        Some(cp) => cp,
        None => publish_checkpoint(state.store().as_ref(), &log)
            .await
            .map_err(node_err)?,
    };
    Ok(text(cp.note))
}

async fn key(Extension(log): Extension<Arc<LogState>>, _who: Principal) -> Response {
    text(format!("{}\n", log.verifier().to_vkey()))
}

/// One entry as `GET /log/entries` serves it.
#[derive(Debug, Serialize, Deserialize)]
pub struct EntryView {
    pub index: u64,
    /// Hex RFC 9162 leaf hash of `entry_b64`'s bytes.
    pub leaf_hash: String,
    /// The exact entry bytes, standard base64.
    pub entry_b64: String,
    /// The entry decoded, for reading.
    pub entry: Value,
}

async fn entries(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    _who: Principal,
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
    let views: Vec<EntryView> = rows
        .into_iter()
        .map(|e| EntryView {
            index: e.index,
            leaf_hash: hex::encode(merkle::leaf_hash(&e.entry)),
            entry_b64: base64::engine::general_purpose::STANDARD.encode(&e.entry),
            entry: serde_json::from_slice(&e.entry).unwrap_or(Value::Null),
        })
        .collect();
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

async fn cosign(
    State(state): State<AppState>,
    Extension(log): Extension<Arc<LogState>>,
    _who: Principal,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: CosignRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("cosign request is not valid JSON: {e}")))?;
    let bad = |what: &str, e: TlogError| ApiError::BadRequest(format!("{what}: {e}"));
    let verifier = Ed25519Verifier::from_vkey(req.vkey.trim()).map_err(|e| bad("vkey", e))?;
    let origin = pacific_tlog::signed_note::NoteVerifier::name(&verifier).to_owned();
    if origin == log.origin {
        return Err(ApiError::BadRequest(
            "a node does not witness its own log".into(),
        ));
    }
    if let Some(fed) = state.federation() {
        for peer in fed.store().peers().await.map_err(store_err)? {
            if let Ok((o, registered)) = crate::witness::peer_log_verifier(&peer, &req.checkpoint)
                && o == origin
                && registered.public_key() != verifier.public_key()
            {
                return Err(ApiError::BadRequest(format!(
                    "the vkey is not the key registered for peer {}",
                    peer.party_id
                )));
            }
        }
    }
    let (new_cp, _) =
        open_checkpoint(&req.checkpoint, &origin, &verifier).map_err(|e| bad("checkpoint", e))?;
    let proof = req
        .proof
        .iter()
        .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| ApiError::BadRequest("proof hashes must be 64 hex digits each".into()))?;

    let store = state.store();
    let _w = log.witness_lock.lock().await;
    let seen = store
        .witnessed_checkpoint(&origin)
        .await
        .map_err(store_err)?;
    let seen_cp = match &seen {
        Some(s) => {
            let (cp, _) = open_checkpoint(&s.note, &origin, &verifier).map_err(|e| {
                ApiError::BadRequest(format!(
                    "the key does not verify the last checkpoint seen of {origin} (a different key for the same log?): {e}"
                ))
            })?;
            Some(cp)
        }
        None => None,
    };
    match check_witness_update(seen_cp.as_ref(), &new_cp, &proof) {
        Ok(()) => {}
        // A proof that does not connect the two checkpoints proves nothing against the log
        // (the proof may merely be wrong): refused, and no evidence is kept. Evidence is two
        // signed checkpoints that cannot both be true: two roots for one size.
        Err(TlogError::ConsistencyMismatch) => {
            let size = seen.as_ref().map_or(0, |s| s.size);
            return Err(ApiError::Unprocessable(format!(
                "the consistency proof does not lead from the checkpoint of size {size} seen before to this one of size {}",
                new_cp.size()
            )));
        }
        Err(TlogError::SplitView { size }) => {
            let seen = seen.expect("a split view needs an earlier checkpoint");
            let reason = format!("two different roots for tree size {size}");
            let mut evidence = SplitViewEvidence {
                id: 0,
                origin: origin.clone(),
                detected: Timestamp::now(),
                reason: reason.clone(),
                kept_note: seen.note.clone(),
                new_note: req.checkpoint.clone(),
            };
            evidence.id = store
                .add_split_view_evidence(&evidence)
                .await
                .map_err(store_err)?;
            tracing::warn!(%origin, %reason, "split view detected; evidence kept");
            return Ok(conflict(
                format!("split view of {origin}: {reason}"),
                Some(&evidence),
                &seen.note,
            ));
        }
        Err(TlogError::LogShrank { old, new }) => {
            let seen = seen.expect("a shrink needs an earlier checkpoint");
            return Ok(conflict(
                format!("checkpoint of size {new} is older than the size {old} already seen"),
                None,
                &seen.note,
            ));
        }
        Err(e) => return Err(bad("consistency proof", e)),
    }
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sig = log
        .cosigner
        .cosign(&new_cp, ts)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if seen.as_ref().is_none_or(|s| new_cp.size() > s.size) {
        store
            .put_witnessed_checkpoint(&origin, new_cp.size(), &req.checkpoint)
            .await
            .map_err(store_err)?;
    }
    Ok(text(sig.to_line()))
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
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&e.entry_b64)
                .map_err(|_| NodeError::Input(format!("entry {index}: entry_b64 is not base64")))?;
            Entry::decode(&bytes)
                .map_err(|err| NodeError::Input(format!("entry {index} is malformed: {err}")))?;
            let leaf = merkle::leaf_hash(&bytes);
            if hex::encode(leaf) != e.leaf_hash {
                return Err(NodeError::Input(format!(
                    "entry {index}: served leaf hash does not match its bytes"
                )));
            }
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
