//! `pacific request|hotline|consult|dispute …` run as a process against nodes on 127.0.0.1:
//! what a user sees when an act of theirs stops counting, when the policy gate holds a send
//! back, when a party or an object does not exist, when a spec has a field the schema does not
//! know, and how `hotline show` words an escalation's end.

use std::time::{Duration, Instant};

use pacific_core::access::Role;
use pacific_testkit::federation::{FedNode, mesh};

use crate::process::{Out, run_async};

const WITHIN: Duration = Duration::from_secs(20);

/// A user of one node, running `pacific` against it.
#[derive(Clone)]
struct Cli {
    url: String,
    token: String,
}

impl Cli {
    async fn new(node: &FedNode, role: Role) -> Self {
        Self {
            url: node.url(),
            token: node.user(&format!("{role:?}").to_lowercase(), role).await,
        }
    }

    /// Runs `pacific <group> <command> --url … --token … <rest…>` (off the runtime's threads).
    async fn run(&self, group_and_command: &[&str], rest: &[&str]) -> Out {
        let mut args: Vec<String> = group_and_command.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--url".into(),
            self.url.clone(),
            "--token".into(),
            self.token.clone(),
        ]);
        args.extend(rest.iter().map(|s| s.to_string()));
        run_async(args).await
    }

    /// Runs a command that must succeed.
    async fn ok(&self, group_and_command: &[&str], rest: &[&str]) -> Out {
        let out = self.run(group_and_command, rest).await;
        assert_eq!(out.code, 0, "pacific {group_and_command:?} {rest:?}: {out}");
        out
    }

    /// Runs a command until its standard output contains `expected`.
    async fn until(&self, group_and_command: &[&str], rest: &[&str], expected: &str) -> Out {
        let start = Instant::now();
        loop {
            let out = self.run(group_and_command, rest).await;
            if out.code == 0 && out.stdout.contains(expected) {
                return out;
            }
            assert!(
                start.elapsed() < WITHIN,
                "pacific {group_and_command:?} {rest:?} never printed {expected:?}; last: {out}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn fast(c: &mut pacific_node::config::Config) {
    c.coop.tick_millis = 100;
}

/// The record id `pacific` printed first.
fn first_id(out: &Out) -> String {
    out.stdout
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

/// Stops every node, sets whether its outbox runs, and starts it again (same port and data).
async fn restart(nodes: &mut [FedNode], outbox: bool) {
    for n in nodes.iter_mut() {
        n.stop().await;
        n.configure(|c| c.federation.outbox = outbox);
        n.start().await;
    }
}

/// Issue 12, item 1: Alpha proposes new minutes while Bravo, not having seen them, signs the
/// old ones. Once the nodes exchange, Bravo's signature does not count, and `consult show` on
/// Bravo's node says so as a refusal of Bravo's own act with its label, not as a signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_superseded_by_a_concurrent_proposal_shows_as_refused_to_its_signer() {
    let tmp = tempfile::tempdir().unwrap();
    let mut nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha = Cli::new(&nodes[0], Role::Liaison).await;
    let bravo = Cli::new(&nodes[1], Role::Liaison).await;
    let opened = alpha
        .ok(
            &["consult", "open"],
            &["--topic", "GRIDLOCK", "--with", "bravo"],
        )
        .await;
    let id = first_id(&opened);
    alpha
        .ok(&["consult", "minutes"], &[&id, "null-route within 24 h"])
        .await;
    bravo
        .until(&["consult", "show"], &[&id], "minutes v1 by alpha")
        .await;

    restart(&mut nodes, false).await;
    alpha
        .ok(&["consult", "minutes"], &[&id, "null-route within 12 h"])
        .await;
    let signed = bravo.ok(&["consult", "sign"], &[&id]).await;
    assert!(signed.stdout.contains("signed by bravo"), "{signed}");

    restart(&mut nodes, true).await;
    let shown = bravo
        .until(&["consult", "show"], &[&id], "minutes v2 by alpha")
        .await;
    assert!(shown.stdout.contains("signed by nobody yet"), "{shown}");
    assert!(
        shown
            .stdout
            .contains("REFUSED   your act x-pacific-coop-event--")
            && shown.stdout.contains("(coop-act-conflict): "),
        "{shown}"
    );
    let on_alpha = alpha.until(&["consult", "show"], &[&id], "ignored").await;
    assert!(
        on_alpha.stdout.contains(" by bravo (coop-invalid): "),
        "{on_alpha}"
    );
    assert!(!on_alpha.stdout.contains("REFUSED"), "{on_alpha}");
}

/// Alpha (the policy `pacific init` writes) and Bravo (`bravo_policy`), peers of each other.
async fn peers_with_policies(root: &std::path::Path, bravo_policy: &str) -> Vec<FedNode> {
    use pacific_core::party::StakeholderType;
    use pacific_testkit::federation::Spec;
    let spec = |id, name, jurisdiction, policy| Spec {
        id,
        name,
        kind: StakeholderType::State,
        jurisdiction: Some(jurisdiction),
        policy,
    };
    let default = pacific_node::federation::DEFAULT_POLICY;
    let mut alpha = FedNode::create(root, &spec("alpha", "Alpha", "XA", default)).await;
    let mut bravo = FedNode::create(root, &spec("bravo", "Bravo", "XB", bravo_policy)).await;
    alpha
        .add_peer(&bravo, StakeholderType::State, Some("XB"))
        .await;
    bravo
        .add_peer(&alpha, StakeholderType::State, Some("XA"))
        .await;
    for n in [&alpha, &bravo] {
        n.configure(fast);
    }
    alpha.start().await;
    bravo.start().await;
    vec![alpha, bravo]
}

/// A preservation request spec to `recipient`, written to a file under `dir`.
fn spec_file(dir: &std::path::Path, recipient: &str, extra: &str) -> String {
    let path = dir.join(format!("spec-{recipient}.json"));
    std::fs::write(
        &path,
        format!(
            r#"{{"recipient": "{recipient}", "urgency": "urgent", "title": "mailbox"{extra},
  "details": {{"kind": "preservation", "requesting_authority": "police", "offence": "fraud",
    "summary_of_facts": "phishing", "data_sought": "mailbox", "link_to_offence": "sent it",
    "custodian_or_location": "Example Mail", "necessity": "logs deleted after 30 days",
    "mla_intent": true}}}}"#
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// Issue 12, item 2: with `init`'s policy a request sent reaches its recipient; a send the
/// sender's policy holds back fails with the gate's reason and a non-zero exit, never `sent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_send_reaches_the_recipient_or_fails_loudly_when_the_policy_holds_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = peers_with_policies(tmp.path(), "default = \"deny\"\n").await;
    let alpha = Cli::new(&nodes[0], Role::Liaison).await;
    let bravo = Cli::new(&nodes[1], Role::Liaison).await;

    let drafted = alpha
        .ok(&["request", "new"], &[&spec_file(tmp.path(), "bravo", "")])
        .await;
    let id = first_id(&drafted);
    let sent = alpha.ok(&["request", "send"], &[&id]).await;
    assert!(sent.stdout.contains("state     sent"), "{sent}");
    bravo
        .until(&["request", "show"], &[&id], "state     sent")
        .await;

    let drafted = bravo
        .ok(&["request", "new"], &[&spec_file(tmp.path(), "alpha", "")])
        .await;
    let id = first_id(&drafted);
    let refused = bravo.run(&["request", "send"], &[&id]).await;
    assert_ne!(refused.code, 0, "{refused}");
    assert!(!refused.stdout.contains("sent"), "{refused}");
    assert!(
        refused
            .stderr
            .contains("holds the act back from alpha (default-deny")
            && refused.stderr.contains("(409, coop-held-back)"),
        "{refused}"
    );
    let shown = bravo.ok(&["request", "show"], &[&id]).await;
    assert!(shown.stdout.contains("state     draft"), "{shown}");
}

/// Issue 12, items 7 and 14: a party that is neither this node's nor a peer is refused when
/// the command is given, with the known party ids; so is attaching an object that is not held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parties_and_objects_are_refused_with_the_known_party_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha = Cli::new(&nodes[0], Role::Liaison).await;
    let known = "the known parties are alpha, bravo";
    let refused = |out: &Out, party: &str| {
        assert_eq!(out.code, 1, "{out}");
        assert_eq!(out.stdout, "", "{out}");
        assert!(
            out.stderr.contains(&format!(
                "\"{party}\" is not a party this node knows; {known} (422, coop-unknown-party)"
            )),
            "{out}"
        );
    };
    let out = alpha
        .run(&["hotline", "ping"], &["--to", "bravo-cert"])
        .await;
    refused(&out, "bravo-cert");
    let out = alpha
        .run(&["request", "new"], &[&spec_file(tmp.path(), "zulu", "")])
        .await;
    refused(&out, "zulu");
    let out = alpha
        .run(
            &["consult", "open"],
            &["--topic", "t", "--with", "bravo", "--with", "charlie"],
        )
        .await;
    refused(&out, "charlie");

    let opened = alpha
        .ok(
            &["dispute", "open"],
            &["--respondent", "bravo", "--subject", "s", "--claim", "c"],
        )
        .await;
    let id = first_id(&opened);
    let out = alpha
        .run(
            &["dispute", "step"],
            &[&id, "propose-mediator", r#"{"mediator": "delta"}"#],
        )
        .await;
    refused(&out, "delta");

    let opened = alpha
        .ok(&["consult", "open"], &["--topic", "t", "--with", "bravo"])
        .await;
    let id = first_id(&opened);
    let missing = "indicator--00000000-0000-4000-8000-000000000001";
    let out = alpha.run(&["consult", "attach"], &[&id, missing]).await;
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains(&format!("no object {missing} is held here"))
            && out.stderr.contains("(422, coop-unknown-object)"),
        "{out}"
    );
}

/// Issue 12, item 13: `request new` with a field the schema does not define says which one and
/// exits 1; `dispute step` with a BODY that is not JSON gives a labelled error as the node's
/// errors are, without sending anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_spec_fields_and_bad_step_bodies_are_refused_with_a_label() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha = Cli::new(&nodes[0], Role::Liaison).await;
    for (extra, field) in [
        (r#", "bogus": 1"#, "bogus"),
        (
            r#", "requested_deadine": "2030-01-01T00:00:00Z""#,
            "requested_deadine",
        ),
    ] {
        let out = alpha
            .run(
                &["request", "new"],
                &[&spec_file(tmp.path(), "bravo", extra)],
            )
            .await;
        assert_eq!(out.code, 1, "{out}");
        assert!(
            out.stderr.contains(&format!("unknown field `{field}`"))
                && out.stderr.contains("(422, coop-invalid)"),
            "{out}"
        );
    }
    let list = alpha.ok(&["request", "list"], &[]).await;
    assert_eq!(list.stdout, "", "no draft was made");

    let opened = alpha
        .ok(
            &["dispute", "open"],
            &["--respondent", "bravo", "--subject", "s", "--claim", "c"],
        )
        .await;
    let id = first_id(&opened);
    let out = alpha
        .run(&["dispute", "step"], &[&id, "claim", "{text: more}"])
        .await;
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        out.stderr,
        "error: invalid body: BODY is not JSON: key must be a string at line 1 column 2 (not sent, coop-invalid)\n"
    );
}

/// Issue 12, item 12: an emergency withdrawn before Bravo acknowledged it shows on both nodes as
/// withdrawn and never acknowledged, with a clock stopped at the withdrawal; `request show`
/// says the same; an acknowledged one shows when and after how long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotline_show_prints_how_an_escalation_ended() {
    let tmp = tempfile::tempdir().unwrap();
    let nodes = mesh(tmp.path(), &["alpha", "bravo"], fast).await;
    let alpha = Cli::new(&nodes[0], Role::Liaison).await;
    let bravo = Cli::new(&nodes[1], Role::Liaison).await;
    let incident = tmp.path().join("incident.json");
    std::fs::write(
        &incident,
        r#"{"recipient": "bravo", "urgency": "emergency", "title": "wiper on the grid",
  "details": {"kind": "incident-assistance", "description": "wiper", "sector": "energy",
    "affected_systems": "SCADA", "assistance_sought": "block the C2"}}"#,
    )
    .unwrap();
    let incident = incident.to_str().unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = first_id(&alpha.ok(&["request", "new"], &[incident]).await);
        alpha.ok(&["request", "send"], &[&id]).await;
        bravo
            .until(&["request", "show"], &[&id], "state     sent")
            .await;
        ids.push(id);
    }
    let (withdrawn, acknowledged) = (&ids[0], &ids[1]);
    alpha
        .ok(
            &["request", "withdraw"],
            &[withdrawn, "--reason", "false alarm"],
        )
        .await;
    bravo.ok(&["request", "ack"], &[acknowledged]).await;
    for cli in [&alpha, &bravo] {
        let first = cli
            .until(&["hotline", "show"], &[], "never acknowledged")
            .await;
        let line = |out: &Out, id: &str| -> String {
            out.stdout
                .lines()
                .find(|l| l.starts_with(id))
                .unwrap_or_else(|| panic!("no line for {id}: {out}"))
                .to_owned()
        };
        let ended = line(&first, withdrawn);
        assert!(ended.contains("  withdrawn at "), "{first}");
        assert!(!ended.contains("acknowledged at"), "{first}");
        let acked = cli
            .until(&["hotline", "show"], &[], "acknowledged at")
            .await;
        assert!(
            line(&acked, acknowledged).contains("pushes  acknowledged at "),
            "{acked}"
        );
        // The clock of the closed escalation does not run.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let later = cli.ok(&["hotline", "show"], &[]).await;
        assert_eq!(line(&later, withdrawn), ended, "{later}");
        let shown = cli.ok(&["request", "show"], &[withdrawn]).await;
        assert!(
            shown.stdout.contains("pushes, withdrawn at ")
                && shown.stdout.contains(", never acknowledged"),
            "{shown}"
        );
    }
}
