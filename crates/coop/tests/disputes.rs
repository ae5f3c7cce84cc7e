//! Disputes: negotiation → mediation → arbitration, settlement at any stage.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use pacific_coop::dispute::*;
use pacific_coop::*;
use pacific_core::Timestamp;
use pacific_core::policy::PartyId;

const CLAIMANT: &str = "alpha";
const RESPONDENT: &str = "bravo";
const PANEL: [&str; 3] = ["delta", "echo", "foxtrot"];
const MEDIATOR: &str = "golf";

fn panel() -> BTreeSet<PartyId> {
    PANEL.iter().map(|p| PartyId::from(*p)).collect()
}

fn opened() -> Dispute {
    let e = Dispute::open(
        &liaison(CLAIMANT),
        &uuid(7),
        RESPONDENT.into(),
        "attack traced to infrastructure in your jurisdiction".into(),
        "the botnet C2 at 198.51.100.7 is hosted in Bravo".into(),
        vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
        &DisputePolicy::default(),
        None,
        &t0(),
    )
    .unwrap();
    Dispute::replay(&[e]).unwrap()
}

fn run(d: &mut Dispute, who: &str, c: DisputeCommand, h: u64) -> Vec<DisputeEvent> {
    d.execute(&liaison(who), c, &at_hours(h))
        .unwrap_or_else(|e| panic!("{who}: {e}"))
}

/// A dispute at `stage`, with a pending mediator, panel and settlement proposal by the
/// claimant where the stage allows them.
fn dispute_at(stage: Stage) -> Dispute {
    use DisputeCommand as C;
    let mut d = opened();
    if stage == Stage::Mediation {
        run(
            &mut d,
            CLAIMANT,
            C::ProposeMediator {
                mediator: MEDIATOR.into(),
            },
            1,
        );
        run(&mut d, RESPONDENT, C::AcceptMediator, 2);
    }
    if matches!(stage, Stage::Arbitration | Stage::Decided) {
        run(&mut d, CLAIMANT, C::ProposePanel { members: panel() }, 1);
        run(&mut d, RESPONDENT, C::AcceptPanel, 2);
    }
    if stage == Stage::Decided {
        for m in &PANEL[..2] {
            run(
                &mut d,
                m,
                C::Vote {
                    finding: Finding::Upheld,
                    reasons: "proven".into(),
                },
                3,
            );
        }
    }
    if stage == Stage::Settled {
        run(
            &mut d,
            CLAIMANT,
            C::ProposeSettlement {
                terms: "C2 taken down".into(),
            },
            1,
        );
        run(&mut d, RESPONDENT, C::AcceptSettlement, 2);
    }
    if stage.is_open() {
        if stage == Stage::Negotiation {
            run(
                &mut d,
                CLAIMANT,
                C::ProposeMediator {
                    mediator: MEDIATOR.into(),
                },
                4,
            );
        }
        if stage != Stage::Arbitration {
            run(&mut d, CLAIMANT, C::ProposePanel { members: panel() }, 4);
        }
        run(
            &mut d,
            CLAIMANT,
            C::ProposeSettlement {
                terms: "C2 taken down".into(),
            },
            4,
        );
    }
    assert_eq!(d.stage, stage);
    d
}

#[test]
fn every_stage_and_command_is_allowed_or_refused_as_the_table_says() {
    use DisputeCommand as C;
    use Stage::*;
    let open = vec![Negotiation, Mediation, Arbitration];
    // (command, who may give it, stages where it is allowed)
    let table: Vec<(C, &str, Vec<Stage>)> = vec![
        (
            C::AddClaim {
                text: "more".into(),
                evidence_refs: vec![],
            },
            RESPONDENT,
            open.clone(),
        ),
        (
            C::ProposeMediator {
                mediator: MEDIATOR.into(),
            },
            RESPONDENT,
            vec![Negotiation],
        ),
        (C::AcceptMediator, RESPONDENT, vec![Negotiation]),
        (
            C::ProposePanel { members: panel() },
            RESPONDENT,
            vec![Negotiation, Mediation],
        ),
        (C::AcceptPanel, RESPONDENT, vec![Negotiation, Mediation]),
        (
            C::Vote {
                finding: Finding::Rejected,
                reasons: "not proven".into(),
            },
            PANEL[0],
            vec![Arbitration],
        ),
        (
            C::ProposeSettlement {
                terms: "sorry".into(),
            },
            RESPONDENT,
            open.clone(),
        ),
        (C::AcceptSettlement, RESPONDENT, open.clone()),
    ];
    let now = at_hours(10);
    for stage in Stage::ALL {
        let d = dispute_at(stage);
        for (command, who, allowed) in &table {
            let name = command.name();
            let result = d.decide(&liaison(who), command.clone(), &now);
            if allowed.contains(&stage) {
                result.unwrap_or_else(|e| panic!("{name} in {stage}: {e}"));
                // A party outside the dispute never acts in it; a reader or analyst never does.
                let e = d
                    .decide(&liaison(OUTSIDER), command.clone(), &now)
                    .unwrap_err();
                assert!(matches!(e, CoopError::WrongParty { .. }), "{name}: {e}");
                for role in [CoopRole::Analyst, CoopRole::Reader] {
                    let e = d
                        .decide(&Actor::new(*who, role), command.clone(), &now)
                        .unwrap_err();
                    assert!(matches!(e, CoopError::RoleNotAllowed { .. }), "{name}: {e}");
                }
            } else {
                let e = result.expect_err(&format!("{name} must be refused in {stage}"));
                assert!(
                    matches!(
                        e,
                        CoopError::IllegalTransition { .. } | CoopError::WrongParty { .. }
                    ),
                    "{name} in {stage}: {e}"
                );
            }
        }
    }
}

#[test]
fn a_proposal_is_accepted_by_the_other_party_only() {
    let d = dispute_at(Stage::Negotiation);
    for c in [
        DisputeCommand::AcceptMediator,
        DisputeCommand::AcceptPanel,
        DisputeCommand::AcceptSettlement,
    ] {
        let e = d.decide(&liaison(CLAIMANT), c, &at_hours(5)).unwrap_err();
        assert!(matches!(e, CoopError::WrongParty { .. }), "{e}");
    }
}

#[test]
fn a_mediator_and_a_panel_are_third_parties_and_a_panel_is_odd_and_at_least_three() {
    let d = opened();
    let bad_mediator = DisputeCommand::ProposeMediator {
        mediator: RESPONDENT.into(),
    };
    assert!(
        d.decide(&liaison(CLAIMANT), bad_mediator, &at_hours(1))
            .is_err()
    );
    let with = |ps: &[&str]| DisputeCommand::ProposePanel {
        members: ps.iter().map(|p| PartyId::from(*p)).collect(),
    };
    for members in [
        &["delta", "echo"][..],
        &["delta", "echo", "foxtrot", "golf"],
        &["delta", "echo", CLAIMANT],
    ] {
        let e = d
            .decide(&liaison(CLAIMANT), with(members), &at_hours(1))
            .unwrap_err();
        assert!(
            matches!(
                e,
                CoopError::InvalidInput {
                    field: "members",
                    ..
                }
            ),
            "{e}"
        );
    }
    d.decide(
        &liaison(CLAIMANT),
        with(&["delta", "echo", "foxtrot", "golf", "hotel"]),
        &at_hours(1),
    )
    .unwrap();
}

#[test]
fn a_dispute_goes_through_mediation_to_arbitration_where_a_panel_of_three_decides_two_to_one() {
    use DisputeCommand as C;
    let mut d = opened();
    assert_eq!(d.stage_deadline, Some(at_hours(30 * 24)));
    run(
        &mut d,
        RESPONDENT,
        C::AddClaim {
            text: "the server was compromised".into(),
            evidence_refs: vec![],
        },
        1,
    );
    run(
        &mut d,
        CLAIMANT,
        C::ProposeMediator {
            mediator: MEDIATOR.into(),
        },
        2,
    );
    run(&mut d, RESPONDENT, C::AcceptMediator, 3);
    assert_eq!(
        (d.stage, d.mediator.clone()),
        (Stage::Mediation, Some(MEDIATOR.into()))
    );
    assert_eq!(d.stage_deadline, Some(at_hours(3 + 60 * 24)));
    assert!(d.audience().includes(&MEDIATOR.into()));

    run(&mut d, RESPONDENT, C::ProposePanel { members: panel() }, 4);
    run(&mut d, CLAIMANT, C::AcceptPanel, 5);
    assert_eq!(d.stage, Stage::Arbitration);
    for m in PANEL {
        assert!(d.audience().includes(&m.into()));
    }

    run(
        &mut d,
        PANEL[0],
        C::Vote {
            finding: Finding::Upheld,
            reasons: "the logs show it".into(),
        },
        6,
    );
    let e = d
        .decide(
            &liaison(PANEL[0]),
            C::Vote {
                finding: Finding::Upheld,
                reasons: "again".into(),
            },
            &at_hours(7),
        )
        .unwrap_err();
    assert!(
        matches!(e, CoopError::InvalidInput { .. }),
        "each member votes once: {e}"
    );
    run(
        &mut d,
        PANEL[1],
        C::Vote {
            finding: Finding::Rejected,
            reasons: "compromised host".into(),
        },
        7,
    );
    assert_eq!(d.stage, Stage::Arbitration, "1-1 decides nothing");
    let events = run(
        &mut d,
        PANEL[2],
        C::Vote {
            finding: Finding::Upheld,
            reasons: "negligent hosting".into(),
        },
        8,
    );
    assert_eq!(events.len(), 2, "the vote and the decision");

    assert_eq!(d.stage, Stage::Decided);
    let decision = d.decision.clone().unwrap();
    assert_eq!(
        (decision.finding, decision.votes_for, decision.votes_against),
        (Finding::Upheld, 2, 1)
    );
    assert_eq!(
        decision.reasons,
        vec!["the logs show it", "negligent hosting"]
    );
    let stages: Vec<_> = d.stage_changes.iter().map(|c| c.to).collect();
    assert_eq!(
        stages,
        vec![Stage::Mediation, Stage::Arbitration, Stage::Decided]
    );
    // Every step names the party that took it.
    assert!(d.stage_changes.iter().all(|c| c.by.is_some()));
}

#[test]
fn either_party_may_settle_at_any_stage() {
    use DisputeCommand as C;
    for stage in [Stage::Negotiation, Stage::Mediation, Stage::Arbitration] {
        let mut d = dispute_at(stage);
        run(
            &mut d,
            RESPONDENT,
            C::ProposeSettlement {
                terms: "we take it down".into(),
            },
            5,
        );
        run(&mut d, CLAIMANT, C::AcceptSettlement, 6);
        assert_eq!(d.stage, Stage::Settled);
        assert_eq!(d.settlement.as_deref(), Some("we take it down"));
    }
}

#[test]
fn a_stage_past_its_time_box_is_flagged_once() {
    let mut d = opened();
    assert!(d.overdue_due(&at_hours(24)).is_empty());
    let deadline: Timestamp = d.stage_deadline.clone().unwrap();
    let events = d.overdue_due(&deadline);
    assert_eq!(events.len(), 1);
    d.apply(&events[0]);
    assert_eq!(d.overdue_stages, vec![Stage::Negotiation]);
    assert!(d.overdue_due(&at_hours(10_000)).is_empty());
}
