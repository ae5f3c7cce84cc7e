//! Property tests for the Merkle tree: every proof from `MemoryTree` verifies, any tampering is
//! caught, and proofs equal byte for byte those of two independent implementations: the
//! `ct-merkle` crate and a deliberately naive transcription of RFC 9162's recursive definitions.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use pacific_tlog::merkle::{
    self, Frontier, Hash, MemoryTree, consistency_proof_len, empty_root, inclusion_proof_len,
    leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use sha2::Sha256;

fn entry(i: u64) -> Vec<u8> {
    format!("entry number {i}").into_bytes()
}

fn build(n: u64) -> (MemoryTree, Vec<Vec<u8>>) {
    let mut t = MemoryTree::new();
    let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
    for e in &entries {
        t.push(e).unwrap();
    }
    (t, entries)
}

// ---- Naive RFC 9162 §2.1 definitions, recursive, straight from the text. ----

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => leaf_hash(&d[0]),
        n => {
            let k = k_of(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    let n = d.len();
    if n == 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn flat(p: &[Hash]) -> Vec<u8> {
    p.concat()
}

fn flip(h: &mut Hash, byte: usize, bit: u8) {
    h[byte % 32] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn inclusion_matches_references_and_detects_tampering(
        n in 1u64..2000, i_seed in any::<u64>(), byte in 0usize..32, bit in 0u8..8,
        pick in any::<usize>(), other_seed in any::<u64>(),
    ) {
        let i = i_seed % n;
        let (t, entries) = build(n);
        let root = t.root();
        let proof = t.inclusion_proof(i, n).unwrap();
        let leaf = leaf_hash(&entries[i as usize]);

        // Independent implementations.
        prop_assert_eq!(root, mth(&entries));
        prop_assert_eq!(&proof, &path(i as usize, &entries));
        let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        for e in &entries { ct.push(e.clone()); }
        let ct_root = ct.root();
        prop_assert_eq!(ct_root.as_bytes().as_slice(), &root[..]);
        let ct_incl = ct.prove_inclusion(i as usize);
        prop_assert_eq!(ct_incl.as_bytes(), &flat(&proof)[..]);
        let ct_proof = InclusionProof::<Sha256>::try_from_bytes(flat(&proof)).unwrap();
        prop_assert!(ct.root().verify_inclusion(&entries[i as usize], i, &ct_proof).is_ok());

        // Our verifier accepts it.
        prop_assert_eq!(proof.len(), inclusion_proof_len(i, n).unwrap());
        prop_assert!(verify_inclusion(&leaf, i, n, &proof, &root).is_ok());

        // Tampering with any part is caught.
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let j = pick % bad.len();
            flip(&mut bad[j], byte, bit);
            prop_assert!(verify_inclusion(&leaf, i, n, &bad, &root).is_err());
            let mut short = proof.clone();
            short.pop();
            prop_assert!(verify_inclusion(&leaf, i, n, &short, &root).is_err());
        }
        let mut long = proof.clone();
        long.push([7u8; 32]);
        prop_assert!(verify_inclusion(&leaf, i, n, &long, &root).is_err());
        let mut bad_root = root;
        flip(&mut bad_root, byte, bit);
        prop_assert!(verify_inclusion(&leaf, i, n, &proof, &bad_root).is_err());
        let mut bad_leaf = leaf;
        flip(&mut bad_leaf, byte, bit);
        prop_assert!(verify_inclusion(&bad_leaf, i, n, &proof, &root).is_err());

        // A proof for this size fails against any other size's checkpoint (size, root).
        let other = 1 + other_seed % 2000;
        if other != n && i < other {
            let (t2, _) = build(other.max(n));
            let other_root = t2.root_at(other).unwrap();
            prop_assert!(verify_inclusion(&leaf, i, other, &proof, &other_root).is_err());
        }
        // And a different index fails.
        if n > 1 {
            let j = (i + 1 + other_seed % (n - 1)) % n;
            prop_assert!(verify_inclusion(&leaf, j, n, &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_matches_references_and_detects_tampering(
        n in 1u64..2000, old_seed in any::<u64>(), byte in 0usize..32, bit in 0u8..8,
        pick in any::<usize>(), other_seed in any::<u64>(),
    ) {
        let old = 1 + old_seed % n; // 1..=n
        let (t, entries) = build(n);
        let new_root = t.root();
        let old_root = t.root_at(old).unwrap();
        let proof = t.consistency_proof(old, n).unwrap();

        prop_assert_eq!(old_root, mth(&entries[..old as usize]));
        if old < n {
            prop_assert_eq!(&proof, &subproof(old as usize, &entries, true));
            let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            for e in &entries { ct.push(e.clone()); }
            let ct_proof = ct.prove_consistency((n - old) as usize);
            prop_assert_eq!(ct_proof.as_bytes(), &flat(&proof)[..]);
            let ours = ConsistencyProof::<Sha256>::try_from_bytes(flat(&proof)).unwrap();
            let ct_old = RootHash::<Sha256>::new(old_root.into(), old);
            prop_assert!(ct.root().verify_consistency(&ct_old, &ours).is_ok());
        } else {
            prop_assert!(proof.is_empty());
        }

        prop_assert_eq!(proof.len(), consistency_proof_len(old, n).unwrap());
        prop_assert!(verify_consistency(old, n, &old_root, &new_root, &proof).is_ok());

        if !proof.is_empty() {
            let mut bad = proof.clone();
            let j = pick % bad.len();
            flip(&mut bad[j], byte, bit);
            prop_assert!(verify_consistency(old, n, &old_root, &new_root, &bad).is_err());
            let mut short = proof.clone();
            short.pop();
            prop_assert!(verify_consistency(old, n, &old_root, &new_root, &short).is_err());
        }
        let mut long = proof.clone();
        long.push([9u8; 32]);
        prop_assert!(verify_consistency(old, n, &old_root, &new_root, &long).is_err());
        let mut bad_old = old_root;
        flip(&mut bad_old, byte, bit);
        prop_assert!(verify_consistency(old, n, &bad_old, &new_root, &proof).is_err());
        let mut bad_new = new_root;
        flip(&mut bad_new, byte, bit);
        prop_assert!(verify_consistency(old, n, &old_root, &bad_new, &proof).is_err());

        // Wrong sizes, each with its own true root, fail.
        let other_old = 1 + other_seed % n;
        if other_old != old {
            let r = t.root_at(other_old).unwrap();
            prop_assert!(verify_consistency(other_old, n, &r, &new_root, &proof).is_err());
        }
        let other_new = old + other_seed % (n - old + 1);
        if other_new != n {
            let r = t.root_at(other_new).unwrap();
            prop_assert!(verify_consistency(old, other_new, &old_root, &r, &proof).is_err());
        }
    }

    #[test]
    fn roots_at_every_size_match_the_naive_definition(n in 0u64..300) {
        let (t, entries) = build(n);
        for s in 0..=n {
            prop_assert_eq!(t.root_at(s).unwrap(), mth(&entries[..s as usize]));
        }
    }

    #[test]
    fn batch_appends_equal_single_appends(
        sizes in proptest::collection::vec(0usize..300, 1..8),
    ) {
        let mut one = MemoryTree::new();
        let mut batched = MemoryTree::new();
        let mut frontier = Frontier::new();
        let mut next = 0u64;
        for s in sizes {
            let hashes: Vec<Hash> = (next..next + s as u64).map(|i| leaf_hash(&entry(i))).collect();
            next += s as u64;
            for h in &hashes { one.push_leaf_hash(*h).unwrap(); }
            // What a store would do: read the frontier, append, store the returned nodes.
            let (nodes, f2) = merkle::nodes_to_store_on_append(batched.len(), &hashes, &batched).unwrap();
            batched.append_leaf_hashes(&hashes).unwrap();
            for (id, h) in &nodes {
                prop_assert_eq!(merkle::NodeSource::nodes(&batched, &[*id]).unwrap()[0], *h);
            }
            frontier.append(&hashes).unwrap();
            prop_assert_eq!(&f2, &frontier);
            prop_assert_eq!(one.root(), batched.root());
            prop_assert_eq!(frontier.root(), one.root());
        }
    }

    /// Verification never panics, whatever it is fed.
    #[test]
    fn verifiers_never_panic(
        a in any::<u64>(), b in any::<u64>(), c in any::<u64>(),
        proof in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        h1 in any::<[u8; 32]>(), h2 in any::<[u8; 32]>(),
    ) {
        let _ = verify_inclusion(&h1, a, b, &proof, &h2);
        let _ = verify_inclusion(&h1, a % 100, b % 100, &proof, &h2);
        let _ = verify_consistency(a, b, &h1, &h2, &proof);
        let _ = verify_consistency(a % 100, c % 100, &h1, &h2, &proof);
        let _ = merkle::inclusion_plan(a, b);
        let _ = merkle::consistency_plan(a, c);
        let _ = Frontier::from_bytes(&proof.concat());
    }
}

#[test]
fn edge_cases() {
    let (t, _) = build(5);
    assert!(t.inclusion_proof(5, 5).is_err());
    assert!(t.inclusion_proof(0, 6).is_err());
    assert!(t.consistency_proof(4, 3).is_err());
    assert!(t.consistency_proof(0, 5).unwrap().is_empty());
    assert!(verify_consistency(0, 5, &empty_root(), &t.root(), &[]).is_ok());
    assert!(verify_consistency(0, 5, &t.root(), &t.root(), &[]).is_err());
    assert!(verify_consistency(5, 5, &t.root(), &t.root(), &[]).is_ok());
    assert!(verify_consistency(3, 5, &t.root_at(3).unwrap(), &t.root(), &[]).is_err());
    assert!(verify_inclusion(&[0; 32], 0, 0, &[], &empty_root()).is_err());
    assert!(verify_inclusion(&[0; 32], 0, u64::MAX, &[], &empty_root()).is_err());
    assert_eq!(MemoryTree::new().root(), empty_root());
    // Single-leaf tree: root is the leaf hash, proof empty.
    let (t1, e1) = build(1);
    assert_eq!(t1.root(), leaf_hash(&e1[0]));
    assert!(verify_inclusion(&leaf_hash(&e1[0]), 0, 1, &[], &t1.root()).is_ok());
}

/// Known answer: RFC 6962 test vectors used by Certificate Transparency implementations
/// (leaves "", 0x00, 0x10, 0x2021, 0x3031, 0x40414243, 0x5051525354555657, 0x606162...6f).
#[test]
fn known_root_for_eight_leaves() {
    let leaves: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x10],
        vec![0x20, 0x21],
        vec![0x30, 0x31],
        vec![0x40, 0x41, 0x42, 0x43],
        vec![0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        (0x60..=0x6f).collect(),
    ];
    let mut t = MemoryTree::new();
    for l in &leaves {
        t.push(l).unwrap();
    }
    assert_eq!(
        hex::encode(t.root()),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
}
