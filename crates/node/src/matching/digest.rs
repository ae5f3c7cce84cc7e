//! An input's identity for recording it once: the SHA-256 of its bytes as read (before any
//! decompression), computed by a reader that hashes what passes through it.

use std::io::Read;

use sha2::{Digest, Sha256};

/// An input's identity for recording: the SHA-256 of its bytes as read (before any
/// decompression) and their number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDigest {
    /// Lower-case hex.
    pub sha256: String,
    pub bytes: u64,
}

/// A reader that hashes what it reads ([`InputDigest`]).
pub struct Digesting<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R> Digesting<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest of what was read so far.
    pub fn digest(&self) -> InputDigest {
        InputDigest {
            sha256: hex::encode(self.hasher.clone().finalize()),
            bytes: self.bytes,
        }
    }
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
