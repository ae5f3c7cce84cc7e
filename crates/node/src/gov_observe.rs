//! What this party observes of the others' conduct under the norms, for a compliance report
//! (`pacific_gov::report`): measured from the cooperation records it holds, only where it was
//! the one asking or pinging, and never about itself.
//!
//! [`observe`] is the pure computation (records and the time in, observations out);
//! [`Coop::observations`] feeds it the records this node holds now.
//!
//! Per party this party sent requests to (by the time they were sent, within the period):
//! - `13h` requests acknowledged in time and answered in time;
//! - `13c` takedown requests answered in time (the recipient stands for the territory until a
//!   jurisdiction registry says where the targets are);
//! - `13f` and `13g` (both: the measure is the catalogue's for each) the seconds to acknowledge
//!   an emergency incident on critical infrastructure, and the hotline pings answered.
//!
//! A request counts once its outcome is known: acknowledged (or answered) before or after its
//! deadline, or unacknowledged (unanswered) with the deadline passed. A request withdrawn before
//! a deadline does not count for it: the recipient had the time still. A reasoned decline is a
//! reply, and a decline given before any acknowledgement acknowledges too. Indicators shared and
//! sightings returned (`13d`) are not measured here yet.

use std::collections::BTreeMap;

use pacific_coop::common::elapsed;
use pacific_coop::hotline::{HotlinePing, PingOutcome};
use pacific_coop::request::{AssistanceRequest, KindName, RequestState, Urgency};
use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use pacific_gov::norms::Measure;
use pacific_gov::report::{Observation, ReportPeriod};

use crate::coop::{Coop, CoopServiceError};

/// The norms the request measures are reported under.
const ASSISTANCE_NORM: &str = "13h";
const TERRITORY_NORM: &str = "13c";
const CRITICAL_INFRASTRUCTURE_NORMS: [&str; 2] = ["13f", "13g"];

/// Cases counted for one measure about one party.
#[derive(Default)]
struct Tally {
    count: u64,
    of: u64,
    samples: Vec<u64>,
}

impl Tally {
    /// Adds a case whose outcome is known: `in_time` or not.
    fn case(&mut self, in_time: bool) {
        self.of += 1;
        if in_time {
            self.count += 1;
        }
    }
}

/// The observations `me` makes of the others in `period`, from the requests and pings given,
/// as of `now`. One observation per (party, norm, measure) with at least one case, ordered by
/// party, norm and measure.
pub fn observe(
    me: &PartyId,
    period: ReportPeriod,
    now: &Timestamp,
    requests: &[AssistanceRequest],
    pings: &[HotlinePing],
) -> Vec<Observation> {
    let mut cases: Vec<(PartyId, Measure, Case)> = Vec::new();
    for r in requests {
        let Some(sent) = &r.sent_at else { continue };
        if &r.requester != me || &r.recipient == me || !period.contains(sent) {
            continue;
        }
        let about = &r.recipient;
        let acknowledged = acknowledged_at(r);
        if let Some(due) = &r.acknowledgement_deadline
            && let Some(case) = outcome(r, acknowledged.as_ref(), due, now)
        {
            cases.push((about.clone(), Measure::RequestsAcknowledgedInTime, case));
            if is_critical_emergency(r) {
                let secs = acknowledged.as_ref().map(|at| elapsed(sent, at).as_secs());
                cases.push((
                    about.clone(),
                    Measure::EmergencyAcknowledgementSecs,
                    Case::Duration(secs),
                ));
            }
        }
        if let Some(due) = &r.deadline
            && let Some(case) = outcome(r, replied_at(r).as_ref(), due, now)
        {
            cases.push((about.clone(), Measure::RequestsAnsweredInTime, case.clone()));
            if r.details.name() == KindName::Takedown {
                cases.push((about.clone(), Measure::TakedownsAnsweredInTime, case));
            }
        }
    }
    for p in pings {
        if &p.sender != me || &p.party == me || !period.contains(&p.sent_at) {
            continue;
        }
        let case = match &p.outcome {
            PingOutcome::Answered { at, .. } => Case::InTime(*at <= p.timeout_at),
            PingOutcome::TimedOut { .. } => Case::InTime(false),
            PingOutcome::Pending if *now >= p.timeout_at => Case::InTime(false),
            PingOutcome::Pending => continue,
        };
        cases.push((p.party.clone(), Measure::HotlinePingsAnswered, case));
    }

    let mut tallies: BTreeMap<(PartyId, Measure), Tally> = BTreeMap::new();
    for (about, measure, case) in cases {
        let t = tallies.entry((about, measure)).or_default();
        match case {
            Case::InTime(in_time) => t.case(in_time),
            Case::Duration(secs) => {
                t.of += 1;
                if let Some(secs) = secs {
                    t.count += 1;
                    t.samples.push(secs);
                }
            }
        }
    }

    let mut out = Vec::new();
    for ((about, measure), mut t) in tallies {
        t.samples.sort_unstable();
        for norm in norms_of(measure) {
            out.push(Observation {
                about: about.clone(),
                norm: (*norm).to_owned(),
                measure,
                count: t.count,
                of: t.of,
                samples: t.samples.clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.about, &a.norm, a.measure).cmp(&(&b.about, &b.norm, b.measure)));
    out
}

/// One request's or ping's contribution to a measure.
#[derive(Clone)]
enum Case {
    /// A ratio's case: in time or not.
    InTime(bool),
    /// A duration's case: seconds, or `None` when it never happened (counted in `of` only).
    Duration(Option<u64>),
}

fn norms_of(measure: Measure) -> &'static [&'static str] {
    match measure {
        Measure::RequestsAcknowledgedInTime | Measure::RequestsAnsweredInTime => &[ASSISTANCE_NORM],
        Measure::TakedownsAnsweredInTime => &[TERRITORY_NORM],
        Measure::EmergencyAcknowledgementSecs | Measure::HotlinePingsAnswered => {
            &CRITICAL_INFRASTRUCTURE_NORMS
        }
        Measure::IndicatorsShared | Measure::SightingsReturned => &[],
    }
}

/// The outcome of a request against one deadline: in time when `done` by `due`; late when done
/// after it, or not done and `due` passed; unknown (`None`) while `due` is ahead, and when the
/// requester withdrew it before `due`.
fn outcome(
    r: &AssistanceRequest,
    done: Option<&Timestamp>,
    due: &Timestamp,
    now: &Timestamp,
) -> Option<Case> {
    if let Some(at) = done {
        return Some(Case::InTime(at <= due));
    }
    if now < due {
        return None;
    }
    match entered(r, RequestState::Withdrawn) {
        Some(at) if at < due => None,
        _ => Some(Case::InTime(false)),
    }
}

/// When the recipient first responded: its acknowledgement, or a decline given before one.
fn acknowledged_at(r: &AssistanceRequest) -> Option<Timestamp> {
    r.acknowledged_at
        .clone()
        .or_else(|| entered(r, RequestState::Declined).cloned())
}

/// When the recipient replied: an answer, full or partial, or a reasoned decline.
fn replied_at(r: &AssistanceRequest) -> Option<Timestamp> {
    r.transitions
        .iter()
        .find(|t| {
            matches!(
                t.to,
                RequestState::Answered | RequestState::PartiallyAnswered | RequestState::Declined
            )
        })
        .map(|t| t.at.clone())
}

fn entered(r: &AssistanceRequest, state: RequestState) -> Option<&Timestamp> {
    r.transitions.iter().find(|t| t.to == state).map(|t| &t.at)
}

/// An emergency request for help with an incident on critical infrastructure (the record names
/// the sector hit).
fn is_critical_emergency(r: &AssistanceRequest) -> bool {
    r.urgency == Urgency::Emergency
        && r.details.name() == KindName::IncidentAssistance
        && r.details.sector().is_some()
}

impl Coop {
    /// This party's observations of the others in `period`, from the records it holds now.
    pub async fn observations(
        &self,
        period: ReportPeriod,
    ) -> Result<Vec<Observation>, CoopServiceError> {
        let requests = self.records::<AssistanceRequest>().await?;
        let pings = self.records::<HotlinePing>().await?;
        Ok(observe(
            self.party(),
            period,
            &Timestamp::now(),
            &requests,
            &pings,
        ))
    }
}

#[cfg(test)]
mod tests {
    //! Records built through the coop crate's own commands, as the parties would have acted,
    //! and the observations computed by hand.

    use std::time::Duration;

    use pacific_coop::common::plus;
    use pacific_coop::hotline::{HotlinePolicy, PingCommand, Sector};
    use pacific_coop::request::{
        DeclineGround, IncidentAssistance, Information, RequestCommand, RequestKind, RequestSpec,
        Takedown, TakedownTarget,
    };
    use pacific_coop::{Actor, Aggregate, CoopRole, DeadlinePolicy};
    use pacific_gov::report::ComplianceReport;

    use super::*;
    use Measure::*;

    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;

    fn party(p: &str) -> PartyId {
        PartyId::new(p)
    }

    fn liaison(p: &str) -> Actor {
        Actor::new(p, CoopRole::Liaison)
    }

    /// 2026-03-01T08:00Z, in 2026-Q1.
    fn t0() -> Timestamp {
        Timestamp::parse("2026-03-01T08:00:00.000000Z").unwrap()
    }

    fn at(secs: u64) -> Timestamp {
        plus(&t0(), Duration::from_secs(secs))
    }

    fn q1() -> ReportPeriod {
        "2026-Q1".parse().unwrap()
    }

    fn uuid(n: u32) -> String {
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    fn information() -> RequestKind {
        RequestKind::Information(Information {
            question: "who hosts 203.0.113.7?".into(),
            context: String::new(),
        })
    }

    fn takedown() -> RequestKind {
        RequestKind::Takedown(Takedown {
            target_type: Some(TakedownTarget::BotnetC2),
            targets: vec!["203.0.113.7".into()],
            requested_action: "sinkhole the C2".into(),
            justification: "it drives a botnet attacking our banks".into(),
        })
    }

    fn grid_incident() -> RequestKind {
        RequestKind::IncidentAssistance(IncidentAssistance {
            description: "ransomware on the grid operator's control network".into(),
            sector: Some(Sector::Energy),
            affected_systems: "SCADA gateways".into(),
            assistance_sought: "block the C2 servers hosted with you".into(),
        })
    }

    /// A request `from` drafts and sends to `to` `secs` after [`t0`].
    fn sent(
        n: u32,
        from: &str,
        to: &str,
        details: RequestKind,
        urgency: Urgency,
        secs: u64,
    ) -> AssistanceRequest {
        sent_on(n, from, to, details, urgency, &at(secs))
    }

    /// A request `from` drafts and sends to `to` at `when`.
    fn sent_on(
        n: u32,
        from: &str,
        to: &str,
        details: RequestKind,
        urgency: Urgency,
        when: &Timestamp,
    ) -> AssistanceRequest {
        let spec = RequestSpec {
            recipient: party(to),
            urgency,
            title: "request".into(),
            details,
            evidence_refs: Vec::new(),
            attachments: Vec::new(),
            requested_deadline: None,
        };
        let drafted = AssistanceRequest::draft(
            &liaison(from),
            &uuid(n),
            spec,
            None,
            when,
            &DeadlinePolicy::default(),
            &HotlinePolicy::default(),
        )
        .unwrap();
        let mut r = AssistanceRequest::replay(&[drafted]).unwrap();
        r.execute(&liaison(from), RequestCommand::Send, when)
            .unwrap();
        r
    }

    fn act(r: &mut AssistanceRequest, who: &str, command: RequestCommand, secs: u64) {
        r.execute(&liaison(who), command, &at(secs)).unwrap();
    }

    fn decline() -> RequestCommand {
        RequestCommand::Decline {
            ground: DeclineGround::InsufficientInformation,
            reason: "no logs for that address".into(),
        }
    }

    fn answer() -> RequestCommand {
        RequestCommand::Answer(Box::new(pacific_coop::request::AnswerSpec {
            completeness: pacific_coop::request::Completeness::Full,
            note: "a hosting company in our capital".into(),
            object_refs: Vec::new(),
            object_marking_refs: Vec::new(),
            attachments: Vec::new(),
            preserved_until: None,
        }))
    }

    fn ping(n: u32, from: &str, to: &str, sent: u64) -> HotlinePing {
        let e = HotlinePing::send(
            &liaison(from),
            &uuid(n),
            party(to),
            &at(sent),
            &HotlinePolicy::default(),
        )
        .unwrap();
        HotlinePing::replay(&[e]).unwrap()
    }

    fn answered(mut p: HotlinePing, secs: u64) -> HotlinePing {
        let to = p.party.clone();
        p.execute(&liaison(to.as_str()), PingCommand::Answer, &at(secs))
            .unwrap();
        p
    }

    fn timed_out(mut p: HotlinePing) -> HotlinePing {
        let due = p.timeout_at.clone();
        for e in p.timeout_due(&due) {
            p.apply(&e);
        }
        p
    }

    fn obs(about: &str, norm: &str, measure: Measure, count: u64, of: u64) -> Observation {
        Observation {
            about: party(about),
            norm: norm.into(),
            measure,
            count,
            of,
            samples: Vec::new(),
        }
    }

    /// Alpha's quarter: requests to bravo and charlie, pings of both, and records in which
    /// alpha is not the one asking.
    fn alphas_quarter() -> (Vec<AssistanceRequest>, Vec<HotlinePing>) {
        use Urgency::{Emergency, Routine};
        // To bravo (routine: acknowledgement due in 72 h, an answer in 30 days).
        let mut acked_and_answered = sent(1, "alpha", "bravo", information(), Routine, 0);
        act(
            &mut acked_and_answered,
            "bravo",
            RequestCommand::Acknowledge,
            HOUR,
        );
        act(
            &mut acked_and_answered,
            "bravo",
            RequestCommand::Start,
            2 * HOUR,
        );
        act(&mut acked_and_answered, "bravo", answer(), 3 * HOUR);
        let mut acked_late_never_answered = sent(2, "alpha", "bravo", information(), Routine, HOUR);
        act(
            &mut acked_late_never_answered,
            "bravo",
            RequestCommand::Acknowledge,
            80 * HOUR,
        );
        let mut takedown_declined = sent(3, "alpha", "bravo", takedown(), Routine, 2 * HOUR);
        act(&mut takedown_declined, "bravo", decline(), 3 * HOUR);
        let mut withdrawn_early = sent(4, "alpha", "bravo", information(), Routine, 3 * HOUR);
        act(
            &mut withdrawn_early,
            "alpha",
            RequestCommand::Withdraw {
                reason: "solved".into(),
            },
            4 * HOUR,
        );
        // To charlie: emergencies on the grid (acknowledgement due in 1 h, an answer in 4 h).
        let mut acked_in_ten_minutes = sent(5, "alpha", "charlie", grid_incident(), Emergency, 0);
        act(
            &mut acked_in_ten_minutes,
            "charlie",
            RequestCommand::Acknowledge,
            600,
        );
        let never_acked = sent(6, "alpha", "charlie", grid_incident(), Emergency, DAY);
        let mut acked_then_declined =
            sent(7, "alpha", "charlie", grid_incident(), Emergency, 2 * DAY);
        act(
            &mut acked_then_declined,
            "charlie",
            RequestCommand::Acknowledge,
            2 * DAY + 1800,
        );
        act(
            &mut acked_then_declined,
            "charlie",
            decline(),
            2 * DAY + HOUR,
        );
        // Not alpha's to measure: charlie asked alpha; and one sent in the quarter before.
        let to_alpha = sent(8, "charlie", "alpha", information(), Routine, 0);
        let last_quarter = Timestamp::parse("2025-12-20T00:00:00.000000Z").unwrap();
        let before = sent_on(9, "alpha", "bravo", information(), Routine, &last_quarter);
        let requests = vec![
            acked_and_answered,
            acked_late_never_answered,
            takedown_declined,
            withdrawn_early,
            acked_in_ten_minutes,
            never_acked,
            acked_then_declined,
            to_alpha,
            before,
        ];
        let pings = vec![
            answered(ping(20, "alpha", "bravo", 0), 60),
            timed_out(ping(21, "alpha", "bravo", DAY)),
            answered(ping(22, "alpha", "charlie", 0), 120),
            timed_out(ping(23, "charlie", "alpha", 0)),
        ];
        (requests, pings)
    }

    #[test]
    fn alpha_observes_how_bravo_and_charlie_answered_its_requests_and_pings() {
        let (requests, pings) = alphas_quarter();
        let now = at(40 * DAY);
        let got = observe(&party("alpha"), q1(), &now, &requests, &pings);
        let mut emergency_f = obs("charlie", "13f", EmergencyAcknowledgementSecs, 2, 3);
        emergency_f.samples = vec![600, 1800];
        let mut emergency_g = emergency_f.clone();
        emergency_g.norm = "13g".into();
        assert_eq!(
            got,
            vec![
                // The takedown declined an hour after it was sent.
                obs("bravo", "13c", TakedownsAnsweredInTime, 1, 1),
                // One ping answered in a minute, one timed out.
                obs("bravo", "13f", HotlinePingsAnswered, 1, 2),
                obs("bravo", "13g", HotlinePingsAnswered, 1, 2),
                // Acknowledged after 1 h, after 79 h (late), declined after 1 h; the one
                // withdrawn after 1 h is not counted.
                obs("bravo", "13h", RequestsAcknowledgedInTime, 2, 3),
                // Answered after 3 h, never answered in 30 days, declined after 1 h.
                obs("bravo", "13h", RequestsAnsweredInTime, 2, 3),
                // Acknowledged after 600 s, never, after 1800 s.
                emergency_f,
                obs("charlie", "13f", HotlinePingsAnswered, 1, 1),
                emergency_g,
                obs("charlie", "13g", HotlinePingsAnswered, 1, 1),
                obs("charlie", "13h", RequestsAcknowledgedInTime, 2, 3),
                // Unanswered after 4 h twice; declined within the hour once.
                obs("charlie", "13h", RequestsAnsweredInTime, 1, 3),
            ]
        );
    }

    #[test]
    fn alpha_never_observes_itself_and_its_observations_make_a_valid_report() {
        let (requests, pings) = alphas_quarter();
        let got = observe(&party("alpha"), q1(), &at(40 * DAY), &requests, &pings);
        assert!(got.iter().all(|o| o.about != party("alpha")));
        assert!(ComplianceReport::new(party("alpha"), q1(), got, None).is_ok());
    }

    #[test]
    fn charlie_observes_only_what_it_asked_and_pinged() {
        let (requests, pings) = alphas_quarter();
        let got = observe(&party("charlie"), q1(), &at(40 * DAY), &requests, &pings);
        // Its information request to alpha was never acknowledged nor answered; its ping of
        // alpha timed out.
        assert_eq!(
            got,
            vec![
                obs("alpha", "13f", HotlinePingsAnswered, 0, 1),
                obs("alpha", "13g", HotlinePingsAnswered, 0, 1),
                obs("alpha", "13h", RequestsAcknowledgedInTime, 0, 1),
                obs("alpha", "13h", RequestsAnsweredInTime, 0, 1),
            ]
        );
    }

    #[test]
    fn a_request_sent_in_another_quarter_counts_in_that_quarter() {
        let (requests, pings) = alphas_quarter();
        let q4: ReportPeriod = "2025-Q4".parse().unwrap();
        let got = observe(&party("alpha"), q4, &at(40 * DAY), &requests, &pings);
        assert_eq!(
            got,
            vec![
                obs("bravo", "13h", RequestsAcknowledgedInTime, 0, 1),
                obs("bravo", "13h", RequestsAnsweredInTime, 0, 1),
            ]
        );
    }

    #[test]
    fn nothing_is_observed_before_its_deadline_passes() {
        let r = sent(1, "alpha", "bravo", information(), Urgency::Routine, 0);
        let p = ping(2, "alpha", "bravo", 0);
        let got = observe(
            &party("alpha"),
            q1(),
            &at(60),
            std::slice::from_ref(&r),
            std::slice::from_ref(&p),
        );
        assert_eq!(got, Vec::new());
        // 72 h on the acknowledgement is late; the answer's 30 days still run.
        let got = observe(&party("alpha"), q1(), &at(73 * HOUR), &[r], &[p]);
        assert_eq!(
            got,
            vec![
                obs("bravo", "13f", HotlinePingsAnswered, 0, 1),
                obs("bravo", "13g", HotlinePingsAnswered, 0, 1),
                obs("bravo", "13h", RequestsAcknowledgedInTime, 0, 1),
            ]
        );
    }

    #[test]
    fn a_request_withdrawn_after_its_acknowledgement_was_due_counts_as_unacknowledged() {
        let mut r = sent(1, "alpha", "bravo", information(), Urgency::Routine, 0);
        act(
            &mut r,
            "alpha",
            RequestCommand::Withdraw {
                reason: "no reply".into(),
            },
            100 * HOUR,
        );
        let got = observe(&party("alpha"), q1(), &at(101 * HOUR), &[r], &[]);
        assert_eq!(
            got,
            vec![obs("bravo", "13h", RequestsAcknowledgedInTime, 0, 1)]
        );
    }

    #[test]
    fn the_gov_crate_names_the_same_pacific_identity_as_the_coop_crate() {
        assert_eq!(
            pacific_gov::report::PACIFIC_IDENTITY_ID,
            pacific_coop::stix::PACIFIC_IDENTITY_ID
        );
    }
}
