//! `pacific match` run as a process against a node's data directory: what a user sees when a
//! match on a critical-infrastructure asset raises a hotline emergency with or without a node
//! serving that directory, when events predate an indicator's validity, and when the same
//! input is recorded twice.

use std::path::Path;
use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_core::tlp::Tlp;
use pacific_testkit::federation::{FedNode, eventually, indicator, mesh};
use serde_json::json;

use crate::process::{Out, run_async};

const WITHIN: Duration = Duration::from_secs(20);

/// `pacific match --data DIR EXTRA… FILE`.
async fn match_file(dir: &Path, file: &Path, extra: &[&str]) -> Out {
    let mut args = vec![
        "match".to_owned(),
        "--data".to_owned(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(file.display().to_string());
    run_async(args).await
}

/// Runs `pacific hotline show` against `node` until its output contains `expected`.
async fn hotline_shows(node: &FedNode, token: &str, expected: &str) -> Out {
    let start = Instant::now();
    loop {
        let out = run_async(vec![
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

/// Issue 12, item 6: `pacific match` says how many candidate matches an indicator's validity
/// skipped and why, and `--retro` matches events dated before its `valid_from`; `--record` of
/// an input recorded before records nothing and says when it was recorded (the statistics do
/// not double), unless `--force`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_counts_what_validity_skips_and_records_an_input_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha"], fast).await;
    let mut ind = indicator(
        None,
        json!({"pattern": "[ipv4-addr:value = '203.0.113.92']"}),
    );
    ind["valid_from"] = json!("2026-03-01T00:00:00Z");
    let ind_id = ind["id"].as_str().unwrap().to_owned();
    nodes[0].add(&[ind]).await;
    nodes[0].stop().await;
    let dir = nodes[0].dir.root().to_path_buf();
    let log = tmp.path().join("old.jsonl");
    std::fs::write(
        &log,
        "{\"ts\": \"2026-02-01T10:00:00Z\", \"dst_ip\": \"203.0.113.92\"}\n\
         {\"ts\": \"2026-03-02T10:00:00Z\", \"dst_ip\": \"203.0.113.92\"}\n",
    )
    .unwrap();

    let out = match_file(&dir, &log, &[]).await;
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
    assert!(
        out.stdout.starts_with(&format!("line 2\t{ind_id}")),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "skipped 1 candidate matches: 1 events before the indicator's valid_from (--retro matches them), 0 after its valid_until, 0 of revoked indicators"
        ),
        "{out}"
    );
    let out = match_file(&dir, &log, &["--retro"]).await;
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.lines().count(), 2, "{out}");
    assert!(
        out.stderr
            .contains("retro: 1 matches of events before the indicator's valid_from"),
        "{out}"
    );
    assert!(!out.stderr.contains("skipped"), "{out}");

    // Recorded once; the same input again records nothing and says when it was recorded.
    let first = match_file(&dir, &log, &["--record"]).await;
    assert_eq!(first.code, 0, "{first}");
    assert!(
        first
            .stderr
            .contains("recorded: 1 sightings created, 0 updated, 0 incidents raised"),
        "{first}"
    );
    let again = match_file(&dir, &log, &["--record"]).await;
    assert_eq!(again.code, 0, "{again}");
    let line = again
        .stderr
        .lines()
        .find(|l| l.starts_with("not recorded: this input (sha256 "))
        .unwrap_or_else(|| panic!("no refusal: {again}"));
    assert!(
        line.contains(") was recorded already at 20")
            && line.ends_with("; --force records it again"),
        "{again}"
    );
    assert!(
        !again.stderr.lines().any(|l| l.starts_with("recorded: ")),
        "{again}"
    );
    let day_count = || async {
        let store = nodes[0].dir.open_store().await.unwrap();
        store
            .match_stats("2026-03-02", "2026-03-02", Some("indicator"))
            .await
            .unwrap()
            .iter()
            .map(|s| s.count)
            .sum::<u64>()
    };
    assert_eq!(day_count().await, 1, "the statistics doubled");
    let forced = match_file(&dir, &log, &["--record", "--force"]).await;
    assert_eq!(forced.code, 0, "{forced}");
    assert!(
        forced
            .stderr
            .contains("recorded: 0 sightings created, 1 updated, 0 incidents raised")
            && forced.stderr.contains("(--force: this input, sha256 "),
        "{forced}"
    );
    assert_eq!(day_count().await, 2);
}
