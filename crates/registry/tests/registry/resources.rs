//! Resources: prefixes without host bits, AS ranges that run forwards, valid names.

use pacific_registry::resource::{ResourceError, parse_asn};
use pacific_registry::{AsnRange, DomainSuffix, IpPrefix, Ipv4Prefix, Ipv6Prefix, Query, Resource};

#[test]
fn a_prefix_with_host_bits_set_is_refused_and_the_error_names_the_prefix_meant() {
    match "192.0.2.1/24".parse::<Ipv4Prefix>() {
        Err(ResourceError::HostBits { text, canonical }) => {
            assert_eq!(text, "192.0.2.1/24");
            assert_eq!(canonical, "192.0.2.0/24");
        }
        other => panic!("{other:?}"),
    }
    match "2001:db8::1/32".parse::<Ipv6Prefix>() {
        Err(ResourceError::HostBits { canonical, .. }) => assert_eq!(canonical, "2001:db8::/32"),
        other => panic!("{other:?}"),
    }
    assert!("192.0.2.0/24".parse::<Ipv4Prefix>().is_ok());
    assert!("10.0.0.1/32".parse::<Ipv4Prefix>().is_ok());
}

#[test]
fn prefix_lengths_past_the_address_width_and_malformed_prefixes_are_refused() {
    for bad in [
        "10.0.0.0/33",
        "10.0.0.0/",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/0008",
        "10.0.0/8",
        "10.0.0.0",
        "::/129",
        "2001:db8::/x",
        "2001:db8:::/32",
        "300.0.0.0/8",
    ] {
        let e = bad.parse::<IpPrefix>().expect_err(bad);
        assert!(matches!(e, ResourceError::BadPrefix { .. }), "{bad}: {e:?}");
    }
    let p: IpPrefix = "0.0.0.0/0".parse().unwrap();
    assert_eq!(p.to_string(), "0.0.0.0/0");
    let p: Ipv6Prefix = "2001:DB8::/32".parse().unwrap();
    assert_eq!(
        p.to_string(),
        "2001:db8::/32",
        "written back in canonical form"
    );
    assert_eq!(p.size(), Some(1u128 << 96));
    assert!(p.contains("2001:db8:ffff::1".parse().unwrap()));
    assert!(!p.contains("2001:db9::".parse().unwrap()));
}

#[test]
fn an_as_range_that_runs_backwards_is_refused() {
    assert!(matches!(
        "AS64511-AS64500".parse::<AsnRange>(),
        Err(ResourceError::Reversed { .. })
    ));
    assert!(AsnRange::new(10, 9).is_err());
    let r: AsnRange = "AS64500-AS64511".parse().unwrap();
    assert_eq!((r.first(), r.last(), r.count()), (64500, 64511, 12));
    assert_eq!(r.to_string(), "AS64500-AS64511");
    assert_eq!("as7".parse::<AsnRange>().unwrap().to_string(), "AS7");
    assert_eq!(parse_asn("4294967295"), Ok(u32::MAX));
    for bad in ["AS4294967296", "AS", "ASx1", "AS1.5", "AS-1", ""] {
        assert!(
            matches!(bad.parse::<AsnRange>(), Err(ResourceError::BadAsn { .. })),
            "{bad}"
        );
    }
}

#[test]
fn domain_suffixes_are_valid_ldh_names_kept_in_lower_case() {
    let d = DomainSuffix::parse("Example.XA.").unwrap();
    assert_eq!(d.as_str(), "example.xa");
    assert!(DomainSuffix::parse("xn--bcher-kva.xa").is_ok());
    assert!(DomainSuffix::parse("a-b.c9.xa").is_ok());
    let long_label = format!("{}.xa", "a".repeat(64));
    let long_name = format!("{}xa", "abcdefghi.".repeat(26));
    for bad in [
        "",
        ".",
        "-bad.xa",
        "bad-.xa",
        "a..xa",
        ".xa",
        "exa_mple.xa",
        "host name.xa",
        "192.0.2.1",
        "*.xa",
        long_label.as_str(),
        long_name.as_str(),
    ] {
        let e = DomainSuffix::parse(bad).expect_err(bad);
        assert!(
            matches!(e, ResourceError::BadDomain { .. }),
            "{bad:?}: {e:?}"
        );
    }
}

#[test]
fn a_name_that_is_not_ascii_is_refused_with_a_pointer_to_its_a_label() {
    let e = DomainSuffix::parse("bücher.xa").unwrap_err();
    assert!(matches!(e, ResourceError::NonAscii { .. }));
    assert!(e.to_string().contains("xn--"), "{e}");
}

#[test]
fn a_suffix_covers_itself_and_the_names_below_it_only() {
    let d = DomainSuffix::parse("example.xa").unwrap();
    let name = |s: &str| DomainSuffix::parse(s).unwrap();
    assert!(d.covers(&name("example.xa")));
    assert!(d.covers(&name("host.example.xa")));
    assert!(!d.covers(&name("badexample.xa")));
    assert!(!d.covers(&name("xa")));
    let abxa = name("a.b.xa");
    let all: Vec<&str> = abxa.suffixes().collect();
    assert_eq!(all, ["a.b.xa", "b.xa", "xa"]);
}

#[test]
fn resources_and_queries_read_their_usual_text_forms() {
    let r = |s: &str| s.parse::<Resource>().map(|r| r.to_string());
    assert_eq!(r("203.0.113.0/24").unwrap(), "203.0.113.0/24");
    assert_eq!(r("AS64500").unwrap(), "AS64500");
    assert_eq!(r("as64500-as64501").unwrap(), "AS64500-AS64501");
    assert_eq!(r("Example.XA").unwrap(), "example.xa");
    let e = r("203.0.113.5").unwrap_err();
    assert!(e.to_string().contains("prefix length"), "{e}");
    let q = |s: &str| s.parse::<Query>().unwrap();
    assert_eq!(q("203.0.113.5"), Query::Ip("203.0.113.5".parse().unwrap()));
    assert_eq!(q("2001:db8::1"), Query::Ip("2001:db8::1".parse().unwrap()));
    assert_eq!(q("AS64500"), Query::Asn(64500));
    assert_eq!(
        q("Host.Example.XA"),
        Query::Domain(DomainSuffix::parse("host.example.xa").unwrap())
    );
    assert!("as".parse::<Query>().is_ok(), "a one-label name");
    assert_eq!(
        q("as1.example.xa"),
        Query::Domain(DomainSuffix::parse("as1.example.xa").unwrap())
    );
    assert_eq!(r("AS64500.xa").unwrap(), "as64500.xa");
    assert!("AS99999999999".parse::<Query>().is_err());
}
