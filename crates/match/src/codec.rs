//! A small little-endian binary codec for snapshots of the index (and of what a caller keeps
//! beside it): fixed-width integers, and byte strings prefixed with their `u32` length.
//!
//! The reader takes one buffer and hands out strings borrowed from it; every read is checked
//! against the buffer's end and gives a [`DecodeError`] instead of panicking, since a snapshot
//! is a file anyone could have changed or cut short.

/// Why a snapshot did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("cut short: {wanted} more bytes wanted at byte {at}")]
    Truncated { at: usize, wanted: usize },
    #[error("invalid at byte {at}: {why}")]
    Invalid { at: usize, why: String },
}

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Encoder {
    pub buf: Vec<u8>,
}

impl Encoder {
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
        }
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u128(&mut self, v: u128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }
    /// Bytes prefixed with their length (at most `u32::MAX`; longer ones are cut there, which
    /// nothing the index or its callers hold comes near).
    pub fn bytes(&mut self, v: &[u8]) {
        let v = &v[..v.len().min(u32::MAX as usize)];
        self.u32(v.len() as u32);
        self.buf.extend_from_slice(v);
    }
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    /// Writes a `u64` placeholder to be set later with [`Encoder::patch_u64`]; returns where.
    pub fn placeholder(&mut self) -> usize {
        let at = self.buf.len();
        self.u64(0);
        at
    }
    pub fn patch_u64(&mut self, at: usize, v: u64) {
        self.buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
}

/// Reads values from one buffer, checking every bound.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }
    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    /// An error at the current position.
    pub fn invalid(&self, why: impl Into<String>) -> DecodeError {
        DecodeError::Invalid {
            at: self.pos,
            why: why.into(),
        }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                at: self.pos,
                wanted: n,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        self.array().map(i64::from_le_bytes)
    }
    pub fn u128(&mut self) -> Result<u128, DecodeError> {
        self.array().map(u128::from_le_bytes)
    }
    pub fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.array()
    }
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.invalid(format!("{b} is not a boolean"))),
        }
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str, DecodeError> {
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|e| self.invalid(format!("not UTF-8: {e}")))
    }
    /// A count of items each at least `min_bytes` long: refused when the buffer cannot hold
    /// that many, so a corrupted count never makes the reader reserve memory for nothing.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.u64()?;
        let fits = usize::try_from(n)
            .ok()
            .filter(|&n| n.saturating_mul(min_bytes.max(1)) <= self.remaining());
        fits.ok_or_else(|| self.invalid(format!("a count of {n} items does not fit")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_and_a_short_buffer_is_an_error() {
        let mut e = Encoder::default();
        e.u8(7);
        e.u32(0xdead_beef);
        e.i64(-5);
        e.u128(u128::MAX - 3);
        e.str("héllo");
        e.bool(true);
        let mut d = Decoder::new(&e.buf);
        assert_eq!(d.u8(), Ok(7));
        assert_eq!(d.u32(), Ok(0xdead_beef));
        assert_eq!(d.i64(), Ok(-5));
        assert_eq!(d.u128(), Ok(u128::MAX - 3));
        assert_eq!(d.str(), Ok("héllo"));
        assert_eq!(d.bool(), Ok(true));
        assert_eq!(d.remaining(), 0);
        assert!(matches!(d.u8(), Err(DecodeError::Truncated { .. })));
        let mut d = Decoder::new(&e.buf[..e.buf.len() - 3]);
        d.take(1 + 4 + 8 + 16).unwrap();
        assert!(matches!(d.str(), Err(DecodeError::Truncated { .. })));
    }
}
