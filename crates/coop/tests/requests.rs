//! Assistance requests, as the issue states them.

use crate::common;

use std::time::Duration;

use common::*;
use pacific_coop::request::*;
use pacific_coop::*;
use pacific_core::Timestamp;

use RequestState as S;

/// Which party a command is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Requester,
    Recipient,
    /// Either of the two (custody: whoever holds the attachment).
    Either,
}

/// Every command, the party that gives it, and the states in which it is allowed.
fn commands(now: &Timestamp) -> Vec<(&'static str, RequestCommand, Side, Vec<RequestState>)> {
    use RequestCommand as C;
    let open = vec![
        S::Sent,
        S::Acknowledged,
        S::InProgress,
        S::NeedsMoreInformation,
    ];
    let mut partial = full_answer(now);
    partial.completeness = Completeness::Partial;
    vec![
        (
            "update",
            C::Update(Box::new(spec(
                RequestKind::Preservation(preservation()),
                Urgency::Urgent,
            ))),
            Side::Requester,
            vec![S::Draft],
        ),
        ("send", C::Send, Side::Requester, vec![S::Draft]),
        (
            "acknowledge",
            C::Acknowledge,
            Side::Recipient,
            vec![S::Sent],
        ),
        ("start", C::Start, Side::Recipient, vec![S::Acknowledged]),
        (
            "ask-for-information",
            C::AskForInformation {
                question: "more?".into(),
            },
            Side::Recipient,
            vec![S::InProgress],
        ),
        (
            "provide-information",
            C::ProvideInformation {
                text: "UTC".into(),
                attachments: vec![attachment("more")],
            },
            Side::Requester,
            vec![S::NeedsMoreInformation],
        ),
        (
            "answer",
            C::Answer(Box::new(full_answer(now))),
            Side::Recipient,
            vec![S::InProgress],
        ),
        (
            "answer-partially",
            C::Answer(Box::new(partial)),
            Side::Recipient,
            vec![S::InProgress],
        ),
        (
            "decline",
            C::Decline {
                ground: DeclineGround::SovereigntySecurityOrdrePublic,
                reason: "essential interests".into(),
            },
            Side::Recipient,
            open.clone(),
        ),
        (
            "withdraw",
            C::Withdraw {
                reason: "no longer needed".into(),
            },
            Side::Requester,
            [vec![S::Draft], open].concat(),
        ),
        (
            "record-custody",
            C::RecordCustody {
                attachment: sha("headers"),
                observed_sha256: sha("headers"),
                observed_size: 7,
            },
            Side::Either,
            S::ALL.into_iter().filter(|s| *s != S::Draft).collect(),
        ),
        (
            "extend-preservation",
            C::ExtendPreservation {
                until: common_plus(now, 200),
            },
            Side::Recipient,
            vec![S::Answered, S::PartiallyAnswered],
        ),
    ]
}

fn common_plus(t: &Timestamp, days: u64) -> Timestamp {
    pacific_coop::common::plus(t, Duration::from_secs(days * 86_400))
}

fn state_after(state: RequestState, command: &str) -> RequestState {
    match command {
        "update" | "record-custody" | "extend-preservation" => state,
        "send" => S::Sent,
        "acknowledge" => S::Acknowledged,
        "start" | "provide-information" => S::InProgress,
        "ask-for-information" => S::NeedsMoreInformation,
        "answer" => S::Answered,
        "answer-partially" => S::PartiallyAnswered,
        "decline" => S::Declined,
        "withdraw" => S::Withdrawn,
        other => panic!("{other}"),
    }
}

#[test]
fn every_state_and_command_is_allowed_or_refused_as_the_table_says() {
    let mut allowed_count = 0;
    for state in S::ALL {
        let (record, now) = request_in(state);
        for (name, command, side, allowed_in) in commands(&now) {
            let (right, wrong) = match side {
                Side::Requester => (REQUESTER, Some(RECIPIENT)),
                Side::Recipient => (RECIPIENT, Some(REQUESTER)),
                Side::Either => (RECIPIENT, None),
            };
            let result = record.decide(&liaison(right), command.clone(), &now);
            if allowed_in.contains(&state) {
                allowed_count += 1;
                let events = result.unwrap_or_else(|e| panic!("{name} in {state}: {e}"));
                let mut after = record.clone();
                for e in &events {
                    after.apply(e);
                }
                assert_eq!(after.state, state_after(state, name), "{name} in {state}");
                assert!(
                    after.meta.modified > record.meta.modified,
                    "{name} in {state}"
                );
                // Acting for another party, or without the authority, is refused.
                for who in wrong.into_iter().chain([OUTSIDER]) {
                    let e = record
                        .decide(&liaison(who), command.clone(), &now)
                        .unwrap_err();
                    assert!(
                        matches!(e, CoopError::WrongParty { .. }),
                        "{name} in {state} by {who}: {e}"
                    );
                }
                let reader = Actor::new(right, CoopRole::Reader);
                let e = record.decide(&reader, command.clone(), &now).unwrap_err();
                assert!(matches!(e, CoopError::RoleNotAllowed { .. }), "{name}: {e}");
                let analyst = Actor::new(right, CoopRole::Analyst);
                let by_analyst = record.decide(&analyst, command.clone(), &now);
                assert_eq!(by_analyst.is_ok(), name == "update", "{name} by an analyst");
            } else {
                let e = result.expect_err(&format!("{name} must be refused in {state}"));
                assert!(
                    matches!(e, CoopError::IllegalTransition { .. }),
                    "{name} in {state}: {e}"
                );
            }
        }
    }
    assert_eq!(allowed_count, 28);
}

#[test]
fn a_refused_command_leaves_the_request_unchanged() {
    let (mut r, now) = request_in(S::Withdrawn);
    let before = r.clone();
    let e = r
        .execute(
            &liaison(RECIPIENT),
            RequestCommand::Answer(Box::new(full_answer(&now))),
            &now,
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::IllegalTransition { .. }));
    assert_eq!(
        e.to_string(),
        "cannot answer a assistance request that is withdrawn"
    );
    assert_eq!(r, before);
}

#[test]
fn every_transition_is_kept_with_who_and_when() {
    let (r, _) = request_in(S::Answered);
    let steps: Vec<_> = r
        .transitions
        .iter()
        .map(|t| (t.from, t.to, t.by.clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (S::Draft, S::Sent, Some(REQUESTER.into())),
            (S::Sent, S::Acknowledged, Some(RECIPIENT.into())),
            (S::Acknowledged, S::InProgress, Some(RECIPIENT.into())),
            (S::InProgress, S::Answered, Some(RECIPIENT.into())),
        ]
    );
}

#[test]
fn missing_mandatory_fields_are_each_named() {
    let cases: Vec<(RequestKind, Vec<&str>)> = vec![
        (
            RequestKind::Preservation(Preservation::default()),
            vec![
                "requesting_authority",
                "offence",
                "summary_of_facts",
                "data_sought",
                "link_to_offence",
                "custodian_or_location",
                "necessity",
                "mla_intent",
            ],
        ),
        (
            RequestKind::Disclosure(Disclosure::default()),
            vec![
                "requesting_authority",
                "offence",
                "summary_of_facts",
                "legal_basis",
                "data_sought",
                "data_categories",
            ],
        ),
        (
            RequestKind::Takedown(Takedown::default()),
            vec![
                "requested_action",
                "justification",
                "target_type",
                "targets",
            ],
        ),
        (
            RequestKind::IncidentAssistance(IncidentAssistance::default()),
            vec!["description", "affected_systems", "assistance_sought"],
        ),
        (
            RequestKind::Information(Information::default()),
            vec!["question"],
        ),
    ];
    for (kind, expected) in cases {
        let name = kind.name();
        let mut s = spec(kind, Urgency::Routine);
        s.title = " ".into();
        let e = AssistanceRequest::draft(
            &liaison(REQUESTER),
            &uuid(2),
            s,
            None,
            &t0(),
            &DeadlinePolicy::default(),
            &HotlinePolicy::default(),
        )
        .unwrap_err();
        let CoopError::MissingFields { fields, .. } = &e else {
            panic!("{name:?}: {e}");
        };
        assert_eq!(fields, &[vec!["title"], expected].concat(), "{name:?}");
        for f in fields {
            assert!(e.to_string().contains(f), "{e}");
        }
    }
}

#[test]
fn a_preservation_missing_one_field_names_that_field() {
    let mut p = preservation();
    p.link_to_offence.clear();
    let e = AssistanceRequest::draft(
        &liaison(REQUESTER),
        &uuid(2),
        spec(RequestKind::Preservation(p), Urgency::Urgent),
        None,
        &t0(),
        &DeadlinePolicy::default(),
        &HotlinePolicy::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "missing mandatory fields for a preservation request: link_to_offence"
    );
}

#[test]
fn a_deadline_in_the_past_is_refused_at_drafting_and_at_sending() {
    let mut s = spec(RequestKind::Preservation(preservation()), Urgency::Urgent);
    s.requested_deadline = Some(at_hours(0));
    let draft = |s: RequestSpec| {
        AssistanceRequest::draft(
            &liaison(REQUESTER),
            &uuid(3),
            s,
            None,
            &at_hours(1),
            &DeadlinePolicy::default(),
            &HotlinePolicy::default(),
        )
    };
    assert!(matches!(
        draft(s.clone()),
        Err(CoopError::DeadlineInPast { .. })
    ));

    s.requested_deadline = Some(at_hours(5));
    let mut r = AssistanceRequest::replay(&[draft(s).unwrap()]).unwrap();
    let e = r
        .execute(&liaison(REQUESTER), RequestCommand::Send, &at_hours(6))
        .unwrap_err();
    assert!(matches!(e, CoopError::DeadlineInPast { .. }), "{e}");
    assert_eq!(r.state, S::Draft);
    r.execute(&liaison(REQUESTER), RequestCommand::Send, &at_hours(2))
        .unwrap();
    assert_eq!(r.deadline, Some(at_hours(5)));
}

#[test]
fn the_deadline_comes_from_the_kind_and_urgency() {
    let mut r = drafted(RequestKind::Preservation(preservation()), Urgency::Urgent);
    r.execute(&liaison(REQUESTER), RequestCommand::Send, &at_hours(1))
        .unwrap();
    assert_eq!(r.deadline, Some(at_hours(25)));
    assert_eq!(r.acknowledgement_deadline, Some(at_hours(25)));
    assert!(!r.acknowledgement_overdue(&at_hours(24)));
    assert!(r.acknowledgement_overdue(&at_hours(25)));
}

#[test]
fn an_unanswered_request_expires_when_its_deadline_passes() {
    let (r, _) = request_in(S::InProgress);
    let deadline = r.deadline.clone().unwrap();
    assert!(r.expire_due(&at_hours(70)).is_empty());
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Answer(Box::new(full_answer(&deadline))),
            &deadline,
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::DeadlinePassed { .. }), "{e}");
    let events = r.expire_due(&deadline);
    let mut r = r;
    r.apply(&events[0]);
    assert_eq!(r.state, S::Expired);
    assert!(r.expire_due(&at_hours(200)).is_empty());
}

#[test]
fn a_decline_cites_a_ground_and_other_grounds_need_a_reason() {
    let (r, now) = request_in(S::Acknowledged);
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Decline {
                ground: DeclineGround::Other,
                reason: "".into(),
            },
            &now,
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::MissingFields { .. }));
    let mut r = r;
    r.execute(
        &liaison(RECIPIENT),
        RequestCommand::Decline {
            ground: DeclineGround::InsufficientInformation,
            reason: String::new(),
        },
        &now,
    )
    .unwrap();
    assert_eq!(
        r.decline.unwrap().ground,
        DeclineGround::InsufficientInformation
    );
}

#[test]
fn a_preservation_answer_preserves_for_at_least_sixty_days_and_can_be_extended() {
    let (mut r, now) = request_in(S::InProgress);
    let mut short = full_answer(&now);
    short.preserved_until = Some(common_plus(&now, 59));
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Answer(Box::new(short)),
            &now,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            CoopError::InvalidInput {
                field: "preserved_until",
                ..
            }
        ),
        "{e}"
    );
    let mut none = full_answer(&now);
    none.preserved_until = None;
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Answer(Box::new(none)),
            &now,
        )
        .unwrap_err();
    assert!(e.to_string().contains("preserved_until"), "{e}");

    r.execute(
        &liaison(RECIPIENT),
        RequestCommand::Answer(Box::new(full_answer(&now))),
        &now,
    )
    .unwrap();
    let until = common_plus(&now, 120);
    r.execute(
        &liaison(RECIPIENT),
        RequestCommand::ExtendPreservation {
            until: until.clone(),
        },
        &now,
    )
    .unwrap();
    assert_eq!(
        r.answer.as_ref().unwrap().preserved_until,
        Some(until.clone())
    );
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::ExtendPreservation { until },
            &now,
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::InvalidInput { .. }));
}

#[test]
fn an_answer_with_objects_names_the_markings_chosen_by_the_answering_party() {
    let (r, now) = request_in(S::InProgress);
    let mut a = full_answer(&now);
    a.object_marking_refs.clear();
    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Answer(Box::new(a)),
            &now,
        )
        .unwrap_err();
    assert!(e.to_string().contains("object_marking_refs"), "{e}");
}

#[test]
fn every_hand_over_records_the_digest_and_a_tampered_attachment_is_flagged() {
    let (mut r, now) = request_in(S::Sent);
    // Sending recorded the requester holding the attachment.
    assert_eq!(r.custody.len(), 1);
    assert_eq!(r.custody[0].holder.as_str(), REQUESTER);
    assert!(r.custody[0].intact);

    // The recipient received other bytes.
    let before = r.clone();
    let e = r
        .execute(
            &liaison(RECIPIENT),
            RequestCommand::RecordCustody {
                attachment: sha("headers"),
                observed_sha256: sha("headerz"),
                observed_size: 7,
            },
            &now,
        )
        .unwrap_err();
    assert_eq!(r, before, "the command failed: nothing changed");
    let CoopError::Tampered { flag, holder, .. } = e else {
        panic!("{e}");
    };
    assert_eq!(holder.as_str(), RECIPIENT);
    // The node logs and applies the flag, so the mismatch stays on record.
    r.apply(&flag);
    assert!(r.custody_flagged());
    let last = r.custody.last().unwrap();
    assert_eq!((last.holder.as_str(), last.intact), (RECIPIENT, false));

    // The right bytes are an intact hand-over.
    r.execute(
        &liaison(RECIPIENT),
        RequestCommand::RecordCustody {
            attachment: sha("headers"),
            observed_sha256: sha("headers"),
            observed_size: 7,
        },
        &now,
    )
    .unwrap();
    assert!(r.custody.last().unwrap().intact);

    let e = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::RecordCustody {
                attachment: sha("unknown"),
                observed_sha256: sha("unknown"),
                observed_size: 7,
            },
            &now,
        )
        .unwrap_err();
    assert!(matches!(e, CoopError::UnknownAttachment(_)));
}

#[test]
fn only_the_requester_and_the_recipient_receive_a_request() {
    let (r, _) = request_in(S::Sent);
    assert!(r.audience().includes(&REQUESTER.into()));
    assert!(r.audience().includes(&RECIPIENT.into()));
    assert!(!r.audience().includes(&OUTSIDER.into()));
}

#[test]
fn events_serialise_with_stable_names_and_replay_to_the_same_request() {
    let mut events = vec![
        AssistanceRequest::draft(
            &liaison(REQUESTER),
            &uuid(9),
            spec(
                RequestKind::Preservation(preservation()),
                Urgency::Emergency,
            ),
            None,
            &t0(),
            &DeadlinePolicy::default(),
            &HotlinePolicy::default(),
        )
        .unwrap(),
    ];
    let mut r = AssistanceRequest::replay(&events).unwrap();
    for (who, c) in [
        (REQUESTER, RequestCommand::Send),
        (RECIPIENT, RequestCommand::Acknowledge),
    ] {
        events.extend(r.execute(&liaison(who), c, &at_hours(1)).unwrap());
    }
    let json = serde_json::to_string(&events).unwrap();
    assert!(json.contains(r#""event":"drafted""#) && json.contains(r#""event":"acknowledged""#));
    let back: Vec<RequestEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, events);
    assert_eq!(AssistanceRequest::replay(&back).unwrap(), r);
}

/// Issue 12, item 13: the schema says `additionalProperties: false`, so a spec with a field it
/// does not define, at the top or inside `details`, is refused naming the field.
#[test]
fn a_request_spec_with_an_unknown_field_is_refused_naming_it() {
    let good = serde_json::json!({
        "recipient": "bravo", "urgency": "urgent", "title": "t",
        "details": {"kind": "information", "question": "what is known of 198.51.100.23?"},
    });
    serde_json::from_value::<RequestSpec>(good.clone()).unwrap();
    let mut cases = Vec::new();
    let mut top = good.clone();
    top["bogus"] = 1.into();
    cases.push((top, "bogus"));
    let mut misspelt = good.clone();
    misspelt["requested_deadine"] = "2030-01-01T00:00:00Z".into();
    cases.push((misspelt, "requested_deadine"));
    let mut inside = good.clone();
    inside["details"]["extra"] = true.into();
    cases.push((inside, "extra"));
    for (spec, field) in cases {
        let e = serde_json::from_value::<RequestSpec>(spec).unwrap_err();
        assert!(
            e.to_string().contains(&format!("unknown field `{field}`")),
            "{field}: {e}"
        );
    }
}
