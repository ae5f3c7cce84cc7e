//! The node's transparency log: its identity (origin, checkpoint signer, witness cosigner),
//! the checkpoint publisher, the statements binding a witness's cosignature key to its party,
//! the checkpoints with their cosignatures, and the verification client behind
//! `pacific log verify`. The `/log/…` routes are `crate::http::log`; the bodies they exchange
//! are `crate::wire`.
//!
//! The log's identity: its origin is `pacific/<party>/<first 8 bytes of the public key, hex>`
//! (spaces and `+` in the party name become `-`), which is also the signing key's name. The
//! checkpoint key is the node's Ed25519 identity key; cosignatures use a key derived from it
//! (SHA-256 of a label and the secret), so the two kinds of signature never share a key.
//! [`LogState::cosign`] is the one place this node cosigns, for `POST /log/cosign` and for the
//! pull witness (`crate::witness`). Since nobody can derive the cosignature key from the public
//! identity key, a witness pushing its cosignature binds that key to its party with a statement
//! signed by its identity key ([`cosigner_key_statement`]).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use pacific_core::Timestamp;
use pacific_store::{SplitViewEvidence, Store, StoreError, StoredCheckpoint, StoredCosignature};
use pacific_tlog::TlogError;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, Cosigner};
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::{self, Hash};
use pacific_tlog::signed_note::{Ed25519Signer, Ed25519Verifier, Note, NoteSignature};
use sha2::{Digest, Sha256};

use crate::NodeError;
use crate::wire::{
    ConsistencyProofView, CosignatureAnswer, CosignaturePush, EntryView, InclusionProofView,
};

/// How often, at most, the publisher looks for growth and signs a new checkpoint.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(2);
/// How long the publisher waits for the database to change before looking all the same.
const IDLE_LOOK: Duration = Duration::from_secs(60);

pub use crate::wire::MAX_ENTRIES;

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

/// Why a read of the log was refused.
#[derive(Debug, thiserror::Error)]
pub enum LogReadError {
    /// A range or size the log cannot answer (an index not below the size, a size beyond the
    /// log, a start after the end, too many entries).
    #[error("{0}")]
    BadRange(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for LogReadError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Log(m) => LogReadError::BadRange(m),
            other => LogReadError::Store(other),
        }
    }
}

impl From<NodeError> for LogReadError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Store(e) => e.into(),
            other => LogReadError::Internal(other.to_string()),
        }
    }
}

/// The latest signed checkpoint (signed now if none was yet) with the cosignature lines of
/// the witnesses that cosigned exactly it.
pub async fn latest_checkpoint(store: &dyn Store, log: &LogState) -> Result<String, LogReadError> {
    let cp = match store.latest_checkpoint().await? {
        Some(cp) => cp,
        None => publish_checkpoint(store, log).await?,
    };
    Ok(with_cosignatures(store, cp).await?.note)
}

/// The last checkpoint this log published, if any.
pub async fn latest_published(store: &dyn Store) -> Result<Option<StoredCheckpoint>, LogReadError> {
    Ok(store.latest_checkpoint().await?)
}

/// The log's size and its (at most) `scan` entries before index `before` (default: the end),
/// decoded, oldest first; entries that do not decode are left out. For this node's own users.
pub async fn recent_entries(
    store: &dyn Store,
    scan: u64,
    before: Option<u64>,
) -> Result<(u64, Vec<(u64, Entry)>), LogReadError> {
    let size = store.log_size().await?;
    let stop = before.unwrap_or(size).min(size);
    let start = stop.saturating_sub(scan);
    let mut out = Vec::new();
    let mut at = start;
    while at < stop {
        let end = (at + MAX_ENTRIES).min(stop);
        for e in store.log_entries(at, end).await? {
            if let Ok(entry) = Entry::decode(&e.entry) {
                out.push((e.index, entry));
            }
        }
        at = end;
    }
    Ok((size, out))
}

/// Entries `start..end` (at most [`MAX_ENTRIES`]) as `who` may see them: whole for a user; for
/// a peer, redacted to index and leaf hash where the gate holds something back
/// (`Federation::log_entries_visible_to`).
pub async fn entries(
    store: &dyn Store,
    federation: &crate::federation::Federation,
    who: &crate::principal::Principal,
    start: u64,
    end: u64,
) -> Result<Vec<EntryView>, LogReadError> {
    if start > end {
        return Err(LogReadError::BadRange(format!(
            "start {start} is after end {end}"
        )));
    }
    if end - start > MAX_ENTRIES {
        return Err(LogReadError::BadRange(format!(
            "at most {MAX_ENTRIES} entries per request (asked for {})",
            end - start
        )));
    }
    let rows = store.log_entries(start, end).await?;
    let shown = match who.peer() {
        None => vec![true; rows.len()],
        Some(peer) => {
            let bytes: Vec<&[u8]> = rows.iter().map(|e| e.entry.as_slice()).collect();
            federation.log_entries_visible_to(peer, &bytes).await?
        }
    };
    let mut views = Vec::with_capacity(rows.len());
    for (e, shown) in rows.into_iter().zip(shown) {
        views.push(EntryView {
            index: e.index,
            leaf_hash: hex::encode(merkle::leaf_hash(&e.entry)),
            entry_b64: shown.then(|| base64::engine::general_purpose::STANDARD.encode(&e.entry)),
            entry: shown
                .then(|| serde_json::from_slice(&e.entry).unwrap_or(serde_json::Value::Null)),
            redacted: !shown,
        });
    }
    Ok(views)
}

fn hexes(h: &[Hash]) -> Vec<String> {
    h.iter().map(hex::encode).collect()
}

/// The inclusion proof of entry `index` in the tree of `size` entries, with that tree's root.
pub async fn inclusion_proof(
    store: &dyn Store,
    index: u64,
    size: u64,
) -> Result<InclusionProofView, LogReadError> {
    if index >= size {
        return Err(LogReadError::BadRange(format!(
            "index {index} is not below size {size}"
        )));
    }
    let hashes = store.log_inclusion_proof(index, size).await?;
    let root = store.log_root(size).await?;
    Ok(InclusionProofView {
        index,
        size,
        root: hex::encode(root),
        hashes: hexes(&hashes),
    })
}

/// The consistency proof from the tree of `old` entries to the tree of `new`, with both roots.
pub async fn consistency_proof(
    store: &dyn Store,
    old: u64,
    new: u64,
) -> Result<ConsistencyProofView, LogReadError> {
    if old > new {
        return Err(LogReadError::BadRange(format!(
            "old size {old} is larger than new size {new}"
        )));
    }
    let hashes = store.log_consistency_proof(old, new).await?;
    Ok(ConsistencyProofView {
        old,
        new,
        old_root: hex::encode(store.log_root(old).await?),
        new_root: hex::encode(store.log_root(new).await?),
        hashes: hexes(&hashes),
    })
}

/// Most a cosignature's timestamp may be ahead of this node's clock, in seconds.
const MAX_COSIGNATURE_AHEAD: u64 = 300;

/// Why a witness's cosignature of this log was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CosignatureRefused {
    /// The witness may not hand it in: not a registered peer, or its identity key did not bind
    /// the cosignature key to it.
    #[error("{witness} may not {action}")]
    NotAllowed { witness: String, action: String },
    /// Bad input: a malformed key or line, a checkpoint this log did not sign, a cosignature
    /// that does not verify, a time ahead of this node's clock.
    #[error("{0}")]
    Invalid(String),
    /// A checkpoint signed with this log's key whose root is not this log's at that size: a
    /// witness was shown another history of this log. The evidence is kept; `latest` is this
    /// log's true checkpoint of that size (or its latest).
    #[error("{message}")]
    AnotherHistory {
        message: String,
        evidence: Box<SplitViewEvidence>,
        latest: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl LogState {
    /// Takes witness `party`'s cosignature of one of this log's checkpoints: checks the
    /// witness (a registered peer whose identity key bound the cosignature key to it), that the
    /// checkpoint is one this log signed with this log's root at that size, and the
    /// cosignature; keeps the latest per witness, logged (`cosignature-received`, by the peer)
    /// in the same transaction when it attests entries other than cosignature acts.
    pub async fn receive_cosignature(
        &self,
        store: &dyn Store,
        peers: &dyn pacific_store::FederationStore,
        party: &pacific_core::policy::PartyId,
        push: &CosignaturePush,
    ) -> Result<CosignatureAnswer, CosignatureRefused> {
        let party = party.as_str();
        let actor = crate::principal::peer_actor(party);
        let not_allowed = |action: &str| CosignatureRefused::NotAllowed {
            witness: actor.clone(),
            action: action.to_owned(),
        };
        let bad = |what: &str, e: TlogError| CosignatureRefused::Invalid(format!("{what}: {e}"));
        let peer = peers
            .peer(party)
            .await?
            .ok_or_else(|| not_allowed("hand in cosignatures (not a registered peer)"))?;
        let identity = crate::federation::parse_public_key(&peer.public_key).ok_or_else(|| {
            CosignatureRefused::Internal(format!("peer {party} has an unusable registered key"))
        })?;
        let vkey = push.cosigner_vkey.trim();
        let cosigner = CosignatureVerifier::from_vkey(vkey).map_err(|e| bad("cosigner_vkey", e))?;
        if !verify_cosigner_key(&identity, party, vkey, &push.statement) {
            return Err(not_allowed(
                "use a cosignature key that its registered identity key has not bound to it (statement does not verify)",
            ));
        }
        let name = pacific_tlog::signed_note::NoteVerifier::name(&cosigner);
        let suffix = format!("/{}", hex::encode(&identity.as_bytes()[..8]));
        if !name.starts_with("pacific/") || !name.ends_with(&suffix) {
            return Err(CosignatureRefused::Invalid(format!(
                "the cosignature key's name {name:?} is not a log origin of peer {party}'s key ({suffix})"
            )));
        }

        // The checkpoint: one this log signed.
        let (cp, _) = open_checkpoint(&push.checkpoint, &self.origin, &self.verifier())
            .map_err(|e| bad("the checkpoint is not one this log signed", e))?;
        let sig = NoteSignature::from_line(&push.cosignature).map_err(|e| bad("cosignature", e))?;
        let timestamp = cosigner
            .verify_cosignature(&cp, &sig)
            .map_err(|e| bad("the cosignature does not verify with cosigner_vkey", e))?;
        let now = u64::try_from(Timestamp::now().unix().0).unwrap_or(0);
        if timestamp > now + MAX_COSIGNATURE_AHEAD {
            return Err(CosignatureRefused::Invalid(format!(
                "the cosignature's time {timestamp} is ahead of this node's clock ({now})"
            )));
        }
        // Exactly this log's signature: the stored checkpoint carries no one else's lines.
        let ours = sign_checkpoint(&cp, &self.signer)
            .map_err(|e| CosignatureRefused::Internal(e.to_string()))?
            .to_string();

        // The root: this log's at that size, else a witness was shown another history of it.
        let log_size = store.log_size().await?;
        let root = if cp.size() <= log_size {
            Some(store.log_root(cp.size()).await?)
        } else {
            None
        };
        if root.as_ref() != Some(cp.root()) {
            return Err(self
                .another_history(store, party, &cp, root, &ours, &sig)
                .await
                .unwrap_or_else(|refused| refused));
        }

        let added = store
            .add_cosignature(
                &StoredCosignature {
                    witness: party.to_owned(),
                    cosigner_vkey: cosigner.to_vkey(),
                    key_statement: push.statement.trim().to_owned(),
                    size: cp.size(),
                    checkpoint: ours,
                    line: sig.to_line(),
                    timestamp,
                    received: Timestamp::now(),
                },
                *cp.root(),
                &actor,
            )
            .await?;
        tracing::debug!(witness = %party, size = cp.size(), kept = added.kept, entry = ?added.entry, "a witness cosigned this log's checkpoint");
        Ok(CosignatureAnswer {
            kept: added.kept,
            logged: added.entry.is_some(),
            witness: party.to_owned(),
            size: cp.size(),
        })
    }

    /// A checkpoint signed with this log's key whose root is not this log's at that size,
    /// cosigned by witness `party`: kept (once) as split-view evidence about this log's own
    /// origin, beside this log's true checkpoint of that size (or its latest, if the log never
    /// had that size). Either way the answer is a refusal.
    async fn another_history(
        &self,
        store: &dyn Store,
        party: &str,
        cp: &Checkpoint,
        root: Option<Hash>,
        presented: &str,
        cosignature: &NoteSignature,
    ) -> Result<CosignatureRefused, CosignatureRefused> {
        let size = cp.size();
        let (kept_note, reason) = match root {
            Some(root) => {
                let truth = Checkpoint::new(self.origin.clone(), size, root)
                    .and_then(|c| sign_checkpoint(&c, &self.signer))
                    .map_err(|e| CosignatureRefused::Internal(e.to_string()))?;
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
                let latest = publish_checkpoint(store, self)
                    .await
                    .map_err(|e| CosignatureRefused::Internal(e.to_string()))?;
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
        let known = store.split_view_evidence(&self.origin).await?;
        let evidence = match known
            .into_iter()
            .find(|k| k.new_note.starts_with(presented))
        {
            Some(k) => k,
            None => {
                let mut e = SplitViewEvidence {
                    id: 0,
                    origin: self.origin.clone(),
                    detected: Timestamp::now(),
                    reason: reason.clone(),
                    kept_note: kept_note.clone(),
                    new_note,
                };
                e.id = store.add_split_view_evidence(&e).await?;
                e
            }
        };
        tracing::warn!(witness = %party, origin = %self.origin, %reason, evidence = evidence.id, "a witness was shown another history of this log (signed with this log's key); evidence kept");
        Ok(CosignatureRefused::AnotherHistory {
            message: format!("another history of this log: {reason}"),
            evidence: Box::new(evidence),
            latest: kept_note,
        })
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

/// Runs [`publish_checkpoint`] at start and then, when the database changed, at most every
/// [`PUBLISH_INTERVAL`], until the task is aborted: an idle log is not even looked at.
pub fn spawn_publisher(store: Arc<dyn Store>, log: Arc<LogState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut changes = store.changes();
        let mut last = None;
        loop {
            changes.borrow_and_update();
            let published = publish_checkpoint(store.as_ref(), &log).await;
            match &published {
                Ok(cp) => {
                    if last != Some(cp.size) {
                        tracing::debug!(size = cp.size, "published log checkpoint");
                        last = Some(cp.size);
                    }
                }
                Err(e) => tracing::error!(error = %e, "publishing the log checkpoint failed"),
            }
            tokio::time::sleep(PUBLISH_INTERVAL).await;
            // A failed round is tried again without waiting for a change.
            if published.is_ok() {
                crate::changed_or(&mut changes, IDLE_LOOK).await;
            }
        }
    })
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
pub(crate) fn attach(
    note: &str,
    size: u64,
    cosignatures: &[StoredCosignature],
) -> CosignedCheckpoint {
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
