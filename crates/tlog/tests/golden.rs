//! Golden files (`tests/golden/`, see its README): one log entry of every kind, the signed
//! checkpoint, the cosignature line, the cosigned checkpoint, both `vkey`s and the stored
//! frontier row, each built from fixed inputs and compared byte for byte with its file, and each
//! file decoded and re-encoded to the same bytes. `PACIFIC_BLESS=1` rewrites the files.

use ed25519_dalek::SigningKey;
use pacific_golden::{assert_folder_holds_only, assert_golden, read_golden, read_golden_text};
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, Cosigner};
use pacific_tlog::entry::{Act, Entry, ObjectRef, sha256};
use pacific_tlog::merkle::{Frontier, MemoryTree};
use pacific_tlog::signed_note::{
    Ed25519Signer, Ed25519Verifier, Note, NoteSignature, NoteVerifier,
};

/// This crate's golden files.
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

// --- Fixed inputs ----------------------------------------------------------------------------

const ORIGIN: &str = "alpha.example/log";
const WITNESS: &str = "bravo.example/witness";
/// 2026-03-01T08:00:00Z, in milliseconds.
const T0_MS: u64 = 1_772_352_000_000;
/// When the witness cosigns, in seconds: a minute after `T0_MS`.
const COSIGNED_AT: u64 = 1_772_352_060;

/// The log's key: seed bytes 0x00, 0x01, …, 0x1f.
fn log_signer() -> Ed25519Signer {
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    Ed25519Signer::new(ORIGIN, SigningKey::from_bytes(&seed)).unwrap()
}

/// The witness's cosigning key (bravo's): seed bytes 0x80, 0x81, …, 0x9f.
fn witness_key() -> SigningKey {
    SigningKey::from_bytes(&std::array::from_fn(|i| 0x80 + i as u8))
}

fn cosigner() -> Cosigner {
    Cosigner::new(WITNESS, witness_key()).unwrap()
}

fn object(n: u8) -> ObjectRef {
    ObjectRef {
        id: format!("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{n:02x}"),
        version: "2026-03-01T07:59:00.000Z".into(),
        sha256: sha256(format!("golden object {n}").as_bytes()),
    }
}

/// One act of every kind: those of the first version of the table in `pacific_tlog::entry`, in
/// its order, then the kinds added since (deletion, user management), so that adding a kind
/// leaves the files of the earlier ones as they were.
fn acts() -> Vec<Act> {
    let witness = cosigner().verifier();
    vec![
        Act::ObjectStored { object: object(1) },
        Act::ObjectReceived {
            object: object(2),
            peer: "bravo".into(),
        },
        Act::ObjectSent {
            object: object(1),
            peer: "bravo".into(),
            rule: "tlp:green to members".into(),
        },
        Act::ObjectWithheld {
            object: object(1),
            peer: "charlie".into(),
            reason: "tlp:amber and \"charlie\" is not a recipient".into(),
        },
        Act::PeerAdded {
            peer: "bravo".into(),
            peer_key: witness_key().verifying_key().to_bytes(),
        },
        Act::PeerRemoved {
            peer: "charlie".into(),
        },
        Act::PolicyChanged {
            policy_sha256: sha256(b"golden policy"),
        },
        Act::UserAdded {
            user: "zo\u{eb}".into(),
            role: "analyst".into(),
        },
        Act::ReceiptReceived {
            peer: "bravo".into(),
            log_size: 42,
            receipt_sha256: sha256(b"golden receipt"),
        },
        Act::CosignatureReceived {
            peer: "bravo".into(),
            tree_size: 8,
            root_hash: sha256(b"golden root of alpha"),
            key_id: witness.key_id(),
        },
        Act::CosignatureSent {
            peer: "bravo".into(),
            tree_size: 42,
            root_hash: sha256(b"golden root of bravo"),
        },
        Act::ObjectDeleted {
            object: object(3),
            collection: "365fed99-08fa-fdcd-a1b3-fb247eb41d01".into(),
        },
        Act::UserRemoved {
            user: "mallory".into(),
        },
        Act::UserRoleChanged {
            user: "zo\u{eb}".into(),
            role: "reader".into(),
        },
        Act::TokenRevoked {
            user: "zo\u{eb}".into(),
            token_id: "0a1b2c3d4e5f".into(),
        },
        Act::TokenIssued {
            user: "zo\u{eb}".into(),
            token_id: "5f4e3d2c1b0a".into(),
            expires: Some("2026-06-01T00:00:00Z".into()),
        },
        Act::GrantChanged {
            user: "zo\u{eb}".into(),
            collection: "365fed99-08fa-fdcd-a1b3-fb247eb41d01".into(),
            can_read: true,
            can_write: false,
        },
        Act::CharterInstalled {
            federation: sha256(b"golden charter"),
        },
        Act::ProposalClosed {
            proposal: "x-pacific-gov-act--6b1f0c3e-2d4a-4e8b-9c7d-5a3f1e2b4c6d".into(),
            outcome: "adopted".into(),
            tally_sha256: sha256(b"golden tally"),
        },
    ]
}

/// Who acts in the entry of `act`. The match has no catch-all arm: a new kind of act does not
/// compile until it has an actor here, and an entry in [`acts`] and a golden file.
fn actor_of(act: &Act) -> &'static str {
    match act {
        Act::ObjectStored { .. } | Act::ObjectDeleted { .. } => "alice",
        Act::ObjectReceived { .. }
        | Act::ReceiptReceived { .. }
        | Act::CosignatureReceived { .. } => "peer:bravo",
        Act::ObjectSent { .. }
        | Act::ObjectWithheld { .. }
        | Act::CosignatureSent { .. }
        | Act::CharterInstalled { .. }
        | Act::ProposalClosed { .. } => "local",
        Act::PeerAdded { .. }
        | Act::PeerRemoved { .. }
        | Act::PolicyChanged { .. }
        | Act::UserAdded { .. }
        | Act::UserRemoved { .. }
        | Act::UserRoleChanged { .. }
        | Act::TokenRevoked { .. }
        | Act::TokenIssued { .. }
        | Act::GrantChanged { .. } => "admin",
    }
}

/// The entries, a second apart from `T0_MS`.
fn entries() -> Vec<Entry> {
    acts()
        .into_iter()
        .zip(0..)
        .map(|(act, i)| Entry::new(T0_MS + i * 1000, actor_of(&act), act).unwrap())
        .collect()
}

/// The log holding the entries, in order.
fn tree() -> MemoryTree {
    let mut t = MemoryTree::new();
    for e in entries() {
        t.push(&e.encode().unwrap()).unwrap();
    }
    t
}

fn checkpoint() -> Checkpoint {
    let t = tree();
    Checkpoint::new(ORIGIN, t.len(), t.root()).unwrap()
}

fn entry_file(e: &Entry) -> String {
    format!("entry-{}.json", e.act.kind())
}

/// Every file the tests here write; nothing else may lie in the folder.
fn golden_files() -> Vec<String> {
    let mut files: Vec<String> = entries().iter().map(entry_file).collect();
    files.extend(
        [
            "checkpoint.txt",
            "checkpoint-cosigned.txt",
            "cosignature.txt",
            "log.vkey",
            "witness.vkey",
            "frontier.bin",
        ]
        .map(String::from),
    );
    files
}

// --- Tests -----------------------------------------------------------------------------------

#[test]
fn every_entry_kind_matches_its_golden_file_and_decodes_to_the_same_bytes() {
    let entries = entries();
    let mut kinds: Vec<&str> = entries.iter().map(|e| e.act.kind()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), entries.len(), "one entry per kind");
    for e in &entries {
        let name = entry_file(e);
        assert_golden(GOLDEN, &name, &e.encode().unwrap());
        let bytes = read_golden(GOLDEN, &name);
        let decoded =
            Entry::decode(&bytes).unwrap_or_else(|err| panic!("{name} does not decode: {err}"));
        assert_eq!(&decoded, e, "{name}");
        assert_eq!(decoded.encode().unwrap(), bytes, "{name} re-encoded");
    }
}

#[test]
fn the_signed_checkpoint_matches_its_golden_file_and_verifies() {
    let cp = checkpoint();
    let log = log_signer();
    let note = sign_checkpoint(&cp, &log).unwrap();
    assert_golden(GOLDEN, "checkpoint.txt", note.to_string().as_bytes());

    let text = read_golden_text(GOLDEN, "checkpoint.txt");
    let (opened, parsed) = open_checkpoint(&text, ORIGIN, &log.verifier()).unwrap();
    assert_eq!(opened, cp);
    assert_eq!(parsed.to_string(), text);
    assert_eq!(
        Checkpoint::parse(parsed.text()).unwrap().to_body(),
        parsed.text()
    );
    // The checkpoint commits to the golden entries: its root is their tree's.
    let mut t = MemoryTree::new();
    for e in entries() {
        t.push(&read_golden(GOLDEN, &entry_file(&e))).unwrap();
    }
    assert_eq!((opened.size(), *opened.root()), (t.len(), t.root()));
}

#[test]
fn the_cosignature_line_and_the_cosigned_checkpoint_match_their_golden_files() {
    let cp = checkpoint();
    let witness = cosigner();
    let line = witness.cosign(&cp, COSIGNED_AT).unwrap();
    assert_golden(GOLDEN, "cosignature.txt", line.to_line().as_bytes());
    let mut note = sign_checkpoint(&cp, &log_signer()).unwrap();
    note.add_signature(line).unwrap();
    assert_golden(
        GOLDEN,
        "checkpoint-cosigned.txt",
        note.to_string().as_bytes(),
    );

    let text = read_golden_text(GOLDEN, "cosignature.txt");
    let parsed = NoteSignature::from_line(&text).unwrap();
    assert_eq!(parsed.to_line(), text);
    assert_eq!(
        witness.verifier().verify_cosignature(&cp, &parsed).unwrap(),
        COSIGNED_AT
    );

    let text = read_golden_text(GOLDEN, "checkpoint-cosigned.txt");
    let parsed = Note::parse(&text).unwrap();
    assert_eq!(parsed.to_string(), text);
    let (log, witness) = (log_signer().verifier(), witness.verifier());
    let verified = parsed
        .verify(&[&log as &dyn NoteVerifier, &witness as &dyn NoteVerifier])
        .unwrap();
    assert_eq!(
        verified.iter().map(|v| v.timestamp).collect::<Vec<_>>(),
        [None, Some(COSIGNED_AT)]
    );
}

#[test]
fn the_vkeys_match_their_golden_files_and_parse_back() {
    let log = log_signer().verifier();
    let witness = cosigner().verifier();
    assert_golden(GOLDEN, "log.vkey", log.to_vkey().as_bytes());
    assert_golden(GOLDEN, "witness.vkey", witness.to_vkey().as_bytes());

    let text = read_golden_text(GOLDEN, "log.vkey");
    let parsed = Ed25519Verifier::from_vkey(&text).unwrap();
    assert_eq!(parsed, log);
    assert_eq!(parsed.to_vkey(), text);
    let text = read_golden_text(GOLDEN, "witness.vkey");
    let parsed = CosignatureVerifier::from_vkey(&text).unwrap();
    assert_eq!(parsed, witness);
    assert_eq!(parsed.to_vkey(), text);
}

#[test]
fn the_stored_frontier_row_matches_its_golden_file() {
    let t = tree();
    assert_golden(GOLDEN, "frontier.bin", &t.frontier().to_bytes());

    let bytes = read_golden(GOLDEN, "frontier.bin");
    let f = Frontier::from_bytes(&bytes).unwrap();
    assert_eq!(&f, t.frontier());
    assert_eq!(f.to_bytes(), bytes);
}

#[test]
fn the_golden_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, &golden_files());
}
