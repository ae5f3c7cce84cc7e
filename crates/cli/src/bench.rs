//! `pacific bench`: the arguments of the benchmarks in `pacific-bench` (ingest, taxii,
//! taxii-roundtrip, federation, coop, match, idle, registry), run in a temporary data directory removed afterwards.

use std::process::ExitCode;

use clap::Subcommand;
use pacific_bench::{
    ColdMatchOptions, CoopOptions, FederationOptions, IdleOptions, IngestOptions, MatchOptions,
    RegistryOptions, RoundTripOptions, TaxiiOptions,
};
use pacific_node::NodeError;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Parse, validate and store a generated bundle of N objects.
    Ingest {
        /// Number of objects.
        #[arg(long, default_value_t = 200_000)]
        count: usize,
        /// Instead of --count: generate objects until the bundle has this size (bytes, or
        /// with a suffix K, M, G: powers of 1,024), e.g. 1G.
        #[arg(long, conflicts_with = "count", value_parser = parse_size)]
        bytes: Option<u64>,
        /// Also time parse + validate alone, without the store.
        #[arg(long)]
        parse_only: bool,
    },
    /// Serve pages of 1,000 objects over TAXII at growing collection sizes.
    Taxii {
        /// Collection sizes to measure at (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000, 1_000_000])]
        sizes: Vec<usize>,
        /// Pages fetched at each size.
        #[arg(long, default_value_t = 500)]
        pages: usize,
        /// Concurrent client connections.
        #[arg(long, default_value_t = 4)]
        connections: usize,
    },
    /// A bundle file through TAXII and back as the OASIS taxii2-client does it: POSTed in
    /// envelopes of 1,000 (a pending status polled until complete), then read back page by
    /// page; timed on a node that never waits for a POST (the baseline) and on one that
    /// answers when done.
    TaxiiRoundtrip {
        /// The STIX bundle posted (default: ../shared/data/ics-attack-18.1.json beside the
        /// checkout, MITRE ATT&CK for ICS).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Post the bundle's objects this many times, each copy with fresh ids (e.g. 14 copies
        /// of ATT&CK for ICS ≈ the 25k objects of ATT&CK Enterprise).
        #[arg(long, default_value_t = 1)]
        copies: usize,
        /// Objects per POST envelope and per GET page.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// The node's server.post_wait_millis in the timed run (default: the configuration's).
        #[arg(long)]
        post_wait_millis: Option<u64>,
        /// Milliseconds the client sleeps before each poll of a pending status.
        #[arg(long, default_value_t = 200)]
        poll_millis: u64,
        /// Skip the baseline run (a node that never waits).
        #[arg(long)]
        no_baseline: bool,
    },
    /// Nodes federating on loopback: propagation latency of new objects to every peer while
    /// objects are created at a target rate, and envelope signature verification throughput.
    Federation {
        /// Nodes in the federation (one creates objects; the others are its peers).
        #[arg(long, default_value_t = 4)]
        nodes: usize,
        /// Let the peers re-push what they received to each other too (a flooding full mesh:
        /// each object then crosses (n-1)^2 links instead of n-1). Without it, the peers'
        /// policies keep received objects off federation push (they still serve them over TAXII).
        #[arg(long)]
        reshare: bool,
        /// Objects created per second on the first node.
        #[arg(long, default_value_t = 1_000)]
        rate: u64,
        /// Seconds of object creation.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Envelopes verified per size in the signature benchmark.
        #[arg(long, default_value_t = 20_000)]
        verify: usize,
    },
    /// Cooperation on two nodes on loopback: emergency requests sent by Alpha until visible
    /// on Bravo (latency), then concurrent requests taken through draft → send → ack → start →
    /// answer (requests/s).
    Coop {
        /// Emergency requests timed one by one.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Requests taken through the whole state machine in the throughput run.
        #[arg(long, default_value_t = 400)]
        flows: usize,
        /// Concurrent flows.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// The matching engine: compile generated indicators (build time, memory per indicator),
    /// then match generated JSON-lines events (events/s, MB/s per thread count), against a
    /// naive linear scan.
    Match {
        /// Indicators compiled (mixed types).
        #[arg(long, default_value_t = 1_000_000)]
        indicators: usize,
        /// Events matched.
        #[arg(long, default_value_t = 2_000_000)]
        events: usize,
        /// Thread counts to measure (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2])]
        threads: Vec<usize>,
        /// Skip the reference loop and the naive baseline (e.g. to profile the engine alone).
        #[arg(long)]
        no_baselines: bool,
        /// Instead: time `pacific match`'s start-up from a data directory of stored
        /// indicators (to the index ready, to the first event matched), then a whole run
        /// over --events events, for each of --sizes.
        #[arg(long)]
        cold: bool,
        /// With --cold: the numbers of stored indicators (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = [100_000usize, 1_000_000])]
        sizes: Vec<usize>,
        /// With --cold: keep the data directories under this directory and reuse those found
        /// there (the indicators are stored once for several runs).
        #[arg(long, requires = "cold")]
        keep: Option<std::path::PathBuf>,
    },
    /// What an idle federation costs: runs `pacific demo` (four nodes in one process), lets
    /// it come to rest after its scenario, then watches it untouched: CPU % (from
    /// /proc/PID/stat), memory, each node's database and WAL growth and log size. Linux only.
    Idle {
        /// Seconds watched.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// Seconds the demo is left to settle after its scenario before watching starts.
        #[arg(long, default_value_t = 30)]
        settle: u64,
        /// The `pacific` binary whose demo is watched (default: this one), e.g. an older build
        /// to compare with.
        #[arg(long)]
        exe: Option<std::path::PathBuf>,
    },
    /// The jurisdiction registry on the real delegations (@ip-location-db/asn-country, every
    /// country's IPv4 and IPv6 ranges as its jurisdiction claim): index build time and size,
    /// peak RSS, IPv4 and IPv6 lookups/s on one core, against a linear scan of the ranges and
    /// Python's ipaddress with bisect.
    Registry {
        /// The package's directory, holding asn-country-ipv4.csv and asn-country-ipv6.csv
        /// (default: $PACIFIC_ASN_COUNTRY_DIR, else
        /// scripts/registry-data/node_modules/@ip-location-db/asn-country, installed by
        /// scripts/test.sh or `npm ci` there).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Random IPv4 addresses looked up (IPv6: a quarter as many).
        #[arg(long, default_value_t = 20_000_000)]
        lookups: usize,
        /// Addresses of the linear scan baseline (its rate scaled to lookups/s).
        #[arg(long, default_value_t = 2_000)]
        scan_sample: usize,
        /// Addresses the Python baseline looks up (0: no Python baseline).
        #[arg(long, default_value_t = 1_000_000)]
        python_lookups: usize,
        /// The Python interpreter of the baseline.
        #[arg(long, default_value = "python3")]
        python: std::path::PathBuf,
    },
}

pub async fn run(cmd: BenchCommand) -> Result<ExitCode, NodeError> {
    let tmp = std::env::temp_dir().join(format!("pacific-bench-{}", pacific_node::new_uuid()));
    let result = match cmd {
        BenchCommand::Ingest {
            count,
            bytes,
            parse_only,
        } => {
            let options = IngestOptions {
                count,
                bytes,
                parse_only,
            };
            pacific_bench::ingest(&tmp, &options).await
        }
        BenchCommand::Taxii {
            sizes,
            pages,
            connections,
        } => {
            let options = TaxiiOptions {
                sizes,
                pages,
                connections,
            };
            pacific_bench::taxii(&tmp, &options).await
        }
        BenchCommand::TaxiiRoundtrip {
            file,
            copies,
            batch,
            post_wait_millis,
            poll_millis,
            no_baseline,
        } => {
            let options = RoundTripOptions {
                file,
                copies,
                batch,
                post_wait_millis: post_wait_millis.unwrap_or_else(|| {
                    pacific_node::config::ServerConfig::default().post_wait_millis
                }),
                poll_interval: std::time::Duration::from_millis(poll_millis),
                no_baseline,
            };
            pacific_bench::taxii_roundtrip(&tmp, &options).await
        }
        BenchCommand::Federation {
            nodes,
            rate,
            seconds,
            verify,
            reshare,
        } => {
            let options = FederationOptions {
                nodes,
                reshare,
                rate,
                seconds,
                verify,
            };
            pacific_bench::federation(&tmp, &options).await
        }
        BenchCommand::Coop {
            requests,
            flows,
            concurrency,
        } => {
            let options = CoopOptions {
                requests,
                flows,
                concurrency,
            };
            pacific_bench::coop(&tmp, &options).await
        }
        BenchCommand::Idle {
            seconds,
            settle,
            exe,
        } => match exe.map_or_else(std::env::current_exe, Ok) {
            Ok(exe) => {
                let options = IdleOptions {
                    exe,
                    seconds,
                    settle,
                };
                pacific_bench::idle(&tmp, &options).await
            }
            Err(e) => Err(NodeError::Setup(format!(
                "cannot find the pacific binary: {e}"
            ))),
        },
        BenchCommand::Registry {
            dir,
            lookups,
            scan_sample,
            python_lookups,
            python,
        } => pacific_bench::registry(&RegistryOptions {
            dir: dir.unwrap_or_else(pacific_bench::registry::default_dir),
            lookups,
            scan_sample,
            python_lookups,
            python,
        }),
        BenchCommand::Match {
            events,
            cold: true,
            sizes,
            keep,
            ..
        } => {
            let options = ColdMatchOptions {
                sizes,
                events,
                keep,
            };
            pacific_bench::matching_cold(&tmp, &options).await
        }
        BenchCommand::Match {
            indicators,
            events,
            threads,
            no_baselines,
            ..
        } => pacific_bench::matching(&MatchOptions {
            indicators,
            events,
            threads,
            no_baselines,
        }),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    result.map(|()| ExitCode::SUCCESS)
}

/// A size in bytes: digits, optionally followed by K, M or G (powers of 1,024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 1G, 500M, 1048576)"))?;
    n.checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a size between 1 byte and 16 EiB"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("500m"), Ok(500 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("3K"), Ok(3072));
        for bad in ["", "G", "1T", "0", "-1G", "1.5G", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}
