//! Checks that keep `ARCHITECTURE.md` true: which crates of the workspace may depend on what.

use std::collections::BTreeSet;
use std::path::Path;

/// Dependencies that do I/O, keep a clock of their own or speak HTTP: never in a domain crate.
const IO_CRATES: &[&str] = &[
    "tokio",
    "sqlx",
    "reqwest",
    "axum",
    "hyper",
    "hyper-util",
    "tokio-rustls",
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
    let layers: [(&str, &[&str]); 6] = [
        ("core", &[]),
        ("tlog", &[]),
        ("match", &["pacific-core"]),
        ("coop", &["pacific-core"]),
        ("gov", &["pacific-core"]),
        ("registry", &["pacific-core"]),
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

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_http_layer_knows_http_and_services_never_import_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut checked = 0;
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // The HTTP layer, and the server that binds it to a socket.
        if relative.starts_with("http/") || relative == "server.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for http in ["axum::", "crate::http", "super::http"] {
                // A whole path segment: `crate::http_client` is not the HTTP layer.
                let uses = code.match_indices(http).any(|(at, _)| {
                    !code[at + http.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                assert!(
                    !uses,
                    "src/{relative}:{}: a service uses {http} (only src/http/ and src/server.rs may)",
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 10, "only {checked} service files found");
}

/// The node's top-level modules (a file or a folder under `src/`) each imports, from
/// `crate::…` paths in code (comments and test modules aside). The root's re-exports name
/// their modules: `DataDir` is `datadir`'s, `Node` is `server`'s.
fn node_module_imports() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let module = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps = graph.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group.split('}').next().unwrap().split(',').collect()
                } else {
                    vec![rest]
                };
                for name in names {
                    let name: String = name
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let target = match name.as_str() {
                        "DataDir" => "datadir".to_owned(),
                        "Node" => "server".to_owned(),
                        n => n.to_owned(),
                    };
                    if target != module && !target.is_empty() {
                        deps.insert(target);
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

#[test]
fn no_import_circle_spans_more_than_one_module_of_the_node() {
    let graph = node_module_imports();
    assert!(graph.len() > 10, "only {} modules found", graph.len());
    // Every module from which `start` can be reached again is on a circle with it.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&String, Vec<&String>)> = vec![(start, vec![start])];
        while let Some((module, path)) = stack.pop() {
            for next in &graph[module] {
                if next == start {
                    let circle: Vec<&str> = path.iter().map(|m| m.as_str()).collect();
                    panic!("import circle: {} -> {start}", circle.join(" -> "));
                }
                if seen.insert(next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push((next, longer));
                }
            }
        }
    }
}

#[test]
fn handlers_reach_the_store_only_through_services() {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut files = Vec::new();
    sources(&http, &mut files);
    assert!(files.len() > 5, "only {} files in src/http", files.len());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // `/healthz` and `/metrics` ask the store how it is, which is their whole job.
        if name == "ops.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("store().") {
                rest = &rest[at + "store().".len()..];
                assert!(
                    rest.starts_with("as_ref()"),
                    "src/http/{name}:{}: a handler calls the store directly (call a service)",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn the_test_kits_and_the_benchmarks_are_not_published_and_only_the_cli_or_tests_depend_on_them() {
    for krate in ["testkit", "bench", "golden"] {
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
        assert!(
            !deps.contains("pacific-golden"),
            "crates/{krate} depends on the golden-file kit outside its tests"
        );
        if krate != "testkit" {
            assert!(
                !deps.contains("pacific-testkit"),
                "crates/{krate} depends on the test kit outside its tests"
            );
        }
    }
}

/// Every `.rs` file of the workspace's crates, by path.
fn workspace_sources() -> Vec<std::path::PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![crates];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// `docs/threat-model.md` says which test shows each claim, as `` `file::test_name` ``: each
/// named test must exist in a file of that name, so the page cannot point at tests that were
/// renamed or removed.
#[test]
fn the_threat_model_names_only_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let page = std::fs::read_to_string(root.join("docs/threat-model.md")).unwrap();
    let sources = workspace_sources();
    let mut named = 0;
    for span in page.split('`').skip(1).step_by(2) {
        let Some((file, test)) = span.split_once("::") else {
            continue;
        };
        let is_name = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !is_name(file) || !is_name(test) {
            continue;
        }
        named += 1;
        let found = sources.iter().any(|path| {
            path.file_stem().is_some_and(|s| s == file)
                && std::fs::read_to_string(path)
                    .unwrap()
                    .contains(&format!("fn {test}("))
        });
        assert!(
            found,
            "docs/threat-model.md names `{file}::{test}`, which does not exist"
        );
    }
    assert!(named >= 20, "only {named} tests named in the threat model");
}
