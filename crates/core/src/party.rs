//! Parties of the federation: who runs a node.

use std::fmt;
use std::str::FromStr;

/// A party's stakeholder type (see the design's "Words"). Ordered as declared.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StakeholderType {
    State,
    IntergovernmentalOrganization,
    Company,
    TechnicalCommunity,
    CivilSociety,
    Individual,
}

impl StakeholderType {
    pub const ALL: [StakeholderType; 6] = [
        StakeholderType::State,
        StakeholderType::IntergovernmentalOrganization,
        StakeholderType::Company,
        StakeholderType::TechnicalCommunity,
        StakeholderType::CivilSociety,
        StakeholderType::Individual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StakeholderType::State => "state",
            StakeholderType::IntergovernmentalOrganization => "intergovernmental-organization",
            StakeholderType::Company => "company",
            StakeholderType::TechnicalCommunity => "technical-community",
            StakeholderType::CivilSociety => "civil-society",
            StakeholderType::Individual => "individual",
        }
    }
}

impl fmt::Display for StakeholderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StakeholderType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "unknown stakeholder type {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Checks a jurisdiction code: two upper-case ASCII letters (ISO 3166-1 alpha-2, including the
/// user-assigned codes such as XA that the project uses for fictional parties).
pub fn check_jurisdiction(code: &str) -> Result<(), String> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!(
            "jurisdiction {code:?} is not an ISO 3166-1 alpha-2 code (two upper-case letters)"
        ))
    }
}
