//! `pacific match`: the node's active indicators (latest versions of every `indicator` in
//! every collection) compiled by `pacific-match`, and an input file or stdin matched against
//! them. Read-only: nothing is written to the store.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pacific_core::Timestamp;
use pacific_core::taxii::ObjectQuery;
use pacific_match::{CompileReport, Format, Index, InputOptions};
use pacific_node::{DataDir, NodeError};

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
    /// The input file, or `-` for stdin.
    pub file: PathBuf,
}

/// Counts bytes as they are read, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

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
    let store = dir.open_store().await?;
    let mut index = Index::new();
    let mut report = CompileReport::default();
    for collection in store.collections().await? {
        let mut query = ObjectQuery::all(1000);
        query.types = vec!["indicator".into()];
        loop {
            let page = store.query_objects(&collection.id, &query, true).await?;
            for item in &page.items {
                index.upsert_json(&item.json, &mut report);
            }
            match page.next {
                Some(next) => query.next = Some(next),
                None => break,
            }
        }
    }
    eprintln!("indicators: {report}");
    for r in report.rejected.iter().take(args.show) {
        eprintln!("  not compiled: {}: {}", r.id, r.reason);
    }
    if report.rejected.len() > args.show {
        eprintln!("  … and {} more", report.rejected.len() - args.show);
    }

    let (reader, size): (Box<dyn Read>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(|e| NodeError::Setup(format!("cannot open {}: {e}", args.file.display())))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let count = Arc::new(AtomicU64::new(0));
    let reader = Counting {
        inner: reader,
        count: Arc::clone(&count),
    };
    let bar = match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .expect("valid template"),
        ),
        None => ProgressBar::hidden(),
    };
    let now = Timestamp::now().unix_micros();
    let mut matches = 0u64;
    let mut out = Vec::new();
    let stdout = std::io::stdout();
    let mut stdout = std::io::BufWriter::new(stdout.lock());
    let stats = pacific_match::read_events(reader, &opts, |event| {
        out.clear();
        index.match_event_into(event, now, &mut out);
        for m in &out {
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
        }
        if event.line % 4096 == 0 {
            bar.set_position(count.load(Ordering::Relaxed));
            bar.set_message(format!("{} lines, {matches} matches", event.line));
        }
    })
    .map_err(|e| NodeError::Input(format!("cannot read {}: {e}", args.file.display())))?;
    bar.finish_and_clear();
    {
        use std::io::Write;
        let _ = stdout.flush();
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
