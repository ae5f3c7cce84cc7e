//! The matcher's readers (`pacific match`, `POST /match`): JSON lines, Zeek TSV and plain text,
//! gzip or not, read by `input::read_events` and matched against an index of indicators of
//! every kind. The first byte chooses the format (bits 0–1: auto, jsonl, zeek, text), a short
//! line limit (bit 2), field mappings given as `field=kind` specs on the first line (bit 3, as
//! the API's `map` parameters) and gzip (bit 4: the rest is compressed before it is read).
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pacific_match::{Format, Index, InputOptions, read_events};

const PATTERNS: &[&str] = &[
    "[ipv4-addr:value = '198.51.100.7']",
    "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
    "[ipv6-addr:value = '2001:db8::1'] OR [ipv6-addr:value ISSUBSET '2001:db8:ff::/48']",
    "[domain-name:value = 'evil.example']",
    "[domain-name:value LIKE '%.bad.example']",
    "[url:value = 'http://evil.example/x']",
    "[email-addr:value = 'mallory@evil.example']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
    "[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'c2.example']",
];

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let jsons: Vec<String> = PATTERNS
            .iter()
            .enumerate()
            .map(|(i, p)| {
                serde_json::json!({
                    "type": "indicator",
                    "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                    "created": "2026-01-01T00:00:00Z",
                    "modified": "2026-01-01T00:00:00Z",
                    "pattern": p,
                    "pattern_type": "stix",
                    "valid_from": "2026-01-01T00:00:00Z",
                })
                .to_string()
            })
            .collect();
        let (index, report) = Index::build(jsons.iter().map(String::as_str));
        assert_eq!(report.rejected.len(), 0, "{report}");
        index
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let mut opts = InputOptions {
        format: [Format::Auto, Format::JsonLines, Format::Zeek, Format::Text]
            [usize::from(selector & 3)],
        keep_errors: 4,
        ..InputOptions::default()
    };
    if selector & 4 != 0 {
        opts.max_line = 64;
    }
    if selector & 8 != 0 {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        if let Ok(specs) = std::str::from_utf8(&rest[..end]) {
            for spec in specs.split(',') {
                let _ = opts.map.apply_spec(spec);
            }
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let compressed;
    let input: &[u8] = if selector & 16 != 0 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(rest).expect("writing to a Vec");
        compressed = gz.finish().expect("writing to a Vec");
        &compressed
    } else {
        rest
    };
    let index = index();
    let mut last_line = 0;
    let mut events = 0u64;
    let stats = read_events(input, &opts, |event| {
        assert!(event.line > last_line, "events out of line order");
        last_line = event.line;
        assert!(!event.observables.is_empty());
        events += 1;
        for m in index.match_event(event, 1_772_352_000_000_000) {
            assert!(m.observable < event.observables.len());
        }
    })
    .expect("reading from memory");
    // Only a corrupt gzip stream ends a read from memory early.
    if selector & 16 != 0 || !rest.starts_with(&[0x1f, 0x8b]) {
        assert!(stats.read_error.is_none(), "{:?}", stats.read_error);
    }
    assert_eq!(
        stats.gzip,
        selector & 16 != 0 || rest.starts_with(&[0x1f, 0x8b])
    );
    assert!(events <= stats.events);
    assert!(
        stats.events + stats.malformed + stats.oversized <= stats.lines,
        "{stats:?}"
    );
    assert!(last_line <= stats.lines);
    assert!(stats.errors.len() <= 4);
    if !stats.gzip {
        assert!(stats.bytes <= rest.len() as u64, "{stats:?}");
    }
});
