//! `bench registry`: the jurisdiction registry's lookup index on real delegation data, the
//! `start,end,country` files of the npm package `@ip-location-db/asn-country` (RIR-derived,
//! CC BY 4.0 by the NRO): every country's IPv4 and IPv6 ranges imported as that country's
//! jurisdiction claim, the index built, then random lookups on one core, against a linear scan
//! of the ranges and Python's `ipaddress` with `bisect` over the same ranges.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use pacific_node::NodeError;
use pacific_registry::import::{self, ImportOptions};
use pacific_registry::{ClaimSet, Contact, Index, Role};

use crate::{peak_rss, rss_bytes};

/// The package's IPv4 and IPv6 files (the text ones, not the `-num` variants).
pub const IPV4_FILE: &str = "asn-country-ipv4.csv";
pub const IPV6_FILE: &str = "asn-country-ipv6.csv";

/// Where `scripts/test.sh` installs the package, from the checkout's root.
pub const DEFAULT_DIR: &str = "scripts/registry-data/node_modules/@ip-location-db/asn-country";

/// `bench registry`'s options.
pub struct RegistryOptions {
    /// The package's directory (holding [`IPV4_FILE`] and [`IPV6_FILE`]).
    pub dir: PathBuf,
    /// Random IPv4 addresses looked up (IPv6: a quarter as many).
    pub lookups: usize,
    /// Addresses of the linear scan baseline (its rate is scaled to lookups/s).
    pub scan_sample: usize,
    /// Addresses the Python baseline looks up; 0: no Python baseline.
    pub python_lookups: usize,
    /// The Python interpreter.
    pub python: PathBuf,
}

/// The package's directory: `$PACIFIC_ASN_COUNTRY_DIR`, else [`DEFAULT_DIR`] under the
/// current directory, else under the checkout this crate was built from.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PACIFIC_ASN_COUNTRY_DIR") {
        return PathBuf::from(dir);
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [PathBuf::from("."), checkout]
        .into_iter()
        .map(|root| root.join(DEFAULT_DIR))
        .find(|dir| dir.join(IPV4_FILE).is_file())
        .map(|dir| dir.canonicalize().unwrap_or(dir))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// One line of a range file, as the baselines read it.
#[derive(Clone, Copy)]
struct Range<K> {
    first: K,
    last: K,
    country: u16,
}

/// xorshift64*: a fixed, seeded sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn read(dir: &Path, name: &str) -> Result<String, NodeError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| {
        NodeError::Setup(format!(
            "{}: {e}; install the data with `npm ci` in scripts/registry-data (scripts/test.sh \
             does) or pass --dir",
            path.display()
        ))
    })
}

/// A range file's lines by country, and its ranges.
type Grouped<K> = (BTreeMap<String, String>, Vec<Range<K>>);

/// A range file's lines grouped by country (kept in file order), and its ranges parsed for the
/// baselines, country codes numbered in `countries`.
fn group<K>(
    text: &str,
    name: &str,
    countries: &mut Vec<String>,
    bits: fn(IpAddr) -> Option<K>,
) -> Result<Grouped<K>, NodeError> {
    let mut by_country: BTreeMap<String, String> = BTreeMap::new();
    let mut ranges = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || NodeError::Setup(format!("{name} line {}: not start,end,country", n + 1));
        let mut f = line.split(',');
        let (Some(first), Some(last), Some(cc), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad());
        };
        let addr = |s: &str| s.trim().parse::<IpAddr>().ok().and_then(bits);
        let (Some(first), Some(last)) = (addr(first), addr(last)) else {
            return Err(bad());
        };
        let cc = cc.trim().to_ascii_uppercase();
        let country = match countries.iter().position(|c| *c == cc) {
            Some(i) => i,
            None => {
                countries.push(cc.clone());
                countries.len() - 1
            }
        };
        ranges.push(Range {
            first,
            last,
            country: u16::try_from(country).map_err(|_| bad())?,
        });
        let lines = by_country.entry(cc).or_default();
        lines.push_str(line);
        lines.push('\n');
    }
    Ok((by_country, ranges))
}

/// The country of the first range holding `addr`, by a look at every range.
fn scan<K: Copy + Ord>(ranges: &[Range<K>], addr: K) -> Option<u16> {
    ranges
        .iter()
        .find(|r| r.first <= addr && addr <= r.last)
        .map(|r| r.country)
}

/// Python's `ipaddress` over the same files: each line's addresses parsed with
/// `ipaddress.ip_address`, the IPv4 ranges sorted by start, then each lookup an
/// `IPv4Address` turned into its integer and found with `bisect` among the starts (the usual
/// fast way to look ranges up in Python, not a linear check of `ip in network`). Prints `ranges=… load_s=… lookups=… lookup_s=… answered=…`.
const PYTHON: &str = r#"
import bisect, ipaddress, random, sys, time
d, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
rows = []
with open(d + "/asn-country-ipv4.csv") as f:
    for line in f:
        a, b, cc = line.strip().split(",")
        rows.append((int(ipaddress.ip_address(a)), int(ipaddress.ip_address(b)), cc))
rows.sort()
starts = [r[0] for r in rows]
ends = [r[1] for r in rows]
ccs = [r[2] for r in rows]
load = time.perf_counter() - t
rng = random.Random(7)
addrs = [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(n)]
t = time.perf_counter()
answered = 0
for ip in addrs:
    x = int(ip)
    i = bisect.bisect_right(starts, x) - 1
    if i >= 0 and x <= ends[i]:
        answered += 1
took = time.perf_counter() - t
print(f"ranges={len(rows)} load_s={load:.3f} lookups={n} lookup_s={took:.3f} answered={answered}")
"#;

/// What the Python baseline printed.
struct PythonRun {
    version: String,
    load_s: f64,
    lookups: usize,
    lookup_s: f64,
    answered: usize,
}

fn python_baseline(options: &RegistryOptions) -> Result<PythonRun, String> {
    let version = Command::new(&options.python)
        .arg("--version")
        .output()
        .map_err(|e| format!("{}: {e}", options.python.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let out = Command::new(&options.python)
        .arg("-c")
        .arg(PYTHON)
        .arg(&options.dir)
        .arg(options.python_lookups.to_string())
        .output()
        .map_err(|e| format!("{}: {e}", options.python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            options.python.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Result<&str, String> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| format!("no {name}= in the script's output {text:?}"))
    };
    let num = |name: &str| -> Result<f64, String> {
        field(name)?
            .parse::<f64>()
            .map_err(|e| format!("{name}: {e}"))
    };
    Ok(PythonRun {
        version,
        load_s: num("load_s")?,
        lookups: num("lookups")? as usize,
        lookup_s: num("lookup_s")?,
        answered: num("answered")? as usize,
    })
}

/// Imports every country of the package's files as one jurisdiction claim each, builds the
/// index, and prints its build time, size, peak RSS and lookups/s against the baselines.
pub fn registry(options: &RegistryOptions) -> Result<(), NodeError> {
    if options.lookups == 0 || options.scan_sample == 0 {
        return Err(NodeError::Setup(
            "--lookups and --scan-sample must be at least 1".into(),
        ));
    }
    let dir = &options.dir;
    let rss_start = rss_bytes();
    let (text4, text6) = (read(dir, IPV4_FILE)?, read(dir, IPV6_FILE)?);
    let mut countries = Vec::new();
    let (lines4, ranges4) = group(&text4, IPV4_FILE, &mut countries, |a| match a {
        IpAddr::V4(a) => Some(u32::from(a)),
        IpAddr::V6(_) => None,
    })?;
    let (lines6, ranges6) = group(&text6, IPV6_FILE, &mut countries, |a| match a {
        IpAddr::V6(a) => Some(u128::from(a)),
        IpAddr::V4(_) => None,
    })?;
    drop((text4, text6));
    println!(
        "bench registry: {} — {} IPv4 and {} IPv6 ranges of {} countries",
        dir.display(),
        ranges4.len(),
        ranges6.len(),
        countries.len()
    );

    // Claims: per country, its lines through the importer as `pacific registry import` would
    // take them (special-purpose space refused, lines kept as evidence), one claim.
    let at = Timestamp::parse("2026-03-01T08:00:00Z")
        .map_err(|e| NodeError::Setup(format!("the bench's time: {e}")))?;
    let started = Instant::now();
    let mut set = ClaimSet::new();
    let (mut used, mut refused, mut not_claims) = (0usize, 0usize, Vec::new());
    let mut prefixes = 0usize;
    let mut all: Vec<&String> = lines4.keys().chain(lines6.keys()).collect();
    all.sort();
    all.dedup();
    for (i, cc) in all.into_iter().enumerate() {
        let opts = ImportOptions::jurisdiction(cc);
        let mut imported = import::Imported::default();
        for lines in [lines4.get(cc), lines6.get(cc)].into_iter().flatten() {
            let one = import::ranges(lines, &opts);
            used += one.summary.used;
            refused += one.errors.len();
            imported.resources.extend(one.resources);
            imported.evidence.extend(one.evidence);
        }
        prefixes += imported.resources.ipv4.len() + imported.resources.ipv6.len();
        if imported.resources.is_empty() {
            continue;
        }
        let draft = imported.into_draft(
            PartyId::new(cc.as_str()),
            format!("identity--00000000-0000-4000-8000-{i:012x}"),
            Role::Jurisdiction,
            Contact {
                name: format!("CERT {cc}"),
                email: Some(format!("duty@cert.{}.example", cc.to_ascii_lowercase())),
                phone: None,
            },
            at.clone(),
        );
        let claimed = draft
            .into_claim(&format!("00000000-0000-4000-8000-{i:012x}"), &at)
            .and_then(|claim| set.insert(claim));
        if let Err(e) = claimed {
            not_claims.push(format!("{cc}: {e}"));
        }
    }
    let import_s = started.elapsed().as_secs_f64();
    println!(
        "  import: {used} lines used, {refused} refused, as {prefixes} prefixes in {} claims in {import_s:.2} s",
        set.len()
    );
    for e in not_claims.iter().take(5) {
        println!("  not a claim: {e}");
    }

    let started = Instant::now();
    let index = Index::build(&set, &at);
    let build_s = started.elapsed().as_secs_f64();
    let stats = index.stats();
    println!(
        "  index: built in {build_s:.3} s; {} IPv4 and {} IPv6 intervals, {} conflicts; {:.1} MB on the heap",
        stats.ipv4_intervals,
        stats.ipv6_intervals,
        stats.conflicts,
        stats.heap_bytes as f64 / 1e6
    );
    println!(
        "  RSS: {:.1} MB at the start, {:.1} MB with the files' ranges, the claims and the index",
        rss_start as f64 / 1e6,
        rss_bytes() as f64 / 1e6
    );

    // IPv4: uniformly random addresses, in bulk on one core.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let addrs: Vec<u32> = (0..options.lookups).map(|_| rng.next() as u32).collect();
    let started = Instant::now();
    let answered = index.count_answered_ipv4(black_box(&addrs));
    let took = started.elapsed().as_secs_f64();
    let rate4 = options.lookups as f64 / took;
    println!(
        "  IPv4: {} random addresses in {took:.3} s: {:.2} million lookups/s on one core ({:.1}% answered)",
        options.lookups,
        rate4 / 1e6,
        100.0 * answered as f64 / options.lookups.max(1) as f64
    );

    // IPv6: random addresses are almost all outside the allocated space, so each is drawn
    // inside a random range of the file (answered), or, one in four, uniformly in 2000::/3.
    let n6 = options.lookups / 4;
    let addrs6: Vec<Ipv6Addr> = (0..n6)
        .map(|_| {
            let r = rng.next();
            let low = (u128::from(rng.next()) << 64) | u128::from(rng.next());
            if r.is_multiple_of(4) || ranges6.is_empty() {
                Ipv6Addr::from((0x2u128 << 125) | (low >> 3))
            } else {
                let range = ranges6[(r >> 2) as usize % ranges6.len()];
                let size = (range.last - range.first).saturating_add(1);
                Ipv6Addr::from(range.first + low % size)
            }
        })
        .collect();
    let started = Instant::now();
    let answered6 = addrs6
        .iter()
        .filter(|&&a| !index.lookup_ipv6(black_box(a)).is_empty())
        .count();
    let took = started.elapsed().as_secs_f64();
    let rate6 = n6 as f64 / took;
    println!(
        "  IPv6: {n6} addresses (3 in 4 inside a random range) in {took:.3} s: {:.2} million lookups/s on one core ({:.1}% answered)",
        rate6 / 1e6,
        100.0 * answered6 as f64 / n6.max(1) as f64
    );

    // The linear scan: the first of the same random IPv4 addresses, each against every range
    // in file order; its answers checked against the index's.
    let sample = options.scan_sample.min(addrs.len());
    let started = Instant::now();
    let scanned: Vec<Option<u16>> = addrs[..sample]
        .iter()
        .map(|&a| scan(&ranges4, black_box(a)))
        .collect();
    let took = started.elapsed().as_secs_f64();
    let scan_rate = sample as f64 / took;
    let agree = addrs[..sample]
        .iter()
        .zip(&scanned)
        .filter(|&(&a, want)| {
            let got: Vec<&str> = index
                .lookup_ipv4(Ipv4Addr::from(a))
                .iter()
                .map(|h| index.claims()[h.claim as usize].party.as_str())
                .collect();
            let want: Vec<&str> = want
                .iter()
                .map(|&c| countries[usize::from(c)].as_str())
                .collect();
            got == want
        })
        .count();
    println!(
        "  linear scan of {} IPv4 ranges: {sample} lookups in {took:.3} s: {scan_rate:.0} lookups/s; the index is {:.0}x faster; {agree}/{sample} answers agree",
        ranges4.len(),
        rate4 / scan_rate
    );

    if options.python_lookups > 0 {
        match python_baseline(options) {
            Ok(py) => {
                let rate = py.lookups as f64 / py.lookup_s;
                println!(
                    "  Python ({}) ipaddress + bisect over the sorted IPv4 ranges: loaded in {:.2} s, {} random lookups in {:.3} s: {:.2} million lookups/s ({:.1}% answered); the index is {:.0}x faster",
                    py.version,
                    py.load_s,
                    py.lookups,
                    py.lookup_s,
                    rate / 1e6,
                    100.0 * py.answered as f64 / py.lookups.max(1) as f64,
                    rate4 / rate
                );
            }
            Err(e) => println!("  Python baseline: not run ({e})"),
        }
    }
    println!(
        "  peak RSS: {} (the lookups' {} + {} addresses included)",
        peak_rss(),
        addrs.len(),
        addrs6.len()
    );
    Ok(())
}
