//! What the engine matches: events made of typed observables, and the normal forms both
//! indicators and observables are brought to before they meet.
//!
//! Normal forms: domains lower-case without a trailing dot; IPv4/IPv6 parsed to integers;
//! hashes as bytes (hex of any case); e-mail addresses lower-case; URLs as given, trimmed.

use std::borrow::Cow;
use std::net::Ipv6Addr;

/// The kind of an observed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An IPv4 or IPv6 address.
    Ip,
    /// A domain name.
    Domain,
    /// A host: an IP address or a domain name, whichever it parses as.
    Host,
    Url,
    Email,
    /// A hex MD5, SHA-1 or SHA-256 (told apart by length).
    Hash,
}

impl Kind {
    /// Parses the names used in field mappings (`--map field=kind`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ip" | "ipv4" | "ipv6" => Kind::Ip,
            "domain" => Kind::Domain,
            "host" => Kind::Host,
            "url" => Kind::Url,
            "email" => Kind::Email,
            "hash" | "md5" | "sha1" | "sha256" => Kind::Hash,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Domain => "domain",
            Kind::Host => "host",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Hash => "hash",
        }
    }
}

/// One observed value of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observable<'a> {
    pub kind: Kind,
    pub value: Cow<'a, str>,
}

impl<'a> Observable<'a> {
    pub fn new(kind: Kind, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// One event: a line of input and the observables found in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The 1-based line number in its input.
    pub line: u64,
    /// The event's time (Unix microseconds), when the input carries one; validity windows
    /// are checked at this time, else at the matcher's "now".
    pub time: Option<i64>,
    pub observables: Vec<Observable<'a>>,
}

/// Dotted-quad IPv4 (no leading zeros beyond a single `0`, as `std` accepts), hand-rolled
/// because it is on the hot path of every event.
pub(crate) fn parse_ipv4(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let (mut addr, mut octet, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                if digits > 0 && octet == 0 {
                    return None; // a leading zero
                }
                octet = octet * 10 + u32::from(c - b'0');
                digits += 1;
                if octet > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && i + 1 < b.len() => {
                addr = addr << 8 | octet;
                (octet, digits) = (0, 0);
                dots += 1;
            }
            _ => return None,
        }
    }
    (dots == 3 && digits > 0).then_some(addr << 8 | octet)
}

#[cfg(test)]
pub(crate) fn parse_ipv4_std(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

pub(crate) fn parse_ipv6(s: &str) -> Option<u128> {
    s.parse::<Ipv6Addr>().ok().map(u128::from)
}

/// `s.trim()`, without its Unicode scan in the usual case of a value that starts and ends with
/// a printable ASCII character (matching trims every observable it probes).
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if (0x21..0x7f).contains(&a) && (0x21..0x7f).contains(&z) => s,
        _ => s.trim(),
    }
}

/// Lower-case, trimmed, without one trailing dot; `None` if nothing is left or it cannot be a
/// name (contains whitespace, `/`, `@` or `:`).
pub(crate) fn normalise_domain(s: &str) -> Option<Cow<'_, str>> {
    let s = trim(s);
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty()
        || s.bytes()
            .any(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'@' | b':'))
    {
        return None;
    }
    Some(lower(s))
}

pub(crate) fn normalise_email(s: &str) -> Option<Cow<'_, str>> {
    let s = trim(s);
    if !s.contains('@') {
        return None;
    }
    Some(lower(s))
}

pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Decodes exactly `N` bytes of hex (either case).
pub(crate) fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(out)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ipv4_parser_agrees_with_std(s in "[0-9.]{0,16}") {
            proptest::prop_assert_eq!(parse_ipv4(&s), parse_ipv4_std(&s));
        }

        #[test]
        fn ipv4_parser_agrees_with_std_on_addresses(a: u8, b: u8, c: u8, d: u8) {
            let s = format!("{a}.{b}.{c}.{d}");
            proptest::prop_assert_eq!(parse_ipv4(&s), parse_ipv4_std(&s));
        }

        #[test]
        fn trim_is_str_trim(s in "[ \t\u{a0}\u{2003}a-z.\u{e9}]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    #[test]
    fn normal_forms() {
        assert_eq!(
            normalise_domain(" WWW.Example.COM. ").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(normalise_domain("."), None);
        assert_eq!(normalise_domain("a b"), None);
        assert_eq!(parse_ipv4("10.0.0.1"), Some(0x0a00_0001));
        assert_eq!(parse_ipv4("10.0.0"), None);
        assert_eq!(parse_ipv6("::1"), Some(1));
        assert_eq!(decode_hex::<2>("aBcD"), Some([0xab, 0xcd]));
        assert_eq!(decode_hex::<2>("abcg"), None);
        assert_eq!(decode_hex::<2>("abc"), None);
        assert_eq!(
            normalise_email("Bob@Example.org").as_deref(),
            Some("bob@example.org")
        );
    }
}
