//! `POST /match` (analysts, liaisons, admins) streams the body to the matching service and
//! answers its report; `GET /match/stats` (every user) serves the daily statistics. The
//! matching itself, the recording and the statistics are `crate::matching`'s.

use std::collections::HashMap;
use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use pacific_match::{Format, InputOptions, Interrupt, Window};
use serde_json::{Value, json};

use crate::http::authz::Principal;
use crate::http::error::ApiError;
use crate::http::extract::TypedQuery;
use crate::http::state::AppState;
use crate::matching::{DIMENSIONS, StreamRun, parse_day, today};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/match", post(post_match))
        .route("/match/stats", get(get_stats))
}

/// Most matches listed in a `POST /match` answer, and most malformed lines.
const MAX_SHOWN: usize = 10_000;

/// The input format a request's `?format=` or `Content-Type` names.
fn request_format(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Format, ApiError> {
    if let Some(f) = params.get("format") {
        return Format::parse(f).ok_or_else(|| {
            ApiError::BadRequest(format!("format {f:?}: expected auto, jsonl, zeek or text"))
        });
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match media.as_str() {
        "application/x-ndjson"
        | "application/jsonl"
        | "application/json-lines"
        | "application/json" => Format::JsonLines,
        "text/zeek-tsv" | "text/x-zeek" | "text/tab-separated-values" => Format::Zeek,
        "text/plain" => Format::Text,
        _ => Format::Auto,
    })
}

/// The reading options and the sample size of a `POST /match`, from its query and headers.
fn match_options(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    max_line: usize,
) -> Result<(InputOptions, usize), ApiError> {
    if let Some(enc) = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        && !matches!(enc.as_str(), "gzip" | "x-gzip" | "identity")
    {
        return Err(ApiError::BadRequest(format!(
            "Content-Encoding {enc:?} is not supported (gzip or none)"
        )));
    }
    let number = |name: &str, default: usize| -> Result<usize, ApiError> {
        params.get(name).map_or(Ok(default), |v| {
            v.parse::<usize>()
                .map(|n| n.min(MAX_SHOWN))
                .map_err(|_| ApiError::BadRequest(format!("{name} {v:?} is not a number")))
        })
    };
    let mut opts = InputOptions {
        format: request_format(params, headers)?,
        max_line,
        keep_errors: number("show", 10)?,
        ..InputOptions::default()
    };
    if let Some(map) = params.get("map") {
        for spec in map.split(',').filter(|s| !s.is_empty()) {
            let spec = if spec.contains('=') {
                spec.to_owned()
            } else {
                match spec.rsplit_once(':') {
                    Some((field, kind)) => format!("{field}={kind}"),
                    None => spec.to_owned(),
                }
            };
            opts.map
                .apply_spec(&spec)
                .map_err(|e| ApiError::BadRequest(format!("map: {e}")))?;
        }
    }
    Ok((opts, number("matches", 100)?))
}

/// A request body as a blocking reader, fed by the task that pulls the body. While it waits
/// for the body it watches the run's interrupt, so a run stopped by its deadline or its client
/// does not wait for more input.
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
    interrupt: Interrupt,
    runtime: tokio::runtime::Handle,
}

/// How often a reader waiting for the body looks at the run's interrupt.
const INTERRUPT_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Aborts the task pumping a body when the request ends, however it ends.
struct Pump(tokio::task::JoinHandle<()>);

impl Drop for Pump {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl BodyReader {
    /// A reader of `body` watching `interrupt`, and the task that pumps it.
    fn of(body: Body, interrupt: Interrupt) -> (Self, Pump) {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(8);
        let pump = tokio::spawn(async move {
            let mut stream = body.into_data_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| e.to_string());
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        (
            Self {
                rx,
                current: Bytes::new(),
                interrupt,
                runtime: tokio::runtime::Handle::current(),
            },
            Pump(pump),
        )
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if self.interrupt.is_interrupted() {
                return Err(std::io::Error::other("the run was interrupted"));
            }
            let next = self
                .runtime
                .block_on(tokio::time::timeout(INTERRUPT_POLL, self.rx.recv()));
            match next {
                Ok(Some(Ok(chunk))) => self.current = chunk,
                Ok(Some(Err(e))) => return Err(std::io::Error::other(e)),
                Ok(None) => return Ok(0),
                Err(_) => {}
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Matches the request body, read as a stream (each line bounded by `[matching]
/// max_line_bytes`, the input after decompression by `max_input_bytes`, the whole run by
/// `max_run_secs`), and answers with the totals. `?retro=true` also matches events dated
/// before an indicator's `valid_from`; a body recorded before (same SHA-256) is matched and
/// reported but not recorded again unless `?force=true`. A client that goes away stops the run: the
/// service stops it when this handler is dropped.
async fn post_match(
    State(state): State<AppState>,
    _who: Principal,
    TypedQuery(params): TypedQuery<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let service = state.matching();
    let (mut opts, sample_limit) =
        match_options(&params, &headers, service.settings().max_line_bytes)?;
    let bounds = &state.config().matching;
    opts.max_bytes = Some(bounds.max_input_bytes);
    let interrupt = Interrupt::default();
    opts.interrupt = Some(interrupt.clone());
    let (reader, _pump) = BodyReader::of(body, interrupt);
    let settings = StreamRun {
        sample_limit,
        max_run: std::time::Duration::from_secs(bounds.max_run_secs),
        window: if flag(&params, "retro")? {
            Window::Retro
        } else {
            Window::Valid
        },
        force: flag(&params, "force")?,
    };
    let report = service.match_stream(reader, opts, settings).await?;
    Ok(Json(report).into_response())
}

/// A yes/no query parameter (`true`/`false`, `1`/`0`; absent: no).
fn flag(params: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match params.get(name).map(String::as_str) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1" | "") => Ok(true),
        Some(v) => Err(ApiError::BadRequest(format!(
            "{name} {v:?}: expected true or false"
        ))),
    }
}

/// `GET /match/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&dimension=…` (each day today when absent).
async fn get_stats(
    State(state): State<AppState>,
    _who: Principal,
    TypedQuery(params): TypedQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let day = |name: &str| -> Result<String, ApiError> {
        match params.get(name) {
            None => Ok(today()),
            Some(v) => parse_day(v).ok_or_else(|| {
                ApiError::BadRequest(format!("{name} {v:?} is not a day (YYYY-MM-DD)"))
            }),
        }
    };
    let (from, to) = (day("from")?, day("to")?);
    let dimension = params.get("dimension").map(String::as_str);
    if let Some(d) = dimension
        && !DIMENSIONS.contains(&d)
    {
        return Err(ApiError::BadRequest(format!(
            "dimension {d:?}: expected one of {}",
            DIMENSIONS.join(", ")
        )));
    }
    let (stats, indicators) = state.matching().stats(&from, &to, dimension).await?;
    let rows: Vec<Value> = stats
        .iter()
        .map(|s| json!({"day": s.day, "dimension": s.dimension, "key": s.key, "count": s.count}))
        .collect();
    Ok(Json(json!({
        "from": from,
        "to": to,
        "dimension": dimension,
        "indicators": Some(indicators),
        "stats": rows,
    }))
    .into_response())
}
