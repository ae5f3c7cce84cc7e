//! Corroboration: a node that holds its own copy of delegation data (an RIR statistics file,
//! imported with [`crate::import`]) checks a claim against it. A claim is **corroborated** when
//! the data covers every resource it names, **contradicted** otherwise, with the resources the
//! data does not cover. The mark is the node's own: it names the data it used and is never
//! part of the claim.

use serde::{Deserialize, Serialize};

use crate::claim::{Claim, Resources};
use crate::resource::{IpPrefix, Resource};

/// What a node's data says of a claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The data covers every resource of the claim.
    Corroborated,
    /// The data does not cover these resources of the claim.
    Contradicted { uncovered: Vec<String> },
}

/// A node's mark on a claim: the verdict and the data it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The claim's id and the version (`modified`) checked.
    pub claim: String,
    pub version: String,
    /// What the data is, as the node names it (e.g. `delegated-afrinic-extended-20260301`).
    pub source: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Merged inclusive intervals, sorted, for "is this range inside the union" questions.
struct Union(Vec<(u128, u128)>);

impl Union {
    fn new(mut v: Vec<(u128, u128)>) -> Self {
        v.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            match out.last_mut() {
                Some((_, e)) if a <= e.saturating_add(1) => *e = (*e).max(b),
                _ => out.push((a, b)),
            }
        }
        Union(out)
    }

    fn covers(&self, first: u128, last: u128) -> bool {
        let i = self.0.partition_point(|(s, _)| *s <= first);
        i > 0 && self.0[i - 1].1 >= last
    }
}

/// Checks `claim` against `data` (the resources the node's delegation data gives the claiming
/// party or its country), naming the data `source`.
pub fn corroborate(claim: &Claim, data: &Resources, source: &str) -> Mark {
    let v4 = Union::new(
        data.ipv4
            .iter()
            .map(|p| (p.first().into(), p.last().into()))
            .collect(),
    );
    let v6 = Union::new(data.ipv6.iter().map(|p| (p.first(), p.last())).collect());
    let asn = Union::new(
        data.asns
            .iter()
            .map(|a| (a.first().into(), a.last().into()))
            .collect(),
    );
    let uncovered: Vec<String> = claim
        .resources
        .iter()
        .filter(|r| match r {
            Resource::Ip(IpPrefix::V4(p)) => !v4.covers(p.first().into(), p.last().into()),
            Resource::Ip(IpPrefix::V6(p)) => !v6.covers(p.first(), p.last()),
            Resource::Asn(a) => !asn.covers(a.first().into(), a.last().into()),
            Resource::Domain(d) => !data.domains.iter().any(|s| s.covers(d)),
        })
        .map(|r| r.to_string())
        .collect();
    Mark {
        claim: claim.id.clone(),
        version: claim.modified.to_string(),
        source: source.to_owned(),
        verdict: if uncovered.is_empty() {
            Verdict::Corroborated
        } else {
            Verdict::Contradicted { uncovered }
        },
    }
}
