//! The `pacific` binary as a user runs it: a fresh data directory, a user, a node serving on a
//! free loopback port. Shared by the tests that drive real processes.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The `pacific` command.
pub fn pacific() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pacific"))
}

/// Runs `pacific ARGS` to the end.
pub fn run(args: &[&str]) -> Output {
    pacific().args(args).output().unwrap()
}

/// `pacific init` of a company node in `data`.
pub fn init(data: &Path) {
    let status = pacific()
        .args(["init", "--data"])
        .arg(data)
        .args([
            "--name",
            "Test Node",
            "--type",
            "company",
            "--jurisdiction",
            "XA",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// `pacific user add NAME --role ROLE`: the token it prints.
pub fn add_user(data: &Path, name: &str, role: &str) -> String {
    let added = pacific()
        .args(["user", "add", name, "--role", role, "--data"])
        .arg(data)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(added.status.success());
    String::from_utf8(added.stdout).unwrap().trim().to_owned()
}

/// A served node's process, killed when dropped: a test that fails half-way leaves no node
/// running.
pub struct Served(pub Child);

impl std::ops::Deref for Served {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `pacific node` process serving `data` on a free loopback port, and its base URL (read from
/// the line it prints when serving). Its standard error is kept draining (so the node never
/// blocks on a full pipe).
pub fn serve(data: &Path) -> (Served, String) {
    let (child, base, _) = serve_with_log(data);
    (child, base)
}

/// [`serve`], with the node's standard error lines sent to the returned channel.
pub fn serve_with_log(data: &Path) -> (Served, String, std::sync::mpsc::Receiver<String>) {
    serve_on(data, &["--listen", "127.0.0.1:0"])
}

/// A `pacific node` process serving `data` on the address its configuration holds (`pacific
/// init --listen`), as [`serve`]: for nodes whose URLs others know beforehand (peers, charters).
pub fn serve_as_configured(data: &Path) -> (Served, String) {
    let (child, base, _) = serve_on(data, &[]);
    (child, base)
}

fn serve_on(data: &Path, listen: &[&str]) -> (Served, String, std::sync::mpsc::Receiver<String>) {
    let mut child = Served(
        pacific()
            .arg("node")
            .args(listen)
            .arg("--data")
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = child.stderr.take().unwrap();
    let (base_tx, base_rx) = std::sync::mpsc::channel();
    let (log_tx, log_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut base_tx = Some(base_tx);
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.split("serving TAXII 2.1 at ").nth(1)
                && let Some(tx) = base_tx.take()
            {
                let base = rest.split("/taxii2/").next().unwrap_or_default().to_owned();
                let _ = tx.send(base);
            }
            let _ = log_tx.send(line);
        }
    });
    let base = base_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the node did not start serving");
    (child, base, log_rx)
}

/// What one run of `pacific` gave.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
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

/// Runs `pacific ARGS` off the async runtime's threads, without the settings a user's
/// environment may hold (URL, token, log level) and without colours.
pub async fn run_async(args: Vec<String>) -> Out {
    tokio::task::spawn_blocking(move || {
        let out = pacific()
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

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `pacific completions SHELL` and `pacific man` print what the command line defines: a bash
/// script bash accepts, zsh and fish scripts, a roff page naming the subcommands; an unknown
/// shell is a usage error; a reader that stops early ends the output, not with a panic.
#[test]
fn completions_and_the_manual_come_from_the_command_line() {
    let bash = run(&["completions", "bash"]);
    assert!(bash.status.success());
    let script = String::from_utf8(bash.stdout).unwrap();
    assert!(script.contains("_pacific()") && script.contains("registry"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &script).unwrap();
    let checked = Command::new("bash").arg("-n").arg(file.path()).status().unwrap();
    assert!(checked.success(), "bash -n refused the script");
    let zsh = String::from_utf8(run(&["completions", "zsh"]).stdout).unwrap();
    assert!(zsh.starts_with("#compdef pacific"));
    let fish = String::from_utf8(run(&["completions", "fish"]).stdout).unwrap();
    assert!(fish.contains("complete -c pacific"));
    let unknown = run(&["completions", "powershell"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("invalid value"));

    let man = String::from_utf8(run(&["man"]).stdout).unwrap();
    assert!(man.contains(".TH pacific 1"), "{man}");
    for sub in ["ingest", "node", "registry", "completions"] {
        assert!(man.contains(sub), "{sub} missing from the manual");
    }
    // Its reader goes away after the first bytes.
    let mut child = pacific()
        .args(["man"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
