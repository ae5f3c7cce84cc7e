//! The resources a party may answer for: IPv4 and IPv6 prefixes, AS numbers and ranges, and
//! domain suffixes, each parsed from its usual text form and written back to it.
//!
//! A prefix never has host bits set (`192.0.2.1/24` is refused, naming `192.0.2.0/24`), an AS
//! range never runs backwards, and a domain suffix is a valid LDH name (RFC 952/1123 letters,
//! digits and hyphens; labels of 1–63 characters, 253 in all), kept in lower case. Names that
//! are not ASCII are refused: an internationalised name is given in its A-label (`xn--…`) form.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why a text is not a resource.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("{text:?} is not an IP prefix: {reason}")]
    BadPrefix { text: String, reason: String },
    #[error("{text:?} has host bits set: the prefix is {canonical}")]
    HostBits { text: String, canonical: String },
    #[error("{text:?} is not an AS number or range: {reason}")]
    BadAsn { text: String, reason: String },
    #[error("the range {first}–{last} runs backwards: its first value is above its last")]
    Reversed { first: String, last: String },
    #[error("{text:?} is not a valid domain name: {reason}")]
    BadDomain { text: String, reason: String },
    #[error("{text:?} is not ASCII: give an internationalised name in its A-label form (xn--…)")]
    NonAscii { text: String },
    #[error("the range {first}–{last} mixes IPv4 and IPv6")]
    MixedFamilies { first: String, last: String },
}

macro_rules! prefix_type {
    ($(#[$doc:meta])* $name:ident, $addr:ty, $bits:ty, $width:expr, $family:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            first: $bits,
            len: u8,
        }

        impl $name {
            /// The prefix `addr/len`: refused if `len` is over the address width or `addr` has
            /// bits set past `len`.
            pub fn new(addr: $addr, len: u8) -> Result<Self, ResourceError> {
                let text = || format!("{addr}/{len}");
                if u32::from(len) > $width {
                    return Err(ResourceError::BadPrefix {
                        text: text(),
                        reason: format!("a prefix length is 0 to {}", $width),
                    });
                }
                let bits = <$bits>::from(addr);
                let masked = bits & Self::mask(len);
                if masked != bits {
                    return Err(ResourceError::HostBits {
                        text: text(),
                        canonical: format!("{}/{len}", <$addr>::from(masked)),
                    });
                }
                Ok(Self { first: bits, len })
            }

            /// The network mask of a prefix of length `len` (at most the width).
            fn mask(len: u8) -> $bits {
                if len == 0 { 0 } else { <$bits>::MAX << ($width - u32::from(len)) }
            }

            /// The prefix's first address.
            pub fn addr(&self) -> $addr {
                <$addr>::from(self.first)
            }
            /// The prefix length (0 to the address width).
            pub fn prefix_len(&self) -> u8 {
                self.len
            }
            /// The first address as an integer.
            pub fn first(&self) -> $bits {
                self.first
            }
            /// The last address as an integer.
            pub fn last(&self) -> $bits {
                self.first | !Self::mask(self.len)
            }
            /// Whether `addr` is in the prefix.
            pub fn contains(&self, addr: $addr) -> bool {
                <$bits>::from(addr) & Self::mask(self.len) == self.first
            }
            /// Whether the two prefixes share an address (one contains the other).
            pub fn overlaps(&self, other: &Self) -> bool {
                self.first <= other.last() && other.first <= self.last()
            }
            /// How many addresses the prefix holds, `None` for the whole space of IPv6 (2^128).
            pub fn size(&self) -> Option<u128> {
                1u128.checked_shl($width - u32::from(self.len))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}", self.addr(), self.len)
            }
        }

        impl FromStr for $name {
            type Err = ResourceError;
            fn from_str(s: &str) -> Result<Self, ResourceError> {
                let bad = |reason: &str| ResourceError::BadPrefix {
                    text: s.to_owned(),
                    reason: reason.to_owned(),
                };
                let (addr, len) = s
                    .split_once('/')
                    .ok_or_else(|| bad("expected ADDRESS/LENGTH"))?;
                let addr: $addr = addr
                    .parse()
                    .map_err(|_| bad(concat!("the address is not ", $family)))?;
                if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("the length is not a number"));
                }
                let len: u8 = len.parse().map_err(|_| bad("the length is not a number"))?;
                Self::new(addr, len).map_err(|e| match e {
                    ResourceError::HostBits { canonical, .. } => ResourceError::HostBits {
                        text: s.to_owned(),
                        canonical,
                    },
                    other => other,
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

prefix_type!(
    /// An IPv4 prefix, `a.b.c.d/len`, without host bits.
    Ipv4Prefix, Ipv4Addr, u32, 32, "IPv4"
);
prefix_type!(
    /// An IPv6 prefix, `x:x::/len`, without host bits.
    Ipv6Prefix, Ipv6Addr, u128, 128, "IPv6"
);

/// An IPv4 or IPv6 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpPrefix {
    V4(Ipv4Prefix),
    V6(Ipv6Prefix),
}

impl IpPrefix {
    /// The prefix holding exactly `addr` (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => IpPrefix::V4(Ipv4Prefix {
                first: a.into(),
                len: 32,
            }),
            IpAddr::V6(a) => IpPrefix::V6(Ipv6Prefix {
                first: a.into(),
                len: 128,
            }),
        }
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpPrefix::V4(p) => p.fmt(f),
            IpPrefix::V6(p) => p.fmt(f),
        }
    }
}

impl FromStr for IpPrefix {
    type Err = ResourceError;
    fn from_str(s: &str) -> Result<Self, ResourceError> {
        if s.contains(':') {
            s.parse().map(IpPrefix::V6)
        } else {
            s.parse().map(IpPrefix::V4)
        }
    }
}

/// An AS number or an inclusive range of them (`AS64500`, `AS64500-AS64511`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsnRange {
    first: u32,
    last: u32,
}

impl AsnRange {
    /// The range `first..=last`; refused if it runs backwards.
    pub fn new(first: u32, last: u32) -> Result<Self, ResourceError> {
        if first > last {
            return Err(ResourceError::Reversed {
                first: format!("AS{first}"),
                last: format!("AS{last}"),
            });
        }
        Ok(Self { first, last })
    }
    /// One AS number.
    pub fn single(asn: u32) -> Self {
        Self {
            first: asn,
            last: asn,
        }
    }
    pub fn first(&self) -> u32 {
        self.first
    }
    pub fn last(&self) -> u32 {
        self.last
    }
    /// How many AS numbers the range holds.
    pub fn count(&self) -> u64 {
        u64::from(self.last - self.first) + 1
    }
    pub fn contains(&self, asn: u32) -> bool {
        self.first <= asn && asn <= self.last
    }
    pub fn overlaps(&self, other: &Self) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

/// Parses `AS64500`, `as64500` or `64500` (asplain, RFC 5396).
pub fn parse_asn(text: &str) -> Result<u32, ResourceError> {
    let bad = |reason: &str| ResourceError::BadAsn {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let digits = text
        .strip_prefix("AS")
        .or_else(|| text.strip_prefix("as"))
        .or_else(|| text.strip_prefix("As"))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected AS followed by a decimal number (asplain)"));
    }
    digits
        .parse()
        .map_err(|_| bad("an AS number is at most 4294967295"))
}

impl fmt::Display for AsnRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "AS{}", self.first)
        } else {
            write!(f, "AS{}-AS{}", self.first, self.last)
        }
    }
}

impl FromStr for AsnRange {
    type Err = ResourceError;
    fn from_str(s: &str) -> Result<Self, ResourceError> {
        match s.split_once('-') {
            Some((a, b)) => AsnRange::new(parse_asn(a.trim())?, parse_asn(b.trim())?),
            None => parse_asn(s).map(AsnRange::single),
        }
    }
}

/// A domain suffix: a valid LDH name in lower case, without a final dot. It covers itself and
/// every name below it (`example.xa` covers `host.example.xa`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainSuffix(String);

impl DomainSuffix {
    /// Checks and normalises `text` (lower case; one final dot dropped).
    pub fn parse(text: &str) -> Result<Self, ResourceError> {
        let bad = |reason: String| ResourceError::BadDomain {
            text: text.to_owned(),
            reason,
        };
        if !text.is_ascii() {
            return Err(ResourceError::NonAscii {
                text: text.to_owned(),
            });
        }
        let name = text.strip_suffix('.').unwrap_or(text);
        if name.is_empty() {
            return Err(bad("the name is empty".into()));
        }
        if name.len() > 253 {
            return Err(bad(format!("{} characters (at most 253)", name.len())));
        }
        let name = name.to_ascii_lowercase();
        for label in name.split('.') {
            if label.is_empty() {
                return Err(bad(
                    "an empty label (two dots in a row, or a leading dot)".into()
                ));
            }
            if label.len() > 63 {
                return Err(bad(format!("the label {label:?} is over 63 characters")));
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(bad(format!(
                    "{c:?} in the label {label:?} (letters, digits and hyphens only)"
                )));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(bad(format!(
                    "the label {label:?} begins or ends with a hyphen"
                )));
            }
        }
        let tld = name.rsplit('.').next().unwrap_or_default();
        if tld.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "the top-level label {tld:?} is all digits (an address is not a name)"
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` (normalised) is this suffix or below it.
    pub fn covers(&self, name: &DomainSuffix) -> bool {
        name.0 == self.0
            || (name.0.len() > self.0.len()
                && name.0.ends_with(&self.0)
                && name.0.as_bytes()[name.0.len() - self.0.len() - 1] == b'.')
    }

    /// The name and each suffix above it, most specific first: `a.b.xa`, `b.xa`, `xa`.
    pub fn suffixes(&self) -> impl Iterator<Item = &str> {
        let s = self.0.as_str();
        std::iter::once(s).chain(s.match_indices('.').map(move |(i, _)| &s[i + 1..]))
    }
}

impl fmt::Display for DomainSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DomainSuffix {
    type Err = ResourceError;
    fn from_str(s: &str) -> Result<Self, ResourceError> {
        DomainSuffix::parse(s)
    }
}

impl serde::Serialize for DomainSuffix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for DomainSuffix {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DomainSuffix::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for AsnRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for AsnRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One resource of a claim.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Ip(IpPrefix),
    Asn(AsnRange),
    Domain(DomainSuffix),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Ip(p) => p.fmt(f),
            Resource::Asn(a) => a.fmt(f),
            Resource::Domain(d) => d.fmt(f),
        }
    }
}

impl FromStr for Resource {
    type Err = ResourceError;
    /// `203.0.113.0/24`, `2001:db8::/32`, `AS64500`, `AS64500-AS64511` or `example.xa`.
    fn from_str(s: &str) -> Result<Self, ResourceError> {
        let s = s.trim();
        if s.contains('/') {
            return s.parse().map(Resource::Ip);
        }
        if looks_like_asn(s) {
            return s.parse().map(Resource::Asn);
        }
        if s.parse::<IpAddr>().is_ok() {
            return Err(ResourceError::BadPrefix {
                text: s.to_owned(),
                reason: "an address needs its prefix length (e.g. /32 or /128)".into(),
            });
        }
        DomainSuffix::parse(s).map(Resource::Domain)
    }
}

/// `AS` and a digit, and no dot: `as1.example.xa` is a name.
fn looks_like_asn(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 2 && b[..2].eq_ignore_ascii_case(b"as") && b[2].is_ascii_digit() && !s.contains('.')
}

/// What a lookup asks about: one address, one AS number or one domain name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Query {
    Ip(IpAddr),
    Asn(u32),
    Domain(DomainSuffix),
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Ip(a) => a.fmt(f),
            Query::Asn(a) => write!(f, "AS{a}"),
            Query::Domain(d) => d.fmt(f),
        }
    }
}

impl FromStr for Query {
    type Err = ResourceError;
    /// `203.0.113.5`, `2001:db8::1`, `AS64500` or `host.example.xa`.
    fn from_str(s: &str) -> Result<Self, ResourceError> {
        let s = s.trim();
        if let Ok(a) = s.parse::<IpAddr>() {
            return Ok(Query::Ip(a));
        }
        if looks_like_asn(s) {
            return parse_asn(s).map(Query::Asn);
        }
        DomainSuffix::parse(s).map(Query::Domain)
    }
}
