//! Importers for the formats operators already keep, as pure functions over text: RIR
//! *delegated-extended* statistics ([`delegated`]), RFC 8805 geofeeds ([`geofeed`]) and
//! `start,end,country` range files ([`ranges`]). Each reads line by line, keeps the lines of
//! the country asked for, and returns the [`Resources`] they hold (ranges split into CIDR
//! prefixes exactly), the [`Summary`] a dry run shows, and every refused line with its number
//! and reason: a bad line never stops the import and is never silently dropped.
//!
//! Each importer takes a `&str` ([`delegated`]) or any `BufRead` ([`delegated_reader`]); a
//! reader's only error is its own I/O error, and a line that is not UTF-8 is a refused line.

use std::fmt;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::claim::{Resources, Totals};
use crate::resource::{AsnRange, IpPrefix, Ipv4Prefix, Ipv6Prefix, ResourceError, parse_asn};
use crate::split;

/// What to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Keep only the lines of this ISO 3166 country code (compared in upper case); `None`:
    /// every line.
    pub country: Option<String>,
    /// Refuse lines over special-purpose space ([`crate::special`]), as a `jurisdiction`
    /// claim would.
    pub refuse_special: bool,
    /// Keep each line used, as the claim's evidence.
    pub keep_evidence: bool,
}

impl ImportOptions {
    /// The lines of `country`, special-purpose space refused, evidence kept: what a
    /// `jurisdiction` claim is made from.
    pub fn jurisdiction(country: &str) -> Self {
        Self {
            country: Some(country.to_ascii_uppercase()),
            refuse_special: true,
            keep_evidence: true,
        }
    }
}

/// A refused line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What an import read and what it would claim: the dry run's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Lines read, blank and comment lines included.
    pub lines: usize,
    /// Lines whose resources are kept.
    pub used: usize,
    /// Lines passed over: headers, comments, summaries, other countries, unallocated space.
    pub skipped: usize,
    /// Lines refused (see [`Imported::errors`]).
    pub errors: usize,
    /// What the kept resources cover.
    pub totals: Totals,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        write!(
            f,
            "{} lines: {} used, {} skipped, {} refused; {} IPv4 prefixes ({} addresses), \
             {} IPv6 prefixes ({} addresses), {} AS ranges ({} AS numbers)",
            self.lines,
            self.used,
            self.skipped,
            self.errors,
            t.ipv4_prefixes,
            t.ipv4_addresses,
            t.ipv6_prefixes,
            t.ipv6_addresses,
            t.as_ranges,
            t.asns
        )
    }
}

/// An import's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub resources: Resources,
    pub summary: Summary,
    pub errors: Vec<LineError>,
    /// The lines used, verbatim (only if [`ImportOptions::keep_evidence`]).
    pub evidence: Vec<String>,
}

impl Imported {
    /// The claim these resources make, ready to sign: the import's evidence lines become the
    /// claim's evidence.
    pub fn into_draft(
        self,
        party: pacific_core::policy::PartyId,
        party_identity: String,
        role: crate::claim::Role,
        contact: crate::claim::Contact,
        valid_from: pacific_core::Timestamp,
    ) -> crate::claim::ClaimDraft {
        crate::claim::ClaimDraft {
            party,
            party_identity,
            role,
            resources: self.resources,
            contact,
            valid_from,
            valid_until: None,
            evidence: self.evidence,
        }
    }
}

/// What one line gave.
enum Outcome {
    Used(Resources),
    Skipped,
}

/// The accumulation shared by the importers.
struct Run<'a> {
    opts: &'a ImportOptions,
    out: Imported,
    /// Lines read that are neither blank nor `#` comments.
    content: usize,
}

impl<'a> Run<'a> {
    fn new(opts: &'a ImportOptions) -> Self {
        Self {
            opts,
            out: Imported::default(),
            content: 0,
        }
    }

    fn wants(&self, country: &str) -> bool {
        self.opts
            .country
            .as_deref()
            .is_none_or(|c| c.eq_ignore_ascii_case(country.trim()))
    }

    fn line(&mut self, n: usize, text: &str, parse: fn(&Run<'_>, &str) -> Result<Outcome, String>) {
        self.out.summary.lines += 1;
        let trimmed = text.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            self.content += 1;
        }
        let result = parse(self, text).and_then(|o| match o {
            Outcome::Used(r) if self.opts.refuse_special => match r.first_special() {
                Some((res, s)) => Err(format!("{res} overlaps special-purpose space {s}")),
                None => Ok(Outcome::Used(r)),
            },
            o => Ok(o),
        });
        match result {
            Ok(Outcome::Used(r)) => {
                self.out.summary.used += 1;
                let res = &mut self.out.resources;
                res.ipv4.extend(r.ipv4);
                res.ipv6.extend(r.ipv6);
                res.asns.extend(r.asns);
                res.domains.extend(r.domains);
                if self.opts.keep_evidence {
                    self.out.evidence.push(text.trim().to_owned());
                }
            }
            Ok(Outcome::Skipped) => self.out.summary.skipped += 1,
            Err(reason) => {
                self.out.summary.errors += 1;
                self.out.errors.push(LineError { line: n, reason });
            }
        }
    }

    fn finish(mut self) -> Imported {
        self.out.resources.normalise();
        self.out.summary.totals = self.out.resources.totals();
        self.out
    }
}

fn run_str(
    text: &str,
    opts: &ImportOptions,
    parse: fn(&Run<'_>, &str) -> Result<Outcome, String>,
) -> Imported {
    let mut run = Run::new(opts);
    for (i, line) in text.lines().enumerate() {
        run.line(i + 1, line, parse);
    }
    run.finish()
}

fn run_reader(
    mut reader: impl BufRead,
    opts: &ImportOptions,
    parse: fn(&Run<'_>, &str) -> Result<Outcome, String>,
) -> std::io::Result<Imported> {
    let mut run = Run::new(opts);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let bytes = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        match std::str::from_utf8(bytes) {
            Ok(line) => run.line(n, line, parse),
            Err(_) => {
                run.out.summary.lines += 1;
                run.out.summary.errors += 1;
                run.out.errors.push(LineError {
                    line: n,
                    reason: "the line is not UTF-8".into(),
                });
            }
        }
    }
    Ok(run.finish())
}

fn one_v4(prefixes: Vec<Ipv4Prefix>) -> Resources {
    Resources {
        ipv4: prefixes,
        ..Resources::default()
    }
}

fn one_v6(prefixes: Vec<Ipv6Prefix>) -> Resources {
    Resources {
        ipv6: prefixes,
        ..Resources::default()
    }
}

/// A country code: two ASCII letters (ISO 3166-1 alpha-2, or a registry's own such as `EU`).
fn check_country(cc: &str) -> Result<(), String> {
    if cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(format!("{cc:?} is not a country code (two letters)"))
    }
}

fn text_of(e: ResourceError) -> String {
    e.to_string()
}

// --- RIR delegated-extended statistics --------------------------------------------------------

/// Lines of an RIR *delegated-extended* statistics file,
/// `registry|cc|type|start|value|date|status[|opaque-id[|extensions]]`: `ipv4` lines give a
/// start and an address count (split into prefixes exactly), `ipv6` lines a start and a prefix
/// length, `asn` lines a start and a count. The version line, the `summary` lines and `#`
/// comments are passed over, and so are lines of other countries and space that is
/// `available` or `reserved`; `allocated` and `assigned` lines are kept.
pub fn delegated(text: &str, opts: &ImportOptions) -> Imported {
    run_str(text, opts, delegated_line)
}

/// [`delegated`] over a reader.
pub fn delegated_reader(reader: impl BufRead, opts: &ImportOptions) -> std::io::Result<Imported> {
    run_reader(reader, opts, delegated_line)
}

fn delegated_line(run: &Run<'_>, line: &str) -> Result<Outcome, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Outcome::Skipped);
    }
    let f: Vec<&str> = line.split('|').map(str::trim).collect();
    // The version line: `2|apnic|20240101|…` (its first field is the format's version).
    if f[0].bytes().all(|b| b.is_ascii_digit() || b == b'.') && !f[0].is_empty() {
        return Ok(Outcome::Skipped);
    }
    // Summary lines: `apnic|*|ipv4|*|12345|summary`.
    if f.len() >= 6 && f[1] == "*" && f[5] == "summary" {
        return Ok(Outcome::Skipped);
    }
    if f.len() < 7 {
        return Err(format!(
            "{} fields: a record is registry|cc|type|start|value|date|status[|opaque-id]",
            f.len()
        ));
    }
    let (cc, kind, start, value, status) = (f[1], f[2], f[3], f[4], f[6]);
    match status {
        "allocated" | "assigned" => {}
        "available" | "reserved" => return Ok(Outcome::Skipped),
        other => return Err(format!("unknown status {other:?}")),
    }
    check_country(cc)?;
    if !run.wants(cc) {
        return Ok(Outcome::Skipped);
    }
    let number = |what: &str| -> Result<u64, String> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the {what} {value:?} is not a number"));
        }
        value
            .parse::<u64>()
            .map_err(|_| format!("the {what} {value:?} is too large"))
    };
    match kind {
        "ipv4" => {
            let addr: Ipv4Addr = start
                .parse()
                .map_err(|_| format!("{start:?} is not an IPv4 address"))?;
            let count = number("address count")?;
            let prefixes = split::ipv4_count(addr, count).map_err(text_of)?;
            Ok(Outcome::Used(one_v4(prefixes)))
        }
        "ipv6" => {
            let addr: Ipv6Addr = start
                .parse()
                .map_err(|_| format!("{start:?} is not an IPv6 address"))?;
            let len = number("prefix length")?;
            let len = u8::try_from(len).map_err(|_| format!("a prefix length of {len}"))?;
            let p = Ipv6Prefix::new(addr, len).map_err(text_of)?;
            Ok(Outcome::Used(one_v6(vec![p])))
        }
        "asn" => {
            let first = parse_asn(start).map_err(text_of)?;
            let count = number("AS count")?;
            if count == 0 {
                return Err("a count of zero AS numbers".into());
            }
            let last = u64::from(first) + count - 1;
            let last = u32::try_from(last)
                .map_err(|_| format!("AS{first} + {count} runs past AS4294967295"))?;
            let range = AsnRange::new(first, last).map_err(text_of)?;
            Ok(Outcome::Used(Resources {
                asns: vec![range],
                ..Resources::default()
            }))
        }
        other => Err(format!(
            "unknown type {other:?} (expected ipv4, ipv6 or asn)"
        )),
    }
}

// --- CSV ------------------------------------------------------------------------------------

/// The fields of one CSV line (RFC 4180 quoting: `"a,b"` is one field, `""` a quote inside
/// one), each trimmed.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' {
            if !field.trim().is_empty() {
                return Err("a quote inside an unquoted field".into());
            }
            field.clear();
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field).trim().to_owned());
            was_quoted = false;
        } else if was_quoted && !c.is_whitespace() {
            return Err("text after a closing quote".into());
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("a quote is never closed".into());
    }
    fields.push(field.trim().to_owned());
    Ok(fields)
}

// --- RFC 8805 geofeed ------------------------------------------------------------------------

/// Lines of an RFC 8805 geofeed, `prefix,country,region,city,postal` (`#` comments): the
/// prefix of each line of the country asked for. A single address is taken as its `/32` or
/// `/128`; a prefix with host bits set is refused.
pub fn geofeed(text: &str, opts: &ImportOptions) -> Imported {
    run_str(text, opts, geofeed_line)
}

/// [`geofeed`] over a reader.
pub fn geofeed_reader(reader: impl BufRead, opts: &ImportOptions) -> std::io::Result<Imported> {
    run_reader(reader, opts, geofeed_line)
}

fn geofeed_line(run: &Run<'_>, line: &str) -> Result<Outcome, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Outcome::Skipped);
    }
    let f = csv_fields(trimmed)?;
    if f.len() > 5 {
        return Err(format!(
            "{} fields: a geofeed line is prefix,country,region,city,postal",
            f.len()
        ));
    }
    let country = f.get(1).map(String::as_str).unwrap_or("");
    if run.opts.country.is_some() && !run.wants(country) {
        return Ok(Outcome::Skipped);
    }
    let prefix = if f[0].contains('/') {
        f[0].parse::<IpPrefix>().map_err(text_of)?
    } else {
        let addr: IpAddr = f[0]
            .parse()
            .map_err(|_| format!("{:?} is not an IP prefix or address", f[0]))?;
        IpPrefix::host(addr)
    };
    Ok(Outcome::Used(match prefix {
        IpPrefix::V4(p) => one_v4(vec![p]),
        IpPrefix::V6(p) => one_v6(vec![p]),
    }))
}

// --- start,end,country ranges ----------------------------------------------------------------

/// Lines of a `start,end,country` range file (IPv4 or IPv6, quoted or not, `#` comments; a
/// first line that is not a range is taken as a header): each range of the country asked for,
/// split into prefixes exactly. A range that runs backwards or mixes families is refused.
pub fn ranges(text: &str, opts: &ImportOptions) -> Imported {
    run_str(text, opts, range_line)
}

/// [`ranges`] over a reader.
pub fn ranges_reader(reader: impl BufRead, opts: &ImportOptions) -> std::io::Result<Imported> {
    run_reader(reader, opts, range_line)
}

fn range_line(run: &Run<'_>, line: &str) -> Result<Outcome, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Outcome::Skipped);
    }
    let f = csv_fields(trimmed)?;
    if run.content == 1
        && f.first().is_some_and(|s| s.parse::<IpAddr>().is_err())
        && f.iter().all(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_' || c == ' ')
        })
    {
        return Ok(Outcome::Skipped); // a header
    }
    if f.len() != 3 {
        return Err(format!(
            "{} fields: a range line is start,end,country",
            f.len()
        ));
    }
    check_country(&f[2])?;
    if !run.wants(&f[2]) {
        return Ok(Outcome::Skipped);
    }
    let addr = |s: &str| -> Result<IpAddr, String> {
        s.parse().map_err(|_| format!("{s:?} is not an IP address"))
    };
    match (addr(&f[0])?, addr(&f[1])?) {
        (IpAddr::V4(a), IpAddr::V4(b)) => Ok(Outcome::Used(one_v4(
            split::ipv4_range(a, b).map_err(text_of)?,
        ))),
        (IpAddr::V6(a), IpAddr::V6(b)) => Ok(Outcome::Used(one_v6(
            split::ipv6_range(a, b).map_err(text_of)?,
        ))),
        (a, b) => Err(ResourceError::MixedFamilies {
            first: a.to_string(),
            last: b.to_string(),
        }
        .to_string()),
    }
}
