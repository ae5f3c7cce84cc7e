//! RFC 9162 §2.1 Merkle trees: hashing, the storage model, proofs, appends and verification.
//!
//! # Hashing
//! A leaf hash is `SHA-256(0x00 || entry)`, an interior node `SHA-256(0x01 || left || right)`,
//! and the root of the empty tree is `SHA-256("")` (RFC 9162 §2.1.1).
//!
//! # Storage model
//! A log stores the hash of every *complete* subtree: node [`NodeId`] `(level, index)` covers
//! leaves `[index * 2^level, (index + 1) * 2^level)`, and is stored once all those leaves exist.
//! Level 0 holds the leaf hashes. A tree of `n` leaves therefore has just under `2n` stored nodes,
//! and a stored node never changes once written.
//!
//! Any subtree that RFC 9162 uses (root, proof elements) is either a stored node or a right-edge
//! subtree `[a, b)` that is tiled by `O(log n)` complete subtrees of decreasing size; its hash is
//! those stored hashes folded from the right. So every proof is computed in three steps, which a
//! store can run around one SQL query:
//!
//! 1. [`inclusion_plan`] / [`consistency_plan`] / [`root_plan`]: which [`NodeId`]s are needed
//!    ([`ProofPlan::node_ids`], at most about `2 log2 n` of them);
//! 2. fetch those hashes, in that order (e.g. `WHERE (level, idx) IN (...)`);
//! 3. [`ProofPlan::assemble`]: combine them into the RFC 9162 proof (or root).
//!
//! [`NodeSource`] wraps steps 2–3 for synchronous sources such as [`MemoryTree`].
//!
//! ```
//! use pacific_tlog::merkle::{self, Frontier, MemoryTree, NodeSource};
//!
//! // Appending, as a store would inside the transaction that records the entries:
//! let mut frontier = Frontier::new(); // or Frontier::from_bytes(row) / from_hashes(..)
//! let leaves: Vec<_> = (0u8..10).map(|i| merkle::leaf_hash(&[i])).collect();
//! let new_nodes = frontier.append(&leaves).unwrap(); // INSERT these (level, index, hash) rows
//! assert_eq!(new_nodes.len(), 10 + 8); // 10 leaves, 5 + 2 + 1 interior nodes
//!
//! // A proof, as a store would serve it: plan, one fetch, assemble.
//! let mut tree = MemoryTree::new(); // stands in for the table of stored nodes
//! tree.append_leaf_hashes(&leaves).unwrap();
//! let plan = merkle::inclusion_plan(3, 10).unwrap();
//! let fetched = tree.nodes(plan.node_ids()).unwrap(); // SELECT ... WHERE (level, idx) IN (...)
//! let proof = plan.assemble(&fetched).unwrap();
//! merkle::verify_inclusion(&leaves[3], 3, 10, &proof, &frontier.root()).unwrap();
//! ```
//!
//! # Appends
//! [`Frontier`] holds the hashes of the maximal complete subtrees along the right edge (one per
//! set bit of the tree size, so at most 63). Appending a batch of `b` leaves to it yields every
//! new complete node to store plus the new frontier in `O(b + log n)`, never a rebuild. The store
//! can keep the frontier in a row ([`Frontier::to_bytes`]) or re-read it
//! ([`Frontier::node_ids`] then [`Frontier::from_hashes`]).
//!
//! # Verification
//! [`verify_inclusion`] and [`verify_consistency`] follow RFC 9162 §2.1.3.2 and §2.1.4.2 and need
//! no storage. Note that an RFC 9162 proof does not by itself pin the tree size: the same proof
//! can verify for a few different sizes with the *same root*. What binds size and root together
//! is the signed checkpoint, so always verify against the (size, root) pair of one checkpoint.
//!
//! This module does no I/O.

use sha2::{Digest, Sha256};

use crate::TlogError;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The largest tree size this crate accepts: 2^63 leaves.
pub const MAX_TREE_SIZE: u64 = 1 << 63;

/// RFC 9162 leaf hash: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// RFC 9162 interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// Root hash of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete subtree: `level` 0 is a leaf; the node covers leaves
/// `[index << level, (index + 1) << level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height of the subtree: 0 for a leaf, up to 63.
    pub level: u8,
    /// Position of the subtree among those of its level, from the left.
    pub index: u64,
}

impl NodeId {
    /// A node at `level`, `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// The leaf node (level 0) at `index`.
    pub const fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }

    /// The first leaf index this node covers.
    pub fn start(&self) -> u64 {
        self.index << self.level
    }

    /// One past the last leaf index this node covers.
    pub fn end(&self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// Folds the hashes of complete subtrees that tile a range, left to right, into the range's
/// RFC 9162 hash (right-most pair first).
fn fold(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// Appends to `out` the maximal aligned complete subtrees that tile `[start, end)`, left to
/// right. For the ranges RFC 9162 uses, folding their hashes gives the range's hash.
fn tile(start: u64, end: u64, out: &mut Vec<NodeId>) {
    let mut pos = start;
    while pos < end {
        let remaining = end - pos;
        let mut level = 63 - remaining.leading_zeros();
        if pos != 0 {
            level = level.min(pos.trailing_zeros());
        }
        out.push(NodeId::new(level as u8, pos >> level));
        pos += 1u64 << level;
    }
}

/// Largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

fn check_size(size: u64) -> Result<(), TlogError> {
    if size > MAX_TREE_SIZE {
        Err(TlogError::SizeTooLarge(size))
    } else {
        Ok(())
    }
}

/// Walks RFC 9162 PATH(index, D[0:size]) top-down, calling `f` with each sibling range.
fn inclusion_ranges(index: u64, size: u64, mut f: impl FnMut(u64, u64)) -> Result<(), TlogError> {
    check_size(size)?;
    if index >= size {
        return Err(TlogError::IndexOutOfRange { index, size });
    }
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            f(lo + k, hi);
            hi = lo + k;
        } else {
            f(lo, lo + k);
            lo += k;
        }
    }
    Ok(())
}

/// Walks RFC 9162 SUBPROOF(old, D[0:new], true) top-down, calling `f` with each range whose hash
/// is part of the proof. Sizes with an empty proof (`old == 0` or `old == new`) call nothing.
fn consistency_ranges(old: u64, new: u64, mut f: impl FnMut(u64, u64)) -> Result<(), TlogError> {
    check_size(new)?;
    if old > new {
        return Err(TlogError::InvalidSizes { old, new });
    }
    if old == 0 {
        return Ok(());
    }
    let (mut lo, mut hi) = (0u64, new);
    let mut m = old;
    let mut complete = true;
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                f(lo, hi);
            }
            return Ok(());
        }
        let k = split_point(n);
        if m <= k {
            f(lo + k, hi);
            hi = lo + k;
        } else {
            f(lo, lo + k);
            lo += k;
            m -= k;
            complete = false;
        }
    }
}

/// Number of hashes in the RFC 9162 inclusion proof for `index` in a tree of `size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, TlogError> {
    let mut n = 0;
    inclusion_ranges(index, size, |_, _| n += 1)?;
    Ok(n)
}

/// Number of hashes in the RFC 9162 consistency proof from `old` to `new`.
pub fn consistency_proof_len(old: u64, new: u64) -> Result<usize, TlogError> {
    let mut n = 0;
    consistency_ranges(old, new, |_, _| n += 1)?;
    Ok(n)
}

/// Which stored nodes a proof (or root) needs, and how to combine them.
///
/// Fetch the hashes of [`ProofPlan::node_ids`] in that order, then call
/// [`ProofPlan::assemble`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProofPlan {
    nodes: Vec<NodeId>,
    /// `ends[i]` is the end (exclusive) in `nodes` of the tiles of proof hash `i`.
    ends: Vec<usize>,
}

impl ProofPlan {
    fn from_ranges(ranges: &[(u64, u64)]) -> Self {
        let mut plan = ProofPlan {
            nodes: Vec::with_capacity(ranges.len() * 2),
            ends: Vec::with_capacity(ranges.len()),
        };
        for &(a, b) in ranges {
            tile(a, b, &mut plan.nodes);
            plan.ends.push(plan.nodes.len());
        }
        plan
    }

    /// The stored nodes to fetch, in the order [`ProofPlan::assemble`] expects their hashes.
    /// No id appears twice.
    pub fn node_ids(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Number of hashes the assembled result has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the result is empty (e.g. the proof for a one-leaf tree).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Combines the fetched hashes (one per [`ProofPlan::node_ids`] entry, same order) into the
    /// proof hashes, in RFC 9162 order.
    pub fn assemble(&self, hashes: &[Hash]) -> Result<Vec<Hash>, TlogError> {
        if hashes.len() != self.nodes.len() {
            return Err(TlogError::WrongNodeCount {
                expected: self.nodes.len(),
                got: hashes.len(),
            });
        }
        let mut out = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            // Every range in a plan is non-empty, so each slice has at least one hash.
            let h = fold(&hashes[start..end]).ok_or(TlogError::InvalidFrontier("empty range"))?;
            out.push(h);
            start = end;
        }
        Ok(out)
    }
}

/// The plan for the RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_plan(index: u64, size: u64) -> Result<ProofPlan, TlogError> {
    let mut ranges = Vec::with_capacity(64);
    inclusion_ranges(index, size, |a, b| ranges.push((a, b)))?;
    ranges.reverse();
    Ok(ProofPlan::from_ranges(&ranges))
}

/// The plan for the RFC 9162 consistency proof from tree size `old` to `new`.
/// For `old == 0` or `old == new` the proof is empty.
pub fn consistency_plan(old: u64, new: u64) -> Result<ProofPlan, TlogError> {
    let mut ranges = Vec::with_capacity(64);
    consistency_ranges(old, new, |a, b| ranges.push((a, b)))?;
    ranges.reverse();
    Ok(ProofPlan::from_ranges(&ranges))
}

/// The plan for the root hash of the tree of `size` leaves: one result hash, or none for the
/// empty tree (whose root is [`empty_root`]).
pub fn root_plan(size: u64) -> Result<ProofPlan, TlogError> {
    check_size(size)?;
    if size == 0 {
        return Ok(ProofPlan::default());
    }
    Ok(ProofPlan::from_ranges(&[(0, size)]))
}

/// A synchronous source of stored subtree hashes (a [`MemoryTree`], a cache, a blocking store).
pub trait NodeSource {
    /// The hashes of `ids`, in the same order. A missing node is
    /// [`TlogError::MissingNode`]; a storage failure is [`TlogError::Source`].
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, TlogError>;
}

fn run_plan(plan: &ProofPlan, source: &impl NodeSource) -> Result<Vec<Hash>, TlogError> {
    let hashes = if plan.node_ids().is_empty() {
        Vec::new()
    } else {
        source.nodes(plan.node_ids())?
    };
    plan.assemble(&hashes)
}

/// The RFC 9162 inclusion proof for leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    source: &impl NodeSource,
) -> Result<Vec<Hash>, TlogError> {
    run_plan(&inclusion_plan(index, size)?, source)
}

/// The RFC 9162 consistency proof from tree size `old` to `new`.
pub fn consistency_proof(
    old: u64,
    new: u64,
    source: &impl NodeSource,
) -> Result<Vec<Hash>, TlogError> {
    run_plan(&consistency_plan(old, new)?, source)
}

/// The root hash of the tree of `size` leaves.
pub fn root(size: u64, source: &impl NodeSource) -> Result<Hash, TlogError> {
    let hashes = run_plan(&root_plan(size)?, source)?;
    Ok(hashes.first().copied().unwrap_or_else(empty_root))
}

/// The right edge of a tree: the hashes of the maximal complete subtrees that tile
/// `[0, size)`, largest (left-most) first. This is all that appending needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Frontier::default()
    }

    /// The stored nodes that make up the frontier of a tree of `size` leaves, largest first.
    pub fn node_ids(size: u64) -> Result<Vec<NodeId>, TlogError> {
        check_size(size)?;
        let mut ids = Vec::with_capacity(size.count_ones() as usize);
        tile(0, size, &mut ids);
        Ok(ids)
    }

    /// A frontier from its hashes, in the order of [`Frontier::node_ids`].
    pub fn from_hashes(size: u64, hashes: Vec<Hash>) -> Result<Self, TlogError> {
        check_size(size)?;
        if hashes.len() != size.count_ones() as usize {
            return Err(TlogError::InvalidFrontier(
                "hash count does not match the tree size",
            ));
        }
        Ok(Frontier { size, hashes })
    }

    /// Reads the frontier of a tree of `size` leaves from a node source.
    pub fn load(size: u64, source: &impl NodeSource) -> Result<Self, TlogError> {
        let ids = Frontier::node_ids(size)?;
        let hashes = if ids.is_empty() {
            Vec::new()
        } else {
            source.nodes(&ids)?
        };
        if hashes.len() != ids.len() {
            return Err(TlogError::WrongNodeCount {
                expected: ids.len(),
                got: hashes.len(),
            });
        }
        Frontier::from_hashes(size, hashes)
    }

    /// The tree size this frontier is the right edge of.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier hashes, largest subtree first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The root hash of the tree.
    pub fn root(&self) -> Hash {
        fold(&self.hashes).unwrap_or_else(empty_root)
    }

    /// Appends one leaf hash, pushing every newly complete node (the leaf itself first, then its
    /// new ancestors, lowest first) onto `out`.
    pub fn push(
        &mut self,
        leaf_hash: Hash,
        out: &mut Vec<(NodeId, Hash)>,
    ) -> Result<(), TlogError> {
        let index = self.size;
        if index >= MAX_TREE_SIZE {
            return Err(TlogError::SizeTooLarge(index.saturating_add(1)));
        }
        out.push((NodeId::leaf(index), leaf_hash));
        let mut h = leaf_hash;
        let mut level: u32 = 0;
        while (index >> level) & 1 == 1 {
            let left = self
                .hashes
                .pop()
                .ok_or(TlogError::InvalidFrontier("frontier shorter than its size"))?;
            h = node_hash(&left, &h);
            level += 1;
            out.push((NodeId::new(level as u8, index >> level), h));
        }
        self.hashes.push(h);
        self.size += 1;
        Ok(())
    }

    /// Appends a batch of leaf hashes; returns every node that became complete, to be stored.
    /// `O(batch + log n)`.
    pub fn append(&mut self, leaf_hashes: &[Hash]) -> Result<Vec<(NodeId, Hash)>, TlogError> {
        let mut out = Vec::with_capacity(leaf_hashes.len() * 2 + 64);
        for h in leaf_hashes {
            self.push(*h, &mut out)?;
        }
        Ok(out)
    }

    /// Serialises the frontier for keeping in one row: 8-byte big-endian size, then the hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.hashes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for h in &self.hashes {
            out.extend_from_slice(h);
        }
        out
    }

    /// Parses [`Frontier::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TlogError> {
        let (size, rest) = bytes
            .split_first_chunk::<8>()
            .ok_or(TlogError::InvalidFrontier("shorter than 8 bytes"))?;
        let size = u64::from_be_bytes(*size);
        if rest.len() % 32 != 0 {
            return Err(TlogError::InvalidFrontier("length is not 8 + 32k bytes"));
        }
        let hashes = rest
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Frontier::from_hashes(size, hashes)
    }
}

/// Everything to store after appending `new_leaf_hashes` to a tree of `size_before` leaves
/// whose frontier is read from `source`: the new nodes, and the new frontier.
pub fn nodes_to_store_on_append(
    size_before: u64,
    new_leaf_hashes: &[Hash],
    source: &impl NodeSource,
) -> Result<(Vec<(NodeId, Hash)>, Frontier), TlogError> {
    let mut frontier = Frontier::load(size_before, source)?;
    let nodes = frontier.append(new_leaf_hashes)?;
    Ok((nodes, frontier))
}

/// Verifies an RFC 9162 inclusion proof (§2.1.3.2): that `leaf_hash` is leaf `index` of the tree
/// of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), TlogError> {
    let expected = inclusion_proof_len(index, size)?;
    if proof.len() != expected {
        return Err(TlogError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(TlogError::InclusionMismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n == 0 && r == *root {
        Ok(())
    } else {
        Err(TlogError::InclusionMismatch)
    }
}

/// Verifies an RFC 9162 consistency proof (§2.1.4.2): that the tree of `old_size` leaves with
/// root `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
///
/// Equal sizes need an empty proof and equal roots. Old size 0 needs an empty proof and
/// `old_root` equal to [`empty_root`] (the empty tree is a prefix of every tree).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), TlogError> {
    let expected = consistency_proof_len(old_size, new_size)?;
    if proof.len() != expected {
        return Err(TlogError::ProofLength {
            expected,
            got: proof.len(),
        });
    }
    if old_size == 0 {
        return if *old_root == empty_root() {
            Ok(())
        } else {
            Err(TlogError::ConsistencyMismatch)
        };
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(TlogError::ConsistencyMismatch)
        };
    }
    // 0 < old < new, and the proof is non-empty (checked by its length).
    let (first, rest): (&Hash, &[Hash]) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some((f, r)) => (f, r),
            None => return Err(TlogError::ConsistencyMismatch),
        }
    };
    let mut f_n = old_size - 1;
    let mut s_n = new_size - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if s_n == 0 {
            return Err(TlogError::ConsistencyMismatch);
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if fr == *old_root && sr == *new_root && s_n == 0 {
        Ok(())
    } else {
        Err(TlogError::ConsistencyMismatch)
    }
}

/// An in-memory tree that keeps every complete subtree hash, as a store would. For tests,
/// benches and small tools.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of node `(l, i)`.
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
    scratch: Vec<(NodeId, Hash)>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.frontier.size()
    }

    /// True for the empty tree.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The current frontier.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i).copied()
    }

    /// Appends an entry (hashing it as a leaf); returns its index.
    pub fn push(&mut self, entry: &[u8]) -> Result<u64, TlogError> {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf hash; returns its index.
    pub fn push_leaf_hash(&mut self, h: Hash) -> Result<u64, TlogError> {
        let index = self.len();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let res = self.frontier.push(h, &mut scratch);
        self.store(&scratch);
        self.scratch = scratch;
        res.map(|()| index)
    }

    /// Appends a batch of leaf hashes.
    pub fn append_leaf_hashes(&mut self, hashes: &[Hash]) -> Result<(), TlogError> {
        let nodes = self.frontier.append(hashes)?;
        self.store(&nodes);
        Ok(())
    }

    fn store(&mut self, nodes: &[(NodeId, Hash)]) {
        for (id, h) in nodes {
            let level = id.level as usize;
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            // Nodes come in index order per level, so each one is the next of its level.
            self.levels[level].push(*h);
        }
    }

    /// The root hash the tree had at `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, TlogError> {
        self.check_size(size)?;
        root(size, self)
    }

    /// The inclusion proof of leaf `index` in the tree as it was at `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TlogError> {
        self.check_size(size)?;
        inclusion_proof(index, size, self)
    }

    /// The consistency proof between the tree at `old` and at `new` leaves.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, TlogError> {
        self.check_size(new)?;
        consistency_proof(old, new, self)
    }

    fn check_size(&self, size: u64) -> Result<(), TlogError> {
        if size > self.len() {
            Err(TlogError::BeyondTree {
                size,
                tree_size: self.len(),
            })
        } else {
            Ok(())
        }
    }
}

impl NodeSource for MemoryTree {
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, TlogError> {
        ids.iter()
            .map(|id| {
                usize::try_from(id.index)
                    .ok()
                    .and_then(|i| self.levels.get(id.level as usize)?.get(i))
                    .copied()
                    .ok_or(TlogError::MissingNode {
                        level: id.level,
                        index: id.index,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn tiles_are_maximal_and_aligned() {
        let mut v = Vec::new();
        tile(0, 13, &mut v);
        assert_eq!(
            v,
            vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::new(0, 12)]
        );
        v.clear();
        tile(8, 13, &mut v);
        assert_eq!(v, vec![NodeId::new(2, 2), NodeId::new(0, 12)]);
    }

    #[test]
    fn frontier_round_trips_and_rejects_bad_bytes() {
        let mut t = MemoryTree::new();
        for i in 0..13u32 {
            t.push(&i.to_be_bytes()).unwrap();
        }
        let f = t.frontier().clone();
        assert_eq!(Frontier::from_bytes(&f.to_bytes()).unwrap(), f);
        assert_eq!(Frontier::load(13, &t).unwrap(), f);
        assert!(Frontier::from_bytes(&[1, 2]).is_err());
        let mut b = f.to_bytes();
        b.truncate(b.len() - 32);
        assert!(Frontier::from_bytes(&b).is_err());
    }

    #[test]
    fn wrong_node_count_is_an_error() {
        let plan = inclusion_plan(3, 10).unwrap();
        assert!(matches!(
            plan.assemble(&[]),
            Err(TlogError::WrongNodeCount { .. })
        ));
    }
}
