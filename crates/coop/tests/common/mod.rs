//! Shared fixtures: three parties, a clock, and records in every state.
#![allow(dead_code)]

use std::time::Duration;

use pacific_coop::request::*;
use pacific_coop::*;
use pacific_core::Timestamp;

pub const REQUESTER: &str = "alpha";
pub const RECIPIENT: &str = "bravo";
pub const OUTSIDER: &str = "charlie";

pub fn t0() -> Timestamp {
    Timestamp::parse("2026-03-01T08:00:00.000000Z").unwrap()
}

pub fn at_hours(h: u64) -> Timestamp {
    common::plus(&t0(), Duration::from_secs(h * 3600))
}

pub fn at_secs(s: u64) -> Timestamp {
    common::plus(&t0(), Duration::from_secs(s))
}

pub fn liaison(p: &str) -> Actor {
    Actor::new(p, CoopRole::Liaison)
}

pub fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

pub fn sha(s: &str) -> Sha256Hex {
    Sha256Hex::of(s.as_bytes())
}

pub fn attachment(s: &str) -> Attachment {
    Attachment {
        sha256: sha(s),
        size: s.len() as u64,
        name: format!("{s}.bin"),
        media_type: Some("application/octet-stream".into()),
    }
}

pub fn preservation() -> Preservation {
    Preservation {
        requesting_authority: "Alpha national police, cybercrime unit".into(),
        offence: "computer fraud".into(),
        summary_of_facts: "phishing campaign against Alpha's banks".into(),
        data_sought: "mailbox contents and logs of account x@example.org".into(),
        link_to_offence: "the account sent the phishing mails".into(),
        custodian_or_location: "Example Mail Ltd, Bravo".into(),
        necessity: "the provider deletes logs after 30 days".into(),
        mla_intent: true,
    }
}

pub fn spec(details: RequestKind, urgency: Urgency) -> RequestSpec {
    RequestSpec {
        recipient: RECIPIENT.into(),
        urgency,
        title: "phishing accounts".into(),
        details,
        evidence_refs: vec!["indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2".into()],
        attachments: vec![attachment("headers")],
        requested_deadline: None,
    }
}

pub fn drafted(details: RequestKind, urgency: Urgency) -> AssistanceRequest {
    let e = AssistanceRequest::draft(
        &liaison(REQUESTER),
        &uuid(1),
        spec(details, urgency),
        Some("identity--8e2e2d2b-7f1c-4b0a-9c3d-1e2f3a4b5c6d".into()),
        &t0(),
        &DeadlinePolicy::default(),
        &HotlinePolicy::default(),
    )
    .unwrap();
    AssistanceRequest::replay(&[e]).unwrap()
}

pub fn full_answer(now: &Timestamp) -> AnswerSpec {
    AnswerSpec {
        completeness: Completeness::Full,
        note: "data preserved".into(),
        object_refs: vec!["observed-data--0a8c3e1e-4e3b-4d5e-9b6a-2c1d0e9f8a7b".into()],
        object_marking_refs: vec![pacific_core::tlp::TLP2_CLEAR.into()],
        attachments: vec![attachment("logs")],
        preserved_until: Some(common::plus(now, Duration::from_secs(61 * 86_400))),
    }
}

/// A preservation request driven into `state` by the right parties; the time of its last event
/// is returned with it.
pub fn request_in(state: RequestState) -> (AssistanceRequest, Timestamp) {
    use RequestCommand as C;
    use RequestState as S;
    let mut r = drafted(RequestKind::Preservation(preservation()), Urgency::Routine);
    let (a, b) = (liaison(REQUESTER), liaison(RECIPIENT));
    let run = |r: &mut AssistanceRequest, who: &Actor, c: C, h: u64| {
        r.execute(who, c, &at_hours(h)).unwrap();
    };
    let path: &[S] = match state {
        S::Draft => &[],
        S::Sent => &[S::Sent],
        S::Acknowledged => &[S::Sent, S::Acknowledged],
        S::InProgress => &[S::Sent, S::Acknowledged, S::InProgress],
        S::NeedsMoreInformation => &[
            S::Sent,
            S::Acknowledged,
            S::InProgress,
            S::NeedsMoreInformation,
        ],
        S::Answered => &[S::Sent, S::Acknowledged, S::InProgress, S::Answered],
        S::PartiallyAnswered => &[
            S::Sent,
            S::Acknowledged,
            S::InProgress,
            S::PartiallyAnswered,
        ],
        S::Declined => &[S::Sent, S::Declined],
        S::Withdrawn => &[S::Sent, S::Withdrawn],
        S::Expired => &[S::Sent, S::Expired],
    };
    let mut h = 0;
    for step in path {
        h += 1;
        match step {
            S::Sent => run(&mut r, &a, C::Send, h),
            S::Acknowledged => run(&mut r, &b, C::Acknowledge, h),
            S::InProgress => run(&mut r, &b, C::Start, h),
            S::NeedsMoreInformation => run(
                &mut r,
                &b,
                C::AskForInformation {
                    question: "which time zone are the logs in?".into(),
                },
                h,
            ),
            S::Answered => run(
                &mut r,
                &b,
                C::Answer(Box::new(full_answer(&at_hours(h)))),
                h,
            ),
            S::PartiallyAnswered => {
                let mut a = full_answer(&at_hours(h));
                a.completeness = Completeness::Partial;
                run(&mut r, &b, C::Answer(Box::new(a)), h)
            }
            S::Declined => run(
                &mut r,
                &b,
                C::Decline {
                    ground: DeclineGround::PoliticalOffence,
                    reason: String::new(),
                },
                h,
            ),
            S::Withdrawn => run(
                &mut r,
                &a,
                C::Withdraw {
                    reason: "solved".into(),
                },
                h,
            ),
            S::Expired => {
                h = 100;
                let events = r.expire_due(&at_hours(h));
                assert_eq!(events.len(), 1);
                r.apply(&events[0]);
            }
            S::Draft => {}
        }
    }
    assert_eq!(r.state, state);
    (r, at_hours(h + 1))
}
