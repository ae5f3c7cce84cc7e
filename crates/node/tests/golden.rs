//! Golden files (`tests/golden/`, see its README): the node's wire and API formats, each built
//! from fixed inputs and compared byte for byte with its file. `PACIFIC_BLESS=1` rewrites the
//! files.
//!
//! - Signed messages between nodes: a federation envelope and the signed ack (receipt) that
//!   answers it, the bytes each signature covers, an origin signature, a `Pacific-Peer`
//!   authorization header. Ed25519 is deterministic: these files are exact.
//! - The log's wire bodies of `pacific_node::wire`, serialised from fixed values, each decoded
//!   and re-encoded to the same bytes.
//! - JSON answers of a live node (TAXII, `/coop`, `/match`, `/log`), pretty-printed in the
//!   node's own member order, after [`normalise`] has replaced what changes from run to run.

use ed25519_dalek::SigningKey;
use pacific_core::Timestamp;
use pacific_core::access::Role;
use pacific_core::party::StakeholderType;
use pacific_golden::{
    assert_folder_holds_only, assert_golden, read_golden, read_golden_text, replace_times,
    replace_uuids,
};
use pacific_node::datadir::InitOptions;
use pacific_node::federation::envelope::{
    Ack, Envelope, EnvelopeObject, ReceivedEntry, RejectedObject, sign_origin, verify_origin,
};
use pacific_node::federation::peer_auth;
use pacific_node::wire::{
    ConsistencyProofView, CosignRequest, CosignatureAnswer, CosignaturePush, EntryView,
    InclusionProofView,
};
use pacific_node::{DataDir, Node};
use pacific_store::{FederationStore, Peer, SqliteFederationStore};
use pacific_tlog::checkpoint::{Checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, Cosigner};
use pacific_tlog::entry::{Act, Entry, ObjectRef, sha256};
use pacific_tlog::merkle::{self, MemoryTree};
use pacific_tlog::signed_note::{Ed25519Signer, NoteSignature, NoteVerifier};
use serde_json::{Value, json};

/// This crate's golden files.
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

// --- Fixed inputs ----------------------------------------------------------------------------

/// 2026-03-01T08:00:00Z, in milliseconds (log entries' times).
const T0_MS: u64 = 1_772_352_000_000;
/// The same instant in RFC 3339 (envelopes' and acks' times).
const T0: &str = "2026-03-01T08:00:00.000Z";
/// 2026-03-01T08:00:00Z in seconds (peer headers, cosignatures).
const T0_SECS: u64 = 1_772_352_000;

/// Alpha's identity key: seed bytes 0x00, 0x01, …, 0x1f (as the log's in `pacific-tlog`).
fn alpha_key() -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| i as u8))
}

/// Bravo's identity key: seed bytes 0x80, 0x81, …, 0x9f.
fn bravo_key() -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| 0x80 + i as u8))
}

/// Charlie's identity key (a third party whose object Alpha relays): 0x40, 0x41, …, 0x5f.
fn charlie_key() -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| 0x40 + i as u8))
}

/// Bravo's witness cosigning key: 0xc0, 0xc1, …, 0xdf.
fn bravo_cosigning_key() -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| 0xc0 + i as u8))
}

fn key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

const INDICATOR_ID: &str = "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a";
const MALWARE_ID: &str = "malware--0c9a3e1b-5d2f-4a7e-8b6c-2d1e0f9a8b7c";
const BROKEN_ID: &str = "indicator--f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b";
const TLP_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

/// Alpha's indicator, as stored text (TLP:GREEN).
fn indicator_text() -> String {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": INDICATOR_ID,
        "created": "2025-06-01T00:00:00.000Z",
        "modified": "2025-06-02T00:00:00.000Z",
        "name": "C2 address of \"GridWiper\"",
        "pattern": "[ipv4-addr:value = '203.0.113.7']",
        "pattern_type": "stix",
        "valid_from": "2025-06-01T00:00:00Z",
        "object_marking_refs": [TLP_GREEN]
    })
    .to_string()
}

/// Charlie's malware, which Alpha relays.
fn malware_text() -> String {
    json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": MALWARE_ID,
        "created": "2025-06-03T00:00:00.000Z",
        "modified": "2025-06-03T00:00:00.000Z",
        "name": "GridWiper",
        "is_family": true,
        "object_marking_refs": [TLP_GREEN]
    })
    .to_string()
}

/// An indicator without its pattern, which Bravo rejects.
fn broken_text() -> String {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": BROKEN_ID,
        "created": "2025-06-04T00:00:00.000Z",
        "modified": "2025-06-04T00:00:00.000Z",
        "pattern_type": "stix",
        "valid_from": "2025-06-04T00:00:00Z"
    })
    .to_string()
}

fn envelope() -> Envelope {
    Envelope::sign(
        &alpha_key(),
        "alpha",
        "bravo",
        42,
        T0,
        vec![
            EnvelopeObject::signed(&alpha_key(), "alpha", indicator_text()),
            EnvelopeObject::signed(&charlie_key(), "charlie", malware_text()),
            EnvelopeObject::signed(&alpha_key(), "alpha", broken_text()),
        ],
    )
}

fn object_ref(id: &str, version: &str, text: &str) -> ObjectRef {
    ObjectRef {
        id: id.into(),
        version: version.into(),
        sha256: sha256(text.as_bytes()),
    }
}

/// Bravo's `object-received` entries for the envelope's two valid objects.
fn received_entries() -> Vec<Entry> {
    [
        object_ref(INDICATOR_ID, "2025-06-02T00:00:00.000Z", &indicator_text()),
        object_ref(MALWARE_ID, "2025-06-03T00:00:00.000Z", &malware_text()),
    ]
    .into_iter()
    .map(|object| {
        let act = Act::ObjectReceived {
            object,
            peer: "alpha".into(),
        };
        Entry::new(T0_MS + 1000, "peer:alpha", act).unwrap()
    })
    .collect()
}

/// Bravo's signed ack of the envelope: one object new, one held already, one rejected.
fn ack() -> Ack {
    let received = received_entries()
        .iter()
        .zip(7..)
        .map(|(e, index)| ReceivedEntry {
            entry: String::from_utf8(e.encode().unwrap()).unwrap(),
            index,
        })
        .collect();
    Ack {
        accepted: 1,
        duplicates: 1,
        log_origin: pacific_node::log::log_origin("Bravo Police", &bravo_key().verifying_key()),
        log_size: 9,
        received,
        recipient: "alpha".into(),
        rejected: vec![RejectedObject {
            id: BROKEN_ID.into(),
            reason: "invalid-object".into(),
        }],
        sender: "bravo".into(),
        seq: 42,
        signature: String::new(),
        time: "2026-03-01T08:00:01.000Z".into(),
    }
    .sign(&bravo_key())
}

/// Five entries of Alpha's log, a second apart: two objects stored, one sent, a peer added,
/// one object withheld.
fn alpha_entries() -> Vec<Entry> {
    let indicator = object_ref(INDICATOR_ID, "2025-06-02T00:00:00.000Z", &indicator_text());
    let malware = object_ref(MALWARE_ID, "2025-06-03T00:00:00.000Z", &malware_text());
    let acts = vec![
        (
            "analyst",
            Act::ObjectStored {
                object: indicator.clone(),
            },
        ),
        (
            "peer:charlie",
            Act::ObjectReceived {
                object: malware,
                peer: "charlie".into(),
            },
        ),
        (
            "admin",
            Act::PeerAdded {
                peer: "bravo".into(),
                peer_key: bravo_key().verifying_key().to_bytes(),
            },
        ),
        (
            "local",
            Act::ObjectSent {
                object: indicator.clone(),
                peer: "bravo".into(),
                rule: "tlp:green to members".into(),
            },
        ),
        (
            "local",
            Act::ObjectWithheld {
                object: indicator,
                peer: "delta".into(),
                reason: "\"delta\" is not a member".into(),
            },
        ),
    ];
    acts.into_iter()
        .zip(0..)
        .map(|((actor, act), i)| Entry::new(T0_MS + i * 1000, actor, act).unwrap())
        .collect()
}

fn alpha_tree(size: usize) -> MemoryTree {
    let mut t = MemoryTree::new();
    for e in &alpha_entries()[..size] {
        t.push(&e.encode().unwrap()).unwrap();
    }
    t
}

fn alpha_log_signer() -> Ed25519Signer {
    let origin = pacific_node::log::log_origin("Alpha CERT", &alpha_key().verifying_key());
    Ed25519Signer::new(origin, alpha_key()).unwrap()
}

/// Alpha's signed checkpoint of its log of `size` entries.
fn alpha_checkpoint(size: usize) -> (Checkpoint, String) {
    let t = alpha_tree(size);
    let signer = alpha_log_signer();
    let cp = Checkpoint::new(signer.verifier().name(), t.len(), t.root()).unwrap();
    let note = sign_checkpoint(&cp, &signer).unwrap().to_string();
    (cp, note)
}

fn hexes(hashes: &[merkle::Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

/// Serialises a wire body as the node sends it, checks it against its golden file, then decodes
/// the file and re-encodes it to the same bytes.
fn assert_wire<T: serde::Serialize + serde::de::DeserializeOwned>(name: &str, value: &T) {
    assert_golden(GOLDEN, name, &serde_json::to_vec(value).unwrap());
    let bytes = read_golden(GOLDEN, name);
    let decoded: T =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} does not decode: {e}"));
    assert_eq!(
        serde_json::to_vec(&decoded).unwrap(),
        bytes,
        "{name} re-encoded"
    );
}

// --- Signed messages between nodes -----------------------------------------------------------

#[test]
fn golden_envelope_and_its_signed_bytes() {
    let e = envelope();
    assert_golden(GOLDEN, "envelope.json", &serde_json::to_vec(&e).unwrap());
    assert_golden(GOLDEN, "envelope-signed-bytes.txt", &e.signed_bytes());

    let decoded: Envelope = serde_json::from_slice(&read_golden(GOLDEN, "envelope.json")).unwrap();
    assert_eq!(decoded, e);
    assert!(decoded.verify_signature(&alpha_key().verifying_key()));
    assert_eq!(
        decoded.signed_bytes(),
        read_golden(GOLDEN, "envelope-signed-bytes.txt")
    );
    for (o, key) in decoded
        .objects
        .iter()
        .zip([alpha_key(), charlie_key(), alpha_key()])
    {
        assert!(verify_origin(
            &key.verifying_key(),
            &o.origin,
            &o.object,
            &o.origin_signature
        ));
    }
}

#[test]
fn golden_ack_and_its_signed_bytes() {
    let a = ack();
    assert_golden(GOLDEN, "ack.json", &serde_json::to_vec(&a).unwrap());
    assert_golden(GOLDEN, "ack-signed-bytes.txt", &a.signed_bytes());

    let decoded: Ack = serde_json::from_slice(&read_golden(GOLDEN, "ack.json")).unwrap();
    assert_eq!(decoded, a);
    assert!(decoded.verify_signature(&bravo_key().verifying_key()));
    assert_eq!(
        decoded.signed_bytes(),
        read_golden(GOLDEN, "ack-signed-bytes.txt")
    );
    let objects = decoded.receipt_objects().unwrap();
    assert_eq!(
        objects
            .iter()
            .map(|(i, o)| (*i, o.id.as_str()))
            .collect::<Vec<_>>(),
        [(7, INDICATOR_ID), (8, MALWARE_ID)]
    );
}

#[test]
fn golden_origin_signature() {
    let text = indicator_text();
    let sig = sign_origin(&alpha_key(), "alpha", &text);
    assert_golden(GOLDEN, "origin-signature.txt", sig.as_bytes());
    let file = read_golden_text(GOLDEN, "origin-signature.txt");
    assert!(verify_origin(
        &alpha_key().verifying_key(),
        "alpha",
        &text,
        &file
    ));
}

#[test]
fn golden_peer_authorization_header() {
    let header = peer_auth::authorization_with_nonce(
        &bravo_key(),
        "bravo",
        "alpha",
        "GET",
        "/log/entries",
        "start=0&end=5",
        T0_SECS as i64,
        "000102030405060708090a0b0c0d0e0f",
    );
    assert_golden(GOLDEN, "peer-authorization.txt", header.as_bytes());
    let file = read_golden_text(GOLDEN, "peer-authorization.txt");
    let claim = peer_auth::parse(&file).expect("the golden header parses");
    assert_eq!(
        (claim.sender.as_str(), claim.unix),
        ("bravo", T0_SECS as i64)
    );
    assert!(claim.verify(
        &bravo_key().verifying_key(),
        "alpha",
        "GET",
        "/log/entries",
        "start=0&end=5"
    ));
}

// --- The log's wire bodies -------------------------------------------------------------------

#[test]
fn golden_log_entry_views() {
    let entries = alpha_entries();
    let bytes = entries[3].encode().unwrap();
    let shown = EntryView {
        index: 3,
        leaf_hash: hex::encode(merkle::leaf_hash(&bytes)),
        entry_b64: Some({
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        }),
        entry: Some(serde_json::from_slice(&bytes).unwrap()),
        redacted: false,
    };
    assert_wire("wire-entry.json", &shown);
    let bytes = entries[4].encode().unwrap();
    let redacted = EntryView {
        index: 4,
        leaf_hash: hex::encode(merkle::leaf_hash(&bytes)),
        entry_b64: None,
        entry: None,
        redacted: true,
    };
    assert_wire("wire-entry-redacted.json", &redacted);
}

#[test]
fn golden_log_proof_views() {
    let t = alpha_tree(5);
    let inclusion = InclusionProofView {
        index: 3,
        size: 5,
        root: hex::encode(t.root()),
        hashes: hexes(&merkle::inclusion_proof(3, 5, &t).unwrap()),
    };
    assert_wire("wire-inclusion-proof.json", &inclusion);
    let consistency = ConsistencyProofView {
        old: 3,
        new: 5,
        old_root: hex::encode(merkle::root(3, &t).unwrap()),
        new_root: hex::encode(t.root()),
        hashes: hexes(&merkle::consistency_proof(3, 5, &t).unwrap()),
    };
    assert_wire("wire-consistency-proof.json", &consistency);
    // The proofs verify.
    let leaf = merkle::leaf_hash(&alpha_entries()[3].encode().unwrap());
    merkle::verify_inclusion(
        &leaf,
        3,
        5,
        &merkle::inclusion_proof(3, 5, &t).unwrap(),
        &t.root(),
    )
    .unwrap();
}

#[test]
fn golden_witness_bodies() {
    let (_, note) = alpha_checkpoint(5);
    let t = alpha_tree(5);
    let request = CosignRequest {
        checkpoint: note.clone(),
        vkey: alpha_log_signer().verifier().to_vkey(),
        proof: hexes(&merkle::consistency_proof(3, 5, &t).unwrap()),
    };
    assert_wire("wire-cosign-request.json", &request);

    let witness_origin =
        pacific_node::log::log_origin("Bravo Police", &bravo_key().verifying_key());
    let cosigner = Cosigner::new(witness_origin, bravo_cosigning_key()).unwrap();
    let (cp, _) = alpha_checkpoint(5);
    let line = cosigner.cosign(&cp, T0_SECS + 60).unwrap();
    let vkey = cosigner.verifier().to_vkey();
    let push = CosignaturePush {
        checkpoint: note,
        cosignature: line.to_line(),
        statement: pacific_node::log::sign_cosigner_key(&bravo_key(), "bravo", &vkey),
        cosigner_vkey: vkey,
    };
    assert_wire("wire-cosignature-push.json", &push);

    let answer = CosignatureAnswer {
        kept: true,
        logged: true,
        witness: "bravo".into(),
        size: 5,
    };
    assert_wire("wire-cosignature-answer.json", &answer);

    // The golden push checks out as a witness's would.
    let push: CosignaturePush =
        serde_json::from_slice(&read_golden(GOLDEN, "wire-cosignature-push.json")).unwrap();
    assert!(pacific_node::log::verify_cosigner_key(
        &bravo_key().verifying_key(),
        "bravo",
        &push.cosigner_vkey,
        &push.statement
    ));
    let verifier = CosignatureVerifier::from_vkey(&push.cosigner_vkey).unwrap();
    let line = NoteSignature::from_line(push.cosignature.trim_end()).unwrap();
    assert_eq!(
        verifier.verify_cosignature(&cp, &line).unwrap(),
        T0_SECS + 60
    );
}

// --- A live node's JSON answers --------------------------------------------------------------

const TAXII: &str = "application/taxii+json;version=2.1";

/// What [`normalise`] replaces in a live node's answers: the values that change from run to
/// run and that the test's fixed inputs do not decide.
struct Volatile {
    /// The node's base URL, `http://127.0.0.1:<port>`: becomes `http://HOST`.
    base: String,
    /// The default collection's id (random at `init`): becomes `DEFAULT_COLLECTION`.
    default_collection: String,
    /// When the test started, RFC 3339: a timestamp at or after it is the node's clock and
    /// becomes `TIME` (the fixed inputs' times are all in 2025, before any run).
    started: String,
    /// UUIDs of the fixed inputs, kept; every other UUID is random and becomes `UUID`.
    fixed_uuids: Vec<String>,
}

/// Replaces, in a JSON answer, what changes from run to run (see [`Volatile`]), then
/// pretty-prints it in the node's member order (serde_json keeps the order it read).
///
/// - members named in `masks` (at any depth) whose values the clock decides although they
///   do not look like times, e.g. a log entry's millisecond `time` and its leaf hash and
///   bytes: their value becomes the given placeholder (`TIME`, `HASH`, `BASE64`…);
/// - the base URL → `http://HOST`, the default collection's id → `DEFAULT_COLLECTION`;
/// - RFC 3339 timestamps at or after the test's start → `TIME`, and today's date (UTC,
///   `YYYY-MM-DD`, standing alone in a string) → `DAY`;
/// - UUIDs not of the fixed inputs → `UUID` (also inside STIX ids: `type--UUID`).
///
/// Everything else is compared exactly.
fn normalise(v: &Volatile, mut answer: Value, masks: &[(&str, &str)]) -> String {
    fn mask(value: &mut Value, masks: &[(&str, &str)]) {
        match value {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if let Some((_, with)) = masks.iter().find(|(name, _)| name == k) {
                        *x = Value::String((*with).to_owned());
                    } else {
                        mask(x, masks);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| mask(x, masks)),
            _ => {}
        }
    }
    mask(&mut answer, masks);
    let text = serde_json::to_string_pretty(&answer).unwrap() + "\n";
    let text = text
        .replace(&v.base, "http://HOST")
        .replace(&v.default_collection, "DEFAULT_COLLECTION");
    let now = Timestamp::now();
    let today = &now.as_str()[..10];
    let text = text.replace(&format!("\"{today}\""), "\"DAY\"");
    let text = replace_times(&text, &v.started);
    replace_uuids(&text, &v.fixed_uuids)
}

/// A node on 127.0.0.1 with fixed identities: Alpha CERT (party id `alpha`, identity key
/// [`alpha_key`]), users admin, analyst and reader, and peer `bravo` (key [`bravo_key`]).
struct LiveNode {
    base: String,
    admin: String,
    analyst: String,
    reader: String,
    volatile: Volatile,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl LiveNode {
    async fn start() -> Self {
        let started = Timestamp::now().as_str().to_owned();
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::new(tmp.path().join("alpha"));
        let report = dir
            .init(&InitOptions {
                name: "Alpha CERT".into(),
                stakeholder_type: StakeholderType::State,
                jurisdiction: Some("XA".into()),
                listen: None,
            })
            .await
            .unwrap();
        // The fixed identity (`identity.key` holds the secret key in hex) and party id.
        std::fs::write(
            dir.root().join("identity.key"),
            hex::encode(alpha_key().to_bytes()),
        )
        .unwrap();
        let config_path = dir.root().join("pacific.toml");
        let mut config = pacific_node::config::Config::from_toml(
            &std::fs::read_to_string(&config_path).unwrap(),
        )
        .unwrap();
        config.federation.party_id = Some("alpha".into());
        // A POST answers its status pending, as the golden file of that answer shows.
        config.server.post_wait_millis = 0;
        std::fs::write(&config_path, config.to_toml()).unwrap();

        let store = dir.open_store().await.unwrap();
        let mut tokens = Vec::new();
        for (name, role) in [
            ("admin", Role::Admin),
            ("analyst", Role::Analyst),
            ("reader", Role::Reader),
        ] {
            let issued = pacific_node::auth::add_user(store.as_ref(), name, role)
                .await
                .unwrap();
            tokens.push(issued.token);
        }
        drop(store);
        let fed = SqliteFederationStore::open(&dir.db_path()).await.unwrap();
        fed.add_peer(
            &Peer {
                party_id: "bravo".into(),
                name: "Bravo Police".into(),
                stakeholder_type: StakeholderType::State,
                jurisdiction: Some("XB".into()),
                organisation: None,
                url: "http://bravo.example:9002".into(),
                public_key: key_hex(&bravo_key()),
                added: Timestamp::now(),
            },
            "admin",
        )
        .await
        .unwrap();
        fed.close().await;

        let node = Node::open(&dir).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(node.serve(listener, async {
            let _ = stopped.await;
        }));
        pacific_node::install_crypto_provider();
        let mut fixed_uuids = Vec::new();
        for id in [INDICATOR_ID, MALWARE_ID, BROKEN_ID, TLP_GREEN, UNKNOWN] {
            fixed_uuids.push(id.rsplit("--").next().unwrap().to_owned());
        }
        Self {
            volatile: Volatile {
                base: base.clone(),
                default_collection: report.default_collection.id,
                started,
                fixed_uuids,
            },
            base,
            admin: tokens[0].clone(),
            analyst: tokens[1].clone(),
            reader: tokens[2].clone(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            _stop: stop,
            _dir: tmp,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns the status and the JSON answer.
    async fn call(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("answer {status} is not JSON ({e}): {text}"));
        (status, value)
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .header("accept", TAXII),
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> (u16, Value) {
        self.call(
            self.http
                .post(self.url(path))
                .bearer_auth(token)
                .header("accept", TAXII)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Checks an answer's status and its normalised JSON against the golden file `name`.
    fn check(
        &self,
        name: &str,
        (status, answer): (u16, Value),
        expected: u16,
        masks: &[(&str, &str)],
    ) {
        assert_eq!(status, expected, "{name}: {answer}");
        assert_golden(
            GOLDEN,
            name,
            normalise(&self.volatile, answer, masks).as_bytes(),
        );
    }

    /// Stores the indicator and the malware over TAXII and waits for the status resource to be
    /// complete; returns the answer to the POST.
    async fn post_objects(&self) -> (u16, Value) {
        let objects: Vec<Value> = [indicator_text(), malware_text()]
            .iter()
            .map(|t| serde_json::from_str(t).unwrap())
            .collect();
        let posted = self
            .post(
                OBJECTS,
                &self.analyst,
                TAXII,
                json!({ "objects": objects }).to_string(),
            )
            .await;
        let id = posted.1["id"].as_str().unwrap().to_owned();
        for _ in 0..500 {
            let (_, status) = self
                .get(&format!("/taxii2/root/status/{id}/"), &self.analyst)
                .await;
            if status["status"] == "complete" {
                return posted;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the status resource never completed");
    }
}

const OBJECTS: &str = "/taxii2/root/collections/default/objects/";
/// A collection id no node holds.
const UNKNOWN: &str = "collection--00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn golden_taxii_answers() {
    let node = LiveNode::start().await;
    let r = &node.reader;
    node.check(
        "api-taxii-discovery.json",
        node.get("/taxii2/", r).await,
        200,
        &[],
    );
    node.check(
        "api-taxii-api-root.json",
        node.get("/taxii2/root/", r).await,
        200,
        &[],
    );
    node.check(
        "api-taxii-collections.json",
        node.get("/taxii2/root/collections/", r).await,
        200,
        &[],
    );
    node.check(
        "api-taxii-collection.json",
        node.get("/taxii2/root/collections/default/", &node.analyst)
            .await,
        200,
        &[],
    );

    let posted = node.post_objects().await;
    let status_id = posted.1["id"].as_str().unwrap().to_owned();
    node.check("api-taxii-status-pending.json", posted, 202, &[]);
    node.check(
        "api-taxii-status.json",
        node.get(&format!("/taxii2/root/status/{status_id}/"), r)
            .await,
        200,
        &[],
    );
    node.check(
        "api-taxii-objects.json",
        node.get(OBJECTS, r).await,
        200,
        &[],
    );
    node.check(
        "api-taxii-manifest.json",
        node.get("/taxii2/root/collections/default/manifest/", r)
            .await,
        200,
        &[],
    );
    node.check(
        "api-taxii-versions.json",
        node.get(&format!("{OBJECTS}{INDICATOR_ID}/versions/"), r)
            .await,
        200,
        &[],
    );
    node.check(
        "api-taxii-error-404.json",
        node.get(&format!("/taxii2/root/collections/{UNKNOWN}/"), r)
            .await,
        404,
        &[],
    );
    let not_acceptable = node
        .call(
            node.http
                .get(node.url("/taxii2/"))
                .bearer_auth(r)
                .header("accept", "application/xml"),
        )
        .await;
    node.check("api-taxii-error-406.json", not_acceptable, 406, &[]);
}

#[tokio::test]
async fn golden_coop_request_draft() {
    let node = LiveNode::start().await;
    let spec = crate::coop_api::preservation_spec();
    let drafted = node
        .post(
            "/coop/requests",
            &node.admin,
            "application/json",
            spec.to_string(),
        )
        .await;
    node.check("api-coop-request-draft.json", drafted, 201, &[]);
}

#[tokio::test]
async fn golden_match_report_and_stats() {
    let node = LiveNode::start().await;
    node.post_objects().await;
    let input = "{\"ts\":\"2025-06-05T10:00:00Z\",\"src_ip\":\"198.51.100.1\",\"dst_ip\":\"203.0.113.7\"}\n\
                 {\"ts\":\"2025-06-05T10:00:01Z\",\"src_ip\":\"198.51.100.2\",\"dst_ip\":\"192.0.2.9\"}\n\
                 not json\n";
    // Indicators stored while serving are picked up without a restart, soon after.
    let mut report = (0, Value::Null);
    for _ in 0..250 {
        report = node
            .post(
                "/match",
                &node.analyst,
                "application/x-ndjson",
                input.into(),
            )
            .await;
        if report.1["matches"].as_u64().is_some_and(|n| n > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    node.check("api-match-report.json", report, 200, &[]);
    node.check(
        "api-match-stats.json",
        node.get("/match/stats?from=2025-06-05&to=2025-06-05", &node.reader)
            .await,
        200,
        &[],
    );
}

/// Masks of a log entry's clock-made members: its time (ms) and everything that covers it.
const ENTRY_MASKS: &[(&str, &str)] = &[
    ("time", "TIME"),
    ("leaf_hash", "HASH"),
    ("entry_b64", "BASE64"),
];

#[tokio::test]
async fn golden_log_answers() {
    let node = LiveNode::start().await;
    node.post_objects().await;
    // The log's size: the first `end` the node refuses, less one.
    let mut size = 1;
    while node
        .get(
            &format!("/log/entries?start=0&end={}", size + 1),
            &node.admin,
        )
        .await
        .0
        == 200
    {
        size += 1;
    }
    let path = format!("/log/entries?start=0&end={size}");
    node.check(
        "api-log-entries.json",
        node.get(&path, &node.reader).await,
        200,
        ENTRY_MASKS,
    );
    // Bravo, a peer, reads the same entries: what the policy gate holds back is redacted.
    let now = Timestamp::now().unix().0;
    let query = format!("start=0&end={size}");
    let auth = peer_auth::authorization(
        &bravo_key(),
        "bravo",
        "alpha",
        "GET",
        "/log/entries",
        &query,
        now,
    );
    let peer_view = node
        .call(node.http.get(node.url(&path)).header("authorization", auth))
        .await;
    node.check("api-log-entries-peer.json", peer_view, 200, ENTRY_MASKS);
    node.check(
        "api-log-witness-key.json",
        node.get("/log/witness-key", &node.reader).await,
        200,
        &[],
    );
}

/// Every file the tests here write; nothing else may lie in the folder.
const GOLDEN_FILES: &[&str] = &[
    "ack-signed-bytes.txt",
    "ack.json",
    "api-coop-request-draft.json",
    "api-log-entries-peer.json",
    "api-log-entries.json",
    "api-log-witness-key.json",
    "api-match-report.json",
    "api-match-stats.json",
    "api-taxii-api-root.json",
    "api-taxii-collection.json",
    "api-taxii-collections.json",
    "api-taxii-discovery.json",
    "api-taxii-error-404.json",
    "api-taxii-error-406.json",
    "api-taxii-manifest.json",
    "api-taxii-objects.json",
    "api-taxii-status-pending.json",
    "api-taxii-status.json",
    "api-taxii-versions.json",
    "envelope-signed-bytes.txt",
    "envelope.json",
    "origin-signature.txt",
    "peer-authorization.txt",
    "wire-consistency-proof.json",
    "wire-cosign-request.json",
    "wire-cosignature-answer.json",
    "wire-cosignature-push.json",
    "wire-entry-redacted.json",
    "wire-entry.json",
    "wire-inclusion-proof.json",
];

#[test]
fn golden_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, GOLDEN_FILES);
}

#[test]
fn golden_normalisation_keeps_fixed_values_and_replaces_the_runs() {
    let v = Volatile {
        base: "http://127.0.0.1:41234".into(),
        default_collection: "11111111-2222-4333-8444-555555555555".into(),
        started: "2026-01-01T00:00:00.000Z".into(),
        fixed_uuids: vec!["6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a".into()],
    };
    let answer = json!({
        "url": "http://127.0.0.1:41234/taxii2/root/",
        "collection": "11111111-2222-4333-8444-555555555555",
        "kept": "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a",
        "random": "x-pacific-assistance-request--0f0e0d0c-0b0a-4909-8807-060504030201",
        "old": "2025-06-01T00:00:00.000Z",
        "now": "2026-01-01T00:00:00.123456Z",
        "later": "2027-02-03T04:05:06Z",
        "ms": 1772352000000u64,
        "inner": {"leaf_hash": "ab"}
    });
    let text = normalise(&v, answer, &[("ms", "TIME"), ("leaf_hash", "HASH")]);
    assert_eq!(
        text,
        "{\n  \"url\": \"http://HOST/taxii2/root/\",\n  \"collection\": \"DEFAULT_COLLECTION\",\n  \
         \"kept\": \"indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a\",\n  \
         \"random\": \"x-pacific-assistance-request--UUID\",\n  \
         \"old\": \"2025-06-01T00:00:00.000Z\",\n  \"now\": \"TIME\",\n  \"later\": \"TIME\",\n  \
         \"ms\": \"TIME\",\n  \"inner\": {\n    \"leaf_hash\": \"HASH\"\n  }\n}\n"
    );
}
