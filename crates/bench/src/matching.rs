//! `bench match`: the matching engine on generated indicators and JSON-lines events, against
//! a reference loop and the naive baseline ([`crate::naive`]).

use std::time::{Duration, Instant};

use pacific_node::NodeError;

use crate::rss_bytes;

/// `bench match`'s options.
pub struct MatchOptions {
    /// Indicators compiled (mixed types).
    pub indicators: usize,
    /// Events matched.
    pub events: usize,
    /// Thread counts to measure.
    pub threads: Vec<usize>,
    /// Skip the reference loop and the naive baseline (e.g. to profile the engine alone).
    pub no_baselines: bool,
}

/// Compiles `indicators` generated indicators, then matches `events` generated JSON-lines
/// events with each thread count; unless `no_baselines`, also a bare reference loop and the
/// naive baseline.
pub fn matching(options: &MatchOptions) -> Result<(), NodeError> {
    let MatchOptions {
        indicators,
        events,
        ref threads,
        no_baselines,
    } = *options;
    use pacific_match::{Index, InputOptions, SharedIndex};
    let now = pacific_core::Timestamp::now().unix_micros();
    let n = indicators as u64;

    // Build: generate the indicators' STIX JSON, then compile them (only the compile is timed).
    let rss_before = rss_bytes();
    let mut index = Index::new();
    let mut report = pacific_match::CompileReport::default();
    let mut build_time = Duration::ZERO;
    let mut json_bytes = 0usize;
    let chunk = 100_000u64;
    for c in (0..n).step_by(chunk as usize) {
        let jsons: Vec<String> = (c..(c + chunk).min(n)).map(match_indicator_json).collect();
        json_bytes += jsons.iter().map(String::len).sum::<usize>();
        let started = Instant::now();
        for json in &jsons {
            index.upsert_json(json, &mut report);
        }
        build_time += started.elapsed();
    }
    let rss_after = rss_bytes();
    let heap = index.heap_bytes();
    println!(
        "bench match: {indicators} indicators ({} MB of STIX JSON) compiled in {:.2} s ({:.0} indicators/s): {report}",
        json_bytes / 1_000_000,
        build_time.as_secs_f64(),
        indicators as f64 / build_time.as_secs_f64()
    );
    for r in report.rejected.iter().take(3) {
        println!("  not compiled: {} — {}", r.id, r.reason);
    }
    println!(
        "  memory: {:.0} bytes/indicator by the index's own accounting, {:.0} bytes/indicator by RSS growth",
        heap as f64 / indicators.max(1) as f64,
        rss_after.saturating_sub(rss_before) as f64 / indicators.max(1) as f64
    );

    // Events: 3% carry a value of some indicator.
    let mut data = String::with_capacity(events * 240);
    for e in 0..events as u64 {
        match_event_line(e, n, mix(e ^ 0xbeef) % 100 < 3, &mut data);
    }
    let data = data.into_bytes();
    println!(
        "  {events} JSON-lines events, {:.0} bytes each on average",
        data.len() as f64 / events.max(1) as f64
    );
    let shared = SharedIndex::new(index);
    let opts = InputOptions::default();
    // Reading alone, to show how the time splits between reading events and probing the index.
    {
        let started = Instant::now();
        let mut observables = 0u64;
        let stats = pacific_match::read_events(&data[..], &opts, |ev| {
            observables += ev.observables.len() as u64;
        })
        .unwrap_or_default();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  reading only (no index), 1 thread: {:.0} events/s, {:.0} MB/s ({observables} observables)",
            stats.events as f64 / secs,
            data.len() as f64 / secs / 1e6
        );
    }
    let mut indexed_rate = 0.0;
    for &t in threads {
        let parts = split_lines(&data, t.max(1));
        let started = Instant::now();
        let (matched, read): (u64, u64) = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .map(|part| {
                    let shared = &shared;
                    let opts = &opts;
                    s.spawn(move || {
                        let mut matcher = shared.matcher();
                        let mut out = Vec::new();
                        let mut matched = 0u64;
                        let stats = pacific_match::read_events(*part, opts, |ev| {
                            matcher.match_event_into(ev, now, &mut out);
                            matched += out.len() as u64;
                            out.clear();
                        })
                        .unwrap_or_default();
                        (matched, stats.events)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or((0, 0)))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        });
        let secs = started.elapsed().as_secs_f64();
        let rate = read as f64 / secs;
        if t == 1 {
            indexed_rate = rate;
        }
        println!(
            "  {t} thread(s): {read} events in {secs:.2} s: {rate:.0} events/s, {:.0} MB/s, {matched} matches ({:.2}% of events)",
            data.len() as f64 / secs / 1e6,
            matched as f64 * 100.0 / read.max(1) as f64
        );
    }

    // The same engine with its prefilter off (every probe goes to the hash maps), 1 thread:
    // what the prefilter gains, measured in this run. On and off alternate three times and
    // the best of each counts, so that a burst of load on a shared machine does not decide.
    {
        let one_thread = |prefilter: bool| {
            shared.write().set_prefilter(prefilter);
            let started = Instant::now();
            let mut matcher = shared.matcher();
            let mut out = Vec::new();
            let mut matched = 0u64;
            let stats = pacific_match::read_events(&data[..], &opts, |ev| {
                matcher.match_event_into(ev, now, &mut out);
                matched += out.len() as u64;
                out.clear();
            })
            .unwrap_or_default();
            drop(matcher);
            (
                stats.events as f64 / started.elapsed().as_secs_f64(),
                matched,
            )
        };
        let (mut on, mut off) = (0f64, 0f64);
        let mut matched = [0u64; 2];
        for _ in 0..3 {
            let (rate, m) = one_thread(false);
            (off, matched[0]) = (off.max(rate), m);
            let (rate, m) = one_thread(true);
            (on, matched[1]) = (on.max(rate), m);
        }
        println!(
            "  1 thread, prefilter on / off alternately (best of 3 each): {on:.0} / {off:.0} events/s ({} / {} matches): the prefilter makes matching {:.2}× as fast",
            matched[1],
            matched[0],
            on / off
        );
    }
    if no_baselines {
        return Ok(());
    }

    // The reference ceiling, in this same run: a bare loop parsing each line with serde_json
    // (borrowed strings) and probing 5 values in a hash set of as many keys as indicators.
    {
        #[derive(serde::Deserialize)]
        struct Bare<'a> {
            src_ip: &'a str,
            dst_ip: &'a str,
            domain: &'a str,
            url: &'a str,
            sha256: Option<&'a str>,
        }
        let set: std::collections::HashSet<String> = (0..n).map(|j| match_indicator(j).2).collect();
        let started = Instant::now();
        let (mut lines, mut found) = (0u64, 0u64);
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if let Ok(b) = serde_json::from_slice::<Bare>(line) {
                for v in [b.src_ip, b.dst_ip, b.domain, b.url, b.sha256.unwrap_or("")] {
                    found += u64::from(set.contains(v));
                }
            }
            lines += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  reference bare loop (serde_json borrowed + 5 probes in a {}-key hash set), 1 thread: {:.0} events/s ({found} found)",
            set.len(),
            lines as f64 / secs
        );
    }

    // The naive baseline: every observable compared with every indicator's value.
    let naive_n = (indicators / 100).clamp(1, 10_000);
    let naive_events = (events / 100).clamp(1, 20_000);
    let keys = crate::naive::keys((0..naive_n as u64).map(|j| match_indicator(j).0));
    let sample = split_lines(&data, events.div_ceil(naive_events))[0];
    let started = Instant::now();
    let (naive_read, naive_matched) = crate::naive::scan(sample, &opts, &keys);
    let secs = started.elapsed().as_secs_f64();
    let naive_rate = naive_read as f64 / secs;
    let scaled = naive_rate * naive_n as f64 / indicators as f64;
    println!(
        "  naive linear scan: {naive_n} indicators, {naive_read} events in {secs:.2} s: {naive_rate:.0} events/s ({naive_matched} matches); scaled to {indicators} indicators: {scaled:.1} events/s; the index is {:.0}× faster on 1 thread",
        indexed_rate / scaled.max(f64::MIN_POSITIVE)
    );
    Ok(())
}

/// A deterministic 64-bit mixer (splitmix64): the generator of every value below.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hex_of(seed: u64, bytes: usize) -> String {
    (0..bytes.div_ceil(8) as u64)
        .map(|k| format!("{:016x}", mix(seed ^ (k << 56))))
        .collect::<String>()[..bytes * 2]
        .to_owned()
}

/// The pattern of generated indicator `j`, and a value an event can carry to hit it (with
/// the JSON field that carries it). The mix: 30% IPv4, 5% IPv4 CIDR, 5% IPv6 CIDR, 10% IPv6,
/// 15% domains, 5% subdomain patterns, 10% URLs, 10% hashes, 10% e-mail addresses.
fn match_indicator(j: u64) -> (String, &'static str, String) {
    let r = mix(j);
    match j % 20 {
        0..=5 => {
            let ip = std::net::Ipv4Addr::from(r as u32);
            (
                format!("[ipv4-addr:value = '{ip}']"),
                "dst_ip",
                ip.to_string(),
            )
        }
        6 => {
            let len = 22 + (r % 9) as u32;
            let net = (100u32 << 24 | (r >> 8) as u32 & 0x00ff_ffff) & (u32::MAX << (32 - len));
            let ip = std::net::Ipv4Addr::from(net);
            let hit = std::net::Ipv4Addr::from(net + 1);
            (
                format!("[ipv4-addr:value ISSUBSET '{ip}/{len}']"),
                "dst_ip",
                hit.to_string(),
            )
        }
        7 => {
            let len = 56 + (r % 9) as u32;
            let net = (0x2001_0db8u128 << 96 | u128::from(r) << 32) & (u128::MAX << (128 - len));
            let ip = std::net::Ipv6Addr::from(net);
            let hit = std::net::Ipv6Addr::from(net + 1);
            (
                format!("[ipv6-addr:value = '{ip}/{len}']"),
                "dst_ip",
                hit.to_string(),
            )
        }
        8 | 9 => {
            let ip = std::net::Ipv6Addr::from(0x2a00u128 << 112 | u128::from(r));
            (
                format!("[ipv6-addr:value = '{ip}']"),
                "dst_ip",
                ip.to_string(),
            )
        }
        10..=12 => {
            let d = format!("h{:x}.example{}.com", r >> 20, r % 97);
            (format!("[domain-name:value = '{d}']"), "domain", d.clone())
        }
        13 => {
            let d = format!("evil{:x}.net", r >> 24);
            (
                format!("[domain-name:value LIKE '%.{d}']"),
                "domain",
                format!("cdn.{d}"),
            )
        }
        14 | 15 => {
            let u = format!("http://u{:x}.test/p/{}?q=1", r >> 16, r % 1000);
            (format!("[url:value = '{u}']"), "url", u.clone())
        }
        16 | 17 => {
            let (name, bytes) = [("'SHA-256'", 32), ("MD5", 16), ("'SHA-1'", 20)][(r % 3) as usize];
            let h = hex_of(r, bytes);
            (format!("[file:hashes.{name} = '{h}']"), "sha256", h.clone())
        }
        _ => {
            let e = format!("user{:x}@mail{}.test", r >> 20, r % 1000);
            (format!("[email-addr:value = '{e}']"), "email", e.clone())
        }
    }
}

fn match_indicator_json(j: u64) -> String {
    let (pattern, _, _) = match_indicator(j);
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-{:012x}","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"generated","pattern":{},"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}}"#,
        (j >> 48) as u32,
        j & 0xffff_ffff_ffff,
        serde_json::Value::String(pattern)
    )
}

/// One JSON-lines event of about 220 bytes with 4–5 observables; `hit` puts the value of a
/// random indicator in its field.
fn match_event_line(e: u64, indicators: u64, hit: bool, out: &mut String) {
    use std::fmt::Write as _;
    let r = mix(e ^ 0x5eed);
    let src = std::net::Ipv4Addr::from(0x0a00_0000 | (r as u32 & 0x00ff_ffff));
    let mut dst = std::net::Ipv4Addr::from((r >> 32) as u32).to_string();
    let mut domain = format!("www.site{}.org", r % 1_000_003);
    let mut url = format!("https://cdn{}.example.net/a/{}.js", r % 7919, r % 100_000);
    let mut hash = r.is_multiple_of(2).then(|| hex_of(r, 32));
    let mut email = None;
    if hit {
        let (_, field, value) = match_indicator(mix(r) % indicators);
        match field {
            "dst_ip" => dst = value,
            "domain" => domain = value,
            "url" => url = value,
            "sha256" => hash = Some(value),
            _ => email = Some(value),
        }
    }
    let _ = write!(
        out,
        r#"{{"ts":{}.{:03},"event":"flow","src_ip":"{src}","src_port":{},"dst_ip":"{dst}","domain":"{domain}","url":"{url}""#,
        1_750_000_000 + e / 1000,
        e % 1000,
        1024 + r % 60000
    );
    if let Some(h) = hash {
        let _ = write!(out, r#","sha256":"{h}""#);
    }
    if let Some(m) = email {
        let _ = write!(out, r#","email":"{m}""#);
    }
    out.push_str("}\n");
}

/// Splits `data` into `n` parts at line ends.
fn split_lines(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for k in 1..=n {
        let mut end = if k == n {
            data.len()
        } else {
            data.len() * k / n
        };
        while end < data.len() && end > start && data[end - 1] != b'\n' {
            end += 1;
        }
        parts.push(&data[start..end]);
        start = end;
    }
    parts
}
