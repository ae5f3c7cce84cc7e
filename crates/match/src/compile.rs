//! From a parsed pattern to what the index stores: a list of *terms* (alternatives), each a
//! list of *conjuncts* that must all match the same event, each conjunct a set of keys any one
//! of which satisfies it.
//!
//! What is evaluated (everything else is [`Unsupported`], with the reason):
//! - One observation `[ … ]`, or an `OR` of observations (each is one event on its own).
//! - Inside it, comparisons joined by `AND`/`OR` with parentheses (expanded to at most
//!   [`MAX_TERMS`] alternatives of at most [`MAX_CONJUNCTS`] comparisons).
//! - Paths `ipv4-addr:value`, `ipv6-addr:value`, `domain-name:value`, `url:value`,
//!   `email-addr:value`, `file:hashes.'SHA-256'|'SHA-1'|MD5` (also `SHA256`, `SHA1`).
//! - `=` with a string (for IP addresses also a CIDR `'10.0.0.0/8'`); `IN ('…', …)`;
//!   `ISSUBSET 'cidr'` on IP addresses; `LIKE` on `domain-name:value` in exactly two forms:
//!   a literal with no `%` or `_` (the same as `=`), or `'%.' + suffix` with no other wildcard,
//!   which matches every name strictly below the suffix (`'%.example.com'` matches
//!   `a.example.com` and `a.b.example.com`, not `example.com`).
//!
//! Not evaluated: `!=` and the ordering operators, `MATCHES`, `ISSUPERSET`, `NOT`, other
//! `LIKE` forms, other paths; `AND`/`FOLLOWEDBY` between observations and the `WITHIN`,
//! `REPEATS` and `START … STOP` qualifiers (they need correlation across events).

use crate::index::Key;
use crate::observable::{decode_hex, normalise_domain, normalise_email, parse_ipv4, parse_ipv6};
use crate::pattern::{CompExpr, Comparison, Literal, Op, PathStep, Pattern};

/// At most this many alternatives per indicator after expanding `OR` inside `AND`.
pub const MAX_TERMS: usize = 64;
/// At most this many comparisons joined by `AND` in one alternative.
pub const MAX_CONJUNCTS: usize = 16;

/// Why a valid pattern is not evaluated by this engine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("observation expressions joined by {0} need correlation across events")]
    MultiObservation(&'static str),
    #[error("the {0} qualifier needs correlation across events")]
    Qualifier(&'static str),
    #[error("the object path {0} is not matched by this engine")]
    Path(String),
    #[error("the operator {op} is not supported on {path}")]
    Operator { op: String, path: String },
    #[error("NOT is not supported")]
    Negation,
    #[error(
        "LIKE {0:?} is not supported: only a literal without wildcards or '%.suffix' (subdomains)"
    )]
    LikeForm(String),
    #[error("{path}: {value} is not a valid value ({why})")]
    BadValue {
        path: String,
        value: String,
        why: &'static str,
    },
    #[error("too complex: more than {MAX_TERMS} alternatives after expanding OR inside AND")]
    TooManyTerms,
    #[error("too complex: more than {MAX_CONJUNCTS} comparisons joined by AND")]
    TooManyConjuncts,
}

/// The alternatives of a compiled pattern (see the module documentation).
pub type Terms = Vec<Vec<Vec<Key>>>;

/// Compiles a parsed pattern.
pub fn compile(pattern: &Pattern) -> Result<Terms, Unsupported> {
    let mut observations = Vec::new();
    collect_observations(pattern, &mut observations)?;
    let mut terms = Vec::new();
    for obs in observations {
        terms.extend(dnf(obs)?);
        if terms.len() > MAX_TERMS {
            return Err(Unsupported::TooManyTerms);
        }
    }
    Ok(terms)
}

fn collect_observations<'a>(
    p: &'a Pattern,
    out: &mut Vec<&'a CompExpr>,
) -> Result<(), Unsupported> {
    match p {
        Pattern::Observation(e) => out.push(e),
        Pattern::Or(items) => {
            for item in items {
                collect_observations(item, out)?;
            }
        }
        Pattern::And(_) => return Err(Unsupported::MultiObservation("AND")),
        Pattern::FollowedBy(_) => return Err(Unsupported::MultiObservation("FOLLOWEDBY")),
        Pattern::Qualified(_, q) => return Err(Unsupported::Qualifier(q.keyword())),
    }
    Ok(())
}

/// Disjunctive normal form: alternatives of conjunctions of key sets.
fn dnf(e: &CompExpr) -> Result<Terms, Unsupported> {
    match e {
        CompExpr::Cmp(c) => Ok(vec![vec![leaf(c)?]]),
        CompExpr::Or(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(dnf(item)?);
                if out.len() > MAX_TERMS {
                    return Err(Unsupported::TooManyTerms);
                }
            }
            Ok(out)
        }
        CompExpr::And(items) => {
            let mut acc: Terms = vec![Vec::new()];
            for item in items {
                let alternatives = dnf(item)?;
                if acc.len() * alternatives.len() > MAX_TERMS {
                    return Err(Unsupported::TooManyTerms);
                }
                let mut next = Vec::with_capacity(acc.len() * alternatives.len());
                for left in &acc {
                    for right in &alternatives {
                        if left.len() + right.len() > MAX_CONJUNCTS {
                            return Err(Unsupported::TooManyConjuncts);
                        }
                        let mut term = left.clone();
                        term.extend(right.iter().cloned());
                        next.push(term);
                    }
                }
                acc = next;
            }
            Ok(acc)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    V4,
    V6,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
}

fn target(c: &Comparison) -> Option<Target> {
    let key = |i: usize| match c.path.steps.get(i) {
        Some(PathStep::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let value_only = c.path.steps.len() == 1 && key(0) == Some("value");
    Some(match c.path.object_type.as_str() {
        "ipv4-addr" if value_only => Target::V4,
        "ipv6-addr" if value_only => Target::V6,
        "domain-name" if value_only => Target::Domain,
        "url" if value_only => Target::Url,
        "email-addr" if value_only => Target::Email,
        "file" if c.path.steps.len() == 2 && key(0) == Some("hashes") => {
            match key(1)?.to_ascii_uppercase().as_str() {
                "MD5" => Target::Md5,
                "SHA-1" | "SHA1" => Target::Sha1,
                "SHA-256" | "SHA256" => Target::Sha256,
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn leaf(c: &Comparison) -> Result<Vec<Key>, Unsupported> {
    let path = || c.path.to_string();
    let t = target(c).ok_or_else(|| Unsupported::Path(path()))?;
    if c.negated {
        return Err(Unsupported::Negation);
    }
    let bad_op = || Unsupported::Operator {
        op: c.op.to_string(),
        path: path(),
    };
    let string = |v: &Literal| match v {
        Literal::Str(s) => Ok(s.clone()),
        other => Err(Unsupported::BadValue {
            path: path(),
            value: format!("{other:?}"),
            why: "expected a string",
        }),
    };
    match c.op {
        Op::Eq => Ok(vec![key(t, &string(&c.value)?, &path)?]),
        Op::In => {
            let Literal::List(items) = &c.value else {
                return Err(bad_op());
            };
            if items.is_empty() {
                return Err(Unsupported::BadValue {
                    path: path(),
                    value: "()".into(),
                    why: "an empty list matches nothing",
                });
            }
            items.iter().map(|v| key(t, &string(v)?, &path)).collect()
        }
        Op::IsSubset if matches!(t, Target::V4 | Target::V6) => {
            Ok(vec![key(t, &string(&c.value)?, &path)?])
        }
        Op::Like if t == Target::Domain => {
            let s = string(&c.value)?;
            let wild = |s: &str| s.contains(['%', '_']);
            if !wild(&s) {
                Ok(vec![key(t, &s, &path)?])
            } else if let Some(suffix) = s.strip_prefix("%.").filter(|r| !wild(r)) {
                match normalise_domain(suffix) {
                    Some(d) => Ok(vec![Key::DomainSuffix(d.into())]),
                    None => Err(Unsupported::LikeForm(s)),
                }
            } else {
                Err(Unsupported::LikeForm(s))
            }
        }
        _ => Err(bad_op()),
    }
}

fn key(t: Target, s: &str, path: &dyn Fn() -> String) -> Result<Key, Unsupported> {
    let bad = |why: &'static str| Unsupported::BadValue {
        path: path(),
        value: format!("{s:?}"),
        why,
    };
    let s = s.trim();
    match t {
        Target::V4 => {
            let (addr, len) =
                split_cidr(s, 32).ok_or_else(|| bad("not an IPv4 address or CIDR"))?;
            let addr = parse_ipv4(addr).ok_or_else(|| bad("not an IPv4 address or CIDR"))?;
            Ok(if len == 32 {
                Key::V4(addr)
            } else {
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                Key::V4Net(addr & mask, len)
            })
        }
        Target::V6 => {
            let (addr, len) =
                split_cidr(s, 128).ok_or_else(|| bad("not an IPv6 address or CIDR"))?;
            let addr = parse_ipv6(addr).ok_or_else(|| bad("not an IPv6 address or CIDR"))?;
            Ok(if len == 128 {
                Key::V6(addr)
            } else {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                Key::V6Net(addr & mask, len)
            })
        }
        Target::Domain => normalise_domain(s)
            .map(|d| Key::Domain(d.into()))
            .ok_or_else(|| bad("not a domain name")),
        Target::Url if !s.is_empty() => Ok(Key::Url(s.into())),
        Target::Url => Err(bad("empty")),
        Target::Email => normalise_email(s)
            .map(|e| Key::Email(e.into()))
            .ok_or_else(|| bad("not an e-mail address")),
        Target::Md5 => decode_hex(s)
            .map(Key::Md5)
            .ok_or_else(|| bad("not 32 hex digits")),
        Target::Sha1 => decode_hex(s)
            .map(Key::Sha1)
            .ok_or_else(|| bad("not 40 hex digits")),
        Target::Sha256 => decode_hex(s)
            .map(Key::Sha256)
            .ok_or_else(|| bad("not 64 hex digits")),
    }
}

/// `addr` or `addr/len` with `len <= max`.
fn split_cidr(s: &str, max: u8) -> Option<(&str, u8)> {
    match s.split_once('/') {
        None => Some((s, max)),
        Some((addr, len)) => {
            let len: u8 = len.parse().ok()?;
            (len <= max).then_some((addr, len))
        }
    }
}
