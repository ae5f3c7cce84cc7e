//! C2SP checkpoints: a body read by `Checkpoint::parse` must write back byte for byte
//! (`to_body`); a signed checkpoint is opened as a peer's log's is (`open_checkpoint`, with
//! the golden log key), its cosignatures checked with the golden witness key, and it is
//! judged as a witness judges an update from the golden checkpoint (size 11), with proofs
//! made of hashes of the input — which must give an answer or a `TlogError`, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint};
use pacific_tlog::cosignature::{CosignatureVerifier, check_witness_update};
use pacific_tlog::entry::sha256;
use pacific_tlog::signed_note::{Ed25519Verifier, Note};

const GOLDEN: &str = "alpha.example/log\n11\nH3WBRy336gRnYl72OBXfW74kCA4G0L+Pp9vy2+NI30Y=\n";

/// The golden log's and witness's verifiers, made once.
fn verifiers() -> &'static (Ed25519Verifier, CosignatureVerifier) {
    static KEYS: OnceLock<(Ed25519Verifier, CosignatureVerifier)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let log = Ed25519Verifier::new("alpha.example/log", *pacific_fuzz::public_key(0x00));
        let witness =
            CosignatureVerifier::new("bravo.example/witness", *pacific_fuzz::public_key(0x80));
        (
            log.expect("a valid key name"),
            witness.expect("a valid key name"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    let (log, witness) = verifiers();
    let golden = Checkpoint::parse(GOLDEN).expect("the golden checkpoint parses");
    // Proofs of 0 to 3 hashes derived from the input.
    let h = sha256(data);
    let proofs: [&[[u8; 32]]; 3] = [&[], &[h], &[h, sha256(&h), golden.root().to_owned()]];

    let mut bodies = Vec::new();
    if let Ok(cp) = Checkpoint::parse(text) {
        assert_eq!(
            cp.to_body(),
            text,
            "a checkpoint does not write back as it was read"
        );
        bodies.push(cp);
    }
    if let Ok((cp, note)) = open_checkpoint(text, "alpha.example/log", log) {
        assert_eq!(cp.to_body(), note.text());
        bodies.push(cp);
    }
    if let Ok(note) = Note::parse(text)
        && let Ok(cp) = Checkpoint::parse(note.text())
    {
        for sig in note.signatures() {
            let _ = witness.verify_cosignature(&cp, sig);
        }
        bodies.push(cp);
    }
    for cp in &bodies {
        let rebuilt = Checkpoint::new(cp.origin(), cp.size(), *cp.root())
            .and_then(|c| c.with_extensions(cp.extensions().to_vec()))
            .expect("a parsed checkpoint's parts make a checkpoint");
        assert_eq!(&rebuilt, cp);
        for proof in proofs {
            let _ = check_witness_update(Some(&golden), cp, proof);
            let _ = check_witness_update(Some(cp), &golden, proof);
            let _ = check_witness_update(None, cp, proof);
        }
    }
});
