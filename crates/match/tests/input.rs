//! The input readers: each format, gzip, garbage, huge lines and bad UTF-8.

use std::io::Write;

use pacific_match::{Format, InputOptions, InputStats, Kind, read_events};

/// Each event's line number and observables.
type Events = Vec<(u64, Vec<(Kind, String)>)>;

fn read(bytes: &[u8], opts: &InputOptions) -> (Events, InputStats) {
    let mut events = Vec::new();
    let stats = read_events(bytes, opts, |e| {
        events.push((
            e.line,
            e.observables
                .iter()
                .map(|o| (o.kind, o.value.to_string()))
                .collect(),
        ))
    })
    .unwrap();
    (events, stats)
}

fn obs(kind: Kind, v: &str) -> (Kind, String) {
    (kind, v.to_owned())
}

#[test]
fn json_lines_with_default_and_custom_mapping() {
    let input = br#"{"src_ip":"10.0.0.1","dst_ip":"192.0.2.1","query":"a.test","n":5,"tags":["x"]}
{"source":{"ip":"10.0.0.2","port":1},"url":"http:\/\/b.test\/","ts":1700000000.5}
{"email":["x@y.test","z@y.test"],"sha256":null}
"#;
    let (events, stats) = read(input, &InputOptions::default());
    assert_eq!(stats.format, Some(Format::JsonLines));
    assert_eq!((stats.lines, stats.events, stats.malformed), (3, 3, 0));
    assert_eq!(
        events[0].1,
        [
            obs(Kind::Ip, "10.0.0.1"),
            obs(Kind::Ip, "192.0.2.1"),
            obs(Kind::Domain, "a.test")
        ]
    );
    assert_eq!(events[1].1, [obs(Kind::Url, "http://b.test/")]);
    assert_eq!(
        events[2].1,
        [obs(Kind::Email, "x@y.test"), obs(Kind::Email, "z@y.test")]
    );

    let mut opts = InputOptions::default();
    opts.map.apply_spec("source.ip=ip").unwrap();
    opts.map.apply_spec("url=").unwrap();
    assert!(opts.map.apply_spec("x=nonsense").is_err());
    let (events, _) = read(input, &opts);
    assert_eq!(events[1].1, [obs(Kind::Ip, "10.0.0.2")]);
}

#[test]
fn event_time_is_read_from_json() {
    use pacific_match::{Index, Indicator};
    let mut idx = Index::new();
    idx.upsert(&Indicator {
        id: "indicator--00000000-0000-4000-8000-000000000001".into(),
        modified: 0,
        pattern: "[ipv4-addr:value = '10.0.0.1']".into(),
        pattern_type: "stix".into(),
        valid_from: Some(1_600_000_000_000_000),
        valid_until: Some(1_700_000_000_000_000),
        revoked: false,
    })
    .unwrap();
    let input = br#"{"src_ip":"10.0.0.1","ts":"2021-01-01T00:00:00Z"}
{"src_ip":"10.0.0.1","ts":1750000000}
{"src_ip":"10.0.0.1","timestamp":"2022-01-01T00:00:00.123Z"}
"#;
    let mut matched = Vec::new();
    read_events(&input[..], &InputOptions::default(), |e| {
        if idx.match_event(e, 0).next().is_some() {
            matched.push(e.line);
        }
    })
    .unwrap();
    assert_eq!(matched, [1, 3]);
}

#[test]
fn malformed_lines_are_counted_with_line_numbers_and_the_run_goes_on() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"src_ip\":\"10.0.0.1\"}\n");
    input.extend_from_slice(b"{\"src_ip\": \n");
    input.extend_from_slice(b"\x00\x01\x02\xff\xfe binary\n");
    input.extend_from_slice(b"{\"src_ip\":\"10.0.0.\xff\"}\n");
    input.extend_from_slice(b"[1,2]\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"{\"src_ip\":\"10.0.0.9\"}");
    let opts = InputOptions {
        keep_errors: 2,
        ..InputOptions::default()
    };
    let (events, stats) = read(&input, &opts);
    assert_eq!(stats.lines, 7);
    assert_eq!(stats.malformed, 4);
    assert_eq!(stats.errors.len(), 2);
    assert_eq!(stats.errors[0].line, 2);
    assert_eq!(stats.errors[1].line, 3);
    assert_eq!(
        events.iter().map(|e| e.0).collect::<Vec<_>>(),
        [1, 7],
        "the last line has no newline and still counts"
    );
}

#[test]
fn huge_lines_are_skipped_without_buffering() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"src_ip\":\"10.0.0.1\"}\n");
    input.extend_from_slice(b"{\"src_ip\":\"");
    input.extend(std::iter::repeat_n(b'a', 3 << 20));
    input.extend_from_slice(b"\"}\n{\"src_ip\":\"10.0.0.3\"}\n");
    let (events, stats) = read(&input, &InputOptions::default());
    assert_eq!(stats.oversized, 1);
    assert_eq!(stats.malformed, 0);
    assert_eq!(stats.errors[0].line, 2);
    assert_eq!(events.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn gzip_is_detected_and_read() {
    let plain = b"{\"domain\":\"gz.test\"}\n{\"domain\":\"gz2.test\"}\n";
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(plain).unwrap();
    let gz = enc.finish().unwrap();
    let (events, stats) = read(&gz, &InputOptions::default());
    assert!(stats.gzip);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].1, [obs(Kind::Domain, "gz2.test")]);
    // A truncated stream: what was read counts, and the error is reported.
    let (_, stats) = read(&gz[..gz.len() - 12], &InputOptions::default());
    assert!(stats.read_error.is_some() || stats.lines == 2);
}

const CONN: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto
#types\ttime\tstring\taddr\tport\taddr\tport\tenum
1700000000.123\tCx1\t10.0.0.1\t5353\t2001:db8::1\t53\tudp
1700000001.0\tCx2\t10.0.0.2\t1\t-\t2
#close\t2024-01-01-00-00-00
";

#[test]
fn zeek_conn_dns_http() {
    let (events, stats) = read(CONN.as_bytes(), &InputOptions::default());
    assert_eq!(stats.format, Some(Format::Zeek));
    assert_eq!(stats.malformed, 1, "the short line");
    assert_eq!(stats.errors[0].line, 9);
    assert_eq!(
        events[0].1,
        [obs(Kind::Ip, "10.0.0.1"), obs(Kind::Ip, "2001:db8::1")]
    );
    assert_eq!(events[0].0, 8);

    let dns = "#separator \\x09\n#fields\tts\tquery\tanswers\n1.0\tevil.test\tcname.test,192.0.2.7\n1.0\t-\t(empty)\n";
    let (events, _) = read(dns.as_bytes(), &InputOptions::default());
    assert_eq!(
        events[0].1,
        [
            obs(Kind::Domain, "evil.test"),
            obs(Kind::Host, "cname.test"),
            obs(Kind::Host, "192.0.2.7")
        ]
    );
    assert_eq!(events.len(), 1);

    let http = "#separator \\x09\n#fields\tts\thost\turi\tuser_agent\n1.0\tb.test\t/x?y=1\tcurl\n";
    let (events, _) = read(http.as_bytes(), &InputOptions::default());
    assert_eq!(
        events[0].1,
        [
            obs(Kind::Host, "b.test"),
            obs(Kind::Url, "http://b.test/x?y=1")
        ]
    );

    let no_header = "1.0\tx\n";
    let opts = InputOptions {
        format: Format::Zeek,
        ..InputOptions::default()
    };
    let (_, stats) = read(no_header.as_bytes(), &opts);
    assert_eq!(stats.malformed, 1);
}

#[test]
fn plain_text_extraction() {
    let text = b"Beacon to 198.51.100.7:443 and [2001:db8::5]:80, see https://User@Evil.Example:8080/p?q=1 (mail bob@corp.test).\n\
        hash=d41d8cd98f00b204e9800998ecf8427e dropped evil-cdn.net; not.a.domain1 file.exe 1.2.3 12345\n\
        \xff\xfe garbage \x00 sub.bad.test\xc3\x28\n";
    let (events, stats) = read(text, &InputOptions::default());
    assert_eq!(stats.format, Some(Format::Text));
    assert_eq!(stats.malformed, 0);
    assert_eq!(
        events[0].1,
        [
            obs(Kind::Ip, "198.51.100.7"),
            obs(Kind::Ip, "2001:db8::5"),
            obs(Kind::Url, "https://User@Evil.Example:8080/p?q=1"),
            obs(Kind::Host, "Evil.Example"),
            obs(Kind::Email, "bob@corp.test"),
        ]
        .map(|(k, v)| (if k == Kind::Host { Kind::Domain } else { k }, v))
    );
    assert_eq!(
        events[1].1,
        [
            obs(Kind::Hash, "d41d8cd98f00b204e9800998ecf8427e"),
            obs(Kind::Domain, "evil-cdn.net"),
            obs(Kind::Domain, "file.exe"),
        ]
    );
    assert_eq!(events[2].1, [obs(Kind::Domain, "sub.bad.test")]);
}

#[test]
fn arbitrary_bytes_never_panic() {
    use proptest::prelude::*;
    proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..400), fmt in 0..4usize)| {
        let format = [Format::Auto, Format::JsonLines, Format::Zeek, Format::Text][fmt];
        let opts = InputOptions { format, max_line: 64, ..InputOptions::default() };
        let stats = read_events(&bytes[..], &opts, |_| {}).unwrap();
        prop_assert!(stats.malformed + stats.oversized <= stats.lines);
    });
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn the_input_is_bounded_after_decompression_at_exactly_max_bytes() {
    use pacific_match::Stopped;
    // 100 lines of 10 bytes: 1000 bytes.
    let input = "192.0.2.1\n".repeat(100);
    for compressed in [false, true] {
        let bytes = |s: &str| {
            if compressed {
                gzip(s.as_bytes())
            } else {
                s.as_bytes().to_vec()
            }
        };
        let at = InputOptions {
            max_bytes: Some(1000),
            ..InputOptions::default()
        };
        let (events, stats) = read(&bytes(&input), &at);
        assert_eq!((events.len(), stats.stopped), (100, None), "{compressed}");
        let over = format!("{input}x");
        let (_, stats) = read(&bytes(&over), &at);
        assert_eq!(
            (stats.stopped, stats.read_error),
            (Some(Stopped::TooLarge { limit: 1000 }), None),
            "{compressed}"
        );
        assert_eq!(stats.gzip, compressed);
    }
}

#[test]
fn a_gzip_bomb_is_not_inflated_past_the_bound() {
    use pacific_match::Stopped;
    // One line of 64 MiB without a newline, then short lines: ~64 KiB compressed.
    let mut plain = vec![b'a'; 64 << 20];
    plain.extend_from_slice(b"\n192.0.2.1\n");
    let bomb = gzip(&plain);
    let counted = std::cell::Cell::new(0u64);
    // Hands out 4 KiB a read, as a network body would in chunks.
    struct Counting<'a>(&'a [u8], &'a std::cell::Cell<u64>);
    impl std::io::Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(4096);
            let n = self.0.read(&mut buf[..n])?;
            self.1.set(self.1.get() + n as u64);
            Ok(n)
        }
    }
    let opts = InputOptions {
        max_bytes: Some(1 << 20),
        ..InputOptions::default()
    };
    let stats = read_events(Counting(&bomb, &counted), &opts, |_| {}).unwrap();
    assert_eq!(stats.stopped, Some(Stopped::TooLarge { limit: 1 << 20 }));
    // Stopped at the bound: a small part of the compressed input was read.
    assert!(
        counted.get() < bomb.len() as u64 / 8,
        "{} of {} compressed bytes read",
        counted.get(),
        bomb.len()
    );
}

#[test]
fn an_interrupt_stops_the_run() {
    use pacific_match::{Interrupt, Stopped};
    let interrupt = Interrupt::default();
    let opts = InputOptions {
        interrupt: Some(interrupt.clone()),
        ..InputOptions::default()
    };
    let input = "192.0.2.1\n".repeat(1000);
    let mut seen = 0;
    let stats = read_events(input.as_bytes(), &opts, |_| {
        seen += 1;
        if seen == 10 {
            interrupt.interrupt();
        }
    })
    .unwrap();
    assert_eq!((stats.stopped, seen), (Some(Stopped::Interrupted), 10));
}
