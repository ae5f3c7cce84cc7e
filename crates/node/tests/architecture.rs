//! Checks that keep `ARCHITECTURE.md` true: which crates of the workspace may depend on what.

use std::collections::BTreeSet;
use std::path::Path;

/// Dependencies that do I/O, keep a clock of their own or speak HTTP: never in a domain crate.
const IO_CRATES: &[&str] = &[
    "tokio",
    "sqlx",
    "reqwest",
    "axum",
    "axum-server",
    "hyper",
    "tower",
    "rustls",
    "getrandom",
    "tracing-subscriber",
    "indicatif",
    "clap",
];

/// The names under `[dependencies]` of a workspace crate.
fn dependencies(krate: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn domain_crates_do_no_io_and_depend_only_downwards() {
    // Crate, and the workspace crates it may depend on.
    let layers: [(&str, &[&str]); 4] = [
        ("core", &[]),
        ("tlog", &[]),
        ("match", &["pacific-core"]),
        ("coop", &["pacific-core"]),
    ];
    for (krate, allowed) in layers {
        let deps = dependencies(krate);
        for dep in &deps {
            assert!(
                !IO_CRATES.contains(&dep.as_str()),
                "crates/{krate} depends on {dep}, which does I/O: domain crates take bytes, \
                 times and ids from their caller"
            );
            assert!(
                !dep.starts_with("pacific-") || allowed.contains(&dep.as_str()),
                "crates/{krate} depends on {dep}; it may depend on {allowed:?} only"
            );
        }
    }
}

#[test]
fn the_store_knows_no_http_and_nothing_depends_on_the_node_or_the_cli() {
    let store = dependencies("store");
    for dep in ["axum", "reqwest", "hyper", "pacific-node", "pacific-cli"] {
        assert!(!store.contains(dep), "crates/store depends on {dep}");
    }
    for krate in ["core", "tlog", "match", "coop", "store"] {
        let deps = dependencies(krate);
        assert!(
            !deps.contains("pacific-node") && !deps.contains("pacific-cli"),
            "crates/{krate} depends on the node or the CLI"
        );
    }
}

#[test]
fn the_test_kit_and_the_benchmarks_are_not_published_and_only_the_cli_depends_on_them() {
    for krate in ["testkit", "bench"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(krate)
            .join("Cargo.toml");
        let manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            manifest["package"].get("publish"),
            Some(&toml::Value::Boolean(false)),
            "crates/{krate} must say publish = false"
        );
    }
    for krate in ["core", "tlog", "match", "coop", "store", "node", "testkit"] {
        let deps = dependencies(krate);
        assert!(
            !deps.contains("pacific-bench") && !deps.contains("pacific-cli"),
            "crates/{krate} depends on the benchmarks or the CLI"
        );
        if krate != "testkit" {
            assert!(
                !deps.contains("pacific-testkit"),
                "crates/{krate} depends on the test kit outside its tests"
            );
        }
    }
}
