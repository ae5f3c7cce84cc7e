//! The catalogue of norms a federation's members report on: the eleven voluntary norms of
//! responsible state behaviour in the 2015 report of the UN Group of Governmental Experts
//! (A/70/174, paragraph 13 (a) to (k)), summarised in Pacific's own words, each with what a
//! node can measure of it ([`Measure`]) and the federation parameters that shape it.
//!
//! A norm is measured only where cooperation records show how a party behaved towards the
//! others: answering requests for assistance (13 (h)), exchanging information (13 (d)), the
//! hotline for critical infrastructure (13 (f), (g)) and takedowns of what runs on a party's
//! territory (13 (c)). The other norms have no measure: a report can name them, never count them.

use crate::params::Parameter;
use serde::{Deserialize, Serialize};

/// Something a node measures of another party's conduct towards it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Requests for assistance acknowledged before their acknowledgement deadline.
    RequestsAcknowledgedInTime,
    /// Requests for assistance answered (or declined with a ground) before their deadline.
    RequestsAnsweredInTime,
    /// Indicators the party shared with the observer.
    IndicatorsShared,
    /// Sightings the party returned of the observer's indicators.
    SightingsReturned,
    /// Seconds from sending an emergency request to its acknowledgement (p50, p90).
    EmergencyAcknowledgementSecs,
    /// Pings of the party's 24/7 hotline answered before they timed out.
    HotlinePingsAnswered,
    /// Takedown requests answered (or declined with a ground) before their deadline.
    TakedownsAnsweredInTime,
}

/// What kind of figure a measure gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeasureKind {
    /// `count` of `of`: the bigger the share, the better.
    Ratio,
    /// A duration in seconds, per case (`samples`): the shorter, the better.
    DurationSecs,
}

impl Measure {
    pub const ALL: [Measure; 7] = [
        Measure::RequestsAcknowledgedInTime,
        Measure::RequestsAnsweredInTime,
        Measure::IndicatorsShared,
        Measure::SightingsReturned,
        Measure::EmergencyAcknowledgementSecs,
        Measure::HotlinePingsAnswered,
        Measure::TakedownsAnsweredInTime,
    ];

    /// The measure's name, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::RequestsAcknowledgedInTime => "requests-acknowledged-in-time",
            Measure::RequestsAnsweredInTime => "requests-answered-in-time",
            Measure::IndicatorsShared => "indicators-shared",
            Measure::SightingsReturned => "sightings-returned",
            Measure::EmergencyAcknowledgementSecs => "emergency-acknowledgement-secs",
            Measure::HotlinePingsAnswered => "hotline-pings-answered",
            Measure::TakedownsAnsweredInTime => "takedowns-answered-in-time",
        }
    }

    /// What the measure counts, for people reading a report.
    pub fn description(self) -> &'static str {
        match self {
            Measure::RequestsAcknowledgedInTime => {
                "requests for assistance acknowledged before their acknowledgement deadline, of those whose acknowledgement was given or due"
            }
            Measure::RequestsAnsweredInTime => {
                "requests for assistance answered or declined before their deadline, of those whose reply was given or due"
            }
            Measure::IndicatorsShared => {
                "indicators shared with the observer, of the indicators the observer received from all parties"
            }
            Measure::SightingsReturned => {
                "sightings returned of the observer's indicators, of the observer's indicators the party received"
            }
            Measure::EmergencyAcknowledgementSecs => {
                "seconds from sending an emergency request to its acknowledgement, per acknowledged request"
            }
            Measure::HotlinePingsAnswered => {
                "pings of the 24/7 hotline answered before they timed out, of those answered or timed out"
            }
            Measure::TakedownsAnsweredInTime => {
                "takedown requests answered or declined before their deadline, of those whose reply was given or due"
            }
        }
    }

    /// A ratio or a duration.
    pub fn kind(self) -> MeasureKind {
        match self {
            Measure::EmergencyAcknowledgementSecs => MeasureKind::DurationSecs,
            _ => MeasureKind::Ratio,
        }
    }

    /// Whether a bigger figure is a better one (ratios); a duration is better shorter.
    pub fn bigger_is_better(self) -> bool {
        self.kind() == MeasureKind::Ratio
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`Measure`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a measure: {0:?}")]
pub struct UnknownMeasure(pub String);

impl std::str::FromStr for Measure {
    type Err = UnknownMeasure;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Measure::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownMeasure(s.to_owned()))
    }
}

/// One norm of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Norm {
    /// `13a` … `13k`: the paragraph and letter of A/70/174.
    pub id: &'static str,
    pub title: &'static str,
    /// What the norm asks, in Pacific's own words.
    pub summary: &'static str,
    /// What a node measures of it; empty when nothing is.
    pub measures: &'static [Measure],
    /// The keys of the federation parameters that shape it (deadlines, time-outs).
    pub parameters: &'static [Parameter],
}

impl Norm {
    /// Whether `measure` is one of this norm's.
    pub fn measures(&self, measure: Measure) -> bool {
        self.measures.contains(&measure)
    }
}

const ACK_DEADLINES: &[Parameter] = &[
    Parameter::AckEmergency,
    Parameter::AckUrgent,
    Parameter::AckRoutine,
];
const HOTLINE: &[Parameter] = &[Parameter::HotlineFirstResend, Parameter::HotlinePingTimeout];
const CRITICAL_INFRASTRUCTURE: &[Measure] = &[
    Measure::EmergencyAcknowledgementSecs,
    Measure::HotlinePingsAnswered,
];

static CATALOGUE: [Norm; 11] = [
    Norm {
        id: "13a",
        title: "Cooperation for stability and security",
        summary: "States work together on measures that make the use of ICTs more stable and secure, and on keeping practices that are harmful or threaten peace from taking hold.",
        measures: &[],
        parameters: &[],
    },
    Norm {
        id: "13b",
        title: "Weighing all information on incidents",
        summary: "Faced with an ICT incident, a state takes into account everything relevant: the wider context, how hard attribution is, and how far-reaching the consequences are.",
        measures: &[],
        parameters: &[],
    },
    Norm {
        id: "13c",
        title: "Territory not used for wrongful acts",
        summary: "A state does not knowingly let its territory serve for internationally wrongful acts carried out with ICTs.",
        measures: &[Measure::TakedownsAnsweredInTime],
        parameters: &[],
    },
    Norm {
        id: "13d",
        title: "Exchanging information and assistance",
        summary: "States look for the best ways to share information, help one another and bring to justice those who use ICTs for terrorist or criminal ends.",
        measures: &[Measure::IndicatorsShared, Measure::SightingsReturned],
        parameters: &[],
    },
    Norm {
        id: "13e",
        title: "Human rights and privacy",
        summary: "In securing ICTs, states respect human rights, including privacy and freedom of expression, as the UN human rights resolutions on the internet and the digital age set them out.",
        measures: &[],
        parameters: &[],
    },
    Norm {
        id: "13f",
        title: "No harm to critical infrastructure",
        summary: "A state neither conducts nor knowingly supports ICT activity meant to damage, or hinder the use and running of, another's critical infrastructure serving the public.",
        measures: CRITICAL_INFRASTRUCTURE,
        parameters: HOTLINE,
    },
    Norm {
        id: "13g",
        title: "Protecting critical infrastructure",
        summary: "Each state takes fitting steps to shield its own critical infrastructure from ICT threats.",
        measures: CRITICAL_INFRASTRUCTURE,
        parameters: HOTLINE,
    },
    Norm {
        id: "13h",
        title: "Answering requests for assistance",
        summary: "When another state's critical infrastructure is hit by malicious ICT acts and it asks for help in a proper way, a state responds; it also helps to soften malicious activity coming from its territory.",
        measures: &[
            Measure::RequestsAcknowledgedInTime,
            Measure::RequestsAnsweredInTime,
        ],
        parameters: ACK_DEADLINES,
    },
    Norm {
        id: "13i",
        title: "Integrity of the supply chain",
        summary: "States take reasonable steps so that end users can trust the ICT products they get, and seek to stop malicious tools and hidden functions from spreading.",
        measures: &[],
        parameters: &[],
    },
    Norm {
        id: "13j",
        title: "Reporting vulnerabilities",
        summary: "States encourage the responsible disclosure of ICT vulnerabilities and share what is known of fixes, to limit threats to ICTs and the infrastructure that relies on them.",
        measures: &[],
        parameters: &[],
    },
    Norm {
        id: "13k",
        title: "Sparing emergency response teams",
        summary: "A state does not harm, or support harm to, another state's authorised emergency response teams, and does not use its own for malicious activity abroad.",
        measures: &[],
        parameters: &[],
    },
];

/// The eleven norms, in the report's order (13 (a) to 13 (k)).
pub fn catalogue() -> &'static [Norm] {
    &CATALOGUE
}

/// The norm `id` names: `13a`, `13(a)`, `13A` and `13 (a)` are the same norm.
pub fn norm(id: &str) -> Option<&'static Norm> {
    let canonical = canonical_id(id)?;
    CATALOGUE.iter().find(|n| n.id == canonical)
}

/// `13a` for any of the accepted spellings of a norm's id; `None` for anything else.
pub fn canonical_id(id: &str) -> Option<String> {
    let compact: String = id
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let letter = compact.strip_prefix("13")?;
    let letter = match letter.strip_prefix('(') {
        Some(inner) => inner.strip_suffix(')')?,
        None => letter,
    };
    let mut chars = letter.chars();
    match (chars.next(), chars.next()) {
        (Some(c @ 'a'..='k'), None) => Some(format!("13{c}")),
        _ => None,
    }
}
