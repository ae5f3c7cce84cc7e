//! Any sequence of commands, by anyone, at any time: no panic, and never an invalid state.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use pacific_coop::dispute::*;
use pacific_coop::request::*;
use pacific_coop::*;
use proptest::prelude::*;

const PARTIES: [&str; 6] = [REQUESTER, RECIPIENT, OUTSIDER, "delta", "echo", "foxtrot"];

fn actor() -> impl Strategy<Value = Actor> {
    (0..PARTIES.len(), 0..CoopRole::ALL.len())
        .prop_map(|(p, r)| Actor::new(PARTIES[p], CoopRole::ALL[r]))
}

fn request_command(n: u8, hour: u64) -> RequestCommand {
    use RequestCommand as C;
    let now = at_hours(hour);
    match n % 12 {
        0 => C::Update(Box::new(spec(
            RequestKind::Preservation(preservation()),
            Urgency::Urgent,
        ))),
        1 => C::Send,
        2 => C::Acknowledge,
        3 => C::Start,
        4 => C::AskForInformation {
            question: "q".into(),
        },
        5 => C::ProvideInformation {
            text: "a".into(),
            attachments: vec![],
        },
        6 => C::Answer(Box::new(full_answer(&now))),
        7 => C::Decline {
            ground: DeclineGround::NotCompetent,
            reason: String::new(),
        },
        8 => C::Withdraw { reason: "r".into() },
        9 => C::RecordCustody {
            attachment: sha("headers"),
            observed_sha256: sha(if hour.is_multiple_of(2) {
                "headers"
            } else {
                "x"
            }),
            observed_size: 7,
        },
        10 => C::ExtendPreservation {
            until: at_hours(hour + 24 * 400),
        },
        _ => {
            let mut a = full_answer(&now);
            a.completeness = Completeness::Partial;
            C::Answer(Box::new(a))
        }
    }
}

fn dispute_command(n: u8) -> DisputeCommand {
    use DisputeCommand as C;
    let panel: BTreeSet<_> = ["delta", "echo", "foxtrot"]
        .into_iter()
        .map(Into::into)
        .collect();
    match n % 9 {
        0 => C::AddClaim {
            text: "t".into(),
            evidence_refs: vec![],
        },
        1 => C::ProposeMediator {
            mediator: "charlie".into(),
        },
        2 => C::AcceptMediator,
        3 => C::ProposePanel { members: panel },
        4 => C::AcceptPanel,
        5 => C::Vote {
            finding: Finding::Upheld,
            reasons: "r".into(),
        },
        6 => C::Vote {
            finding: Finding::Rejected,
            reasons: "r".into(),
        },
        7 => C::ProposeSettlement { terms: "t".into() },
        _ => C::AcceptSettlement,
    }
}

fn request_is_consistent(r: &AssistanceRequest) {
    use RequestState as S;
    assert_eq!(
        r.answer.is_some(),
        matches!(r.state, S::Answered | S::PartiallyAnswered)
    );
    assert_eq!(r.decline.is_some(), r.state == S::Declined);
    assert_eq!(r.withdrawal_reason.is_some(), r.state == S::Withdrawn);
    assert_eq!(
        r.sent_at.is_some(),
        r.state != S::Draft && r.transitions[0].to == S::Sent
    );
    // Every transition starts where the previous ended, and nothing leaves a final state.
    let mut at = S::Draft;
    for t in &r.transitions {
        assert_eq!(t.from, at);
        assert!(!t.from.is_final(), "{:?} left a final state", t);
        at = t.to;
    }
    assert_eq!(at, r.state);
    r.to_stix().expect("always valid STIX");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_request_commands_never_panic_nor_break_the_state_machine(
        steps in proptest::collection::vec((actor(), any::<u8>(), 0u64..120), 0..40)
    ) {
        let mut r = drafted(RequestKind::Preservation(preservation()), Urgency::Routine);
        let mut hour = 0;
        for (who, n, dt) in steps {
            hour += dt / 10;
            let now = at_hours(hour);
            for e in r.expire_due(&now).into_iter().chain(r.resend_due(&now)) {
                r.apply(&e);
            }
            let before = r.clone();
            match r.decide(&who, request_command(n, hour), &now) {
                Ok(events) => {
                    for e in &events {
                        r.apply(e);
                    }
                }
                Err(CoopError::Tampered { flag, .. }) => {
                    prop_assert_eq!(&r, &before);
                    r.apply(&flag);
                }
                Err(_) => prop_assert_eq!(&r, &before),
            }
            request_is_consistent(&r);
        }
    }

    #[test]
    fn random_dispute_commands_never_panic_nor_break_the_stages(
        steps in proptest::collection::vec((actor(), any::<u8>(), 0u64..2000), 0..40)
    ) {
        let e = Dispute::open(
            &liaison(REQUESTER), &uuid(1), RECIPIENT.into(), "s".into(), "c".into(), vec![],
            &DisputePolicy::default(), None, &t0(),
        ).unwrap();
        let mut d = Dispute::replay(&[e]).unwrap();
        let mut hour = 0;
        for (who, n, dt) in steps {
            hour += dt / 10;
            let now = at_hours(hour);
            for e in d.overdue_due(&now) {
                d.apply(&e);
            }
            let before = d.clone();
            match d.decide(&who, dispute_command(n), &now) {
                Ok(events) => for e in &events { d.apply(e) },
                Err(_) => prop_assert_eq!(&d, &before),
            }
            prop_assert_eq!(d.decision.is_some(), d.stage == Stage::Decided);
            prop_assert_eq!(d.settlement.is_some(), d.stage == Stage::Settled);
            prop_assert!(d.votes.len() <= d.panel.len());
            prop_assert!(!d.panel.contains(&d.claimant) && !d.panel.contains(&d.respondent));
            if let Some(m) = &d.mediator {
                prop_assert!(m != &d.claimant && m != &d.respondent);
            }
            let mut stage = Stage::Negotiation;
            for c in &d.stage_changes {
                prop_assert_eq!(c.from, stage);
                prop_assert!(c.from.is_open());
                stage = c.to;
            }
            prop_assert_eq!(stage, d.stage);
            d.to_stix().expect("always valid STIX");
        }
    }
}
