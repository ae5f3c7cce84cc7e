//! Acts between nodes: an act as an `x-pacific-coop-event` STIX object reads back unchanged,
//! and a node replaying a record's acts counts only those the acting party could have made.

use crate::common;

use common::*;
use pacific_coop::dispute::*;
use pacific_coop::request::*;
use pacific_coop::wire::*;
use pacific_coop::*;
use pacific_core::StixObject;
use pacific_core::policy::PartyId;

fn held(n: u32, origin: &str, events: Vec<RequestEvent>) -> HeldAct<RequestEventKind> {
    HeldAct {
        id: format!("{EVENT_TYPE}--{}", uuid(100 + n)),
        origin: PartyId::from(origin),
        events,
    }
}

fn draft() -> RequestEvent {
    AssistanceRequest::draft(
        &liaison(REQUESTER),
        &uuid(1),
        spec(RequestKind::Preservation(preservation()), Urgency::Urgent),
        None,
        &t0(),
        &DeadlinePolicy::default(),
        &HotlinePolicy::default(),
    )
    .unwrap()
}

#[test]
fn an_act_is_valid_amber_stix_addressed_to_the_audience_and_reads_back() {
    let created = draft();
    let request = AssistanceRequest::from_created(&created).unwrap();
    let act = Act::Request(vec![created.clone()]);
    let object = to_stix(&uuid(7), &act, &request.audience(), None, &t0()).unwrap();
    let again = StixObject::from_json(&object.to_json()).unwrap();
    assert_eq!(again.type_name(), EVENT_TYPE);
    assert_eq!(
        again.get("x_pacific_recipients").unwrap(),
        &serde_json::json!(["alpha", "bravo"])
    );
    assert_eq!(
        again.object_marking_refs().collect::<Vec<_>>(),
        vec![pacific_core::tlp::TLP2_AMBER]
    );
    let p = from_stix(&again).unwrap();
    assert_eq!(p.act, act);
    assert_eq!(p.record, created.record);
    assert_eq!(p.at, t0());
    StixObject::from_json(&event_extension_definition().to_json()).unwrap();
}

#[test]
fn a_request_replays_from_both_parties_acts() {
    let created = draft();
    let mut r = AssistanceRequest::from_created(&created).unwrap();
    let sent = r
        .execute(&liaison(REQUESTER), RequestCommand::Send, &at_secs(1))
        .unwrap();
    let ack = r
        .execute(
            &liaison(RECIPIENT),
            RequestCommand::Acknowledge,
            &at_secs(2),
        )
        .unwrap();
    let mut acts = vec![
        held(3, RECIPIENT, ack),
        held(1, REQUESTER, vec![created]),
        held(2, REQUESTER, sent),
    ];
    let out = replay_acts::<AssistanceRequest>(&mut acts);
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    assert_eq!(out.record.unwrap(), r);
}

#[test]
fn an_act_claiming_another_partys_action_or_not_allowed_in_the_state_is_refused() {
    let created = draft();
    let mut r = AssistanceRequest::from_created(&created).unwrap();
    let sent = r
        .execute(&liaison(REQUESTER), RequestCommand::Send, &at_secs(1))
        .unwrap();
    let ack = r
        .decide(
            &liaison(RECIPIENT),
            RequestCommand::Acknowledge,
            &at_secs(2),
        )
        .unwrap();
    // Alpha publishes Bravo's acknowledgement: not its act.
    let mut acts = vec![
        held(1, REQUESTER, vec![created.clone()]),
        held(2, REQUESTER, sent.clone()),
        held(3, REQUESTER, ack.clone()),
    ];
    let out = replay_acts::<AssistanceRequest>(&mut acts);
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.record.unwrap().state, RequestState::Sent);
    // Bravo publishes an acknowledgement in its own name by Alpha: refused too.
    let mut forged = ack[0].clone();
    forged.by = Some(REQUESTER.into());
    let mut acts = vec![
        held(1, REQUESTER, vec![created.clone()]),
        held(2, REQUESTER, sent.clone()),
        held(3, RECIPIENT, vec![forged]),
    ];
    assert_eq!(replay_acts::<AssistanceRequest>(&mut acts).refused.len(), 1);
    // Bravo answers a request it never acknowledged nor started: illegal in that state.
    let mut answered = ack[0].clone();
    answered.body = RequestEventKind::Answered {
        answer: Box::new(AnswerSpec {
            completeness: Completeness::Full,
            note: "done".into(),
            object_refs: vec![],
            object_marking_refs: vec![],
            attachments: vec![],
            preserved_until: Some(at_hours(24 * 90)),
        }),
    };
    let mut acts = vec![
        held(1, REQUESTER, vec![created.clone()]),
        held(2, REQUESTER, sent),
        held(3, RECIPIENT, vec![answered]),
    ];
    let out = replay_acts::<AssistanceRequest>(&mut acts);
    assert!(matches!(
        out.refused[0].1,
        CoopError::IllegalTransition { .. }
    ));
    // A draft published by Bravo in Alpha's name creates nothing.
    let mut acts = vec![held(1, RECIPIENT, vec![created])];
    let out = replay_acts::<AssistanceRequest>(&mut acts);
    assert!(out.record.is_none());
}

#[test]
fn timed_events_count_only_from_the_clock_party_and_when_due() {
    let created = AssistanceRequest::draft(
        &liaison(REQUESTER),
        &uuid(1),
        spec(
            RequestKind::Preservation(preservation()),
            Urgency::Emergency,
        ),
        None,
        &t0(),
        &DeadlinePolicy::default(),
        &HotlinePolicy::default(),
    )
    .unwrap();
    let mut r = AssistanceRequest::from_created(&created).unwrap();
    let sent = r
        .execute(&liaison(REQUESTER), RequestCommand::Send, &at_secs(1))
        .unwrap();
    let resend = r.resend_due(&at_secs(301));
    assert_eq!(resend.len(), 1);
    let early = r.resend_due(&at_secs(10));
    assert!(early.is_empty());
    for (origin, ok) in [(REQUESTER, true), (RECIPIENT, false)] {
        let mut acts = vec![
            held(1, REQUESTER, vec![created.clone()]),
            held(2, REQUESTER, sent.clone()),
            held(3, origin, resend.clone()),
        ];
        let out = replay_acts::<AssistanceRequest>(&mut acts);
        assert_eq!(out.refused.is_empty(), ok, "{origin}");
    }
    let mut not_due = resend[0].clone();
    not_due.at = at_secs(100);
    let mut acts = vec![
        held(1, REQUESTER, vec![created]),
        held(2, REQUESTER, sent),
        held(3, REQUESTER, vec![not_due]),
    ];
    assert_eq!(replay_acts::<AssistanceRequest>(&mut acts).refused.len(), 1);
}

#[test]
fn a_vote_and_the_decision_it_reaches_are_one_act() {
    let open = Dispute::open(
        &liaison("alpha"),
        &uuid(2),
        "bravo".into(),
        "unanswered requests".into(),
        "bravo ignored three requests".into(),
        vec![],
        &DisputePolicy::default(),
        None,
        &t0(),
    )
    .unwrap();
    let mut d = Dispute::from_created(&open).unwrap();
    let mut acts: Vec<HeldAct<DisputeEventKind>> = vec![HeldAct {
        id: format!("{EVENT_TYPE}--{}", uuid(200)),
        origin: "alpha".into(),
        events: vec![open],
    }];
    let members: std::collections::BTreeSet<PartyId> =
        ["charlie", "delta", "echo"].map(PartyId::from).into();
    let steps: Vec<(&str, DisputeCommand)> = vec![
        ("alpha", DisputeCommand::ProposePanel { members }),
        ("bravo", DisputeCommand::AcceptPanel),
        (
            "charlie",
            DisputeCommand::Vote {
                finding: Finding::Upheld,
                reasons: "the requests were in order".into(),
            },
        ),
        (
            "delta",
            DisputeCommand::Vote {
                finding: Finding::Upheld,
                reasons: "no ground was cited".into(),
            },
        ),
    ];
    for (n, (party, command)) in steps.into_iter().enumerate() {
        let events = d
            .execute(&liaison(party), command, &at_hours(n as u64 + 1))
            .unwrap();
        acts.push(HeldAct {
            id: format!("{EVENT_TYPE}--{}", uuid(201 + n as u32)),
            origin: party.into(),
            events,
        });
    }
    assert_eq!(d.stage, Stage::Decided);
    let out = replay_acts::<Dispute>(&mut acts);
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    assert_eq!(out.record.unwrap(), d);
}

fn act<B>(n: u32, origin: &str, events: Vec<Event<B>>) -> HeldAct<B> {
    HeldAct {
        id: format!("{EVENT_TYPE}--{}", uuid(200 + n)),
        origin: PartyId::from(origin),
        events,
    }
}

#[test]
fn a_consultation_replays_from_each_participants_acts_and_closes_when_all_signed() {
    use pacific_coop::consultation::*;
    let opened = Consultation::open(
        &liaison(REQUESTER),
        &uuid(3),
        "GRIDLOCK C2 in XB".into(),
        [PartyId::from(RECIPIENT), PartyId::from(OUTSIDER)].into(),
        vec!["takedown".into()],
        None,
        &t0(),
    )
    .unwrap();
    let mut c = Consultation::from_created(&opened).unwrap();
    let minutes = c
        .execute(
            &liaison(RECIPIENT),
            ConsultationCommand::ProposeMinutes {
                text: "null-route by Friday".into(),
            },
            &at_secs(1),
        )
        .unwrap();
    let mut acts = vec![
        act(1, REQUESTER, vec![opened.clone()]),
        act(2, RECIPIENT, minutes.clone()),
    ];
    for (i, p) in [REQUESTER, RECIPIENT, OUTSIDER].into_iter().enumerate() {
        let signed = c
            .execute(
                &liaison(p),
                ConsultationCommand::SignMinutes { version: 1 },
                &at_secs(2 + i as u64),
            )
            .unwrap();
        acts.push(act(3 + i as u32, p, signed));
    }
    let out = replay_acts::<Consultation>(&mut acts);
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    let replayed = out.record.unwrap();
    assert_eq!(replayed.state, ConsultationState::Closed);
    assert_eq!(replayed, c);
    let object = to_stix(
        &uuid(9),
        &Act::Consultation(vec![opened.clone()]),
        &c.audience(),
        None,
        &t0(),
    )
    .unwrap();
    assert_eq!(
        from_stix(&StixObject::from_json(&object.to_json()).unwrap())
            .unwrap()
            .act,
        Act::Consultation(vec![opened.clone()])
    );

    // A signature published in another party's name, or convened for someone else, does not count.
    let mut forged = minutes.clone();
    forged[0].by = Some(OUTSIDER.into());
    let mut acts = vec![
        act(1, REQUESTER, vec![opened.clone()]),
        act(2, RECIPIENT, forged),
    ];
    assert_eq!(replay_acts::<Consultation>(&mut acts).refused.len(), 1);
    let mut acts = vec![act(1, RECIPIENT, vec![opened])];
    assert!(replay_acts::<Consultation>(&mut acts).record.is_none());
}

#[test]
fn a_ping_is_answered_by_the_pinged_party_or_timed_out_by_the_sender() {
    use pacific_coop::hotline::*;
    let policy = HotlinePolicy::default();
    let sent = HotlinePing::send(
        &liaison(REQUESTER),
        &uuid(4),
        RECIPIENT.into(),
        &t0(),
        &policy,
    )
    .unwrap();
    let ping = HotlinePing::from_created(&sent).unwrap();
    let answered = ping
        .decide(&liaison(RECIPIENT), PingCommand::Answer, &at_secs(3))
        .unwrap();
    let mut acts = vec![
        act(1, REQUESTER, vec![sent.clone()]),
        act(2, RECIPIENT, answered.clone()),
    ];
    let out = replay_acts::<HotlinePing>(&mut acts);
    assert!(out.refused.is_empty());
    assert_eq!(
        out.record.unwrap().response_time(),
        Some(std::time::Duration::from_secs(3))
    );
    // The sender cannot answer its own ping.
    let mut acts = vec![
        act(1, REQUESTER, vec![sent.clone()]),
        act(2, REQUESTER, answered),
    ];
    assert_eq!(replay_acts::<HotlinePing>(&mut acts).refused.len(), 1);
    // The time-out counts from the sender, when due.
    let late = at_secs(policy.ping_timeout_secs + 1);
    let timed_out = ping.timeout_due(&late);
    assert_eq!(timed_out.len(), 1);
    for (origin, ok) in [(REQUESTER, true), (RECIPIENT, false)] {
        let mut acts = vec![
            act(1, REQUESTER, vec![sent.clone()]),
            act(2, origin, timed_out.clone()),
        ];
        let out = replay_acts::<HotlinePing>(&mut acts);
        assert_eq!(out.refused.is_empty(), ok, "{origin}");
        if ok {
            assert!(matches!(
                out.record.unwrap().outcome,
                PingOutcome::TimedOut { .. }
            ));
        }
    }
    assert!(ping.timeout_due(&at_secs(10)).is_empty());
}

/// Acts come from other parties' nodes: outside input. Any change to a valid act object —
/// a value replaced by another kind of JSON, a member dropped — is read or refused, never a
/// panic, and whatever reads back replays (with the genuine acts) without one either.
mod received_acts_are_outside_input {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,24}".prop_map(Value::from),
            Just(json!([])),
            Just(json!({})),
            Just(json!("2026-13-40T99:99:99Z")),
            Just(json!(
                "x-pacific-dispute--00000000-0000-4000-8000-000000000000"
            )),
        ]
    }

    /// Every path to a value in `v`, depth first.
    fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    at.push(k.clone());
                    paths(c, at, out);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    at.push(i.to_string());
                    paths(c, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    fn at_path<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
        path.iter().try_fold(v, |v, k| match v {
            Value::Object(m) => m.get_mut(k),
            Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        })
    }

    fn genuine() -> (Value, Vec<HeldAct<RequestEventKind>>) {
        let created = draft();
        let mut r = AssistanceRequest::from_created(&created).unwrap();
        let sent = r
            .execute(&liaison(REQUESTER), RequestCommand::Send, &at_secs(1))
            .unwrap();
        let act = Act::Request(sent.clone());
        let object = to_stix(&uuid(9), &act, &r.audience(), None, &at_secs(1)).unwrap();
        let value: Value = serde_json::from_str(&object.to_json()).unwrap();
        (
            value,
            vec![held(1, REQUESTER, vec![created]), held(2, REQUESTER, sent)],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn a_mutated_act_is_read_or_refused_never_a_panic(
            picks in proptest::collection::vec((any::<prop::sample::Index>(), leaf(), any::<bool>()), 1..4)
        ) {
            let (mut value, mut acts) = genuine();
            for (pick, replacement, drop) in picks {
                let mut all = Vec::new();
                paths(&value, &mut Vec::new(), &mut all);
                let path = pick.get(&all).clone();
                match (path.split_last(), drop) {
                    (Some((last, parent)), true) => {
                        if let Some(Value::Object(m)) = at_path(&mut value, parent) {
                            m.remove(last);
                        }
                    }
                    _ => {
                        if let Some(slot) = at_path(&mut value, &path) {
                            *slot = replacement;
                        }
                    }
                }
            }
            let Ok(object) = StixObject::from_json(&value.to_string()) else { return Ok(()) };
            if let Ok(published) = from_stix(&object)
                && let Act::Request(events) = published.act
            {
                acts.push(held(3, RECIPIENT, events));
                let _ = replay_acts::<AssistanceRequest>(&mut acts);
            }
        }
    }
}
