//! C2SP `tlog-checkpoint` (v1.0.0): the note body a log signs to commit to its tree head.
//!
//! The body is, each line ending in a newline: the origin (the log's identity, non-empty), the
//! tree size in decimal without leading zeros, the root hash in standard base64, then optional
//! non-empty extension lines. Parsing is strict: anything else is
//! [`TlogError::MalformedCheckpoint`].
//!
//! [`sign_checkpoint`] and [`open_checkpoint`] tie a checkpoint to a [`Note`] signed with the
//! log's Ed25519 key.
//!
//! This module does no I/O.

use crate::TlogError;
use crate::merkle::{Hash, MAX_TREE_SIZE};
use crate::signed_note::{
    Ed25519Signer, Ed25519Verifier, Note, NoteVerifier, decode_b64, encode_b64,
};

/// Largest checkpoint body [`Checkpoint::parse`] accepts, in bytes.
pub const MAX_CHECKPOINT_LEN: usize = 64 * 1024;

/// A log's tree head: origin, size and root hash, plus optional extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

fn check_line(line: &str, what: &str) -> Result<(), TlogError> {
    if line.is_empty() {
        return Err(TlogError::checkpoint(format!("{what} is empty")));
    }
    if line.chars().any(|c| c.is_control()) {
        return Err(TlogError::checkpoint(format!(
            "{what} contains a control character"
        )));
    }
    Ok(())
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be one non-empty line without
    /// control characters.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, TlogError> {
        let origin = origin.into();
        check_line(&origin, "origin")?;
        if size > MAX_TREE_SIZE {
            return Err(TlogError::SizeTooLarge(size));
        }
        Ok(Checkpoint {
            origin,
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The same checkpoint with extension lines (each non-empty, no control characters).
    pub fn with_extensions(mut self, extensions: Vec<String>) -> Result<Self, TlogError> {
        for e in &extensions {
            check_line(e, "extension line")?;
        }
        self.extensions = extensions;
        Ok(self)
    }

    /// The origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note body: each line with its newline.
    pub fn to_body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            encode_b64(&self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint body (the note text, without signatures).
    pub fn parse(body: &str) -> Result<Self, TlogError> {
        if body.len() > MAX_CHECKPOINT_LEN {
            return Err(TlogError::checkpoint(format!(
                "longer than {MAX_CHECKPOINT_LEN} bytes"
            )));
        }
        let body = body
            .strip_suffix('\n')
            .ok_or_else(|| TlogError::checkpoint("does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        check_line(origin, "origin")?;
        let size_line = lines
            .next()
            .ok_or_else(|| TlogError::checkpoint("no tree size line"))?;
        let size = parse_size(size_line)?;
        let root_line = lines
            .next()
            .ok_or_else(|| TlogError::checkpoint("no root hash line"))?;
        let root: Hash = decode_b64(root_line)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| {
                TlogError::checkpoint("root hash is not the canonical base64 of 32 bytes")
            })?;
        let mut extensions = Vec::new();
        for line in lines {
            check_line(line, "extension line")?;
            extensions.push(line.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

fn parse_size(s: &str) -> Result<u64, TlogError> {
    let bad = || {
        TlogError::checkpoint(format!(
            "tree size {s:?} is not a decimal number without leading zeros"
        ))
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad());
    }
    let n: u64 = s.parse().map_err(|_| bad())?;
    if n > MAX_TREE_SIZE {
        return Err(TlogError::SizeTooLarge(n));
    }
    Ok(n)
}

/// A checkpoint as a note signed by the log's key.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    log_key: &Ed25519Signer,
) -> Result<Note, TlogError> {
    let mut note = Note::new(checkpoint.to_body())?;
    note.sign(log_key)?;
    Ok(note)
}

/// Parses a signed checkpoint, verifies the log's signature (other signatures, e.g.
/// cosignatures, are ignored here), parses the body and checks its origin.
pub fn open_checkpoint(
    signed: &str,
    expected_origin: &str,
    log_key: &Ed25519Verifier,
) -> Result<(Checkpoint, Note), TlogError> {
    let note = Note::parse(signed)?;
    note.verify(&[log_key as &dyn NoteVerifier])?;
    let cp = Checkpoint::parse(note.text())?;
    if cp.origin() != expected_origin {
        return Err(TlogError::WrongOrigin {
            expected: expected_origin.to_owned(),
            got: cp.origin().to_owned(),
        });
    }
    Ok((cp, note))
}
