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
//! latest checkpoint per log and, on [`TlogError::SplitView`] or a failed consistency proof,
//! the two signed checkpoints as evidence.

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
