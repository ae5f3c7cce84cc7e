//! Transparency log benchmarks: appends, proof generation at 10 million leaves, verification
//! of proofs and signed checkpoints.
//!
//! Run: `cargo bench -p pacific-tlog --bench tlog -- --quick` (builds a 10M-leaf tree in memory
//! once, about 1 GB, a few seconds).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use pacific_tlog::checkpoint::{Checkpoint, open_checkpoint, sign_checkpoint};
use pacific_tlog::cosignature::Cosigner;
use pacific_tlog::entry::{Act, Entry, ObjectRef, sha256};
use pacific_tlog::merkle::{
    self, Frontier, Hash, MemoryTree, consistency_plan, inclusion_plan, leaf_hash,
    verify_consistency, verify_inclusion,
};
use pacific_tlog::signed_note::{Ed25519Signer, Note, NoteVerifier};

const BIG: u64 = 10_000_000;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) % bound
    }
}

fn sample_entry(i: u64) -> Entry {
    Entry::new(
        1_700_000_000_000 + i,
        "alpha-node",
        Act::ObjectSent {
            object: ObjectRef {
                id: format!("indicator--{i:036}"),
                version: "2024-05-01T12:00:00.000Z".into(),
                sha256: sha256(&i.to_be_bytes()),
            },
            peer: "beta.example/node".into(),
            rule: "tlp-green-members".into(),
        },
    )
    .unwrap()
}

fn appends(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1000));
    let batch: Vec<Hash> = (0..1000u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();

    // What the store does inside its transaction: frontier in, new nodes out.
    let mut frontier = Frontier::new();
    g.bench_function("frontier_batch_1000_leaf_hashes", |b| {
        b.iter(|| black_box(frontier.append(black_box(&batch)).unwrap()))
    });

    let mut tree = MemoryTree::new();
    g.bench_function("memory_tree_batch_1000_leaf_hashes", |b| {
        b.iter(|| tree.append_leaf_hashes(black_box(&batch)).unwrap())
    });

    let entries: Vec<Entry> = (0..1000).map(sample_entry).collect();
    let mut tree2 = MemoryTree::new();
    g.bench_function("memory_tree_batch_1000_entries_encode_hash_append", |b| {
        b.iter(|| {
            let hashes: Vec<Hash> = entries.iter().map(|e| e.leaf_hash().unwrap()).collect();
            tree2.append_leaf_hashes(&hashes).unwrap()
        })
    });
    g.finish();
}

fn proofs(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let mut tree = MemoryTree::new();
    let hashes: Vec<Hash> = (0..BIG).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    tree.append_leaf_hashes(&hashes).unwrap();
    drop(hashes);
    eprintln!("built a {BIG}-leaf MemoryTree in {:?}", started.elapsed());
    let root = tree.root();

    let mut g = c.benchmark_group("proof_10M");
    let mut rng = Lcg(1);
    g.bench_function("inclusion_generate", |b| {
        b.iter(|| black_box(tree.inclusion_proof(rng.next(BIG), BIG).unwrap()))
    });
    g.bench_function("inclusion_plan_only", |b| {
        b.iter(|| black_box(inclusion_plan(rng.next(BIG), BIG).unwrap()))
    });
    g.bench_function("consistency_generate", |b| {
        b.iter(|| black_box(tree.consistency_proof(1 + rng.next(BIG - 1), BIG).unwrap()))
    });
    g.bench_function("consistency_plan_only", |b| {
        b.iter(|| black_box(consistency_plan(1 + rng.next(BIG - 1), BIG).unwrap()))
    });
    g.bench_function("root_at_random_size", |b| {
        b.iter(|| black_box(merkle::root(1 + rng.next(BIG), &tree).unwrap()))
    });

    let idx = 7_654_321;
    let leaf = tree.leaf_hash(idx).unwrap();
    let proof = tree.inclusion_proof(idx, BIG).unwrap();
    g.bench_function("inclusion_verify", |b| {
        b.iter(|| verify_inclusion(&leaf, idx, BIG, black_box(&proof), &root).unwrap())
    });
    let old = 3_333_333;
    let old_root = tree.root_at(old).unwrap();
    let cproof = tree.consistency_proof(old, BIG).unwrap();
    g.bench_function("consistency_verify", |b| {
        b.iter(|| verify_consistency(old, BIG, &old_root, &root, black_box(&cproof)).unwrap())
    });
    g.finish();
}

fn checkpoints(c: &mut Criterion) {
    let signer = Ed25519Signer::new("alpha.example/log", SigningKey::from_bytes(&[1; 32])).unwrap();
    let verifier = signer.verifier();
    let cp = Checkpoint::new("alpha.example/log", BIG, [7; 32]).unwrap();
    let mut note = sign_checkpoint(&cp, &signer).unwrap();
    let witness = Cosigner::new("witness.example/w1", SigningKey::from_bytes(&[2; 32])).unwrap();
    note.add_signature(witness.cosign(&cp, 1_700_000_000).unwrap())
        .unwrap();
    let text = note.to_string();
    let wv = witness.verifier();

    let mut g = c.benchmark_group("checkpoint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("open_and_verify_signed_checkpoint", |b| {
        b.iter(|| {
            black_box(open_checkpoint(black_box(&text), "alpha.example/log", &verifier).unwrap())
        })
    });
    g.bench_function("verify_log_signature_and_cosignature", |b| {
        b.iter(|| {
            let n = Note::parse(black_box(&text)).unwrap();
            black_box(n.verify(&[&verifier as &dyn NoteVerifier, &wv]).unwrap())
        })
    });
    g.bench_function("sign_checkpoint", |b| {
        b.iter(|| black_box(sign_checkpoint(&cp, &signer).unwrap()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = appends, proofs, checkpoints
}
criterion_main!(benches);
