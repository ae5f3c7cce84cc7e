//! Governance with the `pacific` command only: two state nodes made by `pacific init`, each the
//! other's peer, found a federation by a charter they sign with `pacific federation found` and
//! `pacific federation sign`; once served, a norm proposed, amended and voted on each node is
//! adopted, `pacific proposal` shows its final tally and the diff between its versions, and
//! `pacific federation params` shows the adopted deadline in force, from the federation; the
//! other node's comment, the register, a published report. What a user is told when a reader
//! votes, when a withdrawal is not confirmed, and when a node outside the charter tries to
//! found it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pacific_testkit::setup::free_addr;

use crate::process::{Out, Served, add_user, run_async, serve_as_configured};

const WITHIN: Duration = Duration::from_secs(40);

const EMERGENCY: &str = "coop.deadlines.acknowledgement.emergency_secs";

/// Runs `pacific ARGS` (off the runtime's threads).
async fn pacific(args: &[&str]) -> Out {
    run_async(args.iter().map(|s| s.to_string()).collect()).await
}

/// Runs `pacific ARGS`, which must succeed.
async fn ok(args: &[&str]) -> Out {
    let out = pacific(args).await;
    assert_eq!(out.code, 0, "pacific {args:?}: {out}");
    out
}

/// A node made by `pacific init` on a port chosen now.
struct InitNode {
    id: &'static str,
    dir: PathBuf,
    url: String,
    key: String,
}

async fn init(root: &Path, id: &'static str, name: &str, jurisdiction: &str) -> InitNode {
    let dir = root.join(id);
    let addr = free_addr().unwrap();
    let listen = addr.to_string();
    let dir_arg = dir.to_str().unwrap();
    ok(&[
        "init",
        "--data",
        dir_arg,
        "--name",
        name,
        "--type",
        "state",
        "--jurisdiction",
        jurisdiction,
        "--listen",
        &listen,
    ])
    .await;
    let key = ok(&["id", "--data", dir_arg, "--key"])
        .await
        .stdout
        .trim()
        .to_owned();
    InitNode {
        id,
        dir,
        url: format!("http://{addr}"),
        key,
    }
}

impl InitNode {
    fn data(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    /// `pacific peer add` of `other` on this node.
    async fn peer(&self, other: &InitNode, name: &str, jurisdiction: &str) {
        ok(&[
            "peer",
            "add",
            "--data",
            self.data(),
            "--name",
            name,
            "--id",
            other.id,
            "--url",
            &other.url,
            "--key",
            &other.key,
            "--jurisdiction",
            jurisdiction,
        ])
        .await;
    }

    /// The charter's `[[members]]` entry of this node.
    fn member(&self, name: &str, jurisdiction: &str) -> String {
        format!(
            "\n[[members]]\nparty = {:?}\nname = {name:?}\nstakeholder = \"state\"\njurisdiction = {jurisdiction:?}\nkey = {:?}\nurl = {:?}\n",
            self.id, self.key, self.url
        )
    }
}

/// A served node and a user of its API.
struct User {
    url: String,
    token: String,
}

impl User {
    /// Runs `pacific COMMAND… --url … --token … REST…`.
    async fn run(&self, command: &[&str], rest: &[&str]) -> Out {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(["--url", &self.url, "--token", &self.token]);
        args.extend(rest);
        pacific(&args).await
    }

    async fn ok(&self, command: &[&str], rest: &[&str]) -> Out {
        let out = self.run(command, rest).await;
        assert_eq!(out.code, 0, "pacific {command:?} {rest:?}: {out}");
        out
    }

    /// Runs a command until its standard output contains `expected`.
    async fn until(&self, command: &[&str], rest: &[&str], expected: &str) -> Out {
        let start = Instant::now();
        loop {
            let out = self.run(command, rest).await;
            if out.code == 0 && out.stdout.contains(expected) {
                return out;
            }
            assert!(
                start.elapsed() < WITHIN,
                "pacific {command:?} {rest:?} never printed {expected:?}; last: {out}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn serve(node: &InitNode, user: &str, role: &str) -> (Served, User) {
    let token = add_user(&node.dir, user, role);
    let (served, url) = serve_as_configured(&node.dir);
    (served, User { url, token })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_federation_founded_signed_and_governed_with_the_command_line() {
    let root = tempfile::tempdir().unwrap();
    let alpha = init(root.path(), "alpha", "Alpha", "XA").await;
    let bravo = init(root.path(), "bravo", "Bravo", "XB").await;
    let stranger = init(root.path(), "charlie", "Charlie", "XC").await;
    alpha.peer(&bravo, "Bravo", "XB").await;
    bravo.peer(&alpha, "Alpha", "XA").await;

    // Deliberation 6 s, voting 6 s: time to amend, then for both to vote.
    let charter = root.path().join("charter.toml");
    let text = format!(
        "name = \"Pacific test federation\"\nfounded = {:?}\n\n[constitution]\ndeliberation_secs = 10\nvoting_secs = 6\n{}{}",
        pacific_core::Timestamp::now().as_str(),
        alpha.member("Alpha", "XA"),
        bravo.member("Bravo", "XB"),
    );
    std::fs::write(&charter, &text).unwrap();
    let unsigned = root.path().join("unsigned.toml");
    std::fs::write(&unsigned, &text).unwrap();
    let charter_arg = charter.to_str().unwrap();

    // A node whose key is not in the charter cannot found it, and is told who can.
    let refused = pacific(&[
        "federation",
        "found",
        unsigned.to_str().unwrap(),
        "--dir",
        stranger.data(),
    ])
    .await;
    assert_eq!(refused.code, 1, "{refused}");
    assert!(
        refused.stderr.contains("is not a founding member")
            && refused
                .stderr
                .contains(&format!("alpha            {}", alpha.key))
            && refused
                .stderr
                .contains(&format!("bravo            {}", bravo.key)),
        "{refused}"
    );

    let founded = ok(&["federation", "found", charter_arg, "--dir", alpha.data()]).await;
    assert!(
        founded.stdout.contains("signed by  alpha") && founded.stdout.contains("missing    bravo"),
        "{founded}"
    );
    let signed = ok(&["federation", "sign", charter_arg, "--dir", bravo.data()]).await;
    assert!(
        signed.stdout.contains("signed by  bravo") && signed.stdout.contains("installed"),
        "{signed}"
    );
    // Alpha signed before the charter was complete: signing again installs it.
    let installed = ok(&["federation", "sign", charter_arg, "--dir", alpha.data()]).await;
    assert!(
        installed.stdout.contains("alpha signed already") && installed.stdout.contains("installed"),
        "{installed}"
    );
    let federation_id = founded.stdout.lines().next().unwrap().to_owned();
    assert_eq!(signed.stdout.lines().next().unwrap(), federation_id);

    let reader_token = add_user(&alpha.dir, "rita", "reader");
    let (_alpha_node, ana) = serve(&alpha, "ana", "delegate");
    let (_bravo_node, ben) = serve(&bravo, "ben", "delegate");
    let rita = User {
        url: ana.url.clone(),
        token: reader_token,
    };

    let shown = rita.ok(&["federation", "show"], &[]).await;
    assert!(
        shown.stdout.contains(&federation_id["federation ".len()..])
            && shown.stdout.contains("alpha")
            && shown.stdout.contains("bravo")
            && shown.stdout.contains("member"),
        "{shown}"
    );

    let proposed = ana
        .ok(
            &["propose"],
            &[
                "--title",
                "Acknowledge emergencies sooner",
                "--text",
                "Members acknowledge emergency requests.\nWithin 30 minutes.",
                "--rationale",
                "Emergencies cannot wait an hour.",
                "--norm",
                "13h",
                "--param",
                &format!("{EMERGENCY}=1800"),
                "--co-sponsor",
                "bravo",
            ],
        )
        .await;
    let id = proposed.stdout.lines().next().unwrap().trim().to_owned();
    // By a prefix of its UUID, as a user types it.
    let prefix = &id.rsplit("--").next().unwrap()[..8];
    ana.ok(
        &["amend", prefix],
        &[
            "--text",
            "Members acknowledge emergency requests.\nWithin 20 minutes.",
            "--param",
            &format!("{EMERGENCY}=1200"),
        ],
    )
    .await;

    // Bravo comments during the deliberation, as soon as its node holds the proposal.
    ben.until(&["proposal", &id], &[], "stage     deliberation")
        .await;
    ben.ok(&["comment", &id], &["--text", "Bravo's CERT promises 20."])
        .await;

    // Voting opens after the deliberation, on both nodes.
    ana.until(&["proposal", &id], &[], "stage     voting").await;
    ben.until(&["proposal", &id], &[], "stage     voting").await;

    // A reader may read, not vote: the refusal says who may.
    let reader_vote = rita.run(&["vote", &id, "yes"], &[]).await;
    assert_eq!(reader_vote.code, 1, "{reader_vote}");
    assert!(
        reader_vote.stderr.contains("delegate") && reader_vote.stderr.contains("admin"),
        "{reader_vote}"
    );

    ana.ok(&["vote", &id, "yes"], &[]).await;
    ben.ok(&["vote", &id, "yes"], &[]).await;

    let closed = ana
        .until(&["proposal", &id], &[], "final tally: adopted")
        .await;
    let out = &closed.stdout;
    assert!(out.contains("version 2 by alpha"), "{out}");
    assert!(
        out.contains("    Members acknowledge emergency requests.\n")
            && out.contains("  - Within 30 minutes.\n  + Within 20 minutes.\n"),
        "the diff between the versions: {out}"
    );
    assert!(
        out.contains(&format!("adopt norm 13h {EMERGENCY}=1200")),
        "{out}"
    );
    assert!(
        out.contains("comment by bravo at ") && out.contains(": Bravo's CERT promises 20."),
        "{out}"
    );
    let binding_yes = out
        .lines()
        .find(|l| l.trim_start().starts_with("yes"))
        .unwrap();
    assert_eq!(
        binding_yes.split_whitespace().collect::<Vec<_>>(),
        ["yes", "2", "0"],
        "{out}"
    );

    let params = ben
        .until(
            &["federation", "params"],
            &[],
            &format!("federation ({id})"),
        )
        .await;
    let line = params
        .stdout
        .lines()
        .find(|l| l.starts_with(EMERGENCY))
        .unwrap();
    assert!(
        line.contains("in force     1200") && line.contains(&format!("federation ({id})")),
        "{}",
        params.stdout
    );

    let listed = rita.ok(&["proposals"], &[]).await;
    assert!(
        listed.stdout.contains(&id) && listed.stdout.contains("adopted"),
        "{listed}"
    );
    let norm = rita.ok(&["norms", "show", "13h"], &[]).await;
    assert!(norm.stdout.contains("adopted"), "{norm}");

    let member = rita.ok(&["member", "show", "bravo"], &[]).await;
    assert!(
        member.stdout.contains("status        member") && member.stdout.contains(&bravo.key),
        "{member}"
    );
    let published = ana
        .ok(&["report"], &["--period", "2026-Q4", "--publish"])
        .await;
    assert!(
        published
            .stdout
            .contains("published alpha's report of 2026-Q4"),
        "{published}"
    );
    // Leaving the federation is asked twice.
    let unconfirmed = ana.run(&["withdraw"], &[]).await;
    assert_eq!(unconfirmed.code, 1, "{unconfirmed}");
    assert!(unconfirmed.stderr.contains("--yes"), "{unconfirmed}");
    let still = rita.ok(&["member", "show", "alpha"], &[]).await;
    assert!(still.stdout.contains("status        member"), "{still}");
}
