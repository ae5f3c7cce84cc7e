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
    let pull = |url: &str, token: &str| {
        run(&[
            "taxii",
            "pull",
            url,
            "--collection",
            "default",
            "--token",
            token,
        ])
    };
    let wrong_token = stderr(&pull(&taxii, &wrong));
    let wrong_url = stderr(&pull(&base, &token));
    let out = pull(&taxii, &token);
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

/// A bundle of `n` unmarked indicators.
fn unmarked_bundle(n: usize) -> String {
    let objects: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--00000000-0000-4000-8000-{i:012}\",\
                 \"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\",\
                 \"pattern\":\"[ipv4-addr:value = '198.51.100.{}']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"}}",
                i % 250
            )
        })
        .collect();
    format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[{}]}}",
        objects.join(",")
    )
}

/// Regressions: unmarked public data was held back from every peer as TLP:AMBER with no way to
/// mark it; `export --for bravo` said `unknown peer "bravo"` for `bravo-cert`; its list of
/// held-back objects stopped after 100 lines without saying how many more there were.
#[test]
fn unmarked_data_can_be_marked_at_ingest_and_a_peer_is_found_by_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("alpha");
    init(&data);
    let d = data.to_str().unwrap();
    // A valid Ed25519 public key (the golden files' Alpha's, any node's would do).
    let key = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
    let out = run(&[
        "peer",
        "add",
        "--data",
        d,
        "--name",
        "Bravo CERT",
        "--url",
        "http://127.0.0.1:9",
        "--key",
        key,
        "--jurisdiction",
        "XB",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let public = tmp.path().join("public.json");
    std::fs::write(&public, unmarked_bundle(30)).unwrap();
    let private = tmp.path().join("private.json");
    std::fs::write(&private, unmarked_bundle(130).replace("-8000-", "-9000-")).unwrap();
    let out = run(&[
        "ingest",
        "--quiet",
        "--data",
        d,
        "--tlp",
        "clear",
        public.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["ingest", "--quiet", "--data", d, private.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "ingest",
        "--data",
        d,
        "--tlp",
        "purple",
        public.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("\"purple\" is no TLP level"),
        "{}",
        stderr(&out)
    );

    let out = run(&["export", "--data", d, "--for", "bravo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Exported 30 objects for bravo-cert; held back 130."),
        "{err}"
    );
    assert!(err.contains("and 30 more held back"), "{err}");
    let bundle: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 30);
    assert!(
        objects
            .iter()
            .all(|o| o["object_marking_refs"][0] == pacific_core::tlp::TLP2_CLEAR)
    );

    let out = run(&["export", "--data", d, "--for", "zulu"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("\"zulu\" is no peer's id or name; the peers are: bravo-cert"),
        "{err}"
    );
}
