//! Line readers that turn inputs into [`Event`]s: JSON lines with a configurable field mapping,
//! Zeek TSV logs (read by their `#fields` header), and plain text (IP addresses, domains, URLs,
//! hashes and e-mail addresses found by a hand-written scanner). Gzip input (detected by its
//! magic bytes) is decompressed on the fly.
//!
//! Robustness: a line that cannot be read as its format is counted as malformed (the first
//! few are kept with their line numbers) and the run goes on; a line longer than
//! [`InputOptions::max_line`] is skipped and counted without being buffered whole; bytes that
//! are not UTF-8 make a JSON or Zeek line malformed, and are simply not part of any token in
//! text. Only an error of the underlying reader (or a corrupt gzip stream) ends a run early,
//! and it is reported in [`InputStats::read_error`].
//!
//! Bounds: [`InputOptions::max_bytes`] caps the input read, counted after decompression, so a
//! gzip bomb is stopped there without being inflated further; [`InputOptions::interrupt`] lets
//! the caller stop a run from another thread (a deadline, a client gone), seen before every
//! line and every buffer of input. Either ends the run with [`InputStats::stopped`] set.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pacific_core::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::observable::{Event, Kind, Observable, parse_ipv4, parse_ipv6};

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Decide from the first bytes: `{` is JSON lines, `#separator`/`#fields` is Zeek, else text.
    Auto,
    JsonLines,
    Zeek,
    Text,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => Format::Auto,
            "jsonl" | "json" => Format::JsonLines,
            "zeek" => Format::Zeek,
            "text" => Format::Text,
            _ => return None,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Auto => "auto",
            Format::JsonLines => "jsonl",
            Format::Zeek => "zeek",
            Format::Text => "text",
        })
    }
}

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Observable(Kind),
    /// The event's time: a STIX/RFC 3339 UTC timestamp, or seconds since the epoch.
    Time,
}

impl Field {
    /// `ip`, `domain`, `host`, `url`, `email`, `hash` (or `md5`/`sha1`/`sha256`), `time`.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "time" {
            Some(Field::Time)
        } else {
            Kind::parse(s).map(Field::Observable)
        }
    }
}

/// Which fields of an event hold what. For JSON a field is a dotted path into nested objects
/// (a flat key containing dots, like Zeek's `id.orig_h`, matches too); for Zeek it is a column
/// name. A field may hold a string or an array of strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    fields: Vec<(Box<str>, Field)>,
    /// Proper prefixes of dotted paths: objects worth descending into.
    interior: Vec<Box<str>>,
    /// `fields` by key length, each with its first 8 bytes as an integer and its position in
    /// `fields`: [`FieldMap::get`] runs for every key of every line.
    by_len: Vec<Vec<(u64, usize)>>,
}

impl Default for FieldMap {
    /// `src_ip`, `dst_ip`, `ip`, `domain`, `query`, `host`, `url`, `sha256`, `md5`, `sha1`,
    /// `hash`, `email`, `from`, `to`, `ts`, `timestamp`, `@timestamp`.
    fn default() -> Self {
        use Kind::*;
        let mut m = FieldMap::empty();
        for (name, kind) in [
            ("src_ip", Ip),
            ("dst_ip", Ip),
            ("ip", Ip),
            ("domain", Domain),
            ("query", Domain),
            ("host", Host),
            ("url", Url),
            ("sha256", Hash),
            ("md5", Hash),
            ("sha1", Hash),
            ("hash", Hash),
            ("email", Email),
            ("from", Email),
            ("to", Email),
        ] {
            m.set(name, Field::Observable(kind));
        }
        for name in ["ts", "timestamp", "@timestamp"] {
            m.set(name, Field::Time);
        }
        m
    }
}

/// The first 8 bytes of `s` (fewer: padded with zeros) as one integer.
fn head(s: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = s.len().min(8);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u64::from_le_bytes(b)
}

impl FieldMap {
    pub fn empty() -> Self {
        Self {
            fields: Vec::new(),
            interior: Vec::new(),
            by_len: Vec::new(),
        }
    }

    fn reindex(&mut self) {
        self.by_len.clear();
        for (i, (p, _)) in self.fields.iter().enumerate() {
            if self.by_len.len() <= p.len() {
                self.by_len.resize(p.len() + 1, Vec::new());
            }
            self.by_len[p.len()].push((head(p), i));
        }
    }

    /// Maps `path` to `field`, replacing an earlier mapping of the same path.
    pub fn set(&mut self, path: &str, field: Field) {
        self.fields.retain(|(p, _)| &**p != path);
        self.fields.push((path.into(), field));
        self.reindex();
        let mut rest = path;
        while let Some((head, _)) = rest.rsplit_once('.') {
            if !self.interior.iter().any(|p| &**p == head) {
                self.interior.push(head.into());
            }
            rest = head;
        }
    }

    /// Applies `field=kind` (kind as in [`Field::parse`]); `field=` removes the mapping.
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), String> {
        let (path, kind) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not field=kind"))?;
        if kind.is_empty() {
            self.fields.retain(|(p, _)| &**p != path);
            self.reindex();
            return Ok(());
        }
        let field = Field::parse(kind).ok_or_else(|| {
            format!("{kind:?} is not a kind (ip, domain, host, url, email, hash, time)")
        })?;
        self.set(path, field);
        Ok(())
    }

    fn get(&self, path: &str) -> Option<Field> {
        let h = head(path);
        self.by_len
            .get(path.len())?
            .iter()
            .find(|&&(fh, i)| fh == h && (path.len() <= 8 || *self.fields[i].0 == *path))
            .map(|&(_, i)| self.fields[i].1)
    }

    fn is_interior(&self, path: &str) -> bool {
        self.interior.iter().any(|p| **p == *path)
    }
}

/// How to read an input.
#[derive(Clone, Debug)]
pub struct InputOptions {
    pub format: Format,
    /// For JSON lines; Zeek columns use their own defaults plus any mapping given here.
    pub map: FieldMap,
    /// Longer lines are skipped (and counted) without being buffered whole.
    pub max_line: usize,
    /// How many malformed lines to keep with their line numbers.
    pub keep_errors: usize,
    /// Most bytes of input read, after decompression; one more stops the run
    /// ([`Stopped::TooLarge`]). `None`: no bound.
    pub max_bytes: Option<u64>,
    /// Stops the run when set from elsewhere ([`Stopped::Interrupted`]).
    pub interrupt: Option<Interrupt>,
}

/// A flag another thread raises to stop a run: checked before every line and every buffer of
/// input, so a run stops within one buffer (256 KiB) of work.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_interrupted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a run stopped before the end of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// The input has more than [`InputOptions::max_bytes`] bytes (after decompression).
    #[error("the input is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// [`InputOptions::interrupt`] was raised.
    #[error("the run was interrupted")]
    Interrupted,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self {
            format: Format::Auto,
            map: FieldMap::default(),
            max_line: 1 << 20,
            keep_errors: 10,
            max_bytes: None,
            interrupt: None,
        }
    }
}

/// A malformed line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub reason: String,
}

/// What a run read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputStats {
    /// The format used (decided from the first bytes under [`Format::Auto`]).
    pub format: Option<Format>,
    pub gzip: bool,
    pub lines: u64,
    /// Bytes of (decompressed) input read.
    pub bytes: u64,
    /// Lines read as events (with or without observables).
    pub events: u64,
    pub observables: u64,
    pub malformed: u64,
    pub oversized: u64,
    /// The first malformed (and oversized) lines.
    pub errors: Vec<LineError>,
    /// Why reading stopped before the end, if it did.
    pub read_error: Option<String>,
    /// Whether a bound or the caller stopped the run (then `read_error` is `None`).
    pub stopped: Option<Stopped>,
}

impl InputStats {
    fn bad(&mut self, keep: usize, line: u64, reason: impl fmt::Display) {
        self.malformed += 1;
        if self.errors.len() < keep {
            self.errors.push(LineError {
                line,
                reason: reason.to_string(),
            });
        }
    }
}

/// Empties a vector and gives it back with another lifetime, keeping its allocation (the
/// standard library collects an emptied `IntoIter` in place).
fn reuse<'b>(mut v: Vec<Observable<'_>>) -> Vec<Observable<'b>> {
    v.clear();
    v.into_iter().map(|_| unreachable!()).collect()
}

/// Reads `input` to the end, calling `on_event` for every event that has observables.
/// Returns an error only if no byte could be read at all; later read errors end the run and
/// are reported in [`InputStats::read_error`].
pub fn read_events<R: Read>(
    input: R,
    opts: &InputOptions,
    mut on_event: impl FnMut(&Event<'_>),
) -> io::Result<InputStats> {
    let mut stats = InputStats::default();
    let mut raw = BufReader::with_capacity(256 * 1024, input);
    let head = raw.fill_buf()?;
    let reader: Box<dyn BufRead> = if head.starts_with(&[0x1f, 0x8b]) {
        stats.gzip = true;
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    let reader = Guarded {
        inner: reader,
        left: opts.max_bytes.unwrap_or(u64::MAX),
        limit: opts.max_bytes.unwrap_or(u64::MAX),
        interrupt: opts.interrupt.clone(),
    };
    // A read error while the caller interrupts is the interruption (its reader gave up).
    let ended = |e: io::Error, stats: &mut InputStats| {
        let stopped = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<Stopped>())
            .copied()
            .or_else(|| {
                opts.interrupt
                    .as_ref()
                    .is_some_and(Interrupt::is_interrupted)
                    .then_some(Stopped::Interrupted)
            });
        match stopped {
            Some(s) => stats.stopped = Some(s),
            None => stats.read_error = Some(format!("after line {}: {e}", stats.lines)),
        }
    };
    let mut lines = Lines {
        r: reader,
        buf: Vec::with_capacity(4096),
        max: opts.max_line,
        pending: 0,
    };
    let mut format = opts.format;
    let mut zeek = ZeekState::new(&opts.map);
    // One allocation for every event's observables (emptied and re-typed for each line).
    let mut spare: Vec<Observable<'static>> = Vec::with_capacity(16);
    loop {
        let (read, len) = match lines.next() {
            Ok(r) => r,
            Err(e) => {
                ended(e, &mut stats);
                break;
            }
        };
        let line_no = stats.lines + 1;
        stats.lines += 1;
        stats.bytes += len as u64;
        let mut line: &[u8] = match read {
            LineRead::Eof => {
                stats.lines -= 1;
                break;
            }
            LineRead::Oversized(len) => {
                stats.oversized += 1;
                if stats.errors.len() < opts.keep_errors {
                    stats.errors.push(LineError {
                        line: line_no,
                        reason: format!("line of {len} bytes is longer than {}", opts.max_line),
                    });
                }
                continue;
            }
            LineRead::Copied => &lines.buf,
            LineRead::Direct(n) => match lines.r.fill_buf() {
                Ok(b) => &b[..n],
                Err(e) => {
                    ended(e, &mut stats);
                    break;
                }
            },
        };
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if format == Format::Auto {
            format = detect(line);
        }
        let mut event = Event {
            line: line_no,
            time: None,
            observables: reuse(std::mem::take(&mut spare)),
        };
        let outcome = match format {
            Format::JsonLines => json_line(line, &opts.map, &mut event),
            Format::Zeek => zeek.line(line, &mut event),
            _ => {
                text_line(line, &mut event.observables);
                Ok(())
            }
        };
        match outcome {
            Ok(()) => {
                stats.events += 1;
                stats.observables += event.observables.len() as u64;
                if !event.observables.is_empty() {
                    on_event(&event);
                }
            }
            Err(LineFault::Header) => {}
            Err(LineFault::Bad(reason)) => stats.bad(opts.keep_errors, line_no, reason),
        }
        spare = reuse(event.observables);
    }
    stats.format = Some(format);
    Ok(stats)
}

/// The (decompressed) input under the bounds: at most `limit` bytes, and nothing more once
/// interrupted. Errors carry a [`Stopped`].
struct Guarded<B> {
    inner: B,
    left: u64,
    limit: u64,
    interrupt: Option<Interrupt>,
}

impl<B: BufRead> BufRead for Guarded<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self
            .interrupt
            .as_ref()
            .is_some_and(Interrupt::is_interrupted)
        {
            return Err(io::Error::other(Stopped::Interrupted));
        }
        let (left, limit) = (self.left, self.limit);
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(buf);
        }
        if left == 0 {
            return Err(io::Error::other(Stopped::TooLarge { limit }));
        }
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        Ok(&buf[..n])
    }

    fn consume(&mut self, n: usize) {
        self.left = self.left.saturating_sub(n as u64);
        self.inner.consume(n);
    }
}

impl<B: BufRead> Read for Guarded<B> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

fn detect(first_line: &[u8]) -> Format {
    let t = first_line
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(first_line);
    let t = &t[t.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0)..];
    if t.starts_with(b"{") {
        Format::JsonLines
    } else if t.starts_with(b"#separator") || t.starts_with(b"#fields") {
        Format::Zeek
    } else {
        Format::Text
    }
}

enum LineRead {
    /// A line of this many bytes, the first bytes of the reader's buffer (not consumed yet).
    Direct(usize),
    /// A line spanning buffer refills, copied into `Lines::buf`.
    Copied,
    Oversized(usize),
    Eof,
}

struct Lines<R> {
    r: R,
    buf: Vec<u8>,
    max: usize,
    /// Bytes of the reader's buffer handed out by the last `Direct` line.
    pending: usize,
}

impl<R: BufRead> Lines<R> {
    /// The next line (without its `\n`): in the reader's buffer when it is there whole (no
    /// copy), else in `buf`; or the length of one too long to keep.
    fn next(&mut self) -> io::Result<(LineRead, usize)> {
        self.r.consume(std::mem::take(&mut self.pending));
        self.buf.clear();
        let mut total = 0usize;
        let mut over = false;
        loop {
            let avail = match self.r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(match (total, over) {
                    (0, _) => (LineRead::Eof, 0),
                    (n, true) => (LineRead::Oversized(n), n),
                    (n, false) => (LineRead::Copied, n),
                });
            }
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if done && total == 0 && take <= self.max {
                self.pending = take + 1;
                return Ok((LineRead::Direct(take), take + 1));
            }
            if !over {
                if self.buf.len() + take > self.max {
                    over = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&avail[..take]);
                }
            }
            let used = take + usize::from(done);
            self.r.consume(used);
            total += used;
            if done {
                return Ok(if over {
                    (LineRead::Oversized(total), total)
                } else {
                    (LineRead::Copied, total)
                });
            }
        }
    }
}

enum LineFault {
    /// A header line (Zeek `#…`): not an event, not an error.
    Header,
    Bad(String),
}

// ---------------------------------------------------------------------------------------
// JSON lines

fn json_line<'a>(line: &'a [u8], map: &FieldMap, event: &mut Event<'a>) -> Result<(), LineFault> {
    if flat::read(line, map, event).is_some() {
        return Ok(());
    }
    event.observables.clear();
    event.time = None;
    general_json_line(line, map, event)
}

/// The general reader: serde_json over the whole line, descending into mapped nested objects.
/// It decides every line the flat reader does not take, and words every error.
fn general_json_line<'a>(
    line: &'a [u8],
    map: &FieldMap,
    event: &mut Event<'a>,
) -> Result<(), LineFault> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let seed = ObjectSeed {
        map,
        prefix: "",
        event,
    };
    seed.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| LineFault::Bad(format!("not a JSON object: {e}")))
}

struct ObjectSeed<'m, 'e, 'a> {
    map: &'m FieldMap,
    prefix: &'m str,
    event: &'e mut Event<'a>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while let Some(CowStr(key)) = access.next_key::<CowStr<'de>>()? {
            let joined;
            let path: &str = if self.prefix.is_empty() {
                &key
            } else {
                joined = format!("{}.{key}", self.prefix);
                &joined
            };
            if let Some(field) = self.map.get(path) {
                access.next_value_seed(ValueSeed {
                    field,
                    event: &mut *self.event,
                })?;
            } else if self.map.is_interior(path) {
                access.next_value_seed(NestedSeed(ObjectSeed {
                    map: self.map,
                    prefix: path,
                    event: &mut *self.event,
                }))?;
            } else {
                access.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// An object to descend into; anything else there is ignored.
struct NestedSeed<'m, 'e, 'a>(ObjectSeed<'m, 'e, 'a>);

impl<'de> DeserializeSeed<'de> for NestedSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NestedSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<(), A::Error> {
        self.0.visit_map(access)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A string borrowed from the input when it has no escapes.
struct CowStr<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CowStr<'de>, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The value of a mapped field: a string, an array of strings, or (for time) a number.
struct ValueSeed<'e, 'a> {
    field: Field,
    event: &'e mut Event<'a>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_, 'de> {
    fn take(self, s: Cow<'de, str>) {
        match self.field {
            Field::Observable(kind) => {
                if !s.is_empty() {
                    self.event.observables.push(Observable { kind, value: s });
                }
            }
            Field::Time => {
                if let Some(t) = parse_time(&s) {
                    self.event.time = Some(t);
                }
            }
        }
    }

    fn number(self, secs: f64) {
        if self.field == Field::Time && secs.is_finite() && secs.abs() < 1e12 {
            self.event.time = Some((secs * 1e6) as i64);
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.take(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.take(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while let Some(v) = access.next_element::<serde_json::Value>()? {
            if let serde_json::Value::String(s) = v {
                ValueSeed {
                    field: self.field,
                    event: &mut *self.event,
                }
                .take(Cow::Owned(s));
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.number(v);
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v as f64);
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v as f64);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The fast path for the usual shape of a log line: one flat JSON object whose keys and string
/// values have no escapes, and whose values are strings, numbers without an exponent, `true`,
/// `false`, `null` or (for a mapped field) arrays of those. It reads each byte once and looks
/// only at keys, taking mapped values as borrowed slices of the line.
///
/// Anything else — an escape, a nested object, an exponent, a control character, bytes that are
/// not UTF-8, a syntax error — answers `None`, and [`general_json_line`] reads the line
/// afresh. So the flat reader only ever accepts lines that serde_json accepts too (the
/// exclusions are exactly what could make it accept more: serde_json refuses control
/// characters in strings and numbers out of range), and it takes the same values from them.
mod flat {
    use std::borrow::Cow;

    use super::{Field, FieldMap, ValueSeed};
    use crate::observable::Event;

    pub(super) fn read<'a>(line: &'a [u8], map: &FieldMap, event: &mut Event<'a>) -> Option<()> {
        let text = std::str::from_utf8(line).ok()?;
        let mut r = Reader {
            b: text.as_bytes(),
            text,
            i: 0,
        };
        r.skip_ws();
        r.eat(b'{')?;
        r.skip_ws();
        if r.peek()? == b'}' {
            r.i += 1;
        } else {
            loop {
                let key = r.string()?;
                r.skip_ws();
                r.eat(b':')?;
                r.skip_ws();
                match map.get(key) {
                    Some(field) => r.mapped_value(field, event)?,
                    None => {
                        r.scalar()?;
                    }
                }
                r.skip_ws();
                match r.next()? {
                    b',' => r.skip_ws(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        r.skip_ws();
        (r.i == r.b.len()).then_some(())
    }

    /// The bytes that end a string the flat reader can take: its closing quote, or an escape
    /// or a control character, which send the line to the general reader.
    const STOP: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 0x20 {
            t[c] = true;
            c += 1;
        }
        t[b'"' as usize] = true;
        t[b'\\' as usize] = true;
        t
    };

    /// The offset of the first byte of `s` that ends a plain string (see [`STOP`]). Eight bytes
    /// at a time: per byte, the high bit of `(x - k) & !x` is set when `x < k` (for `k` up to
    /// 0x80), and of the same on `x ^ c` when `x == c`; borrows only flag bytes above a flagged
    /// one, so the lowest flag is exact.
    pub(super) fn stop_at(s: &[u8]) -> Option<usize> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let chunks = s.chunks_exact(8);
        let tail = chunks.remainder();
        for (k, chunk) in chunks.enumerate() {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let x = u64::from_le_bytes(bytes);
            let quote = x ^ (ONES * u64::from(b'"'));
            let backslash = x ^ (ONES * u64::from(b'\\'));
            let flags = (quote.wrapping_sub(ONES) & !quote
                | backslash.wrapping_sub(ONES) & !backslash
                | x.wrapping_sub(ONES * 0x20) & !x)
                & HIGH;
            if flags != 0 {
                return Some(k * 8 + flags.trailing_zeros() as usize / 8);
            }
        }
        let done = s.len() - tail.len();
        tail.iter()
            .position(|&c| STOP[usize::from(c)])
            .map(|i| done + i)
    }

    /// A scalar value as read: a string's contents, or a number's text; `None` for the
    /// literals `true`, `false` and `null`.
    enum Scalar<'a> {
        Str(&'a str),
        Number(&'a str),
    }

    struct Reader<'a> {
        b: &'a [u8],
        text: &'a str,
        i: usize,
    }

    impl<'a> Reader<'a> {
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }

        fn next(&mut self) -> Option<u8> {
            let c = self.peek()?;
            self.i += 1;
            Some(c)
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            (self.next()? == c).then_some(())
        }

        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.i += 1;
            }
        }

        /// A string without escapes or control characters; its contents.
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.i;
            let end = start + stop_at(self.b.get(start..)?)?;
            if self.b[end] != b'"' {
                return None;
            }
            self.i = end + 1;
            self.text.get(start..end)
        }

        /// A number without an exponent and of at most 20 digits: always within range.
        fn number(&mut self) -> Option<&'a str> {
            let start = self.i;
            if self.peek() == Some(b'-') {
                self.i += 1;
            }
            match self.next()? {
                b'0' => {}
                b'1'..=b'9' => self.digits(),
                _ => return None,
            }
            if self.peek() == Some(b'.') {
                self.i += 1;
                let before = self.i;
                self.digits();
                if self.i == before {
                    return None;
                }
            }
            if matches!(self.peek(), Some(b'e' | b'E')) || self.i - start > 21 {
                return None;
            }
            self.text.get(start..self.i)
        }

        fn digits(&mut self) {
            while let Some(b'0'..=b'9') = self.peek() {
                self.i += 1;
            }
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            let end = self.i + word.len();
            (self.b.get(self.i..end)? == word).then(|| self.i = end)
        }

        /// A scalar value; `Some(None)` for a literal, `None` for anything else.
        fn scalar(&mut self) -> Option<Option<Scalar<'a>>> {
            Some(match self.peek()? {
                b'"' => Some(Scalar::Str(self.string()?)),
                b'-' | b'0'..=b'9' => Some(Scalar::Number(self.number()?)),
                b't' => self.literal(b"true").map(|()| None)?,
                b'f' => self.literal(b"false").map(|()| None)?,
                b'n' => self.literal(b"null").map(|()| None)?,
                _ => return None,
            })
        }

        fn mapped_value(&mut self, field: Field, event: &mut Event<'a>) -> Option<()> {
            if self.peek()? != b'[' {
                let scalar = self.scalar()?;
                take(field, scalar, event);
                return Some(());
            }
            // An array: each string element is a value of the field (as in the general reader,
            // which ignores numbers and literals in arrays).
            self.i += 1;
            self.skip_ws();
            if self.peek()? == b']' {
                self.i += 1;
                return Some(());
            }
            loop {
                if let Some(Scalar::Str(s)) = self.scalar()? {
                    take(field, Some(Scalar::Str(s)), event);
                }
                self.skip_ws();
                match self.next()? {
                    b',' => self.skip_ws(),
                    b']' => return Some(()),
                    _ => return None,
                }
            }
        }
    }

    /// Decimal seconds (a number as [`Reader::number`] reads it) as Unix microseconds, exactly
    /// and without going through `f64`, when there are at most 12 integer and 6 fraction
    /// digits (the general reader's range is under 10^12 s too); `None` otherwise.
    fn micros(n: &str) -> Option<i64> {
        let (negative, digits) = match n.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, n),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.len() > 12 || frac.len() > 6 {
            return None;
        }
        let value = |d: &[u8]| d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
        let scale = 10i64.pow(6 - frac.len() as u32);
        let t = value(int.as_bytes()) * 1_000_000 + value(frac.as_bytes()) * scale;
        Some(if negative { -t } else { t })
    }

    /// Hands a mapped value to the same code the general reader uses.
    fn take<'a>(field: Field, scalar: Option<Scalar<'a>>, event: &mut Event<'a>) {
        let seed = ValueSeed { field, event };
        match scalar {
            Some(Scalar::Str(s)) => seed.take(Cow::Borrowed(s)),
            Some(Scalar::Number(n)) => {
                if field == Field::Time
                    && let Some(t) = micros(n)
                {
                    seed.event.time = Some(t);
                } else if let Ok(secs) = n.parse::<f64>() {
                    seed.number(secs);
                }
            }
            None => {}
        }
    }
}

/// A STIX/RFC 3339 UTC timestamp or decimal seconds since the epoch, as Unix microseconds.
fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = Timestamp::parse(s) {
        return Some(t.unix_micros());
    }
    let secs: f64 = s.trim().parse().ok()?;
    (secs.is_finite() && secs.abs() < 1e12).then_some((secs * 1e6) as i64)
}

// ---------------------------------------------------------------------------------------
// Zeek TSV

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Skip,
    Time,
    One(Kind),
    /// A Zeek set or vector: values joined by the set separator.
    Set(Kind),
    /// http.log `uri`, joined with `host` into a URL.
    Uri,
    /// http.log `host`: a host, and the first part of the URL.
    HttpHost,
}

struct ZeekState<'m> {
    map: &'m FieldMap,
    separator: u8,
    set_separator: u8,
    columns: Option<Vec<Column>>,
}

impl<'m> ZeekState<'m> {
    fn new(map: &'m FieldMap) -> Self {
        Self {
            map,
            separator: b'\t',
            set_separator: b',',
            columns: None,
        }
    }

    fn column(&self, name: &str, is_http: bool) -> Column {
        // An explicit mapping wins; the built-in names cover conn, dns, http, ssl and files.
        if let Some(field) = self.map.get(name)
            && !matches!(name, "ts" | "host" | "uri" | "query" | "answers")
        {
            return match field {
                Field::Time => Column::Time,
                Field::Observable(k) => Column::One(k),
            };
        }
        match name {
            "ts" => Column::Time,
            "id.orig_h" | "id.resp_h" => Column::One(Kind::Ip),
            "query" | "server_name" => Column::One(Kind::Domain),
            "answers" => Column::Set(Kind::Host),
            "tx_hosts" | "rx_hosts" => Column::Set(Kind::Ip),
            "host" if is_http => Column::HttpHost,
            "host" => Column::One(Kind::Host),
            "uri" if is_http => Column::Uri,
            "md5" | "sha1" | "sha256" => Column::One(Kind::Hash),
            _ => Column::Skip,
        }
    }

    fn header(&mut self, line: &[u8]) -> Result<(), LineFault> {
        let text = String::from_utf8_lossy(line);
        if let Some(rest) = text.strip_prefix("#separator") {
            let sep = rest.trim();
            self.separator = match sep.strip_prefix("\\x") {
                Some(hex) => u8::from_str_radix(hex, 16)
                    .map_err(|_| LineFault::Bad(format!("bad #separator {sep:?}")))?,
                None => *sep.as_bytes().first().unwrap_or(&b'\t'),
            };
        } else if let Some(rest) = text.strip_prefix("#set_separator") {
            let rest = rest.strip_prefix(self.separator as char).unwrap_or(rest);
            self.set_separator = *rest.as_bytes().first().unwrap_or(&b',');
        } else if let Some(rest) = text.strip_prefix("#fields") {
            let names: Vec<&str> = rest
                .split(self.separator as char)
                .filter(|s| !s.is_empty())
                .collect();
            let is_http = names.contains(&"uri") && names.contains(&"host");
            self.columns = Some(names.iter().map(|n| self.column(n, is_http)).collect());
        }
        Err(LineFault::Header)
    }

    fn line<'a>(&mut self, line: &'a [u8], event: &mut Event<'a>) -> Result<(), LineFault> {
        if line.first() == Some(&b'#') {
            return self.header(line);
        }
        let Some(columns) = &self.columns else {
            return Err(LineFault::Bad(
                "a data line before the #fields header".into(),
            ));
        };
        let text =
            std::str::from_utf8(line).map_err(|e| LineFault::Bad(format!("not UTF-8: {e}")))?;
        let count = text.split(self.separator as char).count();
        if count != columns.len() {
            return Err(LineFault::Bad(format!(
                "{count} fields where the header has {}",
                columns.len()
            )));
        }
        let (mut host, mut uri) = (None, None);
        for (value, column) in text.split(self.separator as char).zip(columns) {
            if value == "-" || value == "(empty)" || value.is_empty() {
                continue;
            }
            match *column {
                Column::Skip => {}
                Column::Time => event.time = parse_time(value),
                Column::One(kind) => event.observables.push(Observable::new(kind, value)),
                Column::Set(kind) => {
                    for v in value.split(self.set_separator as char) {
                        if !v.is_empty() {
                            event.observables.push(Observable::new(kind, v));
                        }
                    }
                }
                Column::HttpHost => {
                    host = Some(value);
                    event.observables.push(Observable::new(Kind::Host, value));
                }
                Column::Uri => uri = Some(value),
            }
        }
        if let Some(uri) = uri {
            let url = if uri.contains("://") {
                Cow::Borrowed(uri)
            } else if let Some(host) = host {
                Cow::Owned(format!("http://{host}{uri}"))
            } else {
                return Ok(());
            };
            event.observables.push(Observable {
                kind: Kind::Url,
                value: url,
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Plain text

/// Bytes that can be part of a token: URL characters without the quotes, brackets and commas
/// that usually surround them in prose and logs. Everything else (whitespace, controls,
/// non-ASCII) separates tokens, so any byte sequence is scanned safely.
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'-'
                | b'_'
                | b':'
                | b'/'
                | b'@'
                | b'?'
                | b'='
                | b'&'
                | b'%'
                | b'#'
                | b'+'
                | b'~'
                | b'['
                | b']'
                | b'!'
                | b'$'
                | b'*'
        )
}

/// Finds IP addresses, domains, URLs (and their hosts), hex hashes and e-mail addresses.
pub fn text_line<'a>(line: &'a [u8], out: &mut Vec<Observable<'a>>) {
    let mut i = 0;
    while i < line.len() {
        if !token_byte(line[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && token_byte(line[i]) {
            i += 1;
        }
        // Token bytes are ASCII, so this cannot fail.
        if let Ok(token) = std::str::from_utf8(&line[start..i]) {
            classify(token, out);
        }
    }
}

fn classify<'a>(token: &'a str, out: &mut Vec<Observable<'a>>) {
    let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?' | '[' | ']' | '='));
    if token.is_empty() {
        return;
    }
    if let Some(pos) = token.find("://") {
        let scheme = &token[..pos];
        if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+')
        {
            out.push(Observable::new(Kind::Url, token));
            if let Some(host) = url_host(&token[pos + 3..]) {
                host_token(host, out);
            }
            return;
        }
    }
    if token.bytes().any(|b| b == b'=' || b == b'&') {
        for part in token.split(['=', '&']) {
            if !part.is_empty() && part.len() < token.len() {
                classify(part, out);
            }
        }
        return;
    }
    if let Some((local, domain)) = token.rsplit_once('@') {
        if !local.is_empty() && is_domain(domain) {
            out.push(Observable::new(Kind::Email, token));
        }
        return;
    }
    if matches!(token.len(), 32 | 40 | 64) && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        out.push(Observable::new(Kind::Hash, token));
        return;
    }
    host_token(token, out);
}

/// An IP address (possibly with a port, or bracketed IPv6) or a domain name.
fn host_token<'a>(t: &'a str, out: &mut Vec<Observable<'a>>) {
    if parse_ipv4(t).is_some() {
        out.push(Observable::new(Kind::Ip, t));
    } else if let Some((ip, port)) = t.rsplit_once(':')
        && port.bytes().all(|b| b.is_ascii_digit())
        && parse_ipv4(ip).is_some()
    {
        out.push(Observable::new(Kind::Ip, ip));
    } else if t.contains(':') {
        let inner = t.trim_start_matches('[');
        let inner = inner.split_once(']').map_or(inner, |(a, _)| a);
        if parse_ipv6(inner).is_some() {
            out.push(Observable::new(Kind::Ip, inner));
        }
    } else if is_domain(t) {
        out.push(Observable::new(Kind::Domain, t));
    }
}

/// The host part of what follows `scheme://`.
fn url_host(rest: &str) -> Option<&str> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split_once(']').map(|(a, _)| a);
    }
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    (!host.is_empty()).then_some(host)
}

/// At least two labels of letters, digits and hyphens (1–63 bytes, not starting or ending
/// with a hyphen), the last one alphabetic (2+ letters) or punycode (`xn--`).
fn is_domain(s: &str) -> bool {
    if s.len() > 253 || !s.contains('.') {
        return false;
    }
    let mut last = "";
    for label in s.split('.') {
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return false;
        }
        last = label;
    }
    (last.len() >= 2 && last.bytes().all(|b| b.is_ascii_alphabetic())) || last.starts_with("xn--")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn event<'a>() -> Event<'a> {
        Event {
            line: 1,
            time: None,
            observables: Vec::new(),
        }
    }

    fn seen(e: &Event<'_>) -> Vec<(Kind, String)> {
        e.observables
            .iter()
            .map(|o| (o.kind, o.value.to_string()))
            .collect()
    }

    #[test]
    fn flat_reader_takes_the_usual_line_and_declines_the_rest() {
        let map = FieldMap::default();
        let line = br#"{"ts":1750000000.25,"src_ip":"10.0.0.1","n":-3,"ok":true,"x":null,"domain":["a.example","b.example",7]}"#;
        let mut e = event();
        assert_eq!(flat::read(line, &map, &mut e), Some(()));
        assert_eq!(e.time, Some(1_750_000_000_250_000));
        assert_eq!(
            seen(&e),
            [
                (Kind::Ip, "10.0.0.1".to_string()),
                (Kind::Domain, "a.example".to_string()),
                (Kind::Domain, "b.example".to_string())
            ]
        );
        for declined in [
            &br#"{"src_ip":"10.0.0.\u0031"}"#[..],
            br#"{"a":{"b":1}}"#,
            br#"{"a":1e3}"#,
            br#"{"a":01}"#,
            br#"{"a":"tab	inside"}"#,
            br#"{"a":1,}"#,
            br#"{"a":1} x"#,
            b"{\"a\":\"\xff\"}",
            br#"["a"]"#,
        ] {
            let mut e = event();
            assert_eq!(flat::read(declined, &map, &mut e), None, "{declined:?}");
        }
    }

    #[test]
    fn stop_at_finds_the_first_quote_backslash_or_control_byte() {
        proptest!(|(bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff], 0..40))| {
            let expected = bytes.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(flat::stop_at(&bytes), expected);
        });
    }

    /// Fragments that lines are made of: the usual ones, and everything the flat reader must
    /// decline (escapes, nesting, exponents, control characters, broken syntax).
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"src_ip\"".to_string()),
            Just("\"domain\"".to_string()),
            Just("\"ts\"".to_string()),
            Just("\"url\"".to_string()),
            Just("\"other\"".to_string()),
            Just("\"10.1.2.3\"".to_string()),
            Just("\"a.example\"".to_string()),
            Just("\"\"".to_string()),
            Just("\"x\\\"y\"".to_string()),
            Just("\"\\u00e9\"".to_string()),
            Just("\"é\"".to_string()),
            Just("\"\t\"".to_string()),
            "-?[0-9]{1,25}(\\.[0-9]{0,3})?([eE][+-]?[0-9]{1,3})?",
            "[0-9]{9,12}\\.[0-9]{1,8}",
            Just("true".to_string()),
            Just("null".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just(":".to_string()),
            Just(",".to_string()),
            Just(" ".to_string()),
        ]
    }

    /// A line: mostly well-formed `"key":value` pairs, sometimes fragments anywhere.
    fn line() -> impl Strategy<Value = String> {
        let pair =
            (fragment(), fragment(), proptest::bool::weighted(0.85)).prop_map(|(k, v, tidy)| {
                if tidy {
                    format!("{k}:{v}")
                } else {
                    format!("{k}{v}")
                }
            });
        proptest::collection::vec(pair, 0..8).prop_map(|pairs| format!("{{{}}}", pairs.join(",")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the flat reader accepts, the general reader accepts too, with the same
        /// observables and (to the microsecond's rounding) the same time.
        #[test]
        fn flat_reader_agrees_with_the_general_one(text in line()) {
            let map = FieldMap::default();
            let mut fast = event();
            if flat::read(text.as_bytes(), &map, &mut fast).is_some() {
                let mut general = event();
                let result = general_json_line(text.as_bytes(), &map, &mut general);
                prop_assert!(result.is_ok(), "general reader refused {text:?}");
                prop_assert_eq!(seen(&fast), seen(&general));
                // The flat reader's decimal seconds are exact; the general reader's go
                // through f64, which is off by up to a few units in its last place.
                match (fast.time, general.time) {
                    (Some(a), Some(b)) => prop_assert!(
                        (a - b).abs() <= 1 + a.abs() / (1 << 50),
                        "{a} vs {b} in {text:?}"
                    ),
                    (a, b) => prop_assert_eq!(a, b),
                }
            }
        }
    }
}
