//! The README's CLI tour runs as written (issue 12: its lines had drifted from the CLI —
//! arguments that did not exist, placeholders that could not run, a peer id that was not one).
//!
//! The fenced `sh` block under "## CLI tour" is read from `README.md` and fed, line by line and
//! in order, to one `bash` in an empty directory, with the `pacific` under test first on `PATH`:
//! variables one line sets are there for the next, as for a reader. Each line must exit 0, or
//! N where its comment says `(exits N)`. What the test controls, and why:
//!
//! - `127.0.0.1:9001` and `127.0.0.1:9002` are replaced by free ports (tests run side by side,
//!   and anything on the machine may hold 9001).
//! - A line ending in `&` starts a node in the background: the test waits until its `--listen`
//!   address accepts connections before the next line, and stops it (SIGTERM) at the end.
//! - The input files the tour names (`bundle.json`, `enterprise-attack.json`,
//!   `events.jsonl.gz`, `conn.log`) are written first, small and fixed.
//! - Lines marked `(not run by the test: …)` are not run: the benchmarks take minutes by design.
//!   Their arguments are still parsed (`--help` appended would hide a bad one, so they are
//!   checked by running the benchmark's own `--help` and looking for each flag).
//! - A `curl` line is run only when `curl` is installed (said on stderr otherwise).
//!
//! The example request of each kind in `docs/cooperation.md`, and its `request new` from flags,
//! are then drafted on the tour's node (Bravo is its peer by then), so the documented format is
//! the one the node accepts.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The lines of the first fenced block (```` ```sh ````) after `heading` in `markdown`.
fn block_after(markdown: &str, heading: &str) -> Vec<String> {
    let from = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in the README"));
    let rest = &markdown[from..];
    let open = rest
        .find("```sh\n")
        .expect("no ```sh block after the heading")
        + 6;
    let body = &rest[open..];
    let close = body.find("```").expect("the block is not closed");
    body[..close].lines().map(str::to_owned).collect()
}

/// The JSON blocks of `markdown` (```` ```json ````).
fn json_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```json\n")
        .skip(1)
        .map(|b| b[..b.find("```").expect("a json block is not closed")].to_owned())
        .collect()
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

const TLP_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

/// The input files the tour names.
fn write_fixtures(dir: &Path) {
    let bundle = serde_json::json!({
        "type": "bundle",
        "id": "bundle--8c6e3b1a-2f4d-4e5a-9b7c-1d2e3f4a5b6c",
        "objects": [{
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f",
            "created": "2025-06-01T00:00:00.000Z", "modified": "2025-06-01T00:00:00.000Z",
            "name": "C2 address", "pattern": "[ipv4-addr:value = '203.0.113.7']",
            "pattern_type": "stix", "valid_from": "2025-06-01T00:00:00Z",
            "object_marking_refs": [TLP_GREEN]
        }]
    });
    std::fs::write(dir.join("bundle.json"), bundle.to_string()).unwrap();
    let attack = serde_json::json!({
        "type": "bundle",
        "id": "bundle--0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "objects": [{
            "type": "attack-pattern", "spec_version": "2.1",
            "id": "attack-pattern--5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            "created": "2025-06-01T00:00:00.000Z", "modified": "2025-06-01T00:00:00.000Z",
            "name": "Spearphishing Attachment"
        }]
    });
    std::fs::write(dir.join("enterprise-attack.json"), attack.to_string()).unwrap();
    let events = "{\"ts\":\"2025-06-05T10:00:00Z\",\"src_ip\":\"198.51.100.1\",\"dst_ip\":\"203.0.113.7\"}\n\
                  {\"ts\":\"2025-06-05T10:00:01Z\",\"src_ip\":\"198.51.100.2\",\"dst_ip\":\"192.0.2.9\"}\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(events.as_bytes()).unwrap();
    std::fs::write(dir.join("events.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let conn = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
                #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
                #types\ttime\tstring\taddr\tport\taddr\tport\tenum\n\
                1749117600.000000\tC1\t198.51.100.1\t50000\t203.0.113.7\t443\ttcp\n";
    std::fs::write(dir.join("conn.log"), conn).unwrap();
}

/// The exit code a line's comment announces: `(exits N)`, else 0.
fn expected_exit(line: &str) -> i32 {
    line.split("(exits ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// A line without its comment (` # …`), trimmed.
fn code_of(line: &str) -> &str {
    line.split(" # ").next().unwrap_or(line).trim()
}

/// The address after `--listen` on a line.
fn listen_addr(line: &str) -> Option<SocketAddr> {
    let mut words = line.split_whitespace();
    words.find(|w| *w == "--listen")?;
    words.next()?.parse().ok()
}

fn has_curl() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One `bash` the tour's lines are fed to.
struct Shell {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    out: mpsc::Receiver<String>,
    dir: PathBuf,
    background: Vec<u32>,
}

impl Shell {
    fn start(dir: &Path) -> Shell {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_pacific"));
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .current_dir(dir)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .env_remove("PACIFIC_DATA")
            .env_remove("PACIFIC_TOKEN")
            .env_remove("PACIFIC_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bash");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, out) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Shell {
            child,
            stdin,
            out,
            dir: dir.to_owned(),
            background: Vec::new(),
        }
    }

    /// Runs `line` (its output in `line-N.out`), returns its exit code and output.
    fn run(&mut self, n: usize, line: &str) -> (i32, String) {
        let out = format!("line-{n}.out");
        let background = code_of(line).ends_with('&');
        writeln!(
            self.stdin,
            "{{ {line}\n}} </dev/null >{out} 2>&1\necho \"@@rc $?\"{}",
            if background {
                "\necho \"@@pid $!\""
            } else {
                ""
            }
        )
        .unwrap();
        let mut code = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        while code.is_none() || (background && self.background.is_empty()) {
            let got = self
                .out
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    self.stop();
                    panic!("line {n} did not finish within 60 s: {line}")
                });
            if let Some(rc) = got.strip_prefix("@@rc ") {
                code = rc.trim().parse().ok();
            } else if let Some(pid) = got.strip_prefix("@@pid ") {
                self.background.push(pid.trim().parse().unwrap());
            }
        }
        let output = std::fs::read_to_string(self.dir.join(out)).unwrap_or_default();
        (code.unwrap_or(-1), output)
    }

    /// Stops the background processes (SIGTERM: a non-interactive shell starts them with
    /// SIGINT ignored), any line still running, and the shell.
    fn stop(&mut self) {
        let shell = self.child.id();
        let running = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        let running = running
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok());
        let mut pids: Vec<u32> = self.background.drain(..).chain(running).collect();
        pids.sort_unstable();
        pids.dedup();
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = writeln!(self.stdin, "wait; exit 0");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
    }
}

/// Waits until `addr` accepts connections.
fn wait_for_listener(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "{what} never listened on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_readme_cli_tour_runs_as_written() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let tour = block_after(&readme, "## CLI tour");
    let tmp = tempfile::tempdir().unwrap();
    write_fixtures(tmp.path());
    let (alpha, bravo) = (free_addr(), free_addr());
    let curl = has_curl();
    let mut shell = Shell::start(tmp.path());
    let mut failures = Vec::new();
    let mut ran = 0;
    for (n, line) in tour.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.contains("(not run by the test") {
            // The benchmarks: each flag on the line must be one the benchmark takes.
            let words: Vec<&str> = trimmed
                .split('#')
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            if words.first() != Some(&"pacific") || words.len() < 3 {
                // A script (e.g. scripts/bench-medallion.sh): it must exist.
                if !std::path::Path::new(ROOT).join(words[0]).is_file() {
                    failures.push(format!("line {n}: no such script\n  {trimmed}"));
                }
                continue;
            }
            let help = Command::new(env!("CARGO_BIN_EXE_pacific"))
                .args(&words[1..3])
                .arg("--help")
                .output()
                .unwrap();
            let help = String::from_utf8_lossy(&help.stdout);
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                if !help.contains(&format!("{flag} ")) && !help.contains(&format!("{flag}\n")) {
                    failures.push(format!("line {n}: {flag} is no flag of it\n  {trimmed}"));
                }
            }
            continue;
        }
        if trimmed.starts_with("curl") && !curl {
            eprintln!("curl is not installed: not run: {trimmed}");
            continue;
        }
        let line = trimmed
            .replace("127.0.0.1:9001", &alpha.to_string())
            .replace("127.0.0.1:9002", &bravo.to_string());
        let expected = expected_exit(&line);
        let (code, output) = shell.run(n, &line);
        ran += 1;
        if code != expected {
            failures.push(format!(
                "line {n} exited {code}, not {expected}:\n  {line}\n{output}"
            ));
        }
        if code_of(&line).ends_with('&')
            && let Some(addr) = listen_addr(&line)
        {
            wait_for_listener(addr, &line);
        }
    }

    // Every request example of docs/cooperation.md, drafted on the tour's node by a liaison.
    let docs = std::fs::read_to_string(format!("{ROOT}/docs/cooperation.md")).unwrap();
    let examples = json_blocks(&docs);
    assert!(examples.len() >= 5, "{} examples", examples.len());
    let (code, added) = shell.run(1000, "pacific user add --data ./alpha lia --role liaison");
    assert_eq!(code, 0, "{added}");
    let token = added
        .lines()
        .find(|l| l.starts_with("pac_"))
        .unwrap_or_else(|| panic!("no token in {added}"));
    for (i, example) in examples.iter().enumerate() {
        std::fs::write(tmp.path().join(format!("example-{i}.json")), example).unwrap();
        let (code, output) = shell.run(
            1001 + i,
            &format!("pacific request new --url http://{alpha} --token {token} example-{i}.json"),
        );
        if code != 0 || !output.contains("state     draft") {
            failures.push(format!(
                "docs/cooperation.md example {i} exited {code}:\n{example}\n{output}"
            ));
        }
    }
    // And the same from flags (its continuation lines joined, as the shell would).
    let flags = block_after(&docs, "## The same from flags")
        .join("\n")
        .replace("\\\n", " ");
    let (code, output) = shell.run(
        1100,
        &format!("export PACIFIC_URL=http://{alpha} PACIFIC_TOKEN={token}; {flags}"),
    );
    if code != 0 || !output.contains("state     draft") {
        failures.push(format!(
            "docs/cooperation.md, from flags, exited {code}:\n{flags}\n{output}"
        ));
    }
    shell.stop();
    assert!(ran >= 25, "only {ran} lines of the tour ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
