//! C2SP `tlog-cosignature` v1 (Ed25519): a witness's timestamped statement that it has seen a
//! checkpoint consistent with every earlier one it saw from that log.
//!
//! - Key ID: `SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]`.
//! - Signed message: `"cosignature/v1\n" + "time <unix seconds, no leading zeros>\n"` followed by
//!   the whole checkpoint note text (extension lines included, final newline included).
//! - Signature line: `— <name> base64(key ID || 8-byte big-endian timestamp || 64-byte
//!   Ed25519 signature)`. Timestamps must be below 2^63.
//!
//! The timestamp is always passed in by the caller: this module reads no clock and does no I/O.
//! [`check_witness_update`] is what a witness checks before cosigning; the node keeps the
//! latest checkpoint per log and, on [`TlogError::SplitView`] (two signed roots for one size),
//! the two signed checkpoints as evidence. A consistency proof that fails
//! ([`TlogError::ConsistencyMismatch`]) is no evidence against the log: the proof itself may be
//! wrong, so the witness refuses to cosign and keeps nothing.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::TlogError;
use crate::checkpoint::Checkpoint;
use crate::merkle::{Hash, verify_consistency};
use crate::signed_note::{
    KeyId, NoteSignature, NoteVerifier, check_key_name, ed25519_verify, format_vkey, key_id,
    parse_vkey, verifying_key,
};

/// Signature type byte of Ed25519 cosignature/v1.
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Largest timestamp allowed (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The message a cosignature signs.
pub fn signed_message(checkpoint_text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

/// A witness's cosigning key with its name.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    key_id: KeyId,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl Cosigner {
    /// A cosigner named `name` with `key`. Use a key for cosigning only: the v1 message does not
    /// commit to the name.
    pub fn new(name: impl Into<String>, key: SigningKey) -> Result<Self, TlogError> {
        let name = name.into();
        check_key_name(&name)?;
        let key_id = key_id(
            &name,
            SIG_TYPE_COSIGNATURE_V1,
            key.verifying_key().as_bytes(),
        );
        Ok(Cosigner { name, key, key_id })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// Cosigns `checkpoint` at `timestamp` (Unix seconds). Add the result to the checkpoint's
    /// note with [`crate::signed_note::Note::add_signature`].
    pub fn cosign(
        &self,
        checkpoint: &Checkpoint,
        timestamp: u64,
    ) -> Result<NoteSignature, TlogError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(TlogError::BadTimestamp(timestamp));
        }
        let msg = signed_message(&checkpoint.to_body(), timestamp);
        let sig = self.key.sign(msg.as_bytes()).to_bytes();
        let mut bytes = Vec::with_capacity(72);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig);
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: bytes,
        })
    }
}

/// A witness's public cosigning key; verifies cosignature/v1 lines on a note and reports their
/// timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key: VerifyingKey,
    key_id: KeyId,
}

impl CosignatureVerifier {
    /// A verifier named `name` for `key`.
    pub fn new(name: impl Into<String>, key: VerifyingKey) -> Result<Self, TlogError> {
        let name = name.into();
        check_key_name(&name)?;
        let key_id = key_id(&name, SIG_TYPE_COSIGNATURE_V1, key.as_bytes());
        Ok(CosignatureVerifier { name, key, key_id })
    }

    /// Parses a `vkey` string of type 0x04.
    pub fn from_vkey(vkey: &str) -> Result<Self, TlogError> {
        let (name, typ, key) = parse_vkey(vkey)?;
        if typ != SIG_TYPE_COSIGNATURE_V1 {
            return Err(TlogError::MalformedKey(format!(
                "signature type {typ:#04x} is not cosignature/v1 (0x04)"
            )));
        }
        CosignatureVerifier::new(name, verifying_key(&key)?)
    }

    /// The `vkey` string of this key.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, SIG_TYPE_COSIGNATURE_V1, self.key.as_bytes())
    }

    /// Checks one cosignature (e.g. from [`NoteSignature::from_line`]) of `checkpoint`: it must
    /// name this key (key name and key ID, else [`TlogError::NoKnownSignature`]) and verify over
    /// the checkpoint's body (else [`TlogError::BadSignature`]). Returns its timestamp.
    pub fn verify_cosignature(
        &self,
        checkpoint: &Checkpoint,
        signature: &NoteSignature,
    ) -> Result<u64, TlogError> {
        if signature.name != self.name || signature.key_id != self.key_id {
            return Err(TlogError::NoKnownSignature);
        }
        let ts = self.verify(&checkpoint.to_body(), &signature.signature)?;
        Ok(ts.unwrap_or_default())
    }
}

impl NoteVerifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.key_id
    }
    fn verify(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, TlogError> {
        let bad = || TlogError::BadSignature {
            name: self.name.clone(),
        };
        let (ts, sig) = signature.split_first_chunk::<8>().ok_or_else(bad)?;
        let ts = u64::from_be_bytes(*ts);
        if ts > MAX_TIMESTAMP {
            return Err(bad());
        }
        ed25519_verify(
            &self.key,
            signed_message(text, ts).as_bytes(),
            sig,
            &self.name,
        )?;
        Ok(Some(ts))
    }
}

/// What a witness checks before cosigning `new` from a log whose latest checkpoint it has seen
/// is `latest` (`None` the first time): same origin, no shrinking, no second root for the same
/// size (split view), and a valid consistency proof from `latest` to `new`.
///
/// Signatures are checked before this (with [`crate::checkpoint::open_checkpoint`]).
pub fn check_witness_update(
    latest: Option<&Checkpoint>,
    new: &Checkpoint,
    consistency_proof: &[Hash],
) -> Result<(), TlogError> {
    let Some(old) = latest else {
        return Ok(());
    };
    if old.origin() != new.origin() {
        return Err(TlogError::WrongOrigin {
            expected: old.origin().to_owned(),
            got: new.origin().to_owned(),
        });
    }
    if new.size() < old.size() {
        return Err(TlogError::LogShrank {
            old: old.size(),
            new: new.size(),
        });
    }
    if new.size() == old.size() {
        return if new.root() == old.root() {
            Ok(())
        } else {
            Err(TlogError::SplitView { size: new.size() })
        };
    }
    verify_consistency(
        old.size(),
        new.size(),
        old.root(),
        new.root(),
        consistency_proof,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signed_note::{Ed25519Signer, Note};

    fn checkpoint(size: u64, root: u8) -> Checkpoint {
        Checkpoint::new("example.org/log", size, [root; 32]).unwrap()
    }

    #[test]
    fn a_cosignature_line_round_trips_and_verifies_alone() {
        let w = Cosigner::new("witness.example", SigningKey::from_bytes(&[9; 32])).unwrap();
        let cp = checkpoint(5, 1);
        let sig = w.cosign(&cp, 1_700_000_000).unwrap();
        let line = sig.to_line();
        assert_eq!(NoteSignature::from_line(&line).unwrap(), sig);
        assert_eq!(
            NoteSignature::from_line(line.trim_end()).unwrap(),
            sig,
            "without its newline"
        );
        let parsed = NoteSignature::from_line(&line).unwrap();
        assert_eq!(
            w.verifier().verify_cosignature(&cp, &parsed).unwrap(),
            1_700_000_000
        );
        // The same line on a note verifies as a note signature too.
        let log = Ed25519Signer::new("example.org/log", SigningKey::from_bytes(&[1; 32])).unwrap();
        let note = format!(
            "{}{line}",
            crate::checkpoint::sign_checkpoint(&cp, &log).unwrap()
        );
        let v = w.verifier();
        assert_eq!(
            Note::parse(&note)
                .unwrap()
                .verify(&[&v as &dyn NoteVerifier])
                .unwrap()[0]
                .timestamp,
            Some(1_700_000_000)
        );
    }

    #[test]
    fn a_cosignature_of_another_checkpoint_or_by_another_key_fails() {
        let w = Cosigner::new("witness.example", SigningKey::from_bytes(&[9; 32])).unwrap();
        let cp = checkpoint(5, 1);
        let sig = w.cosign(&cp, 7).unwrap();
        // Another root, another size.
        for other in [checkpoint(5, 2), checkpoint(6, 1)] {
            assert!(matches!(
                w.verifier().verify_cosignature(&other, &sig),
                Err(TlogError::BadSignature { .. })
            ));
        }
        // Another key under the same name, or the same key under another name: not this key.
        let other = Cosigner::new("witness.example", SigningKey::from_bytes(&[8; 32])).unwrap();
        assert!(matches!(
            other.verifier().verify_cosignature(&cp, &sig),
            Err(TlogError::NoKnownSignature)
        ));
        let renamed = CosignatureVerifier::new("other.example", w.verifier().key).unwrap();
        assert!(matches!(
            renamed.verify_cosignature(&cp, &sig),
            Err(TlogError::NoKnownSignature)
        ));
        // A flipped bit in the signature or in the timestamp.
        for i in [0, 7, 8, 71] {
            let mut bad = sig.clone();
            bad.signature[i] ^= 1;
            assert!(
                w.verifier().verify_cosignature(&cp, &bad).is_err(),
                "byte {i}"
            );
        }
        // A truncated signature.
        let mut short = sig.clone();
        short.signature.truncate(8);
        assert!(w.verifier().verify_cosignature(&cp, &short).is_err());
    }

    #[test]
    fn malformed_lines_are_refused() {
        let w = Cosigner::new("witness.example", SigningKey::from_bytes(&[9; 32])).unwrap();
        let line = w.cosign(&checkpoint(1, 1), 1).unwrap().to_line();
        for bad in [
            "".to_owned(),
            "\n".to_owned(),
            line.replace('\u{2014}', "-"),
            format!("{line}{line}"),
            line.replace("witness.example ", "witness.example  "),
            line.replace("witness.example", "witness example"),
            format!("{}=\n", line.trim_end()),
            format!("{}\r\n", line.trim_end()),
        ] {
            assert!(NoteSignature::from_line(&bad).is_err(), "{bad:?}");
        }
    }
}
