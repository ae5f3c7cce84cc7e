//! Consultations: participants only, minutes signed by each.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use pacific_coop::consultation::*;
use pacific_coop::*;
use pacific_core::policy::PartyId;

fn opened() -> Consultation {
    let others: BTreeSet<PartyId> = ["bravo".into(), "charlie".into()].into();
    let e = Consultation::open(
        &Actor::new("alpha", CoopRole::Analyst),
        &uuid(5),
        "coordinated response to the energy-sector campaign".into(),
        others,
        vec!["indicators".into()],
        None,
        &t0(),
    )
    .unwrap();
    Consultation::replay(&[e]).unwrap()
}

#[test]
fn only_participants_post_and_receive() {
    let mut c = opened();
    let post = ConsultationCommand::Post {
        text: "we see the same C2".into(),
        object_refs: vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
    };
    let e = c
        .decide(&liaison("delta"), post.clone(), &at_hours(1))
        .unwrap_err();
    assert!(matches!(e, CoopError::WrongParty { .. }));
    let e = c
        .decide(
            &Actor::new("bravo", CoopRole::Reader),
            post.clone(),
            &at_hours(1),
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::RoleNotAllowed { .. }));
    c.execute(&Actor::new("bravo", CoopRole::Analyst), post, &at_hours(1))
        .unwrap();
    assert_eq!(c.messages.len(), 1);
    assert!(c.audience().includes(&"charlie".into()));
    assert!(!c.audience().includes(&"delta".into()));
}

#[test]
fn minutes_signed_by_every_participant_close_the_consultation() {
    let mut c = opened();
    c.execute(
        &liaison("bravo"),
        ConsultationCommand::ProposeMinutes { text: "v1".into() },
        &at_hours(1),
    )
    .unwrap();
    c.execute(
        &liaison("alpha"),
        ConsultationCommand::SignMinutes { version: 1 },
        &at_hours(2),
    )
    .unwrap();
    // New minutes replace the old and their signatures.
    c.execute(
        &liaison("charlie"),
        ConsultationCommand::ProposeMinutes { text: "v2".into() },
        &at_hours(3),
    )
    .unwrap();
    let e = c
        .decide(
            &liaison("alpha"),
            ConsultationCommand::SignMinutes { version: 1 },
            &at_hours(4),
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::InvalidInput { .. }));
    let e = c
        .decide(
            &Actor::new("alpha", CoopRole::Analyst),
            ConsultationCommand::SignMinutes { version: 2 },
            &at_hours(4),
        )
        .unwrap_err();
    assert!(
        matches!(e, CoopError::RoleNotAllowed { .. }),
        "signing commits the party"
    );
    for p in ["alpha", "bravo"] {
        c.execute(
            &liaison(p),
            ConsultationCommand::SignMinutes { version: 2 },
            &at_hours(4),
        )
        .unwrap();
    }
    assert_eq!(c.state, ConsultationState::Open);
    let events = c
        .execute(
            &liaison("charlie"),
            ConsultationCommand::SignMinutes { version: 2 },
            &at_hours(5),
        )
        .unwrap();
    assert_eq!(
        events.len(),
        2,
        "the last signature closes the consultation"
    );
    assert_eq!(c.state, ConsultationState::Closed);
    assert!(c.all_signed());
    let e = c
        .decide(
            &liaison("alpha"),
            ConsultationCommand::AddAgendaItem {
                item: "more".into(),
            },
            &at_hours(6),
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::IllegalTransition { .. }));
}

#[test]
fn a_consultation_needs_two_parties_and_a_topic() {
    let e = Consultation::open(
        &liaison("alpha"),
        &uuid(6),
        "t".into(),
        BTreeSet::new(),
        vec![],
        None,
        &t0(),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        CoopError::InvalidInput {
            field: "participants",
            ..
        }
    ));
    let e = Consultation::open(
        &liaison("alpha"),
        &uuid(6),
        "".into(),
        ["bravo".into()].into(),
        vec![],
        None,
        &t0(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("topic"));
}
