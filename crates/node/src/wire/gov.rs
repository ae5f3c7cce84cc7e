//! The `/gov/` API's command bodies, shared by the server and `pacific`'s client.

use std::collections::BTreeSet;

use pacific_core::policy::PartyId;
use pacific_gov::Choice;
use pacific_gov::proposal::Change;
use serde::{Deserialize, Serialize};

/// `POST /gov/proposals`: table a proposal.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposeBody {
    pub title: String,
    pub text: String,
    pub rationale: String,
    pub change: Change,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub co_sponsors: BTreeSet<PartyId>,
}

/// `POST /gov/proposals/{id}/comment`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub text: String,
}

/// `POST /gov/proposals/{id}/amend`: a new version of the text (and of the change, if given).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendBody {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// `POST /gov/proposals/{id}/vote`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    pub choice: Choice,
}

/// `POST /gov/reports` and the query of `GET /gov/reports`: a quarter, e.g. `2026-Q4`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodBody {
    pub period: String,
}
