//! C2SP `signed-note` (v1.0.0): text signed by one or more keys, with Ed25519 note keys.
//!
//! A note is its text (ending in a newline), a blank line, then one or more signature lines
//! `— <key name> <base64(4-byte key ID || signature)>` (em dash U+2014). Signatures are told apart
//! by (key name, key ID); for Ed25519 the key ID is
//! `SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]`.
//!
//! Verification ([`Note::verify`]) follows the spec: signatures from unknown keys are ignored; a
//! signature from a known key that fails rejects the whole note; a note with no verified
//! signature from a known key is rejected. Any signature type can take part through the
//! [`NoteVerifier`] trait ([`crate::cosignature::CosignatureVerifier`] is the other one here).
//!
//! Parsing is strict: valid UTF-8, no control characters except newline, canonical base64, key
//! names non-empty without Unicode spaces or `+`. Limits (ours, above the spec's minimum of 16
//! signatures): at most [`MAX_SIGNATURES`] signatures and [`MAX_NOTE_LEN`] bytes.
//!
//! Verifier keys can be written in the `vkey` form `<name>+<8 hex key ID>+<base64(type || key)>`
//! used by the Go `sumdb/note` package and referenced by the C2SP specs; the copy of the spec
//! read while writing this did not spell that form out, so it follows the Go package's
//! convention (lowercase hex key ID).
//!
//! This module does no I/O.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::TlogError;

/// A note signature's 4-byte key ID.
pub type KeyId = [u8; 4];

/// Signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;

/// Most signatures [`Note::parse`] accepts on one note.
pub const MAX_SIGNATURES: usize = 100;

/// Largest note [`Note::parse`] accepts, in bytes.
pub const MAX_NOTE_LEN: usize = 1 << 20;

const DASH: &str = "\u{2014} ";

/// `SHA-256(name || 0x0A || sig_type || public_key)[:4]`, the recommended key ID.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> KeyId {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type]);
    h.update(public_key);
    let d: [u8; 32] = h.finalize().into();
    [d[0], d[1], d[2], d[3]]
}

/// Checks a key name: non-empty, no Unicode spaces, no `+`, no control characters.
pub fn check_key_name(name: &str) -> Result<(), TlogError> {
    if name.is_empty() {
        return Err(TlogError::MalformedKey("empty key name".into()));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(TlogError::MalformedKey(format!(
            "key name {name:?} contains a space, '+' or a control character"
        )));
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: KeyId,
    /// The signature bytes after the key ID (64 for Ed25519, 72 for a cosignature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, with its final newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&self.signature);
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }

    /// Parses one signature line (`— <key name> <base64>`), with or without its final newline:
    /// the inverse of [`NoteSignature::to_line`]. Parsing is as strict as [`Note::parse`].
    pub fn from_line(line: &str) -> Result<NoteSignature, TlogError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.contains('\n') {
            return Err(TlogError::note("more than one signature line"));
        }
        check_chars(line)?;
        parse_signature_line(line)
    }
}

/// A signature that verified under a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: KeyId,
    /// The signing time, for signature types that carry one (cosignatures).
    pub timestamp: Option<u64>,
}

/// A key that can check note signatures of one type.
pub trait NoteVerifier {
    /// The key name.
    fn name(&self) -> &str;
    /// The key ID.
    fn key_id(&self) -> KeyId;
    /// Checks `signature` (the bytes after the key ID) over the note `text`. Returns the
    /// signature's timestamp for types that have one. A bad signature is
    /// [`TlogError::BadSignature`].
    fn verify(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, TlogError>;
}

/// A signed note: text plus signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_chars(s: &str) -> Result<(), TlogError> {
    if s.chars().any(|c| c < ' ' && c != '\n') {
        return Err(TlogError::note(
            "contains a control character other than newline",
        ));
    }
    Ok(())
}

impl Note {
    /// An unsigned note with `text`, which must be non-empty, end in a newline and hold no
    /// control characters other than newline.
    pub fn new(text: impl Into<String>) -> Result<Note, TlogError> {
        let text = text.into();
        if !text.ends_with('\n') {
            return Err(TlogError::note("text does not end with a newline"));
        }
        check_chars(&text)?;
        Ok(Note {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note from bytes (which must be UTF-8).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Note, TlogError> {
        let s = std::str::from_utf8(bytes).map_err(|_| TlogError::note("not valid UTF-8"))?;
        Note::parse(s)
    }

    /// Parses a signed note. It must carry at least one signature line.
    pub fn parse(s: &str) -> Result<Note, TlogError> {
        if s.len() > MAX_NOTE_LEN {
            return Err(TlogError::note(format!("longer than {MAX_NOTE_LEN} bytes")));
        }
        check_chars(s)?;
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| TlogError::note("no blank line before the signatures"))?;
        let text = &s[..split + 1];
        let block = &s[split + 2..];
        if block.is_empty() {
            return Err(TlogError::note("no signature lines"));
        }
        let block = block
            .strip_suffix('\n')
            .ok_or_else(|| TlogError::note("last signature line does not end with a newline"))?;
        let mut signatures = Vec::new();
        for line in block.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(TlogError::note(format!(
                    "more than {MAX_SIGNATURES} signatures"
                )));
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note text (ending in a newline). Trust it only after [`Note::verify`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line (e.g. a cosignature). A signature with the same key name and ID
    /// replaces the old one.
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), TlogError> {
        check_key_name(&sig.name)?;
        if let Some(old) = self
            .signatures
            .iter_mut()
            .find(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            *old = sig;
        } else {
            if self.signatures.len() >= MAX_SIGNATURES {
                return Err(TlogError::note(format!(
                    "more than {MAX_SIGNATURES} signatures"
                )));
            }
            self.signatures.push(sig);
        }
        Ok(())
    }

    /// Signs the note with an Ed25519 note key.
    pub fn sign(&mut self, signer: &Ed25519Signer) -> Result<(), TlogError> {
        let sig = signer.sign(&self.text);
        self.add_signature(sig)
    }

    /// Verifies the note against known keys, per the spec: unknown signatures are ignored, a
    /// known signature that fails is [`TlogError::BadSignature`], and no known signature at all
    /// is [`TlogError::NoKnownSignature`]. Returns the signatures that verified.
    pub fn verify(&self, verifiers: &[&dyn NoteVerifier]) -> Result<Vec<Verified>, TlogError> {
        let mut ok = Vec::new();
        for sig in &self.signatures {
            let Some(v) = verifiers
                .iter()
                .find(|v| v.name() == sig.name && v.key_id() == sig.key_id)
            else {
                continue;
            };
            let timestamp = v.verify(&self.text, &sig.signature)?;
            ok.push(Verified {
                name: sig.name.clone(),
                key_id: sig.key_id,
                timestamp,
            });
        }
        if ok.is_empty() {
            return Err(TlogError::NoKnownSignature);
        }
        Ok(ok)
    }
}

impl std::fmt::Display for Note {
    /// The note in wire form: text, blank line, signature lines.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            f.write_str(&s.to_line())?;
        }
        Ok(())
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, TlogError> {
    let rest = line.strip_prefix(DASH).ok_or_else(|| {
        TlogError::note("signature line does not start with an em dash and a space")
    })?;
    let (name, b64) = rest.split_once(' ').ok_or_else(|| {
        TlogError::note("signature line has no space between key name and signature")
    })?;
    check_key_name(name).map_err(|e| TlogError::note(e.to_string()))?;
    let raw =
        decode_b64(b64).ok_or_else(|| TlogError::note("signature is not canonical base64"))?;
    if raw.len() < 5 {
        return Err(TlogError::note(
            "signature shorter than a key ID and one byte",
        ));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: [raw[0], raw[1], raw[2], raw[3]],
        signature: raw[4..].to_vec(),
    })
}

/// Strict standard base64: decodes and re-encodes to the same text.
pub(crate) fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let raw = B64.decode(s).ok()?;
    (B64.encode(&raw) == s).then_some(raw)
}

pub(crate) fn encode_b64(b: &[u8]) -> String {
    B64.encode(b)
}

/// Parses a verifier key `<name>+<8 hex key ID>+<base64(type || public key)>`; checks that the
/// key ID matches. Returns (name, type, public key bytes).
pub fn parse_vkey(vkey: &str) -> Result<(String, u8, Vec<u8>), TlogError> {
    // Names never contain '+', but the standard-base64 key may: split at the first two only.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TlogError::MalformedKey(
            "verifier key is not name+id+key".into(),
        ));
    };
    check_key_name(name)?;
    let id = hex::decode(id_hex)
        .ok()
        .filter(|b| b.len() == 4 && id_hex.len() == 8 && hex::encode(b) == id_hex)
        .ok_or_else(|| TlogError::MalformedKey("key ID is not 8 lowercase hex digits".into()))?;
    let raw = decode_b64(b64)
        .ok_or_else(|| TlogError::MalformedKey("key is not canonical base64".into()))?;
    let (&typ, key) = raw
        .split_first()
        .ok_or_else(|| TlogError::MalformedKey("empty key".into()))?;
    if key_id(name, typ, key)[..] != id[..] {
        return Err(TlogError::MalformedKey(
            "key ID does not match the key".into(),
        ));
    }
    Ok((name.to_owned(), typ, key.to_vec()))
}

pub(crate) fn format_vkey(name: &str, typ: u8, key: &[u8]) -> String {
    let mut raw = vec![typ];
    raw.extend_from_slice(key);
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, typ, key)),
        B64.encode(raw)
    )
}

pub(crate) fn verifying_key(bytes: &[u8]) -> Result<VerifyingKey, TlogError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| TlogError::MalformedKey("Ed25519 public key is not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&arr)
        .map_err(|_| TlogError::MalformedKey("invalid Ed25519 public key".into()))
}

pub(crate) fn ed25519_verify(
    key: &VerifyingKey,
    msg: &[u8],
    sig: &[u8],
    name: &str,
) -> Result<(), TlogError> {
    let bad = || TlogError::BadSignature {
        name: name.to_owned(),
    };
    let arr: [u8; 64] = sig.try_into().map_err(|_| bad())?;
    key.verify_strict(msg, &Signature::from_bytes(&arr))
        .map_err(|_| bad())
}

/// An Ed25519 note signing key with its name (for a log: usually its origin).
#[derive(Clone)]
pub struct Ed25519Signer {
    name: String,
    key: SigningKey,
    key_id: KeyId,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl Ed25519Signer {
    /// A signer named `name` with `key`.
    pub fn new(name: impl Into<String>, key: SigningKey) -> Result<Self, TlogError> {
        let name = name.into();
        check_key_name(&name)?;
        let key_id = key_id(&name, SIG_TYPE_ED25519, key.verifying_key().as_bytes());
        Ok(Ed25519Signer { name, key, key_id })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519Verifier {
        Ed25519Verifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// Signs `text` (the whole note text, final newline included).
    pub fn sign(&self, text: &str) -> NoteSignature {
        NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.key.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }
}

/// An Ed25519 note verifier key with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519Verifier {
    name: String,
    key: VerifyingKey,
    key_id: KeyId,
}

impl Ed25519Verifier {
    /// A verifier named `name` for `key`.
    pub fn new(name: impl Into<String>, key: VerifyingKey) -> Result<Self, TlogError> {
        let name = name.into();
        check_key_name(&name)?;
        let key_id = key_id(&name, SIG_TYPE_ED25519, key.as_bytes());
        Ok(Ed25519Verifier { name, key, key_id })
    }

    /// Parses a `vkey` string of type 0x01.
    pub fn from_vkey(vkey: &str) -> Result<Self, TlogError> {
        let (name, typ, key) = parse_vkey(vkey)?;
        if typ != SIG_TYPE_ED25519 {
            return Err(TlogError::MalformedKey(format!(
                "signature type {typ:#04x} is not Ed25519 (0x01)"
            )));
        }
        Ed25519Verifier::new(name, verifying_key(&key)?)
    }

    /// The `vkey` string of this key.
    pub fn to_vkey(&self) -> String {
        format_vkey(&self.name, SIG_TYPE_ED25519, self.key.as_bytes())
    }

    /// The public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl NoteVerifier for Ed25519Verifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> KeyId {
        self.key_id
    }
    fn verify(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, TlogError> {
        ed25519_verify(&self.key, text.as_bytes(), signature, &self.name).map(|()| None)
    }
}
