//! `pacific policy reload`: a changed `policy.toml` applies to the serving node without a
//! restart, validated first, logged as `policy-changed`, and `policy show` says whether the
//! file is what the node applies.

use std::time::{Duration, Instant};

use crate::process::{init, run, serve_with_log, stderr};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `policy-changed` entries in the node's log.
fn policy_changes(data: &str) -> usize {
    let out = run(&["log", "show", "--data", data]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).matches("policy-changed").count()
}

/// Regression (issue 12, item 3): a policy change needed a restart, undocumented.
#[test]
fn a_changed_policy_applies_to_the_running_node_when_reloaded_and_a_broken_one_never() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("alpha");
    init(&data);
    let d = data.to_str().unwrap();
    let file = data.join("policy.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    assert!(original.contains("default_tlp = \"amber\""));

    // No node serving: the file is checked, and applies at the next start.
    let out = run(&["policy", "reload", "--data", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("No node serves"), "{}", stdout(&out));

    let (mut node, _base, log) = serve_with_log(&data);
    let logged = policy_changes(d);
    std::fs::write(
        &file,
        original.replace("default_tlp = \"amber\"", "default_tlp = \"green\""),
    )
    .unwrap();
    let shown = stdout(&run(&["policy", "show", "--data", d]));
    assert!(
        shown.contains("differs from the policy the node applies"),
        "{shown}"
    );
    assert!(shown.contains("default_tlp = \"green\""), "{shown}");

    let out = run(&["policy", "reload", "--data", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("applies the new policy from now on"),
        "{}",
        stdout(&out)
    );
    assert_eq!(policy_changes(d), logged + 1, "one policy-changed entry");
    let shown = stdout(&run(&["policy", "show", "--data", d]));
    assert!(!shown.contains("differs"), "{shown}");

    // Reloading the same file changes nothing and logs nothing.
    let out = run(&["policy", "reload", "--data", d]);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert_eq!(policy_changes(d), logged + 1);

    // A broken file is refused by the command, and the node keeps its policy.
    std::fs::write(
        &file,
        original.replace("default = \"deny\"", "default = \"maybe\""),
    )
    .unwrap();
    let out = run(&["policy", "reload", "--data", d]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is not a valid export policy"),
        "{}",
        stderr(&out)
    );
    assert_eq!(policy_changes(d), logged + 1);
    // Signalled anyway (an edit between the check and the signal), the node keeps it too.
    #[cfg(unix)]
    {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &node.id().to_string()])
            .status();
        if status.is_ok_and(|s| s.success()) {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let line = log.recv_timeout(Duration::from_secs(10)).unwrap();
                if line.contains("export policy not reloaded") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the node did not report the broken file"
                );
            }
            assert!(node.try_wait().unwrap().is_none(), "the node still serves");
            assert_eq!(policy_changes(d), logged + 1);
        }
    }
    node.kill().unwrap();
    node.wait().unwrap();
}
