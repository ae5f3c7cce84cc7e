//! What a user reads when something is wrong: each message says what happened and what to
//! check, never a library's error text alone.

use crate::process::{add_user, init, run, serve_with_log, stderr};

/// Regression: a node that is down gave `error sending request for url`.
#[test]
fn a_node_that_is_not_running_is_named_with_its_address() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/taxii2/");
    let out = run(&[
        "taxii",
        "pull",
        &url,
        "--collection",
        "default",
        "--token",
        "pac_x_y",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "connection refused at http://127.0.0.1:{port}: is the node running"
        )),
        "{err}"
    );
}

/// Regressions: a wrong token said `authentication is required`, as if none had been sent; a
/// URL without `/taxii2/` gave `error decoding response body` for the dashboard's login page;
/// the node's log carried colour escape codes into a file.
#[test]
fn a_wrong_token_a_wrong_url_and_a_redirected_log_say_what_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("node");
    init(&data);
    let token = add_user(&data, "ana", "analyst");
    let (mut node, base, log) = serve_with_log(&data);
    let taxii = format!("{base}/taxii2/");
    let wrong = format!("{}x", token);
    let out = run(&[
        "taxii",
        "pull",
        &taxii,
        "--collection",
        "default",
        "--token",
        &wrong,
    ]);
    let wrong_token = stderr(&out);
    let out = run(&[
        "taxii",
        "pull",
        &base,
        "--collection",
        "default",
        "--token",
        &token,
    ]);
    let wrong_url = stderr(&out);
    let out = run(&[
        "taxii",
        "pull",
        &taxii,
        "--collection",
        "default",
        "--token",
        &token,
    ]);
    let right = out.status.success();
    node.kill().unwrap();
    node.wait().unwrap();
    let log: Vec<String> = log.try_iter().collect();

    assert!(
        wrong_token
            .contains("the API token was not accepted: it is unknown, wrong, expired or revoked"),
        "{wrong_token}"
    );
    assert!(
        wrong_url.contains(
            "not TAXII JSON: is it a TAXII 2.1 discovery URL? A Pacific node's ends in /taxii2/"
        ),
        "{wrong_url}"
    );
    assert!(right, "the right token and URL work");
    assert!(!log.is_empty());
    for line in &log {
        assert!(
            !line.contains('\u{1b}'),
            "escape code in a redirected log: {line:?}"
        );
    }
}
