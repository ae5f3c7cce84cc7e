//! How long a recipient has: deadlines per request kind and urgency.
//!
//! The node loads a [`DeadlinePolicy`] from its configuration (later, from the norms the
//! federation adopts); [`DeadlinePolicy::default`] is the documented fallback. All values are
//! seconds so the policy reads naturally from TOML.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::request::{KindName, Urgency};

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// Seconds allowed for each urgency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByUrgency {
    pub routine_secs: u64,
    pub urgent_secs: u64,
    pub emergency_secs: u64,
}

impl ByUrgency {
    const fn hours(routine: u64, urgent: u64, emergency: u64) -> Self {
        Self {
            routine_secs: routine * HOUR,
            urgent_secs: urgent * HOUR,
            emergency_secs: emergency * HOUR,
        }
    }

    pub fn get(&self, urgency: Urgency) -> Duration {
        Duration::from_secs(match urgency {
            Urgency::Routine => self.routine_secs,
            Urgency::Urgent => self.urgent_secs,
            Urgency::Emergency => self.emergency_secs,
        })
    }
}

/// Response deadlines per kind × urgency, the acknowledgement deadline per urgency, and the
/// minimum preservation period.
///
/// | kind | routine | urgent | emergency |
/// |---|---|---|---|
/// | preservation (the data frozen) | 72 h | 24 h | 4 h |
/// | disclosure | 30 days | 7 days | 24 h |
/// | takedown / mitigation | 7 days | 48 h | 4 h |
/// | incident assistance | 72 h | 24 h | 4 h |
/// | information | 30 days | 7 days | 24 h |
/// | *acknowledgement (any kind)* | 72 h | 24 h | 1 h |
///
/// Preservation lasts at least 60 days (Budapest Convention Art. 29(7)), and may be extended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlinePolicy {
    pub preservation: ByUrgency,
    pub disclosure: ByUrgency,
    pub takedown: ByUrgency,
    pub incident_assistance: ByUrgency,
    pub information: ByUrgency,
    /// How soon the recipient must acknowledge a request it received.
    pub acknowledgement: ByUrgency,
    /// The shortest preservation a preservation answer may promise.
    pub min_preservation_secs: u64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            preservation: ByUrgency::hours(72, 24, 4),
            disclosure: ByUrgency::hours(30 * 24, 7 * 24, 24),
            takedown: ByUrgency::hours(7 * 24, 48, 4),
            incident_assistance: ByUrgency::hours(72, 24, 4),
            information: ByUrgency::hours(30 * 24, 7 * 24, 24),
            acknowledgement: ByUrgency::hours(72, 24, 1),
            min_preservation_secs: 60 * DAY,
        }
    }
}

impl DeadlinePolicy {
    /// The time the recipient has to answer a request of `kind` and `urgency`, from sending.
    pub fn response_time(&self, kind: KindName, urgency: Urgency) -> Duration {
        match kind {
            KindName::Preservation => self.preservation,
            KindName::Disclosure => self.disclosure,
            KindName::Takedown => self.takedown,
            KindName::IncidentAssistance => self.incident_assistance,
            KindName::Information => self.information,
        }
        .get(urgency)
    }

    /// The time the recipient has to acknowledge a request of `urgency`.
    pub fn acknowledgement_time(&self, urgency: Urgency) -> Duration {
        self.acknowledgement.get(urgency)
    }

    pub fn min_preservation(&self) -> Duration {
        Duration::from_secs(self.min_preservation_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emergency_incident_assistance_is_due_within_four_hours() {
        let p = DeadlinePolicy::default();
        assert_eq!(
            p.response_time(KindName::IncidentAssistance, Urgency::Emergency),
            Duration::from_secs(4 * HOUR)
        );
        assert_eq!(
            p.acknowledgement_time(Urgency::Urgent),
            Duration::from_secs(24 * HOUR)
        );
    }

    #[test]
    fn more_urgent_is_never_slower() {
        let p = DeadlinePolicy::default();
        for kind in KindName::ALL {
            let r = p.response_time(kind, Urgency::Routine);
            let u = p.response_time(kind, Urgency::Urgent);
            let e = p.response_time(kind, Urgency::Emergency);
            assert!(e <= u && u <= r, "{kind:?}");
        }
    }
}
