//! The one error type of this crate.

use thiserror::Error;

/// Everything that can go wrong in `pacific-tlog`. Each variant names what was wrong, so a
/// caller can report it as is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlogError {
    /// A leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A pair of tree sizes is not valid for a consistency proof (old must not exceed new).
    #[error("invalid tree sizes for a consistency proof: old {old}, new {new}")]
    InvalidSizes {
        /// The old (smaller) size.
        old: u64,
        /// The new (larger) size.
        new: u64,
    },
    /// A tree size is larger than the log can hold (2^63 leaves).
    #[error("tree size {0} is too large")]
    SizeTooLarge(u64),
    /// A size beyond the tree's current size was asked for.
    #[error("tree size {size} is beyond the tree's {tree_size} leaves")]
    BeyondTree {
        /// The size asked for.
        size: u64,
        /// The tree's size.
        tree_size: u64,
    },
    /// A stored subtree hash was asked for but is not there.
    #[error("missing tree node at level {level}, index {index}")]
    MissingNode {
        /// Level of the node (0 = leaves).
        level: u8,
        /// Index of the node within its level.
        index: u64,
    },
    /// A node source or caller returned the wrong number of hashes for a plan.
    #[error("expected {expected} node hashes, got {got}")]
    WrongNodeCount {
        /// How many were asked for.
        expected: usize,
        /// How many came back.
        got: usize,
    },
    /// A node source failed (the store maps its own error into this).
    #[error("node source failed: {0}")]
    Source(String),
    /// A frontier does not fit its tree size.
    #[error("invalid frontier: {0}")]
    InvalidFrontier(&'static str),
    /// A proof has the wrong number of hashes for the sizes it claims to prove.
    #[error("proof has {got} hashes, expected {expected}")]
    ProofLength {
        /// Number of hashes the proof must have.
        expected: usize,
        /// Number of hashes it has.
        got: usize,
    },
    /// An inclusion proof does not lead to the root hash.
    #[error("inclusion proof does not verify against the root hash")]
    InclusionMismatch,
    /// A consistency proof does not connect the two root hashes: the log forked or was rewritten.
    #[error("consistency proof does not verify: the two tree heads are not consistent")]
    ConsistencyMismatch,
    /// Two checkpoints of the same size have different roots: a split view.
    #[error("split view: two different root hashes for tree size {size}")]
    SplitView {
        /// The tree size both checkpoints claim.
        size: u64,
    },
    /// A log's new checkpoint is smaller than one already seen from it.
    #[error("log shrank from size {old} to {new}")]
    LogShrank {
        /// Size previously seen.
        old: u64,
        /// Size now claimed.
        new: u64,
    },
    /// A checkpoint's origin is not the one expected.
    #[error("checkpoint origin {got:?} does not match expected {expected:?}")]
    WrongOrigin {
        /// The expected origin.
        expected: String,
        /// The origin in the checkpoint.
        got: String,
    },
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// A signed note is malformed.
    #[error("malformed signed note: {0}")]
    MalformedNote(String),
    /// A key (name, verifier key string or key bytes) is malformed.
    #[error("malformed key: {0}")]
    MalformedKey(String),
    /// A signature from a known key failed to verify.
    #[error("signature by {name:?} does not verify")]
    BadSignature {
        /// Key name of the failing signature.
        name: String,
    },
    /// No signature from any known key is on the note.
    #[error("no signature from a known key")]
    NoKnownSignature,
    /// A cosignature timestamp is out of range (must be below 2^63).
    #[error("cosignature timestamp {0} out of range")]
    BadTimestamp(u64),
    /// A log entry is malformed (not the canonical entry format).
    #[error("malformed log entry: {0}")]
    MalformedEntry(String),
}

impl TlogError {
    pub(crate) fn checkpoint(msg: impl Into<String>) -> Self {
        TlogError::MalformedCheckpoint(msg.into())
    }
    pub(crate) fn note(msg: impl Into<String>) -> Self {
        TlogError::MalformedNote(msg.into())
    }
    pub(crate) fn entry(msg: impl Into<String>) -> Self {
        TlogError::MalformedEntry(msg.into())
    }
}
