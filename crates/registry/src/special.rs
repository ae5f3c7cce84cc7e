//! Special-purpose space: addresses, AS numbers and names that no state can hold as its
//! jurisdiction, because they are private, reserved, for documentation, or not routed on the
//! internet at all. A claim of the role `jurisdiction` over any resource that overlaps one of
//! them is refused ([`crate::claim::ClaimError::SpecialPurpose`]).
//!
//! The tables are facts from the IANA special-purpose registries (RFC 6890 and the RFCs that
//! updated them), the IANA AS number registry and the special-use domain names registry:
//!
//! - IPv4: this network `0.0.0.0/8` (RFC 791), private-use `10.0.0.0/8`, `172.16.0.0/12`,
//!   `192.168.0.0/16` (RFC 1918), shared address space `100.64.0.0/10` (RFC 6598), loopback
//!   `127.0.0.0/8` (RFC 1122), link-local `169.254.0.0/16` (RFC 3927), IETF protocol
//!   assignments `192.0.0.0/24` (RFC 6890), documentation `192.0.2.0/24`, `198.51.100.0/24`,
//!   `203.0.113.0/24` (RFC 5737), the deprecated 6to4 relay anycast `192.88.99.0/24` (RFC 7526),
//!   benchmarking `198.18.0.0/15` (RFC 2544), multicast `224.0.0.0/4` (RFC 5771), and reserved
//!   `240.0.0.0/4` with the limited broadcast `255.255.255.255/32` (RFC 1112, RFC 919).
//!   The AS112 blocks (`192.31.196.0/24`, `192.175.48.0/24`) are special-purpose but globally
//!   reachable anycast and are left out.
//! - IPv6: unspecified `::/128` and loopback `::1/128` (RFC 4291), IPv4-mapped `::ffff:0:0/96`
//!   (RFC 4291), IPv4/IPv6 translation `64:ff9b::/96` (RFC 6052) and `64:ff9b:1::/48`
//!   (RFC 8215), discard-only `100::/64` (RFC 6666), IETF protocol assignments `2001::/23`
//!   (RFC 2928), documentation `2001:db8::/32` (RFC 3849) and `3fff::/20` (RFC 9637), 6to4
//!   `2002::/16` (RFC 3056), SRv6 SIDs `5f00::/16` (RFC 9602), unique-local `fc00::/7`
//!   (RFC 4193), link-local `fe80::/10` and multicast `ff00::/8` (RFC 4291); and anything
//!   else outside global unicast `2000::/3` (RFC 4291 §2.4), which IANA has not allocated.
//! - AS numbers: `AS0` (RFC 7607), `AS23456` AS_TRANS (RFC 6793), documentation
//!   `AS64496-AS64511` and `AS65536-AS65551` (RFC 5398), private use `AS64512-AS65534` and
//!   `AS4200000000-AS4294967294` (RFC 6996), the last 16- and 32-bit numbers `AS65535` and
//!   `AS4294967295` (RFC 7300), and the IANA-reserved `AS65552-AS131071`.
//! - Names (special-use domain names): `test`, `localhost`, `invalid`, `example`,
//!   `example.com`, `example.net`, `example.org` (RFC 2606, RFC 6761), `local` (RFC 6762),
//!   `onion` (RFC 7686), `home.arpa` (RFC 8375), `alt` (RFC 9476).

use std::fmt;

use crate::resource::{AsnRange, DomainSuffix, Ipv4Prefix, Ipv6Prefix};

/// One special-purpose block: its text, what it is for, and the document that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Special {
    pub block: &'static str,
    pub purpose: &'static str,
    pub source: &'static str,
}

impl fmt::Display for Special {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.block, self.purpose, self.source)
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// IPv4 special-purpose blocks: (first address, prefix length, description).
const IPV4: &[(u32, u8, Special)] = &[
    (
        v4(0, 0, 0, 0),
        8,
        sp("0.0.0.0/8", "this network", "RFC 791"),
    ),
    (
        v4(10, 0, 0, 0),
        8,
        sp("10.0.0.0/8", "private use", "RFC 1918"),
    ),
    (
        v4(100, 64, 0, 0),
        10,
        sp("100.64.0.0/10", "shared address space", "RFC 6598"),
    ),
    (
        v4(127, 0, 0, 0),
        8,
        sp("127.0.0.0/8", "loopback", "RFC 1122"),
    ),
    (
        v4(169, 254, 0, 0),
        16,
        sp("169.254.0.0/16", "link local", "RFC 3927"),
    ),
    (
        v4(172, 16, 0, 0),
        12,
        sp("172.16.0.0/12", "private use", "RFC 1918"),
    ),
    (
        v4(192, 0, 0, 0),
        24,
        sp("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    ),
    (
        v4(192, 0, 2, 0),
        24,
        sp("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    ),
    (
        v4(192, 88, 99, 0),
        24,
        sp(
            "192.88.99.0/24",
            "deprecated 6to4 relay anycast",
            "RFC 7526",
        ),
    ),
    (
        v4(192, 168, 0, 0),
        16,
        sp("192.168.0.0/16", "private use", "RFC 1918"),
    ),
    (
        v4(198, 18, 0, 0),
        15,
        sp("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ),
    (
        v4(198, 51, 100, 0),
        24,
        sp("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    ),
    (
        v4(203, 0, 113, 0),
        24,
        sp("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    ),
    (
        v4(224, 0, 0, 0),
        4,
        sp("224.0.0.0/4", "multicast", "RFC 5771"),
    ),
    (
        v4(240, 0, 0, 0),
        4,
        sp(
            "240.0.0.0/4",
            "reserved, with the limited broadcast address",
            "RFC 1112, RFC 919",
        ),
    ),
];

/// IPv6 special-purpose blocks: (first address, prefix length, description).
const IPV6: &[(u128, u8, Special)] = &[
    (0, 128, sp("::/128", "unspecified address", "RFC 4291")),
    (1, 128, sp("::1/128", "loopback", "RFC 4291")),
    (
        0xffff_0000_0000,
        96,
        sp("::ffff:0:0/96", "IPv4-mapped addresses", "RFC 4291"),
    ),
    (
        0x0064_ff9b << 96,
        96,
        sp("64:ff9b::/96", "IPv4/IPv6 translation", "RFC 6052"),
    ),
    (
        0x0064_ff9b_0001 << 80,
        48,
        sp(
            "64:ff9b:1::/48",
            "local-use IPv4/IPv6 translation",
            "RFC 8215",
        ),
    ),
    (
        0x0100 << 112,
        64,
        sp("100::/64", "discard only", "RFC 6666"),
    ),
    (
        0x2001 << 112,
        23,
        sp("2001::/23", "IETF protocol assignments", "RFC 2928"),
    ),
    (
        0x2001_0db8 << 96,
        32,
        sp("2001:db8::/32", "documentation", "RFC 3849"),
    ),
    (0x2002 << 112, 16, sp("2002::/16", "6to4", "RFC 3056")),
    (
        0x3fff << 112,
        20,
        sp("3fff::/20", "documentation", "RFC 9637"),
    ),
    (
        0x5f00 << 112,
        16,
        sp("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    ),
    (0xfc00 << 112, 7, sp("fc00::/7", "unique local", "RFC 4193")),
    (
        0xfe80 << 112,
        10,
        sp("fe80::/10", "link-local unicast", "RFC 4291"),
    ),
    (0xff00 << 112, 8, sp("ff00::/8", "multicast", "RFC 4291")),
];

const NOT_GLOBAL_UNICAST: Special = sp(
    "outside 2000::/3",
    "not global unicast: reserved by the IETF, never allocated",
    "RFC 4291 §2.4",
);

/// AS number blocks: (first, last, description).
const ASNS: &[(u32, u32, Special)] = &[
    (
        0,
        0,
        sp("AS0", "reserved, never originates routes", "RFC 7607"),
    ),
    (23456, 23456, sp("AS23456", "AS_TRANS", "RFC 6793")),
    (
        64496,
        64511,
        sp("AS64496-AS64511", "documentation", "RFC 5398"),
    ),
    (
        64512,
        65534,
        sp("AS64512-AS65534", "private use", "RFC 6996"),
    ),
    (
        65535,
        65535,
        sp("AS65535", "last 16-bit number, reserved", "RFC 7300"),
    ),
    (
        65536,
        65551,
        sp("AS65536-AS65551", "documentation", "RFC 5398"),
    ),
    (
        65552,
        131071,
        sp(
            "AS65552-AS131071",
            "reserved by IANA",
            "IANA AS numbers registry",
        ),
    ),
    (
        4_200_000_000,
        4_294_967_294,
        sp("AS4200000000-AS4294967294", "private use", "RFC 6996"),
    ),
    (
        4_294_967_295,
        4_294_967_295,
        sp("AS4294967295", "last 32-bit number, reserved", "RFC 7300"),
    ),
];

/// Special-use domain names.
const NAMES: &[(&str, Special)] = &[
    ("test", sp("test", "testing", "RFC 6761")),
    ("localhost", sp("localhost", "loopback names", "RFC 6761")),
    (
        "invalid",
        sp("invalid", "names that cannot exist", "RFC 6761"),
    ),
    ("example", sp("example", "documentation", "RFC 6761")),
    (
        "example.com",
        sp("example.com", "documentation", "RFC 6761"),
    ),
    (
        "example.net",
        sp("example.net", "documentation", "RFC 6761"),
    ),
    (
        "example.org",
        sp("example.org", "documentation", "RFC 6761"),
    ),
    ("local", sp("local", "multicast DNS", "RFC 6762")),
    ("onion", sp("onion", "Tor onion services", "RFC 7686")),
    ("home.arpa", sp("home.arpa", "home networks", "RFC 8375")),
    ("alt", sp("alt", "non-DNS name spaces", "RFC 9476")),
];

const fn sp(block: &'static str, purpose: &'static str, source: &'static str) -> Special {
    Special {
        block,
        purpose,
        source,
    }
}

fn overlaps(a_first: u128, a_last: u128, b_first: u128, b_last: u128) -> bool {
    a_first <= b_last && b_first <= a_last
}

/// The first special-purpose block `p` overlaps (contains or lies in), if any.
pub fn ipv4(p: &Ipv4Prefix) -> Option<Special> {
    IPV4.iter()
        .find(|(first, len, _)| {
            let last = first | (u32::MAX.checked_shr(u32::from(*len)).unwrap_or(0));
            overlaps(
                p.first().into(),
                p.last().into(),
                (*first).into(),
                last.into(),
            )
        })
        .map(|(_, _, s)| *s)
}

/// The first special-purpose block `p` overlaps, or "outside 2000::/3" if `p` reaches
/// outside `2000::/3`.
pub fn ipv6(p: &Ipv6Prefix) -> Option<Special> {
    let found = IPV6.iter().find(|(first, len, _)| {
        let last = first | u128::MAX.checked_shr(u32::from(*len)).unwrap_or(0);
        overlaps(p.first(), p.last(), *first, last)
    });
    if let Some((_, _, s)) = found {
        return Some(*s);
    }
    let global = (0x2000u128 << 112)..=((0x4000u128 << 112) - 1);
    if !(global.contains(&p.first()) && global.contains(&p.last())) {
        return Some(NOT_GLOBAL_UNICAST);
    }
    None
}

/// The first special-purpose AS block `r` overlaps, if any.
pub fn asn(r: &AsnRange) -> Option<Special> {
    ASNS.iter()
        .find(|(first, last, _)| r.first() <= *last && *first <= r.last())
        .map(|(_, _, s)| *s)
}

/// The special-use name `d` is or lies below, if any. (A suffix *above* one — `com` above
/// `example.com` — is an ordinary claim: it answers for everything but the special name.)
pub fn domain(d: &DomainSuffix) -> Option<Special> {
    d.suffixes()
        .find_map(|s| NAMES.iter().find(|(name, _)| *name == s))
        .map(|(_, s)| *s)
}
