//! A constitution's voting rule for one kind of proposal.

use std::collections::BTreeSet;

use pacific_core::party::StakeholderType;
use serde::{Deserialize, Serialize};

/// An exact fraction (`numerator / denominator`), so that "two thirds" is two thirds and a
/// threshold met exactly is met, with no rounding.
///
/// Written `"n/d"` (e.g. `quorum = "1/2"` in a charter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fraction {
    pub numerator: u32,
    pub denominator: u32,
}

impl Fraction {
    /// `numerator / denominator`; `None` for a zero denominator or a fraction above one.
    pub fn new(numerator: u32, denominator: u32) -> Option<Self> {
        (denominator > 0 && numerator <= denominator).then_some(Self {
            numerator,
            denominator,
        })
    }

    /// Whether `part / whole` reaches this fraction (`part / whole ≥ n / d`), exactly.
    /// Nothing reaches a positive fraction of zero.
    pub fn reached_by(self, part: u64, whole: u64) -> bool {
        if whole == 0 {
            return self.numerator == 0;
        }
        u128::from(part) * u128::from(self.denominator)
            >= u128::from(self.numerator) * u128::from(whole)
    }
}

impl std::fmt::Display for Fraction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl std::str::FromStr for Fraction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a fraction from 0/1 to 1/1 such as \"2/3\"");
        let (n, d) = s.split_once('/').ok_or_else(bad)?;
        let n = n.trim().parse().map_err(|_| bad())?;
        let d = d.trim().parse().map_err(|_| bad())?;
        Fraction::new(n, d).ok_or_else(bad)
    }
}

impl TryFrom<String> for Fraction {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Fraction> for String {
    fn from(f: Fraction) -> String {
        f.to_string()
    }
}

/// How a proposal is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Decision {
    /// Adopted when the binding voters who took part (yes, no or abstain) reach `quorum` of the
    /// binding members, and the yes votes reach `threshold` of the votes cast (yes and no;
    /// abstentions are not cast).
    Majority {
        quorum: Fraction,
        threshold: Fraction,
    },
    /// Adopted when the quorum is reached, at least one binding member votes yes, and no binding
    /// member votes no: one "no" blocks.
    Consensus { quorum: Fraction },
}

/// The rule of one kind of proposal: how it is decided, and whose votes count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VotingRule {
    pub decision: Decision,
    /// Stakeholder types whose members vote bindingly (one vote per member); every other
    /// member's vote is advisory: tallied and published beside the result, never counted in it.
    #[serde(default = "states_only")]
    pub binding: BTreeSet<StakeholderType>,
}

fn states_only() -> BTreeSet<StakeholderType> {
    BTreeSet::from([StakeholderType::State])
}

impl VotingRule {
    /// The default rule: states vote bindingly, one vote each; quorum half of them; adoption by
    /// two thirds of the votes cast.
    pub fn two_thirds_of_states() -> Self {
        Self {
            decision: Decision::Majority {
                quorum: Fraction {
                    numerator: 1,
                    denominator: 2,
                },
                threshold: Fraction {
                    numerator: 2,
                    denominator: 3,
                },
            },
            binding: states_only(),
        }
    }

    /// Whether a member of `stakeholder` type votes bindingly under this rule.
    pub fn is_binding(&self, stakeholder: StakeholderType) -> bool {
        self.binding.contains(&stakeholder)
    }
}
