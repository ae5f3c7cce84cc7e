//! The client that verifies a node's transparency log over HTTP (`pacific log verify`): the
//! checkpoint's signature, consistency from an older checkpoint, and every entry's inclusion.

use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint};
use pacific_tlog::entry::Entry;
use pacific_tlog::merkle::{self, Hash, MemoryTree};
use pacific_tlog::signed_note::{Ed25519Verifier, Note};
use serde::Deserialize;

use crate::NodeError;
use crate::wire::{ConsistencyProofView, EntryView, InclusionProofView, MAX_ENTRIES};

fn tlog_err(what: &str) -> impl Fn(pacific_tlog::TlogError) -> NodeError + '_ {
    move |e| NodeError::Input(format!("{what}: {e}"))
}

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
            .map_err(|e| NodeError::Remote(super::transport_error(&url, &e)))?;
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
