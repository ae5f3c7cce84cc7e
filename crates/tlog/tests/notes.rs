//! Checkpoints, signed notes, cosignatures and witness checks: sign/verify, tampering, unknown
//! keys, several signatures, malformed input, and no panics on arbitrary input.

use ed25519_dalek::SigningKey;
use pacific_tlog::TlogError;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::{
    CosignatureVerifier, Cosigner, check_witness_update, signed_message,
};
use pacific_tlog::merkle::MemoryTree;
use pacific_tlog::signed_note::{
    Ed25519Signer, Ed25519Verifier, Note, NoteVerifier, SIG_TYPE_ED25519, key_id, parse_vkey,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const ORIGIN: &str = "alpha.example/log";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn log_signer() -> Ed25519Signer {
    Ed25519Signer::new(ORIGIN, key(1)).unwrap()
}

fn tree(n: u64) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        t.push(format!("e{i}").as_bytes()).unwrap();
    }
    t
}

fn checkpoint(t: &MemoryTree, size: u64) -> Checkpoint {
    Checkpoint::new(ORIGIN, size, t.root_at(size).unwrap()).unwrap()
}

#[test]
fn checkpoint_body_format_and_round_trip() {
    let cp = Checkpoint::new(ORIGIN, 20852163, [0xab; 32]).unwrap();
    let body = cp.to_body();
    assert_eq!(
        body,
        "alpha.example/log\n20852163\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n"
    );
    assert_eq!(Checkpoint::parse(&body).unwrap(), cp);
    let ext = cp.clone().with_extensions(vec!["ext one".into()]).unwrap();
    assert_eq!(Checkpoint::parse(&ext.to_body()).unwrap(), ext);
    assert!(cp.clone().with_extensions(vec![String::new()]).is_err());
    assert!(Checkpoint::new("", 1, [0; 32]).is_err());
    assert!(Checkpoint::new("a\nb", 1, [0; 32]).is_err());
}

#[test]
fn malformed_checkpoints_are_rejected() {
    let root = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
    let bad = [
        String::new(),
        "origin\n".into(),
        "origin\n5\n".into(),
        format!("origin\n5\n{root}"),    // no final newline
        format!("\n5\n{root}\n"),        // empty origin
        format!("origin\n05\n{root}\n"), // leading zero
        format!("origin\n+5\n{root}\n"), // sign
        format!("origin\n-5\n{root}\n"),
        format!("origin\n 5\n{root}\n"),
        format!("origin\n5x\n{root}\n"),
        format!("origin\n99999999999999999999\n{root}\n"), // overflow
        format!("origin\n9223372036854775809\n{root}\n"),  // above 2^63
        "origin\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\n".into(), // no padding
        "origin\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6t=\n".into(), // non-canonical bits
        "origin\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur\n".into(), // 30 bytes
        format!("origin\n5\n{root}\n\n"),                  // empty extension line
        format!("origin\n5\n{root}\next\n\n"),
        format!("origin\r\n5\n{root}\n"),
    ];
    for b in &bad {
        assert!(Checkpoint::parse(b).is_err(), "accepted {b:?}");
    }
    assert!(Checkpoint::parse(&format!("origin\n0\n{root}\n")).is_ok());
}

#[test]
fn signed_checkpoint_verifies_and_tampering_fails() {
    let t = tree(10);
    let cp = checkpoint(&t, 10);
    let signer = log_signer();
    let note = sign_checkpoint(&cp, &signer).unwrap();
    let text = note.to_string();
    assert!(text.starts_with(&cp.to_body()));
    assert!(text.contains("\n\n\u{2014} alpha.example/log "));

    let (got, _) = open_checkpoint(&text, ORIGIN, &signer.verifier()).unwrap();
    assert_eq!(got, cp);

    // Tampered body: size changed.
    let tampered = text.replacen("\n10\n", "\n11\n", 1);
    assert!(matches!(
        open_checkpoint(&tampered, ORIGIN, &signer.verifier()),
        Err(TlogError::BadSignature { .. })
    ));
    // Tampered signature: flip one bit of the signature bytes.
    let mut n = Note::parse(&text).unwrap();
    let mut sig = n.signatures()[0].clone();
    sig.signature[10] ^= 1;
    let mut n2 = Note::new(n.text()).unwrap();
    n2.add_signature(sig).unwrap();
    assert!(matches!(
        n2.verify(&[&signer.verifier() as &dyn NoteVerifier]),
        Err(TlogError::BadSignature { .. })
    ));
    // Wrong origin expected.
    assert!(matches!(
        open_checkpoint(&text, "other.example/log", &signer.verifier()),
        Err(TlogError::WrongOrigin { .. })
    ));
    // Signed by another key with the same name: its key ID differs, so it is unknown.
    let other = Ed25519Signer::new(ORIGIN, key(2)).unwrap();
    assert!(matches!(
        open_checkpoint(&text, ORIGIN, &other.verifier()),
        Err(TlogError::NoKnownSignature)
    ));
    // Re-signing replaces the same key's signature rather than adding one.
    n.sign(&signer).unwrap();
    assert_eq!(n.signatures().len(), 1);
}

#[test]
fn unknown_signatures_are_ignored_and_several_verify() {
    let t = tree(3);
    let cp = checkpoint(&t, 3);
    let a = log_signer();
    let b = Ed25519Signer::new("beta.example/key", key(3)).unwrap();
    let unknown = Ed25519Signer::new("stranger.example", key(4)).unwrap();
    let mut note = Note::new(cp.to_body()).unwrap();
    note.sign(&unknown).unwrap();
    note.sign(&a).unwrap();
    note.sign(&b).unwrap();
    let parsed = Note::parse(&note.to_string()).unwrap();
    assert_eq!(parsed, note);
    let va = a.verifier();
    let vb = b.verifier();
    let ok = parsed.verify(&[&va, &vb]).unwrap();
    let names: Vec<_> = ok.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["alpha.example/log", "beta.example/key"]);
    assert_eq!(parsed.verify(&[&vb]).unwrap().len(), 1);
    let nobody = Ed25519Signer::new("nobody.example", key(5))
        .unwrap()
        .verifier();
    assert_eq!(parsed.verify(&[&nobody]), Err(TlogError::NoKnownSignature));
    assert_eq!(parsed.verify(&[]), Err(TlogError::NoKnownSignature));
}

#[test]
fn key_id_and_vkey() {
    let s = log_signer();
    let pk = key(1).verifying_key();
    let mut h = Sha256::new();
    h.update(ORIGIN.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(pk.as_bytes());
    let d = h.finalize();
    assert_eq!(s.key_id(), [d[0], d[1], d[2], d[3]]);
    assert_eq!(key_id(ORIGIN, SIG_TYPE_ED25519, pk.as_bytes()), s.key_id());

    let v = s.verifier();
    let vk = v.to_vkey();
    assert!(vk.starts_with("alpha.example/log+"));
    assert_eq!(Ed25519Verifier::from_vkey(&vk).unwrap(), v);
    assert!(CosignatureVerifier::from_vkey(&vk).is_err()); // wrong type
    let c = Cosigner::new("witness.example/w1", key(9))
        .unwrap()
        .verifier();
    assert_eq!(CosignatureVerifier::from_vkey(&c.to_vkey()).unwrap(), c);
    // A wrong key ID, bad base64, extra parts, bad names.
    let parts: Vec<&str> = vk.split('+').collect();
    for bad in [
        format!("{}+00000000+{}", parts[0], parts[2]),
        format!("{}+{}+{}x", parts[0], parts[1], parts[2]),
        format!("{vk}+extra"),
        format!("+{}+{}", parts[1], parts[2]),
        format!("a b+{}+{}", parts[1], parts[2]),
        "nonsense".into(),
    ] {
        assert!(parse_vkey(&bad).is_err(), "accepted {bad:?}");
    }
    assert!(Ed25519Signer::new("has space", key(1)).is_err());
    assert!(Ed25519Signer::new("has+plus", key(1)).is_err());
    assert!(Ed25519Signer::new("", key(1)).is_err());
}

#[test]
fn cosignatures_verify_with_timestamp() {
    let t = tree(7);
    let cp = checkpoint(&t, 7);
    let log = log_signer();
    let mut note = sign_checkpoint(&cp, &log).unwrap();
    let w = Cosigner::new("witness.example/w1", key(7)).unwrap();
    let sig = w.cosign(&cp, 1_679_315_147).unwrap();
    assert_eq!(sig.signature.len(), 72);
    assert_eq!(&sig.signature[..8], &1_679_315_147u64.to_be_bytes());
    note.add_signature(sig).unwrap();
    let text = note.to_string();
    let parsed = Note::parse(&text).unwrap();
    let wv = w.verifier();
    let lv = log.verifier();
    let ok = parsed.verify(&[&lv, &wv]).unwrap();
    assert_eq!(ok[1].timestamp, Some(1_679_315_147));
    assert_eq!(ok[0].timestamp, None);
    // The cosignature alone verifies; the log's key alone verifies (cosignature ignored).
    assert_eq!(parsed.verify(&[&wv]).unwrap().len(), 1);
    assert_eq!(open_checkpoint(&text, ORIGIN, &lv).unwrap().0, cp);

    // Message layout.
    assert_eq!(
        signed_message(&cp.to_body(), 5),
        format!("cosignature/v1\ntime 5\n{}", cp.to_body())
    );

    // Tampered timestamp or body fails.
    let mut bad = parsed.signatures()[1].clone();
    bad.signature[7] ^= 1;
    let mut n2 = Note::new(parsed.text()).unwrap();
    n2.add_signature(bad).unwrap();
    assert!(matches!(
        n2.verify(&[&wv]),
        Err(TlogError::BadSignature { .. })
    ));
    let other_cp = checkpoint(&t, 6);
    let mut n3 = Note::new(other_cp.to_body()).unwrap();
    n3.add_signature(parsed.signatures()[1].clone()).unwrap();
    assert!(matches!(
        n3.verify(&[&wv]),
        Err(TlogError::BadSignature { .. })
    ));
    // A plain Ed25519 verifier with the witness's key and name does not accept a cosignature
    // (different key ID, so it is simply unknown).
    let plain = Ed25519Verifier::new("witness.example/w1", key(7).verifying_key()).unwrap();
    assert_eq!(parsed.verify(&[&plain]), Err(TlogError::NoKnownSignature));
    assert!(w.cosign(&cp, u64::MAX).is_err());
}

#[test]
fn witness_detects_shrink_fork_and_split_view() {
    let t = tree(20);
    let old = checkpoint(&t, 12);
    let new = checkpoint(&t, 20);
    let proof = t.consistency_proof(12, 20).unwrap();
    assert!(check_witness_update(None, &new, &[]).is_ok());
    assert!(check_witness_update(Some(&old), &new, &proof).is_ok());
    assert!(check_witness_update(Some(&new), &new, &[]).is_ok());
    assert!(matches!(
        check_witness_update(Some(&new), &old, &[]),
        Err(TlogError::LogShrank { old: 20, new: 12 })
    ));
    // A fork: a different history with the same size 20.
    let mut forked = MemoryTree::new();
    for i in 0..20 {
        let e = if i == 15 {
            "evil".to_string()
        } else {
            format!("e{i}")
        };
        forked.push(e.as_bytes()).unwrap();
    }
    let fork_cp = Checkpoint::new(ORIGIN, 20, forked.root()).unwrap();
    assert!(matches!(
        check_witness_update(Some(&new), &fork_cp, &[]),
        Err(TlogError::SplitView { size: 20 })
    ));
    // The fork cannot prove consistency with the old checkpoint it diverged from... it can,
    // since the change is after 12; but not with one at 16.
    let at16 = checkpoint(&t, 16);
    let fork_proof = forked.consistency_proof(16, 20).unwrap();
    assert!(check_witness_update(Some(&at16), &fork_cp, &fork_proof).is_err());
    let other_origin = Checkpoint::new("other.example/log", 20, t.root()).unwrap();
    assert!(matches!(
        check_witness_update(Some(&old), &other_origin, &proof),
        Err(TlogError::WrongOrigin { .. })
    ));
}

#[test]
fn malformed_notes_are_rejected() {
    let s = log_signer();
    let mut n = Note::new("hello\n").unwrap();
    n.sign(&s).unwrap();
    let good = n.to_string();
    let line = good.trim_start_matches("hello\n\n");
    let b64 = line.rsplit(' ').next().unwrap().trim_end();
    let bad = [
        "hello\n".to_string(),                        // no signatures
        "hello\n\n".to_string(),                      // blank, nothing after
        good.trim_end().to_string(),                  // last line without newline
        good.replace('\u{2014}', "-"),                // hyphen instead of em dash
        good.replace("\u{2014} ", "\u{2014}"),        // no space after dash
        format!("hello\n\n\u{2014} {ORIGIN}{b64}\n"), // no space before signature
        format!("hello\n\n\u{2014} {ORIGIN} {}\n", &b64[..b64.len() - 1]), // bad base64
        format!("hello\n\n\u{2014} {ORIGIN} AAAA\n"), // too short
        format!("hello\n\n\u{2014}  {b64}\n"),        // empty name
        format!("hello\n\n\u{2014} a+b {b64}\n"),     // '+' in name
        format!("hel\tlo\n\n{line}"),                 // control character
        format!("hello\r\n\n{line}"),
        format!("hello\n\n{line}\n"), // trailing blank line
        format!("hello\n\n{line}{line}garbage\n"),
    ];
    for b in &bad {
        assert!(Note::parse(b).is_err(), "accepted {b:?}");
    }
    assert!(Note::parse_bytes(b"\xff\xfe\n\n").is_err());
    assert!(Note::new("no newline").is_err());
    // The text may contain blank lines: the last blank line separates.
    let mut multi = Note::new("a\n\nb\n").unwrap();
    multi.sign(&s).unwrap();
    let parsed = Note::parse(&multi.to_string()).unwrap();
    assert_eq!(parsed.text(), "a\n\nb\n");
    assert!(parsed.verify(&[&s.verifier()]).is_ok());
    // Many signatures: 16 must be accepted, more than the limit are not.
    let mut many = Note::new("x\n").unwrap();
    for i in 0..16u8 {
        many.sign(&Ed25519Signer::new(format!("k{i}"), key(i)).unwrap())
            .unwrap();
    }
    assert_eq!(
        Note::parse(&many.to_string()).unwrap().signatures().len(),
        16
    );
    let sig_line = many.signatures()[0].to_line();
    let huge = format!("x\n\n{}", sig_line.repeat(101));
    assert!(Note::parse(&huge).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in "\\PC*") {
        let _ = Note::parse(&s);
        let _ = Checkpoint::parse(&s);
        let _ = parse_vkey(&s);
        let _ = pacific_tlog::entry::Entry::decode(s.as_bytes());
    }

    #[test]
    fn parsers_never_panic_on_note_like_strings(
        body in "[a-z0-9/+=\n]{0,40}",
        name in "[a-z.+ /\u{2014}]{0,12}",
        sig in "[A-Za-z0-9+/=]{0,120}",
        sep in prop::sample::select(vec!["\n\n", "\n", "\n\n\n", ""]),
        dash in prop::sample::select(vec!["\u{2014} ", "\u{2014}", "- ", ""]),
    ) {
        let s = format!("{body}{sep}{dash}{name} {sig}\n");
        if let Ok(n) = Note::parse(&s) {
            // Whatever parses re-serialises to the same text.
            prop_assert_eq!(n.to_string(), s.clone());
        }
        let _ = Checkpoint::parse(&body);
        let _ = Checkpoint::parse(&format!("{name}\n{sig}\n{body}"));
    }

    #[test]
    fn parsers_never_panic_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Note::parse_bytes(&b);
        let _ = pacific_tlog::entry::Entry::decode(&b);
        let _ = pacific_tlog::merkle::Frontier::from_bytes(&b);
    }

    #[test]
    fn any_single_byte_change_to_a_signed_checkpoint_is_caught(
        size in 1u64..50, pos in any::<usize>(), bit in 0u8..8,
    ) {
        let t = tree(size);
        let cp = checkpoint(&t, size);
        let signer = log_signer();
        let text = sign_checkpoint(&cp, &signer).unwrap().to_string();
        let mut bytes = text.clone().into_bytes();
        let i = pos % bytes.len();
        bytes[i] ^= 1 << bit;
        let Ok(s) = String::from_utf8(bytes) else { return Ok(()); };
        // Only an equivalent text can verify (e.g. none: every byte is signed or parsed).
        if let Ok((got, _)) = open_checkpoint(&s, ORIGIN, &signer.verifier()) {
            prop_assert_eq!(got, cp);
        }
    }
}

/// A key whose base64 contains '+' (any of many) must round-trip through its vkey.
#[test]
fn vkeys_with_plus_in_the_base64_round_trip() {
    let mut found = 0;
    for seed in 0u8..=255 {
        let v = Ed25519Signer::new(
            "pacific/Beta/x",
            ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
        )
        .unwrap()
        .verifier();
        let vk = v.to_vkey();
        if vk.matches('+').count() > 2 {
            found += 1;
            assert_eq!(Ed25519Verifier::from_vkey(&vk).unwrap(), v, "{vk}");
        }
    }
    assert!(found > 0);
}
