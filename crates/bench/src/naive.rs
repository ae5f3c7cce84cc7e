//! The naive baseline of `bench match`: every observable of every event compared with every
//! indicator's value, one by one, as a linear scan would. What the index is measured against.

/// An indicator value for the naive baseline, compared as text or integers.
pub enum NaiveKey {
    V4(u32, u32),
    V6(u128, u128),
    Text(pacific_match::Kind, String),
    Suffix(String),
}

impl From<pacific_match::index::Key> for NaiveKey {
    fn from(k: pacific_match::index::Key) -> Self {
        use pacific_match::Kind;
        use pacific_match::index::Key;
        match k {
            Key::V4(a) => NaiveKey::V4(a, u32::MAX),
            Key::V4Net(a, l) => {
                NaiveKey::V4(a, u32::MAX.checked_shl(32 - u32::from(l)).unwrap_or(0))
            }
            Key::V6(a) => NaiveKey::V6(a, u128::MAX),
            Key::V6Net(a, l) => {
                NaiveKey::V6(a, u128::MAX.checked_shl(128 - u32::from(l)).unwrap_or(0))
            }
            Key::Domain(d) => NaiveKey::Text(Kind::Domain, d.into()),
            Key::DomainSuffix(d) => NaiveKey::Suffix(format!(".{d}")),
            Key::Url(u) => NaiveKey::Text(Kind::Url, u.into()),
            Key::Email(e) => NaiveKey::Text(Kind::Email, e.into()),
            Key::Md5(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
            Key::Sha1(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
            Key::Sha256(h) => NaiveKey::Text(Kind::Hash, hex::encode(h)),
        }
    }
}

impl NaiveKey {
    pub fn matches(&self, kind: pacific_match::Kind, value: &str) -> bool {
        use pacific_match::Kind;
        match self {
            NaiveKey::V4(net, mask) => value
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| u32::from(a) & mask == *net),
            NaiveKey::V6(net, mask) => value
                .parse::<std::net::Ipv6Addr>()
                .is_ok_and(|a| u128::from(a) & mask == *net),
            NaiveKey::Text(k, s) => *k == kind && value.eq_ignore_ascii_case(s),
            NaiveKey::Suffix(s) => {
                kind == Kind::Domain
                    && value.len() > s.len()
                    && value.to_ascii_lowercase().ends_with(s.as_str())
            }
        }
    }
}

/// The values the patterns compile to, each compared on its own (a pattern that does not
/// compile gives none).
pub fn keys(patterns: impl Iterator<Item = String>) -> Vec<NaiveKey> {
    patterns
        .flat_map(|pattern| {
            let terms = pacific_match::pattern::parse(&pattern)
                .ok()
                .and_then(|p| pacific_match::compile::compile(&p).ok())
                .unwrap_or_default();
            terms.into_iter().flatten().flatten().map(NaiveKey::from)
        })
        .collect()
}

/// Reads the events of `data` and compares each observable with every key: (events read,
/// matches).
pub fn scan(data: &[u8], opts: &pacific_match::InputOptions, keys: &[NaiveKey]) -> (u64, u64) {
    let mut matched = 0u64;
    let read = pacific_match::read_events(data, opts, |ev| {
        for o in &ev.observables {
            for k in keys {
                if k.matches(o.kind, &o.value) {
                    matched += 1;
                }
            }
        }
    })
    .unwrap_or_default()
    .events;
    (read, matched)
}
