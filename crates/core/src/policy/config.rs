//! The export policy: a party's own rules for what leaves its node, on top of the markings.
//!
//! It is plain data, read from TOML (`deny_unknown_fields`, so a misspelt key is an error and
//! never a silently ignored restriction) and checked by [`ExportPolicy::validate`].

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::party::{StakeholderType, check_jurisdiction};
use crate::tlp::Tlp;

use super::{OutboundPath, PartyId};

/// What a rule, or the default, does with an object it applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Allow,
    #[default]
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named set of parties. Objects name groups in `x_pacific_sharing_groups`; the members are
/// those of this node's policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingGroup {
    pub name: String,
    #[serde(default)]
    pub members: BTreeSet<PartyId>,
}

/// One export rule: conditions and an action. Every condition present must hold for the rule
/// to match; a condition left out matches everything. The first matching rule decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique within the policy; decisions cite it.
    pub name: String,
    pub action: Action,
    /// Free text for people reading the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Object types; an entry ending in `*` matches by prefix (`"x-pacific-*"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// Collections the object is served from or filed in (the gate context's `collection`).
    /// An object with no collection never matches this condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<Vec<String>>,
    /// Effective TLP levels (`clear`, `green`, `amber`, `amber+strict`, `red`).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "tlp_names")]
    pub tlp: Option<Vec<Tlp>>,
    /// Outbound paths: `taxii-get`, `federation-push`, `export`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<OutboundPath>>,
    /// Recipients, by party id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<PartyId>>,
    /// Recipients that are members of any of these sharing groups (of this policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_groups: Option<Vec<String>>,
    /// Recipients of these stakeholder types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_stakeholder_types: Option<Vec<StakeholderType>>,
    /// Recipients of any stakeholder type but these ("states only" is a deny rule with
    /// `recipient_stakeholder_types_not = ["state"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_stakeholder_types_not: Option<Vec<StakeholderType>>,
    /// Recipients whose jurisdiction is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_jurisdictions: Option<Vec<String>>,
    /// Recipients whose jurisdiction is none of these (including recipients with none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_jurisdictions_not: Option<Vec<String>>,
    /// Objects marked as personal data about residents of any of these jurisdictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_data_of: Option<Vec<String>>,
    /// `true`: objects received from another party; `false`: objects this party originated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<bool>,
}

impl Rule {
    /// A rule with no conditions (it matches everything).
    pub fn new(name: impl Into<String>, action: Action) -> Self {
        Self {
            name: name.into(),
            action,
            ..Self::default()
        }
    }
}

/// A party's export policy. `ExportPolicy::default()` is the policy of a node with no policy
/// file: deny by default, unmarked objects are TLP:AMBER, no groups, no rules — nothing leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportPolicy {
    /// What happens to an object no rule matches. Default: `deny`.
    #[serde(default)]
    pub default: Action,
    /// The TLP level of an object with no TLP marking. Default: `amber`.
    #[serde(default = "default_tlp", with = "tlp_name")]
    pub default_tlp: Tlp,
    /// Sharing groups, referred to by objects' `x_pacific_sharing_groups` and by rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharing_groups: Vec<SharingGroup>,
    /// Rules, in the order they are tried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

fn default_tlp() -> Tlp {
    Tlp::Amber
}

impl Default for ExportPolicy {
    fn default() -> Self {
        Self {
            default: Action::Deny,
            default_tlp: default_tlp(),
            sharing_groups: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// Why a policy cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("export policy is not valid TOML for this schema: {0}")]
    Parse(String),
    #[error("export policy cannot be written as TOML: {0}")]
    Serialize(String),
    #[error("export policy: {0}")]
    Invalid(String),
}

impl ExportPolicy {
    /// Parses and validates a policy from TOML.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let policy: ExportPolicy =
            toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML (what `pacific policy show` prints).
    pub fn to_toml(&self) -> Result<String, PolicyError> {
        toml::to_string(self).map_err(|e| PolicyError::Serialize(e.to_string()))
    }

    /// The sharing group of that name.
    pub fn group(&self, name: &str) -> Option<&SharingGroup> {
        self.sharing_groups.iter().find(|g| g.name == name)
    }

    /// Whether `party` is a member of the group `name` (an unknown group has no members).
    pub fn in_group(&self, name: &str, party: &PartyId) -> bool {
        self.group(name).is_some_and(|g| g.members.contains(party))
    }

    /// Checks what the schema cannot: unique, non-empty names; rules refer only to defined
    /// groups; jurisdiction codes are ISO 3166-1 alpha-2; type patterns are well formed; no
    /// condition is an empty list (which would read as "matches nothing" but is easy to mistake
    /// for "matches everything": leave the key out for that).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let invalid = |m: String| Err(PolicyError::Invalid(m));
        let mut names = BTreeSet::new();
        for group in &self.sharing_groups {
            if group.name.is_empty() {
                return invalid("a sharing group has an empty name".into());
            }
            if !names.insert(group.name.as_str()) {
                return invalid(format!("sharing group {:?} is defined twice", group.name));
            }
            if let Some(m) = group.members.iter().find(|m| m.as_str().is_empty()) {
                return invalid(format!(
                    "sharing group {:?} has an empty member id {m:?}",
                    group.name
                ));
            }
        }
        let mut rule_names = BTreeSet::new();
        for rule in &self.rules {
            let name = &rule.name;
            if name.trim().is_empty() {
                return invalid("a rule has an empty name".into());
            }
            if name == super::DEFAULT_RULE || name == super::TLP_DEFINITION_RULE {
                return invalid(format!(
                    "rule name {name:?} is reserved for the gate's own decisions"
                ));
            }
            if !rule_names.insert(name.as_str()) {
                return invalid(format!("rule {name:?} is defined twice"));
            }
            let empty = |key: &str| {
                invalid(format!(
                    "rule {name:?}: `{key}` is an empty list (leave it out to match everything)"
                ))
            };
            macro_rules! nonempty {
                ($($field:ident),*) => {$(
                    if rule.$field.as_ref().is_some_and(|v| v.is_empty()) {
                        return empty(stringify!($field));
                    }
                )*};
            }
            nonempty!(
                types,
                collections,
                tlp,
                paths,
                recipients,
                recipient_groups,
                recipient_stakeholder_types,
                recipient_stakeholder_types_not,
                recipient_jurisdictions,
                recipient_jurisdictions_not,
                personal_data_of
            );
            for pattern in rule.types.iter().flatten() {
                let stem = pattern.strip_suffix('*').unwrap_or(pattern);
                if stem.contains('*') || pattern.is_empty() {
                    return invalid(format!(
                        "rule {name:?}: type pattern {pattern:?} may only have `*` at its end"
                    ));
                }
            }
            for group in rule.recipient_groups.iter().flatten() {
                if self.group(group).is_none() {
                    return invalid(format!(
                        "rule {name:?}: sharing group {group:?} is not defined"
                    ));
                }
            }
            let codes = rule
                .recipient_jurisdictions
                .iter()
                .chain(&rule.recipient_jurisdictions_not)
                .chain(&rule.personal_data_of)
                .flatten();
            for code in codes {
                check_jurisdiction(code)
                    .map_err(|e| PolicyError::Invalid(format!("rule {name:?}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// The TOML spelling of a TLP level.
pub fn tlp_name_of(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "clear",
        Tlp::Green => "green",
        Tlp::Amber => "amber",
        Tlp::AmberStrict => "amber+strict",
        Tlp::Red => "red",
    }
}

/// A TLP level from its TOML spelling (`amber+strict`), case-insensitive, `TLP:` optional.
pub fn parse_tlp_name(s: &str) -> Option<Tlp> {
    let lower = s.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("tlp:").unwrap_or(&lower);
    Some(match bare {
        "clear" | "white" => Tlp::Clear,
        "green" => Tlp::Green,
        "amber" => Tlp::Amber,
        "amber+strict" => Tlp::AmberStrict,
        "red" => Tlp::Red,
        _ => return None,
    })
}

fn bad_tlp<E: serde::de::Error>(s: &str) -> E {
    E::custom(format!(
        "unknown TLP level {s:?} (expected clear, green, amber, amber+strict or red)"
    ))
}

mod tlp_name {
    use super::*;
    pub fn serialize<S: serde::Serializer>(tlp: &Tlp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tlp_name_of(*tlp))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Tlp, D::Error> {
        let s = String::deserialize(d)?;
        parse_tlp_name(&s).ok_or_else(|| bad_tlp(&s))
    }
}

mod tlp_names {
    use super::*;
    pub fn serialize<S: serde::Serializer>(
        tlp: &Option<Vec<Tlp>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match tlp {
            Some(levels) => s.collect_seq(levels.iter().map(|t| tlp_name_of(*t))),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<Tlp>>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|s| parse_tlp_name(s).ok_or_else(|| bad_tlp(s)))
            .collect::<Result<_, _>>()
            .map(Some)
    }
}
