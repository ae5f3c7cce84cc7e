//! Federation parameters: the values an adopted proposal sets for every member node (the
//! acknowledgement deadlines and hotline timings each node's `[coop]` section holds; a
//! parameter's key is its path in `pacific.toml`), and the
//! rule that a node's own configuration may only **tighten** an adopted value, never loosen
//! it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A parameter the federation may set. Every one is a duration in seconds where smaller is
/// stricter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Parameter {
    /// How soon an emergency request must be acknowledged.
    AckEmergency,
    /// How soon an urgent request must be acknowledged.
    AckUrgent,
    /// How soon a routine request must be acknowledged.
    AckRoutine,
    /// How long the hotline waits before pushing an unacknowledged escalation again.
    HotlineFirstResend,
    /// How long a hotline ping may go unanswered before it times out.
    HotlinePingTimeout,
}

impl Parameter {
    pub const ALL: [Parameter; 5] = [
        Parameter::AckEmergency,
        Parameter::AckUrgent,
        Parameter::AckRoutine,
        Parameter::HotlineFirstResend,
        Parameter::HotlinePingTimeout,
    ];

    /// Its key, as proposals, norms and `pacific federation params` name it.
    pub fn key(self) -> &'static str {
        match self {
            Parameter::AckEmergency => "coop.deadlines.acknowledgement.emergency_secs",
            Parameter::AckUrgent => "coop.deadlines.acknowledgement.urgent_secs",
            Parameter::AckRoutine => "coop.deadlines.acknowledgement.routine_secs",
            Parameter::HotlineFirstResend => "coop.hotline.first_resend_secs",
            Parameter::HotlinePingTimeout => "coop.hotline.ping_timeout_secs",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Parameter::AckEmergency => "emergency requests are acknowledged within (seconds)",
            Parameter::AckUrgent => "urgent requests are acknowledged within (seconds)",
            Parameter::AckRoutine => "routine requests are acknowledged within (seconds)",
            Parameter::HotlineFirstResend => {
                "an unacknowledged hotline escalation is pushed again after (seconds)"
            }
            Parameter::HotlinePingTimeout => "a hotline ping is answered within (seconds)",
        }
    }

    /// The bounds a proposal's value must keep: at least a minute, at most a year.
    pub fn check(self, value: u64) -> Result<(), String> {
        if (60..=365 * 24 * 3600).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "{} must be from 60 seconds to a year, not {value}",
                self.key()
            ))
        }
    }
}

impl std::fmt::Display for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

impl std::str::FromStr for Parameter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Parameter::ALL
            .into_iter()
            .find(|p| p.key() == s)
            .ok_or_else(|| {
                let keys: Vec<_> = Parameter::ALL.iter().map(|p| p.key()).collect();
                format!(
                    "unknown federation parameter {s:?} (expected one of {})",
                    keys.join(", ")
                )
            })
    }
}

impl TryFrom<String> for Parameter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Parameter> for String {
    fn from(p: Parameter) -> String {
        p.key().to_owned()
    }
}

/// Where a value in force comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Source {
    /// The node's configuration; the federation has not set this parameter.
    Node,
    /// An adopted proposal set it, and the node's configuration is not stricter.
    Federation { proposal: String },
    /// The node's configuration is stricter than the adopted value, and tightens it.
    NodeTightens { adopted: u64, proposal: String },
}

/// One parameter as enforced on a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InForce {
    pub parameter: Parameter,
    pub value: u64,
    /// The node's own configured value.
    pub configured: u64,
    #[serde(flatten)]
    pub source: Source,
}

/// The values adopted by the federation, with the proposal that set each.
pub type Adopted = BTreeMap<Parameter, (u64, String)>;

/// The value in force for each parameter: the node's configured value, unless the federation
/// adopted a value, which the configuration may only tighten.
pub fn in_force(configured: &BTreeMap<Parameter, u64>, adopted: &Adopted) -> Vec<InForce> {
    Parameter::ALL
        .into_iter()
        .filter_map(|p| {
            let configured = *configured.get(&p)?;
            let (value, source) = match adopted.get(&p) {
                None => (configured, Source::Node),
                Some((value, proposal)) if configured < *value => (
                    configured,
                    Source::NodeTightens {
                        adopted: *value,
                        proposal: proposal.clone(),
                    },
                ),
                Some((value, proposal)) => (
                    *value,
                    Source::Federation {
                        proposal: proposal.clone(),
                    },
                ),
            };
            Some(InForce {
                parameter: p,
                value,
                configured,
                source,
            })
        })
        .collect()
}
