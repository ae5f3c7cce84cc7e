//! `bench idle`: what an idle federation costs. Runs `pacific demo` (four nodes in one process)
//! as a child process, lets it come to rest after its scenario, then watches it for a given
//! time without touching it: the process's CPU time (from `/proc/<pid>/stat`), its resident
//! memory, and for every node its database and write-ahead log sizes, whether either file was
//! written, and its transparency log's size (from `GET /log/checkpoint`).
//!
//! Linux only (it reads `/proc`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use pacific_node::{DataDir, NodeError};

/// `bench idle`'s options.
pub struct IdleOptions {
    /// The `pacific` binary to run `demo` with.
    pub exe: PathBuf,
    /// Seconds watched.
    pub seconds: u64,
    /// Seconds left to the demo after its scenario before watching starts (deliveries,
    /// checkpoints and witnessing come to rest).
    pub settle: u64,
}

/// The demo's parties, as `pacific demo` names their data directories.
const PARTIES: [&str; 4] = ["alpha", "bravo", "charlie", "delta"];

/// What one look at the demo found.
#[derive(Clone)]
struct Sample {
    at: Instant,
    /// User + system CPU time of the process, in clock ticks.
    ticks: u64,
    rss_kib: u64,
    nodes: Vec<NodeSample>,
}

#[derive(Clone)]
struct NodeSample {
    db: u64,
    wal: u64,
    /// The latest modification of the database or its WAL.
    modified: Option<SystemTime>,
}

/// Runs the demo under `root`, watches it idle for `options.seconds` and prints the figures.
pub async fn idle(root: &Path, options: &IdleOptions) -> Result<(), NodeError> {
    let setup = |e: std::io::Error| NodeError::Setup(e.to_string());
    let data = root.join("demo");
    std::fs::create_dir_all(root).map_err(setup)?;
    let base = four_free_ports()?;
    let log_file = root.join("demo.log");
    let child = Command::new(&options.exe)
        .arg("demo")
        .arg("--data")
        .arg(&data)
        .arg("--listen")
        .arg(base.to_string())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_file).map_err(setup)?)
        .spawn()
        .map_err(|e| NodeError::Setup(format!("cannot run {}: {e}", options.exe.display())))?;
    // Stopped when dropped, whatever happens while watching.
    let mut demo = Demo(child);
    let result = watch(&mut demo.0, &data, base, options).await;
    drop(demo);
    if result.is_err() {
        eprintln!("the demo's log: {}", log_file.display());
    }
    result
}

async fn watch(
    child: &mut Child,
    data: &Path,
    base: SocketAddr,
    options: &IdleOptions,
) -> Result<(), NodeError> {
    let pid = child.id();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| NodeError::Setup("the demo has no standard output".into()))?;
    // Read the demo's output on a thread: the scenario's end, then drain it.
    let (serving_tx, serving_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("Serving until Ctrl-C") {
                let _ = serving_tx.send(());
            }
        }
    });
    eprintln!(
        "bench idle: running `pacific demo` (pid {pid}) on {base} in {}",
        data.display()
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if serving_rx.try_recv().is_ok() {
            break;
        }
        if let Some(status) = child
            .try_wait()
            .map_err(|e| NodeError::Setup(e.to_string()))?
        {
            return Err(NodeError::Setup(format!(
                "the demo stopped before serving ({status})"
            )));
        }
        if Instant::now() > deadline {
            return Err(NodeError::Setup(
                "the demo's scenario did not finish within 10 minutes".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "bench idle: scenario played; {} s to settle, then {} s watched",
        options.settle, options.seconds
    );
    tokio::time::sleep(Duration::from_secs(options.settle)).await;

    let ticks_per_s = clock_ticks_per_second();
    let http = pacific_node::http_client();
    let tokens: Vec<Option<String>> = PARTIES
        .iter()
        .map(|p| {
            std::fs::read_to_string(data.join(format!("demo-{p}-liaison.token")))
                .ok()
                .map(|t| t.trim().to_owned())
        })
        .collect();
    // The log sizes are asked over HTTP (a token check costs CPU) before the first look and
    // after the last, outside the time measured.
    let log_sizes = || async {
        let mut sizes = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let addr = SocketAddr::new(base.ip(), base.port() + i as u16);
            sizes.push(log_size(&http, addr, token.as_deref()).await);
        }
        sizes
    };
    let look = || {
        let nodes = PARTIES
            .iter()
            .map(|party| node_sample(&data.join(party)))
            .collect();
        let (ticks, rss_kib) = process_sample(pid)?;
        Ok::<_, NodeError>(Sample {
            at: Instant::now(),
            ticks,
            rss_kib,
            nodes,
        })
    };
    let logs_before = log_sizes().await;
    let first = look()?;
    let mut last = first.clone();
    let end = first.at + Duration::from_secs(options.seconds);
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        tokio::time::sleep(left.min(Duration::from_secs(60))).await;
        let now = look()?;
        let cpu = cpu_percent(&last, &now, ticks_per_s);
        let secs = now.at.duration_since(first.at).as_secs();
        let grown: i64 = now
            .nodes
            .iter()
            .zip(&first.nodes)
            .map(|(n, f)| (n.db + n.wal) as i64 - (f.db + f.wal) as i64)
            .sum();
        eprintln!(
            "  {secs:>5} s: CPU {cpu:.2} % of one core since the last line; databases + WALs {grown:+} bytes since the start"
        );
        last = now;
    }
    let logs_after = log_sizes().await;
    report(&first, &last, ticks_per_s, &logs_before, &logs_after);
    Ok(())
}

fn report(
    first: &Sample,
    last: &Sample,
    ticks_per_s: u64,
    logs_before: &[Option<u64>],
    logs_after: &[Option<u64>],
) {
    let secs = last.at.duration_since(first.at).as_secs_f64();
    let cpu_s = (last.ticks - first.ticks) as f64 / ticks_per_s as f64;
    let minutes = secs / 60.0;
    println!("Idle demo (four nodes in one process), watched {secs:.0} s:");
    println!(
        "  CPU: {cpu_s:.2} s = {:.2} % of one core for the four nodes ({:.2} % per node)",
        cpu_percent(first, last, ticks_per_s),
        cpu_percent(first, last, ticks_per_s) / PARTIES.len() as f64
    );
    println!("  RSS: {} KiB -> {} KiB", first.rss_kib, last.rss_kib);
    println!(
        "  {:<8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "node", "db before", "db after", "wal before", "wal after", "growth/min", "log", "written"
    );
    for (i, party) in PARTIES.iter().enumerate() {
        let (f, l) = (&first.nodes[i], &last.nodes[i]);
        let growth = ((l.db + l.wal) as f64 - (f.db + f.wal) as f64) / minutes.max(1e-9);
        let log = match (logs_before[i], logs_after[i]) {
            (Some(a), Some(b)) => format!("{a}->{b}"),
            _ => "?".to_owned(),
        };
        let written = if l.modified > f.modified { "yes" } else { "no" };
        println!(
            "  {party:<8} {:>12} {:>12} {:>12} {:>12} {:>12.0} {log:>9} {written:>9}",
            f.db, l.db, f.wal, l.wal, growth
        );
    }
}

fn cpu_percent(a: &Sample, b: &Sample, ticks_per_s: u64) -> f64 {
    let secs = b.at.duration_since(a.at).as_secs_f64();
    let cpu = b.ticks.saturating_sub(a.ticks) as f64 / ticks_per_s as f64;
    if secs > 0.0 { 100.0 * cpu / secs } else { 0.0 }
}

fn node_sample(dir: &Path) -> NodeSample {
    let db_path = DataDir::new(dir.to_path_buf()).db_path();
    let mut wal_path = db_path.clone().into_os_string();
    wal_path.push("-wal");
    let meta = |p: &Path| std::fs::metadata(p).ok();
    let (db, wal) = (meta(&db_path), meta(Path::new(&wal_path)));
    let modified = [&db, &wal]
        .into_iter()
        .flatten()
        .filter_map(|m| m.modified().ok())
        .max();
    NodeSample {
        db: db.map_or(0, |m| m.len()),
        wal: wal.map_or(0, |m| m.len()),
        modified,
    }
}

/// The size of the node's log, from its latest checkpoint (the note's second line).
async fn log_size(http: &reqwest::Client, addr: SocketAddr, token: Option<&str>) -> Option<u64> {
    let text = http
        .get(format!("http://{addr}/log/checkpoint"))
        .bearer_auth(token?)
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines().nth(1)?.parse().ok()
}

/// The process's user + system CPU time in clock ticks and its resident set in KiB.
pub(crate) fn process_sample(pid: u32) -> Result<(u64, u64), NodeError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| NodeError::Setup(format!("cannot read /proc/{pid}/stat: {e}")))?;
    // After the command name (in parentheses, which may hold spaces): state is field 3,
    // utime 14 and stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let ticks = field(11)
        .zip(field(12))
        .map(|(u, s)| u + s)
        .ok_or_else(|| NodeError::Setup(format!("unexpected /proc/{pid}/stat: {stat}")))?;
    let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l["VmRSS:".len()..]
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0);
    Ok((ticks, rss_kib))
}

/// `getconf CLK_TCK`, 100 (Linux's usual value) if it cannot be asked.
pub(crate) fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// A loopback address whose port and the next three are free (the demo's four nodes).
fn four_free_ports() -> Result<SocketAddr, NodeError> {
    for _ in 0..100 {
        let base = pacific_testkit::setup::free_addr()?;
        let free = (1..4u16).all(|i| {
            base.port()
                .checked_add(i)
                .is_some_and(|p| TcpListener::bind(SocketAddr::new(base.ip(), p)).is_ok())
        });
        if free {
            return Ok(base);
        }
    }
    Err(NodeError::Setup(
        "no four consecutive free ports on 127.0.0.1".into(),
    ))
}

/// The demo's process, stopped when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        stop(&mut self.0);
    }
}

/// Stops the demo: Ctrl-C (SIGINT, through `kill`), then SIGKILL if it has not stopped
/// within 15 s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
