//! `pacific match`: the node's active indicators (latest versions of every `indicator` in
//! every collection, loaded by `pacific_node::matching::MatchService`, the node's own code)
//! compiled by `pacific-match`, and an input file or stdin matched against them. Read-only
//! unless `--record`: then sightings, statistics and incidents are stored in the data
//! directory exactly as `POST /match` stores them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use indicatif::ProgressBar;
use pacific_core::Timestamp;
use pacific_match::{Format, InputOptions, Window};
use pacific_node::matching::{Digesting, MatchService, Recorded, Tally};
use pacific_node::{DataDir, NodeError};
use pacific_store::{FederationStore, SqliteFederationStore};

use crate::DataArg;

#[derive(Args)]
pub struct MatchArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Input format: auto (from the first line), jsonl, zeek or text. Gzip is detected.
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Map an input field to a kind (ip, domain, host, url, email, hash, time); `field=`
    /// removes a default mapping. Repeatable. JSON fields are dotted paths.
    #[arg(long = "map", value_name = "FIELD=KIND")]
    pub map: Vec<String>,
    /// How many indicators not compiled, and malformed lines, to list.
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    /// Store what the matches add up to: a new version of each matched indicator's sighting,
    /// the daily statistics, and incidents on critical-infrastructure assets. An input
    /// recorded before (same SHA-256 of its bytes) is not recorded again unless --force.
    #[arg(long)]
    pub record: bool,
    /// With --record: record the input even if it was recorded before (its matches add up
    /// again).
    #[arg(long, requires = "record")]
    pub force: bool,
    /// Retro-hunt: also match events dated before an indicator's valid_from (old logs
    /// against newly shared indicators). Without it, such events are skipped and counted.
    #[arg(long)]
    pub retro: bool,
    /// The input file, or `-` for stdin.
    pub file: PathBuf,
}

/// Counts bytes as they are read, for the progress bar.
pub async fn run(args: MatchArgs) -> Result<ExitCode, NodeError> {
    let format = Format::parse(&args.format).ok_or_else(|| {
        NodeError::Input(format!(
            "--format {:?}: expected auto, jsonl, zeek or text",
            args.format
        ))
    })?;
    let mut opts = InputOptions {
        format,
        keep_errors: args.show,
        ..InputOptions::default()
    };
    for spec in &args.map {
        opts.map
            .apply_spec(spec)
            .map_err(|e| NodeError::Input(format!("--map {e}")))?;
    }

    let dir = DataDir::new(&args.data.data);
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    let config = dir.load_config()?;
    let store = dir.open_store().await?;
    let origins: Arc<dyn FederationStore> =
        Arc::new(SqliteFederationStore::open(&dir.db_path()).await?);
    // A long load says so, with counts, about once a second (a short one stays quiet).
    let started = std::time::Instant::now();
    let mut last_shown = None;
    let service =
        MatchService::open_with_progress(dir.root(), &config, store, Some(origins), |read| {
            let due = last_shown.map_or(
                started.elapsed().as_millis() >= 500,
                |t: std::time::Instant| t.elapsed().as_millis() >= 1000,
            );
            if due {
                if last_shown.is_none() {
                    eprintln!("loading indicators from {}…", dir.root().display());
                }
                eprintln!("  {read} indicator and relationship versions read");
                last_shown = Some(std::time::Instant::now());
            }
        })
        .await?;
    // Loaded from the store (no usable snapshot, or many versions after it): write the index
    // snapshot, so that the next start reads it instead (`<data>/match-index.snap`). A data
    // directory that cannot take it only costs the next start its time.
    if service.snapshot_due(10_000)
        && let Err(e) = service.save_snapshot().await
    {
        tracing::warn!(error = %e, "cannot write the index snapshot");
    }
    let report = service.report();
    eprintln!(
        "indicators: {report} (loaded in {:.2} s)",
        started.elapsed().as_secs_f64()
    );
    for r in report.rejected.iter().take(args.show) {
        eprintln!("  not compiled: {}: {}", r.id, r.reason);
    }
    if report.rejected.len() > args.show {
        eprintln!("  … and {} more", report.rejected.len() - args.show);
    }

    let (reader, size) = crate::input::open(&args.file)?;
    let bar = size.map_or_else(ProgressBar::hidden, crate::input::bytes_bar);
    let mut reader = Digesting::new(crate::input::Progress {
        inner: reader,
        bar: bar.clone(),
    });
    let now = Timestamp::now().unix_micros();
    let mut run = service.run(now, 0);
    if args.retro {
        run.window = Window::Retro;
    }
    let mut tally = Tally::default();
    let mut matches = 0u64;
    let stdout = std::io::stdout();
    let mut stdout = std::io::BufWriter::new(stdout.lock());
    let stats = service
        .match_reader(
            &mut reader,
            &opts,
            &mut run,
            |event, m| {
                matches += 1;
                let o = &event.observables[m.observable];
                bar.suspend(|| {
                    use std::io::Write;
                    let _ = writeln!(
                        stdout,
                        "line {}\t{}\t{}\t{}",
                        event.line,
                        m.indicator,
                        o.kind.name(),
                        o.value
                    );
                });
                if matches.is_multiple_of(1024) {
                    bar.set_message(format!("{matches} matches"));
                }
            },
            |t| {
                if args.record {
                    tally.merge(t);
                }
            },
        )
        .map_err(|e| NodeError::Input(format!("cannot read {}: {e}", args.file.display())))?;
    bar.finish_and_clear();
    {
        use std::io::Write;
        let _ = stdout.flush();
    }
    let validity = run.validity;
    if args.record && stats.read_error.is_none() {
        let digest = reader.digest();
        let recording = service.record_input(&digest, tally, args.force).await?;
        match (&recording.recorded, &recording.previous) {
            (None, Some(previous)) => eprintln!(
                "not recorded: this input (sha256 {}) was recorded already at {}; --force records it again",
                recording.sha256, previous.recorded_at
            ),
            (recorded, previous) => {
                let recorded = recorded.clone().unwrap_or_default();
                eprintln!(
                    "recorded: {} sightings created, {} updated, {} incidents raised",
                    recorded.sightings_created, recorded.sightings_updated, recorded.incidents
                );
                if let Some(previous) = previous {
                    eprintln!(
                        "  (--force: this input, sha256 {}, was recorded before at {})",
                        recording.sha256, previous.recorded_at
                    );
                }
                hotline_notes(&dir, &config, service.settings(), &recorded, args.show);
            }
        }
    } else if args.record && !tally.is_empty() {
        // Reading failed part way: what was matched is recorded, the input is not noted.
        let recorded = service.record(tally).await?;
        eprintln!(
            "recorded (input read in part): {} sightings created, {} updated, {} incidents raised",
            recorded.sightings_created, recorded.sightings_updated, recorded.incidents
        );
        hotline_notes(&dir, &config, service.settings(), &recorded, args.show);
    }
    eprintln!(
        "{} lines ({}{}), {} events, {} observables, {matches} matches; {} malformed, {} longer than {} bytes",
        stats.lines,
        stats.format.unwrap_or(format),
        if stats.gzip { ", gzip" } else { "" },
        stats.events,
        stats.observables,
        stats.malformed,
        stats.oversized,
        opts.max_line
    );
    for e in &stats.errors {
        eprintln!("  line {}: {}", e.line, e.reason);
    }
    if validity.skipped() > 0 {
        eprintln!(
            "skipped {} candidate matches: {} events before the indicator's valid_from{}, {} after its valid_until, {} of revoked indicators",
            validity.skipped(),
            validity.before_valid_from,
            if validity.before_valid_from > 0 {
                " (--retro matches them)"
            } else {
                ""
            },
            validity.after_valid_until,
            validity.revoked
        );
    }
    if args.retro {
        eprintln!(
            "retro: {} matches of events before the indicator's valid_from",
            validity.retro_matches
        );
    }
    if let Some(e) = &stats.read_error {
        eprintln!("error: reading stopped {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if stats.malformed + stats.oversized > 0 {
        ExitCode::from(crate::EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// What becomes of the hotline alert of each incident raised: the node serving the directory
/// sends it (it follows the stored incidents), or, with no node serving, the node sends it when
/// it starts (its incident sweep). The same decision as the node's: `coop.incident_hotline_to`,
/// else the indicator's origin.
fn hotline_notes(
    dir: &DataDir,
    config: &pacific_node::config::Config,
    settings: &pacific_node::matching::MatchSettings,
    recorded: &Recorded,
    show: usize,
) {
    if recorded.raised.is_empty() {
        return;
    }
    let serving = dir.serving_pid();
    let shown = dir.root().display();
    for event in recorded.raised.iter().take(show.max(1)) {
        let pacific_node::matching::MatchEvent::Incident {
            asset,
            sector,
            value,
            ..
        } = event;
        let what = format!("incident on {asset} ({sector}, {value})");
        match (
            pacific_node::coop::incident_alert_recipient(&config.coop, &settings.party, event),
            serving,
        ) {
            (None, _) => eprintln!(
                "hotline: {what}: no alert (the indicator is this party's own and coop.incident_hotline_to is not set)"
            ),
            (Some(to), Some(pid)) => eprintln!(
                "hotline: {what}: the node serving {shown} (pid {pid}) sends the emergency alert to {to} now"
            ),
            (Some(to), None) => eprintln!(
                "hotline: {what}: emergency alert to {to} NOT SENT YET: no node serves {shown}; it is sent when the node starts (pacific node --data {shown})"
            ),
        }
    }
    if recorded.raised.len() > show.max(1) {
        eprintln!(
            "hotline: … and {} more incidents",
            recorded.raised.len() - show.max(1)
        );
    }
}
