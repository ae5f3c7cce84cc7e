//! Witnessing peers' logs: a task, started by `Node::serve`, that every [`WITNESS_INTERVAL`]
//! fetches each peer's latest signed checkpoint (`GET /log/checkpoint`, a signed
//! `Pacific-Peer` request), verifies it with the key the peer is registered with, fetches a
//! consistency proof from the last checkpoint witnessed of that log
//! (`GET /log/proof/consistency`) and runs [`observe`], the one implementation of the witness
//! protocol (`POST /log/cosign` runs it too), which records the new checkpoint.
//!
//! A checkpoint it accepts (the first of that log, a consistent larger one, or the same again)
//! it cosigns ([`LogState::cosign`], C2SP `cosignature/v1`, the same code as `POST /log/cosign`)
//! and hands to the peer: `POST /log/cosignatures` (a signed `Pacific-Peer` request) with the
//! cosignature line, this node's cosignature key and a statement signed by its identity key
//! binding that key to its party ([`CosignaturePush`]). The peer checks and keeps the latest
//! cosignature of each witness and publishes them with its checkpoint. A round cosigns
//! afresh unless the checkpoint the peer served already carries this node's valid cosignature
//! of it, so a cosignature lost on the way is handed in again a round later, and an idle pair
//! of logs exchanges nothing (and writes nothing) once each holds the other's. When the peer
//! answers that it logged the cosignature (`cosignature-received`: it attests new entries of
//! its log), this node logs `cosignature-sent` (the peer, size and root hash); a fresh
//! cosignature of a checkpoint already logged, or of one that grew only by cosignature entries,
//! is logged on neither side, so two nodes witnessing each other do not grow their logs forever.
//!
//! A peer that shows two histories — two different roots for one size — is caught in the round
//! that presents the second: both signed checkpoints are kept as split-view evidence
//! ([`Store::add_split_view_evidence`], once per pair), a warning is logged and nothing is
//! cosigned. A larger checkpoint that the peer's own consistency proof does not connect to the
//! one seen before is a failed witnessing, not evidence (the proof may merely be wrong, and is
//! not signed): it is reported as an error and logged, not cosigned, and keeps nothing. Either
//! way the witnessed checkpoint is *not* advanced, so every later round keeps comparing with
//! the history first seen.
//!
//! The log's origin must be `pacific/<name>/<first 8 bytes of the peer's key, hex>`: a peer
//! cannot dodge the comparison by signing under a name with another key prefix.

use std::sync::Arc;
use std::time::Duration;

use pacific_core::Timestamp;
use pacific_store::{LOCAL_ACTOR, LogEntryData, Peer, SplitViewEvidence, Store};
use pacific_tlog::TlogError;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint};
use pacific_tlog::cosignature::check_witness_update;
use pacific_tlog::entry::Act;
use pacific_tlog::merkle::Hash;
use pacific_tlog::signed_note::{Ed25519Verifier, Note, NoteSignature, NoteVerifier};

use crate::NodeError;
use crate::federation::{Federation, parse_public_key};
use crate::log::LogState;
use crate::principal::Principal;
use crate::wire::{ConsistencyProofView, CosignRequest, CosignatureAnswer, CosignaturePush};

/// How often every peer's log is witnessed.
pub const WITNESS_INTERVAL: Duration = Duration::from_secs(2);

/// Largest checkpoint note accepted from a peer.
const MAX_NOTE: usize = 64 * 1024;

/// What one witnessing of one peer found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witnessed {
    /// The first checkpoint seen of this log (trusted as the start of its history).
    First { origin: String, size: u64 },
    /// The same checkpoint as before.
    Unchanged { origin: String, size: u64 },
    /// A larger checkpoint, consistent with the one seen before.
    Advanced { origin: String, old: u64, new: u64 },
    /// Two histories (two roots for one size): the evidence (both signed checkpoints) is kept
    /// under this id.
    SplitView {
        origin: String,
        evidence_id: i64,
        reason: String,
    },
    /// The presented checkpoint is smaller than the one seen (a stale or rolled-back log).
    Shrank { origin: String, old: u64, new: u64 },
}

impl Witnessed {
    /// Whether the checkpoint was accepted (and so is cosigned).
    pub fn accepted(&self) -> bool {
        matches!(
            self,
            Witnessed::First { .. } | Witnessed::Unchanged { .. } | Witnessed::Advanced { .. }
        )
    }
}

/// What one round did with one peer.
#[derive(Debug)]
pub struct PeerRound {
    /// The peer's party id (`*` when the peers could not be read).
    pub peer: String,
    /// What checking its checkpoint found.
    pub witnessed: Result<Witnessed, NodeError>,
    /// Handing our cosignature of that checkpoint to the peer (`Ok` too when the peer served
    /// it with our cosignature already): `None` when nothing was cosigned (the check failed,
    /// or found a split view or a shrink).
    pub cosigned: Option<Result<(), NodeError>>,
}

/// Starts the witness task; abort the handle to stop it. `log` is this node's log identity,
/// whose cosigning key signs the cosignatures.
pub fn spawn(fed: Arc<Federation>, log: Arc<LogState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::install_crypto_provider();
        let http = match http_client() {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the witness HTTP client");
                return;
            }
        };
        let mut tick = tokio::time::interval(WITNESS_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for r in witness_round(&fed, &log, &http).await {
                let peer = r.peer;
                match r.witnessed {
                    Ok(Witnessed::SplitView { .. } | Witnessed::Shrank { .. }) => {} // warned already
                    Ok(w) => tracing::trace!(%peer, ?w, "witnessed a peer's log"),
                    Err(e) => tracing::debug!(%peer, error = %e, "witnessing a peer's log failed"),
                }
                if let Some(Err(e)) = r.cosigned {
                    tracing::debug!(%peer, error = %e, "handing our cosignature to a peer failed");
                }
            }
        }
    })
}

/// The HTTP client the witness uses.
pub fn http_client() -> Result<reqwest::Client, NodeError> {
    crate::client::build_http(
        None,
        Some(crate::client::Timeouts {
            request: Duration::from_secs(10),
            connect: Duration::from_secs(5),
        }),
    )
}

/// Witnesses every registered peer once: checks its checkpoint and, if accepted, cosigns it
/// and hands the cosignature to the peer.
pub async fn witness_round(
    fed: &Federation,
    log: &LogState,
    http: &reqwest::Client,
) -> Vec<PeerRound> {
    let peers = match fed.store().peers().await {
        Ok(p) => p,
        Err(e) => {
            return vec![PeerRound {
                peer: "*".to_owned(),
                witnessed: Err(e.into()),
                cosigned: None,
            }];
        }
    };
    let mut out = Vec::with_capacity(peers.len());
    for peer in peers {
        let (witnessed, cosigned) = match witness_peer(fed, log, http, &peer).await {
            Ok((w, note)) if w.accepted() => {
                // The peer serves the checkpoint with our cosignature already: nothing to hand
                // in (a fresh one would only rewrite the peer's row with a new time).
                let c = if carries_our_cosignature(log, &peer, &note) {
                    Ok(())
                } else {
                    cosign_for_peer(fed, log, http, &peer, &note).await
                };
                (Ok(w), Some(c))
            }
            Ok((w, _)) => (Ok(w), None),
            Err(e) => (Err(e), None),
        };
        out.push(PeerRound {
            peer: peer.party_id.to_string(),
            witnessed,
            cosigned,
        });
    }
    out
}

/// Whether `note`, a checkpoint of `peer`'s log as the peer serves it, carries a valid
/// cosignature of exactly that checkpoint by this node's cosignature key.
fn carries_our_cosignature(log: &LogState, peer: &Peer, note: &str) -> bool {
    let Ok((origin, verifier)) = peer_log_verifier(peer, note) else {
        return false;
    };
    let Ok((cp, note)) = open_checkpoint(note, &origin, &verifier) else {
        return false;
    };
    let ours = log.cosignature_verifier();
    note.signatures()
        .iter()
        .any(|sig| sig.key_id == ours.key_id() && ours.verify_cosignature(&cp, sig).is_ok())
}

/// Cosigns `note` (a checkpoint of `peer`'s log that [`observe`] accepted) and hands the
/// cosignature to the peer (`POST /log/cosignatures`). When the peer answers that it logged
/// the cosignature (`logged`, for this node and this size), appends `cosignature-sent` (the
/// peer, size and root hash, by `local`).
pub async fn cosign_for_peer(
    fed: &Federation,
    log: &LogState,
    http: &reqwest::Client,
    peer: &Peer,
    note: &str,
) -> Result<(), NodeError> {
    let (origin, verifier) = peer_log_verifier(peer, note)?;
    let (cp, _) = open_checkpoint(note, &origin, &verifier)
        .map_err(|e| NodeError::Input(format!("{}'s checkpoint: {e}", peer.party_id)))?;
    let sig = log.cosign(&cp)?;
    let push = CosignaturePush::new(fed.key(), fed.local().id.as_str(), log, note, &sig);
    let body = serde_json::to_string(&push)
        .map_err(|e| NodeError::Setup(format!("encoding the cosignature: {e}")))?;
    let text = peer_request(fed, http, peer, "POST", "/log/cosignatures", "", Some(body)).await?;
    let answer: CosignatureAnswer = serde_json::from_str(&text).map_err(|e| {
        NodeError::Remote(format!(
            "{}: bad answer to our cosignature: {e}",
            peer.party_id
        ))
    })?;
    // Logged on the peer's side, so logged here: once per exchange, and never for a
    // checkpoint that grew only by the entries logging cosignatures (which would make the two
    // logs cosign each other's cosignature entries forever).
    if answer.logged && answer.size == cp.size() && answer.witness == fed.local().id.as_str() {
        let now = u64::try_from(Timestamp::now().unix_micros() / 1000).unwrap_or(0);
        let entry = LogEntryData::new(
            now,
            LOCAL_ACTOR,
            Act::CosignatureSent {
                peer: peer.party_id.to_string(),
                tree_size: cp.size(),
                root_hash: *cp.root(),
            },
        )
        .map_err(|e| NodeError::Input(format!("log entry: {e}")))?;
        fed.objects().append_log_entry(&entry).await?;
    }
    Ok(())
}

/// A signed (`Pacific-Peer`) GET of `path?query` from `peer`.
async fn peer_get(
    fed: &Federation,
    http: &reqwest::Client,
    peer: &Peer,
    path: &str,
    query: &str,
) -> Result<String, NodeError> {
    peer_request(fed, http, peer, "GET", path, query, None).await
}

/// A signed (`Pacific-Peer`) request to `peer`: `method path?query`, with a JSON `body`.
async fn peer_request(
    fed: &Federation,
    http: &reqwest::Client,
    peer: &Peer,
    method: &str,
    path: &str,
    query: &str,
    body: Option<String>,
) -> Result<String, NodeError> {
    let client = crate::client::peer::PeerClient {
        http,
        key: fed.key(),
        local: fed.local().id.as_str(),
        peer,
    };
    let text = client.signed(method, path, query, body).await?;
    if text.len() > MAX_NOTE && path == "/log/checkpoint" {
        return Err(NodeError::Remote(format!(
            "{}: checkpoint longer than {MAX_NOTE} bytes",
            peer.party_id
        )));
    }
    Ok(text)
}

/// The verifier of `peer`'s checkpoints for the origin a note names, after checking that the
/// origin is one the peer's key may sign (`pacific/<name>/<key prefix>`).
pub fn peer_log_verifier(
    peer: &Peer,
    note_text: &str,
) -> Result<(String, Ed25519Verifier), NodeError> {
    let key = parse_public_key(&peer.public_key)
        .ok_or_else(|| NodeError::Setup(format!("peer {} has a bad key", peer.party_id)))?;
    let note = Note::parse(note_text)
        .map_err(|e| NodeError::Input(format!("{}'s checkpoint: {e}", peer.party_id)))?;
    let body = Checkpoint::parse(note.text())
        .map_err(|e| NodeError::Input(format!("{}'s checkpoint: {e}", peer.party_id)))?;
    let origin = body.origin().to_owned();
    let suffix = format!("/{}", hex::encode(&key.as_bytes()[..8]));
    if !origin.starts_with("pacific/") || !origin.ends_with(&suffix) {
        return Err(NodeError::Input(format!(
            "{}'s checkpoint names origin {origin:?}, not one of its key ({suffix})",
            peer.party_id
        )));
    }
    let verifier = Ed25519Verifier::new(origin.clone(), key)
        .map_err(|e| NodeError::Input(format!("origin {origin:?}: {e}")))?;
    Ok((origin, verifier))
}

/// Witnesses one peer's log once: fetch, verify, check against the last one seen, record.
/// Returns what it found and the checkpoint note fetched.
pub async fn witness_peer(
    fed: &Federation,
    log: &LogState,
    http: &reqwest::Client,
    peer: &Peer,
) -> Result<(Witnessed, String), NodeError> {
    let note = peer_get(fed, http, peer, "/log/checkpoint", "").await?;
    let peer_fetch = |old: u64, new: u64| async move {
        let text = peer_get(
            fed,
            http,
            peer,
            "/log/proof/consistency",
            &format!("old={old}&new={new}"),
        )
        .await?;
        let view: ConsistencyProofView = serde_json::from_str(&text).map_err(|e| {
            NodeError::Remote(format!("{}: bad consistency proof: {e}", peer.party_id))
        })?;
        if view.old != old || view.new != new {
            return Err(NodeError::Remote(format!(
                "{} answered a proof for {}..{}, asked {old}..{new}",
                peer.party_id, view.old, view.new
            )));
        }
        view.hashes
            .iter()
            .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| {
                NodeError::Remote(format!(
                    "{}: a proof hash is not 64 hex digits",
                    peer.party_id
                ))
            })
    };
    let target = WatchedLog::of_peer(peer, &note)?;
    let witnessed = observe(fed.objects().as_ref(), log, &target, &note, peer_fetch).await?;
    Ok((witnessed, note))
}

/// A log this node witnesses: its origin and the key its checkpoints verify with.
pub struct WatchedLog {
    pub origin: String,
    pub verifier: Ed25519Verifier,
    /// Who presents its checkpoints (a peer's id, or the admin asking), for messages.
    pub presenter: String,
}

impl WatchedLog {
    /// A peer's own log, by the key it is registered with (see [`peer_log_verifier`]).
    pub fn of_peer(peer: &Peer, note: &str) -> Result<Self, WitnessError> {
        let (origin, verifier) =
            peer_log_verifier(peer, note).map_err(|e| WitnessError::Unverifiable(e.to_string()))?;
        Ok(Self {
            origin,
            verifier,
            presenter: peer.party_id.to_string(),
        })
    }
}

/// Why a checkpoint was not witnessed.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The checkpoint does not verify (bad note, wrong key, not the origin's key), or the
    /// last one kept of that log does not verify with the key given now.
    #[error("{0}")]
    Unverifiable(String),
    /// The consistency proof does not connect the checkpoint to the one witnessed before: a
    /// failed witnessing, no evidence of a split view (the unsigned proof may merely be wrong).
    #[error("{0}")]
    Inconsistent(String),
    /// The proof could not be had (the peer did not answer, or answered nonsense).
    #[error("{0}")]
    Proof(NodeError),
    /// A peer principal that is not (or no longer) a registered peer.
    #[error("{0} is not a registered peer")]
    NotAPeer(String),
    /// The checkpoint contradicts the history witnessed before (two roots for one size, or a
    /// smaller tree): not cosigned; `latest` is the checkpoint kept, `evidence` what was kept
    /// of a split view.
    #[error("{message}")]
    Conflict {
        message: String,
        evidence: Option<Box<SplitViewEvidence>>,
        latest: String,
    },
    #[error(transparent)]
    Store(#[from] pacific_store::StoreError),
}

impl From<WitnessError> for NodeError {
    fn from(e: WitnessError) -> Self {
        match e {
            WitnessError::Unverifiable(m) | WitnessError::Inconsistent(m) => NodeError::Input(m),
            WitnessError::Conflict { message, .. } => NodeError::Input(message),
            WitnessError::NotAPeer(p) => NodeError::Input(format!("{p} is not a registered peer")),
            WitnessError::Proof(e) => e,
            WitnessError::Store(e) => NodeError::Store(e),
        }
    }
}

/// Witnesses a checkpoint `note` of `target`: checks it against the last one witnessed of that
/// log (fetching a consistency proof with `fetch_proof(old, new)` when it grew), records it,
/// or keeps split-view evidence (two roots for one size; once per pair). A proof that does not
/// connect the two checkpoints is [`WitnessError::Inconsistent`]; nothing is recorded. The one
/// implementation of the witness protocol: the pull witness ([`witness_peer`]) and `POST
/// /log/cosign` both come here, under the log's witness lock (read the last seen, check,
/// record), and cosign only what this accepts.
pub async fn observe<F, Fut>(
    store: &dyn Store,
    log: &LogState,
    target: &WatchedLog,
    note: &str,
    fetch_proof: F,
) -> Result<Witnessed, WitnessError>
where
    F: FnOnce(u64, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Hash>, NodeError>>,
{
    let WatchedLog {
        origin,
        verifier,
        presenter,
    } = target;
    let origin = origin.clone();
    let (new_cp, _) = open_checkpoint(note, &origin, verifier).map_err(|e| {
        WitnessError::Unverifiable(format!(
            "{presenter}'s checkpoint of {origin} does not verify: {e}"
        ))
    })?;
    let _serialised = log.witness_lock().await;
    let Some(seen) = store.witnessed_checkpoint(&origin).await? else {
        store
            .put_witnessed_checkpoint(&origin, new_cp.size(), note)
            .await?;
        tracing::info!(%presenter, %origin, size = new_cp.size(), "witnessing a log from now on");
        return Ok(Witnessed::First {
            origin,
            size: new_cp.size(),
        });
    };
    let (seen_cp, _) = open_checkpoint(&seen.note, &origin, verifier).map_err(|e| {
        WitnessError::Unverifiable(format!(
            "the last checkpoint witnessed of {origin} does not verify with the key {presenter} presents (a different key for the same log?): {e}"
        ))
    })?;
    let proof = if new_cp.size() > seen_cp.size() {
        fetch_proof(seen_cp.size(), new_cp.size())
            .await
            .map_err(WitnessError::Proof)?
    } else {
        Vec::new()
    };
    match check_witness_update(Some(&seen_cp), &new_cp, &proof) {
        Ok(()) if new_cp.size() == seen_cp.size() => Ok(Witnessed::Unchanged {
            origin,
            size: new_cp.size(),
        }),
        Ok(()) => {
            store
                .put_witnessed_checkpoint(&origin, new_cp.size(), note)
                .await?;
            Ok(Witnessed::Advanced {
                origin,
                old: seen_cp.size(),
                new: new_cp.size(),
            })
        }
        Err(TlogError::ConsistencyMismatch) => {
            tracing::warn!(%presenter, %origin, old = seen_cp.size(), new = new_cp.size(), "a consistency proof does not connect a checkpoint to the one witnessed before; not cosigned, not advanced");
            Err(WitnessError::Inconsistent(format!(
                "the consistency proof does not lead from the checkpoint of size {} witnessed before to this one of size {}: not cosigned (a wrong proof is no evidence of a split view)",
                seen_cp.size(),
                new_cp.size()
            )))
        }
        Err(TlogError::SplitView { size }) => {
            let reason = format!("two different roots for tree size {size}");
            // Once per pair of checkpoints: the notes may carry other signature lines (e.g.
            // cosignatures, which change every round), so compare the signed texts.
            let text = |n: &str| Note::parse(n).map(|n| n.text().to_owned()).ok();
            let pair = (text(&seen.note), text(note));
            let known = store.split_view_evidence(&origin).await?;
            let evidence_id = match known
                .iter()
                .find(|k| (text(&k.kept_note), text(&k.new_note)) == pair)
            {
                Some(k) => k.id,
                None => {
                    let evidence = SplitViewEvidence {
                        id: 0,
                        origin: origin.clone(),
                        detected: Timestamp::now(),
                        reason: reason.clone(),
                        kept_note: seen.note.clone(),
                        new_note: note.to_owned(),
                    };
                    let id = store.add_split_view_evidence(&evidence).await?;
                    tracing::warn!(%presenter, %origin, %reason, evidence = id, "split view of a log detected; evidence kept");
                    id
                }
            };
            Ok(Witnessed::SplitView {
                origin,
                evidence_id,
                reason,
            })
        }
        Err(TlogError::LogShrank { old, new }) => {
            tracing::warn!(%presenter, %origin, old, new, "a smaller checkpoint than one witnessed before");
            Ok(Witnessed::Shrank { origin, old, new })
        }
        Err(e) => Err(WitnessError::Unverifiable(format!(
            "the log {origin} cannot be proven consistent: {e}"
        ))),
    }
}

/// Witnesses a checkpoint someone asked this node to cosign (`POST /log/cosign`) and cosigns
/// it when [`observe`] accepts it. A peer presents its own log, checked with the key it is
/// registered with; an admin may present any other log by its `vkey` (the registered key
/// decides when the origin is a peer's; otherwise the key is trusted on first use). A split
/// view or a smaller tree is [`WitnessError::Conflict`].
pub async fn cosign_on_request(
    store: &dyn Store,
    fed: &Federation,
    log: &LogState,
    who: &Principal,
    req: &CosignRequest,
) -> Result<NoteSignature, WitnessError> {
    let target = requested_log(fed, log, who, req).await?;
    let proof = req
        .proof
        .iter()
        .map(|h| hex::decode(h).ok().and_then(|b| Hash::try_from(b).ok()))
        .collect::<Option<Vec<Hash>>>()
        .ok_or_else(|| {
            WitnessError::Unverifiable("proof hashes must be 64 hex digits each".into())
        })?;
    let witnessed = observe(store, log, &target, &req.checkpoint, |_, _| async {
        Ok(proof)
    })
    .await?;
    let origin = &target.origin;
    let latest = || async {
        Ok::<_, WitnessError>(
            store
                .witnessed_checkpoint(origin)
                .await?
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
                .await?
                .into_iter()
                .find(|e| e.id == evidence_id);
            Err(WitnessError::Conflict {
                message: format!("split view of {origin}: {reason}"),
                evidence: evidence.map(Box::new),
                latest: latest().await?,
            })
        }
        Witnessed::Shrank { old, new, .. } => Err(WitnessError::Conflict {
            message: format!("checkpoint of size {new} is older than the size {old} already seen"),
            evidence: None,
            latest: latest().await?,
        }),
        Witnessed::First { .. } | Witnessed::Unchanged { .. } | Witnessed::Advanced { .. } => {
            let (cp, _) = open_checkpoint(&req.checkpoint, origin, &target.verifier)
                .map_err(|e| WitnessError::Unverifiable(format!("checkpoint: {e}")))?;
            log.cosign(&cp)
                .map_err(|e| WitnessError::Unverifiable(e.to_string()))
        }
    }
}

/// The log a [`cosign_on_request`] asks about, and the key to check it with.
async fn requested_log(
    fed: &Federation,
    log: &LogState,
    who: &Principal,
    req: &CosignRequest,
) -> Result<WatchedLog, WitnessError> {
    let verifier = Ed25519Verifier::from_vkey(req.vkey.trim())
        .map_err(|e| WitnessError::Unverifiable(format!("vkey: {e}")))?;
    let peers = fed.store().peers().await?;
    // The registered key decides for a peer's log, whoever presents it.
    let registered = |party: &str| {
        WitnessError::Unverifiable(format!(
            "the vkey is not the key registered for peer {party}"
        ))
    };
    if let Some(party) = who.peer() {
        let peer = peers
            .iter()
            .find(|p| p.party_id == *party)
            .ok_or_else(|| WitnessError::NotAPeer(who.actor()))?;
        let target = WatchedLog::of_peer(peer, &req.checkpoint)?;
        if target.verifier.public_key() != verifier.public_key() {
            return Err(registered(party.as_str()));
        }
        return Ok(target);
    }
    let origin = pacific_tlog::signed_note::NoteVerifier::name(&verifier).to_owned();
    if origin == log.origin() {
        return Err(WitnessError::Unverifiable(
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
