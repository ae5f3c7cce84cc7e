//! `pacific match` run as a process against a node's data directory: what a user sees when a
//! match on a critical-infrastructure asset raises a hotline emergency with or without a node
//! serving that directory, when events predate an indicator's validity, and when the same
//! input is recorded twice.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_core::tlp::Tlp;
use pacific_testkit::federation::{FedNode, eventually, indicator, mesh};
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(20);

/// What one run of `pacific` gave.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `pacific ARGS` (off the runtime's threads).
async fn pacific(args: Vec<String>) -> Out {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pacific"))
            .args(&args)
            .env_remove("PACIFIC_URL")
            .env_remove("PACIFIC_TOKEN")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    })
    .await
    .unwrap()
}

/// `pacific match --data DIR EXTRA… FILE`.
async fn match_file(dir: &Path, file: &Path, extra: &[&str]) -> Out {
    let mut args = vec![
        "match".to_owned(),
        "--data".to_owned(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(file.display().to_string());
    pacific(args).await
}

/// Runs `pacific hotline show` against `node` until its output contains `expected`.
async fn hotline_shows(node: &FedNode, token: &str, expected: &str) -> Out {
    let start = Instant::now();
    loop {
        let out = pacific(vec![
            "hotline".into(),
            "show".into(),
            "--url".into(),
            node.url(),
            "--token".into(),
            token.into(),
        ])
        .await;
        if out.code == 0 && out.stdout.contains(expected) {
            return out;
        }
        assert!(
            start.elapsed() < WITHIN,
            "hotline show never printed {expected:?}; last: {out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn fast(c: &mut pacific_node::config::Config) {
    c.coop.tick_millis = 100;
}

/// Issue 12, item 4: `pacific match --record` on Bravo's data directory matches Alpha's
/// indicator on an energy asset. With Bravo's node serving, it says the node sends the
/// emergency to Alpha, and Alpha's hotline shows it within seconds (before: only at the node's
/// periodic sweep, five minutes later, and the CLI said nothing of the hotline). With no node
/// serving, it says the alert is not sent yet; once Bravo starts, Alpha's hotline shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_record_raises_the_hotline_emergency_now_or_when_the_node_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha_token = nodes[0].user("lia", Role::Liaison).await;
    let bravo_dir = nodes[1].dir.root().to_path_buf();
    std::fs::write(
        bravo_dir.join("assets.toml"),
        "[[assets]]\nname = \"North grid\"\ncidr = \"10.20.0.0/16\"\nsector = \"energy\"\n\
         [[assets]]\nname = \"South grid\"\ncidr = \"10.21.0.0/16\"\nsector = \"energy\"\n",
    )
    .unwrap();
    let ind = indicator(
        Some(Tlp::Green),
        json!({"pattern": "[ipv4-addr:value = '203.0.113.91']"}),
    );
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    nodes[0].add(&[ind]).await;
    assert!(
        eventually(WITHIN, || nodes[1].has(&ind_id)).await.is_some(),
        "the indicator never reached Bravo"
    );

    // Bravo's node serves: the CLI records, the node sends.
    let north = tmp.path().join("north.jsonl");
    std::fs::write(
        &north,
        "{\"src_ip\": \"10.20.1.5\", \"dst_ip\": \"203.0.113.91\"}\n",
    )
    .unwrap();
    let out = match_file(&bravo_dir, &north, &["--record"]).await;
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("1 incidents raised"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "hotline: incident on North grid (energy, 203.0.113.91): the node serving {} (pid {}) sends the emergency alert to alpha now",
            bravo_dir.display(),
            std::process::id()
        )),
        "{out}"
    );
    hotline_shows(
        &nodes[0],
        &alpha_token,
        "Incident on critical infrastructure: North grid (energy)",
    )
    .await;

    // Bravo's node is down: the CLI records and says the alert waits for the node.
    nodes[1].stop().await;
    let south = tmp.path().join("south.jsonl");
    std::fs::write(
        &south,
        "{\"src_ip\": \"10.21.1.5\", \"dst_ip\": \"203.0.113.91\"}\n",
    )
    .unwrap();
    let out = match_file(&bravo_dir, &south, &["--record"]).await;
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "hotline: incident on South grid (energy, 203.0.113.91): emergency alert to alpha NOT SENT YET: no node serves {dir}; it is sent when the node starts (pacific node --data {dir})",
            dir = bravo_dir.display()
        )),
        "{out}"
    );
    // Started, Bravo's sweep sends it: Alpha's hotline shows the second emergency.
    nodes[1].start().await;
    let shown = hotline_shows(
        &nodes[0],
        &alpha_token,
        "Incident on critical infrastructure: South grid (energy)",
    )
    .await;
    assert_eq!(
        shown
            .stdout
            .lines()
            .filter(|l| l.contains("Incident on critical infrastructure"))
            .count(),
        2,
        "{shown}"
    );
}
