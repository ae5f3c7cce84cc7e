//! Importers: RIR delegated-extended statistics, RFC 8805 geofeeds and range CSVs, on small
//! inline samples, with refused lines by number.

use pacific_registry::import::{self, ImportOptions, LineError};

fn only(country: &str) -> ImportOptions {
    ImportOptions {
        country: Some(country.into()),
        ..ImportOptions::default()
    }
}

fn lines_of(errors: &[LineError]) -> Vec<usize> {
    errors.iter().map(|e| e.line).collect()
}

fn strings<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

const DELEGATED: &str = "\
2.3|afrinic|20260301|9|19830613|20260228|+0000
# a comment
afrinic|*|asn|*|3|summary
afrinic|*|ipv4|*|4|summary
afrinic|*|ipv6|*|2|summary
afrinic|XA|ipv4|41.0.0.0|768|20100101|allocated|F36B1A01
afrinic|XA|ipv4|41.8.0.0|65536|20100101|assigned|F36B1A01
afrinic|XB|ipv4|41.16.0.0|65536|20100101|allocated|A11B2C3D
afrinic|ZZ|ipv4|41.32.0.0|256|00000000|available
afrinic|XA|ipv6|2c0f:f000::|20|20100101|allocated|F36B1A01
afrinic|XA|asn|37000|11|20100101|allocated|F36B1A01

afrinic|XA|ipv4|41.99.0.1|abc|20100101|allocated|F36B1A01
afrinic|XA|ipv4|41.99.0|256|20100101|allocated|F36B1A01
afrinic|XA|ipv6|2c0f:f000::1|32|20100101|allocated|F36B1A01
afrinic|XA|asn|4294967295|2|20100101|allocated|F36B1A01
afrinic|XA|ipv5|1.2.3.4|1|20100101|allocated|F36B1A01
afrinic|XA|ipv4|41.0.0.0
afrinic|XA|ipv4|41.99.0.0|256|20100101|stolen|F36B1A01
afrinic|XA|ipv4|255.255.255.0|512|20100101|allocated|F36B1A01
";

#[test]
fn delegated_statistics_keep_a_countrys_allocations_and_refuse_bad_lines_by_number() {
    let got = import::delegated(DELEGATED, &only("xa"));
    assert_eq!(
        strings(&got.resources.ipv4),
        ["41.0.0.0/23", "41.0.2.0/24", "41.8.0.0/16"],
        "768 addresses are a /23 and a /24"
    );
    assert_eq!(strings(&got.resources.ipv6), ["2c0f:f000::/20"]);
    assert_eq!(strings(&got.resources.asns), ["AS37000-AS37010"]);
    assert_eq!(lines_of(&got.errors), [13, 14, 15, 16, 17, 18, 19, 20]);
    assert!(
        got.errors[0].reason.contains("\"abc\""),
        "{}",
        got.errors[0]
    );
    assert!(
        got.errors[2].reason.contains("host bits"),
        "{}",
        got.errors[2]
    );
    assert!(
        got.errors[3].reason.contains("AS4294967295"),
        "{}",
        got.errors[3]
    );
    assert!(got.errors[6].reason.contains("stolen"), "{}", got.errors[6]);
    assert!(
        got.errors[7].reason.contains("255.255.255.255"),
        "{}",
        got.errors[7]
    );
    let s = got.summary;
    assert_eq!((s.lines, s.used, s.errors), (20, 4, 8));
    assert_eq!(
        s.skipped,
        20 - 4 - 8,
        "header, comment, summaries, XB, available, blank"
    );
    assert_eq!(s.totals.ipv4_addresses, 768 + 65536);
    assert_eq!(s.totals.ipv6_addresses, 1u128 << 108);
    assert_eq!(s.totals.asns, 11);
    assert!(got.evidence.is_empty(), "evidence only when asked");

    let all = import::delegated(DELEGATED, &ImportOptions::default());
    assert_eq!(all.summary.used, 5, "every country: XB's line too");

    let claimed = import::delegated(DELEGATED, &ImportOptions::jurisdiction("XA"));
    assert_eq!(claimed.evidence.len(), 4);
    assert_eq!(
        claimed.evidence[0],
        "afrinic|XA|ipv4|41.0.0.0|768|20100101|allocated|F36B1A01"
    );
}

#[test]
fn importing_for_a_jurisdiction_refuses_lines_over_special_purpose_space() {
    let text = "\
apnic|XA|ipv4|10.0.0.0|256|20100101|allocated
apnic|XA|ipv4|1.0.0.0|256|20100101|allocated
apnic|XA|asn|64500|1|20100101|allocated
";
    let got = import::delegated(text, &ImportOptions::jurisdiction("XA"));
    assert_eq!(strings(&got.resources.ipv4), ["1.0.0.0/24"]);
    assert_eq!(lines_of(&got.errors), [1, 3]);
    assert!(
        got.errors[0].reason.contains("10.0.0.0/8"),
        "{}",
        got.errors[0]
    );
    let operator = import::delegated(text, &only("XA"));
    assert!(operator.errors.is_empty());
}

#[test]
fn a_reader_refuses_a_line_that_is_not_utf8_by_number() {
    let bytes: &[u8] = b"afrinic|XA|ipv4|41.0.0.0|256|20100101|allocated\r\nafrinic|XA|\xff\n";
    let got = import::delegated_reader(bytes, &only("XA")).unwrap();
    assert_eq!(strings(&got.resources.ipv4), ["41.0.0.0/24"]);
    assert_eq!(lines_of(&got.errors), [2]);
    assert!(got.errors[0].reason.contains("UTF-8"));
}

const GEOFEED: &str = "\
# RFC 8805 geofeed of a fictional network
41.0.0.0/24,XA,XA-01,Capital,
41.0.1.0/24,xa,XA-02,\"Port, North\",1234
2c0f:f000::/32,XA,,,
41.0.2.5,XA,,,
41.0.3.1/24,XA,,,
41.0.4.0/24,XB,,,
not-a-prefix,XA,,,
41.0.5.0/24,XA,\"unterminated,,
41.0.6.0/24,XA,a,b,c,d
  # an indented comment
41.0.7.0/24
";

#[test]
fn a_geofeed_keeps_a_countrys_prefixes_and_refuses_bad_lines_by_number() {
    let got = import::geofeed(GEOFEED, &only("XA"));
    assert_eq!(
        strings(&got.resources.ipv4),
        ["41.0.0.0/24", "41.0.1.0/24", "41.0.2.5/32"]
    );
    assert_eq!(strings(&got.resources.ipv6), ["2c0f:f000::/32"]);
    assert_eq!(lines_of(&got.errors), [6, 8, 9, 10]);
    assert!(
        got.errors[0].reason.contains("41.0.3.0/24"),
        "{}",
        got.errors[0]
    );
    let s = got.summary;
    assert_eq!((s.lines, s.used, s.errors, s.skipped), (12, 4, 4, 4));
    // Without a country, the line with no country is kept too.
    let all = import::geofeed(GEOFEED, &ImportOptions::default());
    assert_eq!(all.resources.ipv4.len(), 5);
}

const RANGES: &str = "\
ip_range_start,ip_range_end,country_code
41.0.0.0,41.0.0.255,XA
\"41.0.1.0\",\"41.0.2.255\",\"XA\"
41.0.3.0,41.0.3.6,XA
41.1.0.0,41.1.255.255,XB
2c0f:f000::,2c0f:f000:ffff:ffff:ffff:ffff:ffff:ffff,XA
41.0.9.0,41.0.8.0,XA
41.0.9.0,2c0f::,XA
41.0.9.0,XA
41.0.9.0,41.0.9.300,XA
";

#[test]
fn range_files_are_split_into_prefixes_exactly_and_bad_ranges_refused_by_number() {
    let got = import::ranges(RANGES, &only("XA"));
    assert_eq!(
        strings(&got.resources.ipv4),
        [
            "41.0.0.0/24",
            "41.0.1.0/24",
            "41.0.2.0/24",
            "41.0.3.0/30",
            "41.0.3.4/31",
            "41.0.3.6/32"
        ]
    );
    assert_eq!(strings(&got.resources.ipv6), ["2c0f:f000::/32"]);
    assert_eq!(lines_of(&got.errors), [7, 8, 9, 10]);
    assert!(
        got.errors[0].reason.contains("backwards"),
        "{}",
        got.errors[0]
    );
    assert!(got.errors[1].reason.contains("mixes"), "{}", got.errors[1]);
    assert_eq!(got.summary.totals.ipv4_addresses, 3 * 256 + 7);
    assert_eq!(got.summary.skipped, 2, "the header and XB's line");
    let text = got.summary.to_string();
    assert!(text.contains("6 IPv4 prefixes (775 addresses)"), "{text}");
}

#[test]
fn a_header_is_only_a_header_on_the_first_line() {
    let got = import::ranges("41.0.0.0,41.0.0.255,XA\nstart,end,country\n", &only("XA"));
    assert_eq!(lines_of(&got.errors), [2]);
    assert!(
        got.errors[0].reason.contains("country code"),
        "{}",
        got.errors[0]
    );
}

#[test]
fn an_import_becomes_a_claim_with_its_lines_as_evidence() {
    use pacific_core::policy::PartyId;
    use pacific_registry::Role;
    let got = import::delegated(DELEGATED, &ImportOptions::jurisdiction("XA"));
    let claim = got
        .into_draft(
            PartyId::new("xa"),
            crate::common::identity("xa"),
            Role::Jurisdiction,
            crate::common::contact(),
            crate::common::t0(),
        )
        .into_claim(&crate::common::uuid(9), &crate::common::t0())
        .unwrap();
    assert_eq!(claim.resources.ipv4.len(), 3);
    assert_eq!(claim.evidence.len(), 4);
}

mod never_panic {
    use super::*;
    use proptest::prelude::*;

    /// Lines made of the characters the formats use, and others.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                "[0-9a-fA-F.:/|,\"# -]{0,40}",
                Just("afrinic|XA|ipv4|41.0.0.0|256|20100101|allocated".to_owned()),
                Just("41.0.0.0,41.0.0.255,XA".to_owned()),
                Just("2c0f::/32,XA,,,".to_owned()),
                ".{0,30}",
            ],
            0..20,
        )
        .prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        #[test]
        fn every_line_is_used_skipped_or_refused_and_nothing_panics(t in text()) {
            for got in [
                import::delegated(&t, &ImportOptions::default()),
                import::geofeed(&t, &only("XA")),
                import::ranges(&t, &ImportOptions::jurisdiction("XA")),
            ] {
                let s = got.summary;
                prop_assert_eq!(s.lines, t.lines().count());
                prop_assert_eq!(s.used + s.skipped + s.errors, s.lines);
                prop_assert_eq!(s.errors, got.errors.len());
            }
        }

        #[test]
        fn any_text_is_refused_or_read_as_a_resource_that_reads_back_the_same(
            t in prop_oneof![".{0,60}", "[0-9a-fA-F.:/]{1,45}", "(AS|as)?[0-9]{1,11}(-AS[0-9]{1,11})?"]
        ) {
            if let Ok(r) = t.parse::<pacific_registry::Resource>() {
                prop_assert_eq!(r.to_string().parse::<pacific_registry::Resource>(), Ok(r));
            }
            if let Ok(q) = t.parse::<pacific_registry::Query>() {
                prop_assert_eq!(q.to_string().parse::<pacific_registry::Query>(), Ok(q));
            }
        }
    }
}

#[test]
fn a_claim_is_corroborated_by_delegation_data_that_covers_it_and_contradicted_otherwise() {
    use pacific_registry::Role;
    use pacific_registry::corroborate::{Verdict, corroborate};
    let data = import::delegated(DELEGATED, &ImportOptions::jurisdiction("XA")).resources;
    let source = "delegated-afrinic-extended-20260301";
    // 41.0.0.0/23 + 41.0.2.0/24 make one range: a prefix across both is covered.
    let covered = crate::common::claim(
        1,
        "xa",
        Role::Jurisdiction,
        &[
            "41.0.1.0/24",
            "41.0.2.0/24",
            "41.8.3.0/24",
            "2c0f:f000:1::/48",
            "AS37005-AS37010",
        ],
    );
    let mark = corroborate(&covered, &data, source);
    assert_eq!(mark.verdict, Verdict::Corroborated);
    assert_eq!(mark.source, source);
    assert_eq!(mark.claim, covered.id);
    let beyond = crate::common::claim(
        2,
        "xa",
        Role::Jurisdiction,
        &[
            "41.0.0.0/22",
            "41.16.0.0/16",
            "AS37005-AS37011",
            "2c0f:f000::/20",
            "xa",
        ],
    );
    assert_eq!(
        corroborate(&beyond, &data, source).verdict,
        Verdict::Contradicted {
            uncovered: vec![
                "41.0.0.0/22".into(),
                "41.16.0.0/16".into(),
                "AS37005-AS37011".into(),
                "xa".into()
            ]
        },
        "41.0.3.0/24 is not XA's, 41.16.0.0/16 is XB's, AS37011 is past XA's range, and the data names no domains"
    );
}
