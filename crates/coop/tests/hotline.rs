//! The 24/7 hotline: escalation, re-sending until acknowledged, contacts and pings.

use crate::common;

use std::time::Duration;

use common::*;
use pacific_coop::hotline::*;
use pacific_coop::request::*;
use pacific_coop::*;

#[test]
fn emergencies_and_incidents_on_critical_infrastructure_go_to_the_hotline() {
    for sector in Sector::ALL {
        assert!(needs_hotline(Urgency::Routine, Some(sector)));
    }
    assert!(needs_hotline(Urgency::Emergency, None));
    assert!(!needs_hotline(Urgency::Urgent, None));

    let incident = |sector| {
        RequestKind::IncidentAssistance(IncidentAssistance {
            description: "ransomware on the grid operator".into(),
            sector,
            affected_systems: "SCADA".into(),
            assistance_sought: "forensics".into(),
        })
    };
    assert!(drafted(incident(Some(Sector::Energy)), Urgency::Routine).needs_hotline());
    assert!(!drafted(incident(None), Urgency::Routine).needs_hotline());
    let info = RequestKind::Information(Information {
        question: "who runs AS64500?".into(),
        context: String::new(),
    });
    assert!(drafted(info.clone(), Urgency::Emergency).needs_hotline());
    assert!(!drafted(info, Urgency::Urgent).needs_hotline());
}

#[test]
fn an_escalation_is_re_sent_with_back_off_until_acknowledged() {
    let kind = RequestKind::IncidentAssistance(IncidentAssistance {
        description: "DDoS on the central bank".into(),
        sector: Some(Sector::Finance),
        affected_systems: "payment gateway".into(),
        assistance_sought: "filter traffic from Bravo's networks".into(),
    });
    let mut r = drafted(kind, Urgency::Emergency);
    r.execute(&liaison(REQUESTER), RequestCommand::Send, &t0())
        .unwrap();
    let e = r.escalation.clone().expect("pushed at once");
    assert_eq!((e.pushed_at.clone(), e.attempts), (t0(), 1));
    assert_eq!(e.next_resend_at, Some(at_secs(300)));

    // A simulated clock ticking every minute for an hour and a half; the node pushes again
    // whenever a re-send is due.
    let mut pushes = vec![t0()];
    for minute in 1..=90 {
        let now = at_secs(minute * 60);
        if minute == 75 {
            r.execute(&liaison(RECIPIENT), RequestCommand::Acknowledge, &now)
                .unwrap();
        }
        for event in r.resend_due(&now) {
            pushes.push(now.clone());
            r.apply(&event);
        }
    }
    // 5, 10, 20, then every 30 minutes (the cap): at 5, 15, 35, 65 minutes; acknowledged at 75.
    let minutes: Vec<u64> = pushes
        .iter()
        .map(|t| pacific_coop::common::elapsed(&t0(), t).as_secs() / 60)
        .collect();
    assert_eq!(minutes, vec![0, 5, 15, 35, 65]);
    let e = r.escalation.clone().unwrap();
    assert_eq!(e.attempts, 5);
    assert_eq!(e.acknowledged_by, Some(RECIPIENT.into()));
    assert_eq!(e.next_resend_at, None);
    assert_eq!(e.ack_clock(&at_secs(10_000)), Duration::from_secs(75 * 60));
    assert!(r.resend_due(&at_secs(100_000)).is_empty());
}

#[test]
fn the_acknowledgement_clock_runs_while_unacknowledged() {
    let e = Escalation::start(RECIPIENT.into(), &t0(), &HotlinePolicy::default());
    assert_eq!(e.ack_clock(&at_secs(42)), Duration::from_secs(42));
}

#[test]
fn a_party_names_its_own_point_of_contact_only() {
    let channel = Channel {
        medium: Medium::Phone,
        address: "+000 555 0100".into(),
    };
    let e = HotlineContact::declare(
        &liaison(RECIPIENT),
        &uuid(3),
        "Bravo national CERT duty officer".into(),
        channel.clone(),
        None,
        &t0(),
    )
    .unwrap();
    let mut c = HotlineContact::replay(&[e]).unwrap();
    assert!(c.audience().includes(&OUTSIDER.into()));
    let update = ContactCommand::Update {
        name: "Bravo CERT".into(),
        channel: channel.clone(),
    };
    let err = c
        .decide(&liaison(REQUESTER), update.clone(), &at_hours(1))
        .unwrap_err();
    assert!(matches!(err, CoopError::WrongParty { .. }));
    let err = c
        .decide(
            &Actor::new(RECIPIENT, CoopRole::Analyst),
            update.clone(),
            &at_hours(1),
        )
        .unwrap_err();
    assert!(matches!(err, CoopError::RoleNotAllowed { .. }));
    c.execute(&liaison(RECIPIENT), update, &at_hours(1))
        .unwrap();
    assert_eq!(c.name, "Bravo CERT");
    let blank = ContactCommand::Update {
        name: " ".into(),
        channel: Channel {
            medium: Medium::Email,
            address: "".into(),
        },
    };
    let err = c
        .decide(&liaison(RECIPIENT), blank, &at_hours(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing mandatory fields for a hotline contact: name, channel.address"
    );
}

#[test]
fn a_ping_is_answered_or_times_out_and_the_result_is_recorded() {
    let policy = HotlinePolicy::default();
    let send = |n| {
        HotlinePing::send(
            &liaison(REQUESTER),
            &uuid(n),
            RECIPIENT.into(),
            &t0(),
            &policy,
        )
    };
    let mut answered = HotlinePing::replay(&[send(10).unwrap()]).unwrap();
    let err = answered
        .decide(&liaison(OUTSIDER), PingCommand::Answer, &at_secs(60))
        .unwrap_err();
    assert!(matches!(err, CoopError::WrongParty { .. }));
    answered
        .execute(&liaison(RECIPIENT), PingCommand::Answer, &at_secs(60))
        .unwrap();
    assert_eq!(answered.response_time(), Some(Duration::from_secs(60)));
    assert!(answered.timeout_due(&at_hours(5)).is_empty());

    let mut silent = HotlinePing::replay(&[send(11).unwrap()]).unwrap();
    assert!(silent.timeout_due(&at_secs(899)).is_empty());
    let events = silent.timeout_due(&at_secs(900));
    silent.apply(&events[0]);
    assert_eq!(silent.outcome, PingOutcome::TimedOut { at: at_secs(900) });
    let err = silent
        .decide(&liaison(RECIPIENT), PingCommand::Answer, &at_secs(901))
        .unwrap_err();
    assert!(matches!(err, CoopError::IllegalTransition { .. }));
}
