//! C2SP signed notes (checkpoints from peers' logs, witnesses' cosigned checkpoints) read by
//! `Note::parse_bytes`, signature lines read alone by `NoteSignature::from_line` (the witness
//! exchange), and verifier keys by `parse_vkey`/`from_vkey` (configuration and peers). Each
//! has an inverse: a parsed note, line or key must write back to text that parses to the same
//! value. Notes are verified with the golden files' log and witness keys.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pacific_tlog::cosignature::CosignatureVerifier;
use pacific_tlog::signed_note::{
    Ed25519Verifier, MAX_SIGNATURES, Note, NoteSignature, NoteVerifier, parse_vkey,
};

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
    let (log, witness) = verifiers();
    if let Ok(note) = Note::parse_bytes(data) {
        assert!(note.text().ends_with('\n'));
        assert!(!note.signatures().is_empty() && note.signatures().len() <= MAX_SIGNATURES);
        let written = note.to_string();
        let again = Note::parse(&written).expect("a parsed note's text parses again");
        assert_eq!(again, note);
        let _ = note.verify(&[log as &dyn NoteVerifier, witness]);
        for sig in note.signatures() {
            let line = sig.to_line();
            assert_eq!(NoteSignature::from_line(&line).as_ref(), Ok(sig));
        }
    }
    let Some(text) = pacific_fuzz::text(data) else {
        return;
    };
    if let Ok(sig) = NoteSignature::from_line(text) {
        let line = sig.to_line();
        assert_eq!(NoteSignature::from_line(&line), Ok(sig.clone()));
        let mut note = Note::new("x\n").expect("a valid note text");
        let _ = note.add_signature(sig);
        let _ = note.verify(&[log as &dyn NoteVerifier, witness]);
    }
    if parse_vkey(text).is_ok() {
        if let Ok(v) = Ed25519Verifier::from_vkey(text) {
            assert_eq!(Ed25519Verifier::from_vkey(&v.to_vkey()), Ok(v));
        }
        if let Ok(v) = CosignatureVerifier::from_vkey(text) {
            assert_eq!(CosignatureVerifier::from_vkey(&v.to_vkey()), Ok(v));
        }
    }
});
