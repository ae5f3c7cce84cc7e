//! The tally of a proposal's votes: a pure function of the register, the voting period, the
//! rule and the votes. The votes are put in one order first (time cast, then id), so any node
//! holding the same set computes the same tally, whatever order they arrived in.
//!
//! Which votes count: one per member, the last it cast within the period (a member may change
//! its vote until the period closes). Refused, and counted as such: a vote outside the period, by
//! a party that is not in the register, by a member that may not vote now (an applicant, a
//! suspended or withdrawn member), and the same vote (same id) held twice. A refused vote changes
//! nothing.

use std::collections::{BTreeMap, BTreeSet};

use pacific_core::party::StakeholderType;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::rules::{Decision, VotingRule};

/// A member's standing in the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    Applicant,
    Member,
    Suspended,
    Withdrawn,
}

/// A party of the register, as the tally needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub party: PartyId,
    pub stakeholder: StakeholderType,
    pub status: MemberStatus,
}

/// A voter's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

/// One signed vote, already verified as its voter's own act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// The vote's id (its STIX object id): the same vote held twice has the same id.
    pub id: String,
    pub voter: PartyId,
    pub choice: Choice,
    /// When it was cast, milliseconds since the Unix epoch (its signed time).
    pub cast_at: u64,
}

/// The voting period: votes cast at `opens ≤ t < closes` count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub opens: u64,
    pub closes: u64,
}

impl Period {
    fn contains(self, t: u64) -> bool {
        self.opens <= t && t < self.closes
    }
}

/// Why a vote does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    #[error("cast outside the voting period")]
    OutsidePeriod,
    #[error("the voter is not a member of the federation")]
    NotAMember,
    #[error("the voter is an applicant, suspended or withdrawn, and may not vote")]
    MayNotVote,
    #[error("the same vote is held twice")]
    Duplicate,
}

/// Votes by choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
}

impl Counts {
    fn add(&mut self, choice: Choice) {
        match choice {
            Choice::Yes => self.yes += 1,
            Choice::No => self.no += 1,
            Choice::Abstain => self.abstain += 1,
        }
    }

    /// Votes cast: yes and no (abstentions are not cast).
    pub fn cast(&self) -> u64 {
        self.yes + self.no
    }

    /// Voters who took part, abstentions included (what a quorum counts).
    pub fn participants(&self) -> u64 {
        self.yes + self.no + self.abstain
    }
}

/// The result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Adopted,
    /// Too few binding members took part.
    NoQuorum {
        participants: u64,
        eligible: u64,
    },
    /// The yes votes did not reach the threshold of the votes cast.
    Rejected,
    /// Consensus: these binding members voted no.
    Blocked {
        by: Vec<PartyId>,
    },
}

/// A tally: the counts (binding and advisory side by side), the outcome, and every refused
/// vote with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Binding members who may vote (members in good standing of a binding type).
    pub eligible: u64,
    pub binding: Counts,
    /// Published beside the result, never counted in it.
    pub advisory: Counts,
    pub outcome: Outcome,
    /// Refused votes by id, in the tally's order.
    pub refused: Vec<(String, Refusal)>,
    /// Earlier votes of a member replaced by a later one (not refused: the last one counts).
    pub superseded: Vec<String>,
}

/// Tallies `votes` under `rule` for the members in `register` within `period`.
pub fn tally(rule: &VotingRule, register: &[Member], period: Period, votes: &[Vote]) -> Tally {
    let members: BTreeMap<&PartyId, &Member> = register.iter().map(|m| (&m.party, m)).collect();
    let mut ordered: Vec<&Vote> = votes.iter().collect();
    // A total order: two different votes under one id (a forgery, or a bug) are still put in the
    // same order everywhere, so the one that counts is the same on every node.
    ordered.sort_by(|a, b| {
        (a.cast_at, &a.id, &a.voter, a.choice).cmp(&(b.cast_at, &b.id, &b.voter, b.choice))
    });

    let mut seen = BTreeSet::new();
    let mut refused = Vec::new();
    let mut superseded = Vec::new();
    // Each voter's last vote, in the tally's order.
    let mut last: BTreeMap<&PartyId, &Vote> = BTreeMap::new();
    for vote in ordered {
        if !seen.insert(&vote.id) {
            refused.push((vote.id.clone(), Refusal::Duplicate));
            continue;
        }
        let refusal = match members.get(&vote.voter) {
            _ if !period.contains(vote.cast_at) => Some(Refusal::OutsidePeriod),
            None => Some(Refusal::NotAMember),
            Some(m) if m.status != MemberStatus::Member => Some(Refusal::MayNotVote),
            Some(_) => None,
        };
        if let Some(r) = refusal {
            refused.push((vote.id.clone(), r));
            continue;
        }
        if let Some(earlier) = last.insert(&vote.voter, vote) {
            superseded.push(earlier.id.clone());
        }
    }

    let mut binding = Counts::default();
    let mut advisory = Counts::default();
    let mut blockers = Vec::new();
    for (party, vote) in &last {
        let member = members[party];
        if rule.is_binding(member.stakeholder) {
            binding.add(vote.choice);
            if vote.choice == Choice::No {
                blockers.push((*party).clone());
            }
        } else {
            advisory.add(vote.choice);
        }
    }
    let eligible = register
        .iter()
        .filter(|m| m.status == MemberStatus::Member && rule.is_binding(m.stakeholder))
        .count() as u64;

    let quorum = match rule.decision {
        Decision::Majority { quorum, .. } | Decision::Consensus { quorum } => quorum,
    };
    let outcome = if eligible == 0 || !quorum.reached_by(binding.participants(), eligible) {
        Outcome::NoQuorum {
            participants: binding.participants(),
            eligible,
        }
    } else {
        match rule.decision {
            Decision::Majority { threshold, .. } => {
                if binding.cast() > 0 && threshold.reached_by(binding.yes, binding.cast()) {
                    Outcome::Adopted
                } else {
                    Outcome::Rejected
                }
            }
            Decision::Consensus { .. } if !blockers.is_empty() => Outcome::Blocked { by: blockers },
            Decision::Consensus { .. } if binding.yes == 0 => Outcome::Rejected,
            Decision::Consensus { .. } => Outcome::Adopted,
        }
    };
    Tally {
        eligible,
        binding,
        advisory,
        outcome,
        refused,
        superseded,
    }
}
