//! Proposals and the acts members make on them.
//!
//! A proposal changes the federation's shared rules: it adopts (or amends) a **norm** of the
//! catalogue with its parameters, sets **federation parameters**, changes the **membership**
//! (admit, suspend, reinstate, rotate a key), or sets the **roster** of mediators and
//! arbitrators. It has a title, a text, a rationale and its change; during deliberation any
//! member comments and its proposer or co-sponsors amend it (every version is kept); then
//! voting opens for the constitution's period.
//!
//! An [`Act`] is one member's step: propose, comment, amend, vote, or withdraw from the
//! federation. Acts are what nodes publish, sign and exchange; [`crate::state`] replays them.

use std::collections::{BTreeMap, BTreeSet};

use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::charter::MemberDetails;
use crate::params::Parameter;
use crate::tally::Choice;

/// The kinds of proposal, each with its voting rule in the constitution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProposalKind {
    Norm,
    Parameter,
    Membership,
    Roster,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::Norm => "norm",
            ProposalKind::Parameter => "parameter",
            ProposalKind::Membership => "membership",
            ProposalKind::Roster => "roster",
        }
    }
}

impl std::fmt::Display for ProposalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a proposal changes once adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Change {
    /// Adopt (or amend, when adopted already) a norm of the catalogue, with the parameters
    /// that make it operable.
    AdoptNorm {
        norm: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        parameters: BTreeMap<Parameter, u64>,
    },
    /// Set federation parameters.
    SetParameters {
        parameters: BTreeMap<Parameter, u64>,
    },
    /// Admit an applicant as a member.
    Admit { member: MemberDetails },
    /// Suspend a member: it may no longer propose, comment or vote.
    Suspend { party: PartyId },
    /// Reinstate a suspended member.
    Reinstate { party: PartyId },
    /// Replace a member's node key.
    RotateKey { party: PartyId, key: String },
    /// The roster of mediators and arbitrators disputes draw on.
    Roster {
        mediators: BTreeSet<PartyId>,
        arbitrators: BTreeSet<PartyId>,
    },
}

impl Change {
    pub fn kind(&self) -> ProposalKind {
        match self {
            Change::AdoptNorm { .. } => ProposalKind::Norm,
            Change::SetParameters { .. } => ProposalKind::Parameter,
            Change::Admit { .. }
            | Change::Suspend { .. }
            | Change::Reinstate { .. }
            | Change::RotateKey { .. } => ProposalKind::Membership,
            Change::Roster { .. } => ProposalKind::Roster,
        }
    }

    /// The parameters it sets.
    pub fn parameters(&self) -> Option<&BTreeMap<Parameter, u64>> {
        match self {
            Change::AdoptNorm { parameters, .. } | Change::SetParameters { parameters } => {
                Some(parameters)
            }
            _ => None,
        }
    }
}

/// One member's act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Act {
    /// Table a proposal; its id is the act's id.
    Propose {
        title: String,
        text: String,
        rationale: String,
        change: Change,
        #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
        co_sponsors: BTreeSet<PartyId>,
    },
    /// Comment on a proposal, until its voting closes.
    Comment { proposal: String, text: String },
    /// A new version of a proposal's text (and possibly its change), by its proposer or a
    /// co-sponsor, during deliberation.
    Amend {
        proposal: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rationale: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<Change>,
    },
    /// A vote on a proposal in its voting period; a later vote replaces an earlier one.
    Vote { proposal: String, choice: Choice },
    /// The acting member leaves the federation (a member may always withdraw itself).
    Withdraw {},
}

impl Act {
    /// The proposal it acts on, if any (a proposal is its own `Propose` act).
    pub fn proposal(&self) -> Option<&str> {
        match self {
            Act::Comment { proposal, .. }
            | Act::Amend { proposal, .. }
            | Act::Vote { proposal, .. } => Some(proposal),
            Act::Propose { .. } | Act::Withdraw {} => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Act::Propose { .. } => "propose",
            Act::Comment { .. } => "comment",
            Act::Amend { .. } => "amend",
            Act::Vote { .. } => "vote",
            Act::Withdraw {} => "withdraw",
        }
    }
}
