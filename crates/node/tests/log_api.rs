//! The transparency log over HTTP on 127.0.0.1: every /log route requires a user; entries
//! ingested over TAXII appear in the log; checkpoints verify with the node's key; inclusion and
//! consistency proofs verify and tampering is caught; the witness endpoint cosigns consistent
//! checkpoints and keeps evidence of a split view.

use base64::Engine as _;
use ed25519_dalek::SigningKey;
use pacific_node::client::log::verify_remote;
use pacific_node::log::{LogState, publish_checkpoint};
use pacific_node::wire::{ConsistencyProofView, CosignRequest, InclusionProofView};
use pacific_testkit::test_node::{TestNode, indicator, uuid};
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::merkle::{self, Hash, MemoryTree};
use pacific_tlog::signed_note::{Ed25519Signer, Note, NoteVerifier};
use serde_json::Value;

/// The log tests read as the reader and ingest over TAXII as the analyst.
trait LogTestNode {
    async fn read(&self, path: &str) -> reqwest::Response;
    async fn ingest(&self, n: usize);
}

impl LogTestNode for TestNode {
    async fn read(&self, path: &str) -> reqwest::Response {
        self.get(path, &self.reader).await
    }

    /// Ingests `n` new indicators; their `object-stored` entries are written with them.
    async fn ingest(&self, n: usize) {
        let objects: Vec<Value> = (0..n)
            .map(|_| {
                indicator(
                    &format!("indicator--{}", uuid()),
                    "2026-02-01T00:00:00.000Z",
                )
            })
            .collect();
        let status = self.post_objects(&self.analyst, &objects).await;
        assert_eq!(status["success_count"], n, "{status}");
    }
}

fn hashes(h: &[String]) -> Vec<Hash> {
    h.iter()
        .map(|s| hex::decode(s).unwrap().try_into().unwrap())
        .collect()
}

#[tokio::test]
async fn every_log_route_requires_a_user() {
    let node = TestNode::start().await;
    // Route, and whether a reader or analyst may call it (`POST /log/cosign` is for admins and
    // peers, `POST /log/cosignatures` for peers only).
    let routes = [
        ("GET", "/log/checkpoint", true),
        ("GET", "/log/checkpoint/cosigned", true),
        ("GET", "/log/key", true),
        ("GET", "/log/witness-key", true),
        ("GET", "/log/entries?start=0&end=1", true),
        ("GET", "/log/proof/inclusion?index=0&size=1", true),
        ("GET", "/log/proof/consistency?old=0&new=1", true),
        ("POST", "/log/cosign", false),
        ("POST", "/log/cosignatures", false),
    ];
    for (method, path, users) in routes {
        let req = |token: Option<&str>| {
            let mut r = if method == "GET" {
                node.http.get(node.url(path))
            } else {
                node.http.post(node.url(path)).body("{}")
            };
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r
        };
        assert_eq!(
            req(None).send().await.unwrap().status(),
            401,
            "{method} {path} without a token"
        );
        assert_eq!(
            req(Some("pac_nope_nope")).send().await.unwrap().status(),
            401,
            "{method} {path} with a bad token"
        );
        for token in [&node.reader, &node.analyst] {
            let r = req(Some(token)).send().await.unwrap();
            let status = r.status();
            if users {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} as a user: {status}"
                );
            } else {
                let body: Value = r.json().await.unwrap();
                assert_eq!(status, 403, "{method} {path} as a user: {body}");
                assert_eq!(body["error_code"], "auth-forbidden", "{body}");
            }
        }
    }
    assert!(
        node.store.cosignatures().await.unwrap().is_empty(),
        "nothing a user sent was kept"
    );
}

/// Regression: a reader (or analyst) made the node cosign a log it invented and wrote witness
/// rows, and a pre-seeded origin could later stop the node cosigning the real log.
#[tokio::test]
async fn a_user_who_is_not_an_admin_cannot_make_the_node_witness_anything() {
    let node = TestNode::start().await;
    let mut invented = Foreign::new();
    invented.grow(4, 7);
    for token in [&node.reader, &node.analyst] {
        let r = node
            .http
            .post(node.url("/log/cosign"))
            .bearer_auth(token)
            .json(&invented.request(0))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error_code"], "auth-forbidden", "{body}");
    }
    assert!(
        node.store
            .witnessed_checkpoint(invented.signer.name())
            .await
            .unwrap()
            .is_none(),
        "nothing was recorded as witnessed"
    );
    // An admin may.
    assert_eq!(cosign(&node, &invented.request(0)).await.status(), 200);
}

#[tokio::test]
async fn no_cosigned_checkpoint_before_a_witness_cosigns() {
    let node = TestNode::start().await;
    node.ingest(2).await;
    let r = node.read("/log/checkpoint/cosigned").await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], "not-found");
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("no witness has cosigned"),
        "{body}"
    );
    // The latest checkpoint is served as before: the log's signature alone.
    let text = node.read("/log/checkpoint").await.text().await.unwrap();
    assert_eq!(Note::parse(&text).unwrap().signatures().len(), 1, "{text}");
}

#[tokio::test]
async fn ingested_objects_are_logged_and_proofs_verify() {
    let node = TestNode::start().await;
    let vkey = node.log.verifier().to_vkey();
    let verifier = pacific_tlog::signed_note::Ed25519Verifier::new(
        node.log.origin(),
        node.key.verifying_key(),
    )
    .unwrap();
    assert_eq!(verifier.to_vkey(), vkey);

    // The users added and the export policy recorded at start are the first entries.
    let base = node.store.log_size().await.unwrap();
    assert!(base > 0);
    let (old, new) = (base + 5, base + 11);
    node.ingest(5).await;
    let first = publish_checkpoint(node.store.as_ref(), &node.log)
        .await
        .unwrap();
    let served = node.read("/log/checkpoint").await.text().await.unwrap();
    assert_eq!(served, first.note);
    let (cp1, _) = open_checkpoint(&served, node.log.origin(), &verifier).unwrap();
    assert_eq!(cp1.size(), old);
    assert_eq!(
        node.read("/log/key").await.text().await.unwrap().trim(),
        vkey
    );

    node.ingest(6).await;
    let second = publish_checkpoint(node.store.as_ref(), &node.log)
        .await
        .unwrap();
    let (cp2, _) = open_checkpoint(&second.note, node.log.origin(), &verifier).unwrap();
    assert_eq!(cp2.size(), new);

    let page: Value = node
        .read(&format!("/log/entries?start=0&end={new}"))
        .await
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len() as u64, new);
    assert_eq!(entries[0]["entry"]["kind"], "user-added");
    let last = &entries[new as usize - 1];
    assert_eq!(last["entry"]["kind"], "object-stored");
    assert_eq!(last["entry"]["actor"], "local");
    let mut tree = MemoryTree::new();
    for (i, e) in entries.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(e["entry_b64"].as_str().unwrap())
            .unwrap();
        pacific_tlog::entry::Entry::decode(&bytes).unwrap();
        let leaf = merkle::leaf_hash(&bytes);
        assert_eq!(e["leaf_hash"], hex::encode(leaf));
        tree.push(&bytes).unwrap();
        let p: InclusionProofView = node
            .read(&format!("/log/proof/inclusion?index={i}&size={new}"))
            .await
            .json()
            .await
            .unwrap();
        let proof = hashes(&p.hashes);
        merkle::verify_inclusion(&leaf, i as u64, new, &proof, cp2.root()).unwrap();
        // A tampered entry or proof does not verify.
        let mut bad = bytes.clone();
        bad[bytes.len() / 2] ^= 1;
        assert!(
            merkle::verify_inclusion(&merkle::leaf_hash(&bad), i as u64, new, &proof, cp2.root())
                .is_err()
        );
        if let Some(h) = proof.first() {
            let mut bad_proof = proof.clone();
            bad_proof[0] = merkle::node_hash(h, h);
            assert!(
                merkle::verify_inclusion(&leaf, i as u64, new, &bad_proof, cp2.root()).is_err()
            );
        }
    }
    assert_eq!(tree.root(), *cp2.root());

    let p: ConsistencyProofView = node
        .read(&format!("/log/proof/consistency?old={old}&new={new}"))
        .await
        .json()
        .await
        .unwrap();
    let proof = hashes(&p.hashes);
    merkle::verify_consistency(old, new, cp1.root(), cp2.root(), &proof).unwrap();
    let mut bad = proof.clone();
    bad[0][0] ^= 1;
    assert!(merkle::verify_consistency(old, new, cp1.root(), cp2.root(), &bad).is_err());

    for bad in [
        "/log/entries?start=5&end=2".to_owned(),
        format!("/log/entries?start=0&end={}", new + 1),
        "/log/entries?start=0&end=5000".to_owned(),
        "/log/entries?start=x&end=2".to_owned(),
        "/log/entries".to_owned(),
        format!("/log/proof/inclusion?index={new}&size={new}"),
        format!("/log/proof/inclusion?index=0&size={}", new + 1),
        format!("/log/proof/consistency?old={}&new={old}", old + 1),
        "/log/proof/consistency?old=1&new=99".to_owned(),
    ] {
        assert_eq!(node.read(&bad).await.status(), 400, "{bad}");
    }

    // The verification client: from scratch, and since the first checkpoint.
    let report = verify_remote(&node.base, &node.reader, None, Some(&vkey))
        .await
        .unwrap();
    assert_eq!(report.size, new);
    let report = verify_remote(
        &node.base,
        &node.reader,
        Some(&first.note),
        Some(&hex::encode(node.key.verifying_key().as_bytes())),
    )
    .await
    .unwrap();
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.contains("consistency proof OK")),
        "{:?}",
        report.checks
    );
    // A wrong key, and a forged old checkpoint, are refused.
    let other = LogState::ephemeral("Log CERT");
    assert!(
        verify_remote(
            &node.base,
            &node.reader,
            None,
            Some(&other.verifier().to_vkey())
        )
        .await
        .is_err()
    );
    let forged = sign_checkpoint(
        &Checkpoint::new(node.log.origin(), 8, [9; 32]).unwrap(),
        &Ed25519Signer::new(node.log.origin(), node.key.clone()).unwrap(),
    )
    .unwrap();
    let err = verify_remote(
        &node.base,
        &node.reader,
        Some(&forged.to_string()),
        Some(&vkey),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("NOT consistent"), "{err}");
}

/// A foreign log for the witness tests.
struct Foreign {
    signer: Ed25519Signer,
    tree: MemoryTree,
}

impl Foreign {
    fn new() -> Self {
        let key = SigningKey::from_bytes(&[42; 32]);
        let origin = pacific_node::log::log_origin("Beta", &key.verifying_key());
        Self {
            signer: Ed25519Signer::new(origin, key).unwrap(),
            tree: MemoryTree::new(),
        }
    }
    fn grow(&mut self, n: u32, salt: u8) {
        for i in 0..n {
            self.tree.push(&[salt, i as u8]).unwrap();
        }
    }
    fn checkpoint(&self) -> String {
        let cp = Checkpoint::new(self.signer.name(), self.tree.len(), self.tree.root()).unwrap();
        sign_checkpoint(&cp, &self.signer).unwrap().to_string()
    }
    fn request(&self, old: u64) -> CosignRequest {
        let proof = self.tree.consistency_proof(old, self.tree.len()).unwrap();
        CosignRequest {
            checkpoint: self.checkpoint(),
            vkey: self.signer.verifier().to_vkey(),
            proof: proof.iter().map(hex::encode).collect(),
        }
    }
}

async fn cosign(node: &TestNode, req: &CosignRequest) -> reqwest::Response {
    node.http
        .post(node.url("/log/cosign"))
        .bearer_auth(&node.admin)
        .json(req)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn witness_cosigns_consistent_checkpoints_and_keeps_split_view_evidence() {
    let node = TestNode::start().await;
    let mut honest = Foreign::new();
    honest.grow(3, 1);
    let r = cosign(&node, &honest.request(0)).await;
    let status = r.status();
    let line = r.text().await.unwrap();
    assert_eq!(status, 200, "{line}");
    // The cosignature verifies with the node's witness key.
    let note = Note::parse(&format!("{}{line}", honest.checkpoint())).unwrap();
    let w = node.log.cosignature_verifier();
    let verified = note.verify(&[&w as &dyn NoteVerifier]).unwrap();
    assert_eq!(verified.len(), 1);

    // Growth with a valid proof is cosigned; a bad proof is refused.
    honest.grow(5, 1);
    let mut bad = honest.request(3);
    bad.proof[0] = hex::encode([0u8; 32]);
    let r = cosign(&node, &bad).await;
    assert_eq!(
        r.status(),
        422,
        "a proof that does not connect is refused, and is no evidence"
    );
    assert!(
        node.store
            .split_view_evidence(honest.signer.name())
            .await
            .unwrap()
            .is_empty()
    );
    // The honest request still works (the inconsistent one was not recorded as seen).
    assert_eq!(cosign(&node, &honest.request(3)).await.status(), 200);

    // A second history of the same size: a split view.
    let mut fork = Foreign::new();
    fork.grow(8, 2);
    let r = cosign(&node, &fork.request(0)).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["description"].as_str().unwrap().contains("split view"),
        "{body}"
    );
    assert_eq!(body["evidence"]["presented_checkpoint"], fork.checkpoint());
    assert_eq!(body["evidence"]["kept_checkpoint"], honest.checkpoint());
    let kept = node
        .store
        .split_view_evidence(honest.signer.name())
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].new_note, fork.checkpoint());
    assert_eq!(kept[0].kept_note, honest.checkpoint());

    // An older checkpoint is a conflict but not evidence; a bad signature is a 400.
    let mut old = Foreign::new();
    old.grow(3, 1);
    assert_eq!(cosign(&node, &old.request(0)).await.status(), 409);
    assert_eq!(
        node.store
            .split_view_evidence(honest.signer.name())
            .await
            .unwrap()
            .len(),
        1
    );
    let mut forged = honest.request(8);
    forged.vkey = LogState::ephemeral("Beta").verifier().to_vkey();
    assert_eq!(cosign(&node, &forged).await.status(), 400);
    let r = node
        .http
        .post(node.url("/log/cosign"))
        .bearer_auth(&node.admin)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
