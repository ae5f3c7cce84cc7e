//! Golden files (`tests/golden/`, see its README): the text the `pacific` command prints, run as
//! a process on a fresh data directory with fixed inputs. Each file holds the command line, the
//! exit code, standard output and standard error, after [`Run::normalise`] has replaced what
//! changes from run to run. `PACIFIC_BLESS=1` rewrites the files.

use std::path::{Path, PathBuf};
use std::process::Command;

use pacific_core::Timestamp;
use pacific_golden::{assert_folder_holds_only, assert_golden, replace_times, replace_uuids};

/// This crate's golden files.
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

// --- Fixed inputs ----------------------------------------------------------------------------

/// The node's identity key, written over the one `pacific init` made: seed bytes 0x00, …, 0x1f
/// (Alpha's in the node's golden files).
const IDENTITY_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

const INDICATOR_ID: &str = "indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a";
const MALWARE_ID: &str = "malware--0c9a3e1b-5d2f-4a7e-8b6c-2d1e0f9a8b7c";
const BROKEN_ID: &str = "indicator--f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b";
const BUNDLE_ID: &str = "bundle--a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const TLP_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

/// A bundle of an indicator, a malware, an indicator without its pattern and one whose STIX
/// pattern does not parse (both invalid).
const BUNDLE: &str = r#"{"type":"bundle","id":"bundle--a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a","created":"2025-06-01T00:00:00.000Z","modified":"2025-06-02T00:00:00.000Z","name":"C2 address of \"GridWiper\"","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","valid_from":"2025-06-01T00:00:00Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
{"type":"malware","spec_version":"2.1","id":"malware--0c9a3e1b-5d2f-4a7e-8b6c-2d1e0f9a8b7c","created":"2025-06-03T00:00:00.000Z","modified":"2025-06-03T00:00:00.000Z","name":"GridWiper","is_family":true},
{"type":"indicator","spec_version":"2.1","id":"indicator--f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b","created":"2025-06-04T00:00:00.000Z","modified":"2025-06-04T00:00:00.000Z","pattern_type":"stix","valid_from":"2025-06-04T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","created":"2025-06-04T00:00:00.000Z","modified":"2025-06-04T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2025-06-04T00:00:00Z"}
]}
"#;

/// Three lines for `pacific match`: one sees the indicator's address, one nothing, one is not
/// JSON.
const MATCH_INPUT: &str = "{\"ts\":\"2025-06-05T10:00:00Z\",\"src_ip\":\"198.51.100.1\",\"dst_ip\":\"203.0.113.7\"}\n\
{\"ts\":\"2025-06-05T10:00:01Z\",\"src_ip\":\"198.51.100.2\",\"dst_ip\":\"192.0.2.9\"}\n\
not json\n";

// --- Running `pacific` -----------------------------------------------------------------------

/// A temporary folder to run `pacific` in, and what its outputs hold that changes from run to
/// run (see [`Run::normalise`]).
struct Run {
    tmp: tempfile::TempDir,
    /// When the test started, RFC 3339: a timestamp at or after it is the clock's.
    started: String,
    /// Exact values made at random during the run, each with its placeholder.
    volatile: Vec<(String, &'static str)>,
}

impl Run {
    fn new() -> Self {
        Run {
            tmp: tempfile::tempdir().unwrap(),
            started: Timestamp::now().as_str().to_owned(),
            volatile: Vec::new(),
        }
    }

    /// The data directory `pacific init` makes.
    fn data(&self) -> PathBuf {
        self.tmp.path().join("alpha")
    }

    /// Runs `pacific args…` (`{data}` stands for the data directory, `{tmp}` for the temporary
    /// folder) and returns its exit code, standard output and standard error.
    fn pacific(&self, args: &[&str]) -> (i32, String, String) {
        let args = self.args(args);
        let out = Command::new(env!("CARGO_BIN_EXE_pacific"))
            .args(&args)
            .env_remove("PACIFIC_DATA")
            .env_remove("PACIFIC_TOKEN")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// `args` with `{data}` and `{tmp}` replaced.
    fn args(&self, args: &[&str]) -> Vec<String> {
        let tmp = self.tmp.path().to_str().unwrap();
        let data = self.data();
        args.iter()
            .map(|a| {
                a.replace("{data}", data.to_str().unwrap())
                    .replace("{tmp}", tmp)
            })
            .collect()
    }

    /// The command line of `args`, as a shell would take it (arguments with spaces quoted),
    /// then its exit code and both outputs.
    fn transcript(&self, args: &[&str], code: i32, stdout: &str, stderr: &str) -> String {
        let line: Vec<String> = self
            .args(args)
            .into_iter()
            .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
            .collect();
        format!(
            "$ pacific {}\nexit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
            line.join(" ")
        )
    }

    /// Runs `pacific args…` and checks the command line, exit code and both outputs, normalised,
    /// against the golden file `name`.
    fn check(&self, name: &str, args: &[&str], expected_exit: i32) -> (String, String) {
        let (code, stdout, stderr) = self.pacific(args);
        assert_eq!(
            code, expected_exit,
            "{name}: exit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let text = self.transcript(args, code, &stdout, &stderr);
        assert_golden(GOLDEN, name, self.normalise(&text).as_bytes());
        (stdout, stderr)
    }

    /// `pacific init` of Alpha CERT, then its identity key replaced by the fixed one (the file
    /// holds the secret key in hex), so that every later output is fixed.
    fn init(&mut self, golden: Option<&str>) {
        let args = [
            "init",
            "--data",
            "{data}",
            "--name",
            "Alpha CERT",
            "--type",
            "state",
            "--jurisdiction",
            "XA",
        ];
        let random_key = |data: &Path| {
            let key = pacific_node::DataDir::new(data).load_identity().unwrap();
            hex::encode(key.verifying_key().to_bytes())
        };
        match golden {
            Some(name) => {
                // The key `init` printed is random: known only once it is on disk.
                let (code, stdout, stderr) = self.pacific(&args);
                assert_eq!(code, 0, "{stderr}");
                self.volatile.push((random_key(&self.data()), "RANDOM_KEY"));
                let text = self.transcript(&args, code, &stdout, &stderr);
                assert_golden(GOLDEN, name, self.normalise(&text).as_bytes());
            }
            None => assert_eq!(self.pacific(&args).0, 0),
        }
        std::fs::write(self.data().join("identity.key"), IDENTITY_KEY_HEX).unwrap();
    }

    /// Replaces what changes from run to run and the fixed inputs do not decide:
    ///
    /// - values made at random during the run and printed (the key `init` made, API tokens),
    ///   each by its placeholder (`RANDOM_KEY`, `TOKEN`); the temporary folder by `TMP` (so the
    ///   data directory reads `TMP/alpha`);
    /// - in JSON lines of `pacific log show`, an entry's millisecond `time` and its
    ///   `leaf_hash` (which covers the time) by `"TIME"` and `"HASH"`;
    /// - RFC 3339 timestamps at or after the test's start by `TIME`;
    /// - UUIDs not of the fixed inputs by `UUID`;
    /// - the duration and the rate `pacific ingest` reports (`in S s (R objects/s)`) by
    ///   `in SECONDS s (RATE objects/s)`, and the time `pacific match` took to load its index
    ///   (`(loaded in S s)`) by `(loaded in SECONDS s)`.
    ///
    /// Everything else is compared exactly.
    fn normalise(&self, text: &str) -> String {
        let mut text = text.replace(self.tmp.path().to_str().unwrap(), "TMP");
        for (value, placeholder) in &self.volatile {
            text = text.replace(value.as_str(), placeholder);
        }
        let text: Vec<String> = text.split('\n').map(mask_log_line).collect();
        let text = replace_load_time(&replace_ingest_rate(&text.join("\n")));
        let text = replace_times(&text, &self.started);
        let fixed: Vec<&str> = [INDICATOR_ID, MALWARE_ID, BROKEN_ID, BUNDLE_ID, TLP_GREEN]
            .iter()
            .map(|id| id.rsplit("--").next().unwrap())
            .collect();
        replace_uuids(&text, &fixed)
    }
}

/// A line of `pacific log show` (`{"index":…,"leaf_hash":…,"entry":{…}}`) with its entry's
/// `time` and its `leaf_hash` masked; any other line as it is.
fn mask_log_line(line: &str) -> String {
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return line.to_owned();
    };
    if !(m.contains_key("leaf_hash") && m.contains_key("entry")) {
        return line.to_owned();
    }
    m.insert("leaf_hash".into(), "HASH".into());
    if let Some(t) = m.get_mut("entry").and_then(|e| e.get_mut("time")) {
        *t = "TIME".into();
    }
    serde_json::Value::Object(m).to_string()
}

/// `(loaded in 0.03 s)` → `(loaded in SECONDS s)`.
fn replace_load_time(text: &str) -> String {
    const START: &str = "(loaded in ";
    text.split('\n')
        .map(|line| match line.find(START) {
            Some(at) => match line[at..].find(" s)") {
                Some(end) => format!("{}{START}SECONDS{}", &line[..at], &line[at + end..]),
                None => line.to_owned(),
            },
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `in 0.01 s (2345 objects/s)` → `in SECONDS s (RATE objects/s)`.
fn replace_ingest_rate(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let (Some(at), Some(end)) = (line.rfind(" in "), line.rfind(" objects/s)")) else {
                return line.to_owned();
            };
            if at < end && line[at..].contains(" s (") {
                format!(
                    "{} in SECONDS s (RATE objects/s){}",
                    &line[..at],
                    &line[end + " objects/s)".len()..]
                )
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// --- Tests -----------------------------------------------------------------------------------

#[test]
fn golden_help() {
    let run = Run::new();
    run.check("help.txt", &["--help"], 0);
    run.check("log-help.txt", &["log", "--help"], 0);
}

#[test]
fn golden_init_id_and_policy() {
    let mut run = Run::new();
    run.init(Some("init.txt"));
    run.check("id.txt", &["id", "--data", "{data}"], 0);
    run.check(
        "policy-show.txt",
        &["policy", "show", "--data", "{data}"],
        0,
    );
}

#[test]
fn golden_users_and_collections() {
    let mut run = Run::new();
    run.init(None);
    for (name, role) in [("admin", "admin"), ("zoe", "analyst"), ("dee", "delegate")] {
        let (code, token, _) =
            run.pacific(&["user", "add", "--data", "{data}", name, "--role", role]);
        assert_eq!(code, 0);
        run.volatile.push((token.trim().to_owned(), "TOKEN"));
    }
    // The token is printed once, on standard output: known only once printed.
    let args = [
        "user", "add", "--data", "{data}", "rene", "--role", "reader",
    ];
    let (code, stdout, stderr) = run.pacific(&args);
    assert_eq!(code, 0, "{stderr}");
    run.volatile.push((stdout.trim().to_owned(), "TOKEN"));
    let text = run.transcript(&args, code, &stdout, &stderr);
    assert_golden(GOLDEN, "user-add.txt", run.normalise(&text).as_bytes());
    run.check(
        "user-add-refused.txt",
        &[
            "user", "add", "--data", "{data}", "rené", "--role", "reader",
        ],
        1,
    );
    run.check("user-list.txt", &["user", "list", "--data", "{data}"], 0);
    run.check(
        "collection-add.txt",
        &[
            "collection",
            "add",
            "--data",
            "{data}",
            "--title",
            "Incidents of the grid",
            "--alias",
            "incidents",
        ],
        0,
    );
    run.check(
        "collection-list.txt",
        &["collection", "list", "--data", "{data}"],
        0,
    );
}

impl Run {
    /// Runs `pacific args…`, expecting success, and keeps the token it prints on standard
    /// output (and its public id) as values to replace; returns the transcript, normalised.
    fn issuing(&mut self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.pacific(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let token = stdout.trim().to_owned();
        let id = token.split('_').nth(1).unwrap().to_owned();
        self.volatile.push((token, "TOKEN"));
        self.volatile.push((id, "TOKEN_ID"));
        let text = self.transcript(args, code, &stdout, &stderr);
        self.normalise(&text)
    }
}

#[test]
fn golden_user_management() {
    let mut run = Run::new();
    run.init(None);
    run.issuing(&[
        "user", "add", "--data", "{data}", "admin", "--role", "admin",
    ]);
    let text = run.issuing(&[
        "user",
        "add",
        "--data",
        "{data}",
        "zoe",
        "--role",
        "analyst",
        "--expires",
        "90d",
    ]);
    assert_golden(GOLDEN, "user-add-expires.txt", text.as_bytes());
    run.check(
        "user-role.txt",
        &["user", "role", "--data", "{data}", "zoe", "reader"],
        0,
    );
    run.check(
        "user-role-unknown.txt",
        &["user", "role", "--data", "{data}", "zoe", "overlord"],
        2,
    );
    run.check(
        "user-revoke.txt",
        &["user", "revoke", "--data", "{data}", "zoe"],
        0,
    );
    let text = run.issuing(&[
        "user",
        "revoke",
        "--data",
        "{data}",
        "zoe",
        "--reissue",
        "--expires",
        "30d",
    ]);
    assert_golden(GOLDEN, "user-revoke-reissue.txt", text.as_bytes());
    run.check(
        "user-revoke-unknown.txt",
        &["user", "revoke", "--data", "{data}", "nobody"],
        1,
    );
    run.check(
        "user-remove-last-admin.txt",
        &["user", "remove", "--data", "{data}", "admin"],
        1,
    );
    run.check(
        "user-role-last-admin.txt",
        &["user", "role", "--data", "{data}", "admin", "analyst"],
        1,
    );
    run.check(
        "user-grant.txt",
        &[
            "user",
            "grant",
            "--data",
            "{data}",
            "zoe",
            "--collection",
            "default",
            "--read",
        ],
        0,
    );
    run.check(
        "user-list-tokens.txt",
        &["user", "list", "--data", "{data}"],
        0,
    );
    run.check(
        "user-remove.txt",
        &["user", "remove", "--data", "{data}", "zoe"],
        0,
    );
    // Each change, and nothing else, in the log, in order.
    run.check("user-log.txt", &["log", "show", "--data", "{data}"], 0);
}

#[test]
fn golden_ingest_export_and_log() {
    let mut run = Run::new();
    run.init(None);
    // A user first, so that the log holds an entry of another kind.
    assert_eq!(
        run.pacific(&[
            "user", "add", "--data", "{data}", "admin", "--role", "admin"
        ])
        .0,
        0
    );
    std::fs::write(run.tmp.path().join("bundle.json"), BUNDLE).unwrap();
    run.check(
        "ingest.txt",
        &["ingest", "--data", "{data}", "{tmp}/bundle.json"],
        3,
    );
    run.check("export.txt", &["export", "--data", "{data}"], 0);
    run.check(
        "log-show.txt",
        &["log", "show", "--data", "{data}", "--count", "5"],
        0,
    );
}

#[test]
fn golden_match() {
    let mut run = Run::new();
    run.init(None);
    std::fs::write(run.tmp.path().join("bundle.json"), BUNDLE).unwrap();
    assert_eq!(
        run.pacific(&["ingest", "--data", "{data}", "{tmp}/bundle.json"])
            .0,
        3
    );
    std::fs::write(run.tmp.path().join("events.jsonl"), MATCH_INPUT).unwrap();
    run.check(
        "match.txt",
        &["match", "--data", "{data}", "{tmp}/events.jsonl"],
        3,
    );
}

/// A charter of one founding member, Alpha CERT, whose key is `key` (the fixed one), and
/// `extra` lines added to its member entry.
fn charter(key: &str, extra: &str) -> String {
    format!(
        "name = \"Golden federation\"\nfounded = \"2026-01-01T00:00:00Z\"\n\n[[members]]\nparty = \"alpha-cert\"\nname = \"Alpha CERT\"\nstakeholder = \"state\"\njurisdiction = \"XA\"\nkey = \"{key}\"\nurl = \"http://127.0.0.1:9001\"\n{extra}"
    )
}

/// RFC 8032's first test public key: a founder other than this node.
const OTHER_KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

#[test]
fn golden_federation_found() {
    let mut run = Run::new();
    run.init(None);
    let (code, key, _) = run.pacific(&["id", "--data", "{data}", "--key"]);
    assert_eq!(code, 0);
    let tmp = run.tmp.path();
    std::fs::write(tmp.join("stranger.toml"), charter(OTHER_KEY, "")).unwrap();
    run.check(
        "federation-found-not-founder.txt",
        &[
            "federation",
            "found",
            "{tmp}/stranger.toml",
            "--dir",
            "{data}",
        ],
        1,
    );
    std::fs::write(
        tmp.join("typo.toml"),
        charter(key.trim(), "colour = \"blue\"\n"),
    )
    .unwrap();
    run.check(
        "federation-found-unknown-field.txt",
        &["federation", "found", "{tmp}/typo.toml", "--dir", "{data}"],
        1,
    );
    // Its only founder signs: complete at once, and installed.
    std::fs::write(tmp.join("charter.toml"), charter(key.trim(), "")).unwrap();
    run.check(
        "federation-found.txt",
        &[
            "federation",
            "found",
            "{tmp}/charter.toml",
            "--dir",
            "{data}",
        ],
        0,
    );
    assert!(run.data().join("charter.toml").exists());
}

/// Every file the tests here write; nothing else may lie in the folder.
const GOLDEN_FILES: &[&str] = &[
    "collection-add.txt",
    "collection-list.txt",
    "export.txt",
    "federation-found-not-founder.txt",
    "federation-found-unknown-field.txt",
    "federation-found.txt",
    "help.txt",
    "id.txt",
    "ingest.txt",
    "init.txt",
    "log-help.txt",
    "log-show.txt",
    "match.txt",
    "policy-show.txt",
    "user-add-expires.txt",
    "user-add-refused.txt",
    "user-add.txt",
    "user-grant.txt",
    "user-list-tokens.txt",
    "user-list.txt",
    "user-log.txt",
    "user-remove-last-admin.txt",
    "user-remove.txt",
    "user-revoke-reissue.txt",
    "user-revoke-unknown.txt",
    "user-revoke.txt",
    "user-role-last-admin.txt",
    "user-role-unknown.txt",
    "user-role.txt",
];

#[test]
fn golden_folder_holds_only_files_the_tests_write() {
    assert_folder_holds_only(GOLDEN, GOLDEN_FILES);
}

#[test]
fn golden_normalisation_keeps_fixed_values_and_replaces_the_runs() {
    let mut run = Run::new();
    run.started = "2026-01-01T00:00:00.000Z".into();
    run.volatile.push(("s3cr3t".into(), "TOKEN"));
    let tmp = run.tmp.path().to_str().unwrap().to_owned();
    let text = format!(
        "{tmp}/alpha s3cr3t\n\
         {{\"index\":0,\"leaf_hash\":\"ab\",\"entry\":{{\"kind\":\"k\",\"time\":1772352000000}}}}\n\
         Ingested into default: 2 stored, in 0.01 s (250 objects/s)\n\
         2025-06-01T00:00:00.000Z 2026-01-01T00:00:00.5Z\n\
         indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a bundle--0f0e0d0c-0b0a-4909-8807-060504030201\n"
    );
    assert_eq!(
        run.normalise(&text),
        "TMP/alpha TOKEN\n\
         {\"index\":0,\"leaf_hash\":\"HASH\",\"entry\":{\"kind\":\"k\",\"time\":\"TIME\"}}\n\
         Ingested into default: 2 stored, in SECONDS s (RATE objects/s)\n\
         2025-06-01T00:00:00.000Z TIME\n\
         indicator--6b6f2a4e-8a1d-4c1e-9d3a-1f2e3d4c5b6a bundle--UUID\n"
    );
}
