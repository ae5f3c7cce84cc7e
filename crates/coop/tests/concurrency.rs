//! Acts made concurrently on different nodes: each node holds the acts it has received so far
//! and rebuilds the record from them ([`replay_acts`]). Acts that commute (messages, agenda
//! items, attachments, signatures of the same minutes, votes) all count on every node whatever
//! order they arrive in; acts that conflict are refused alike on every node.

use crate::common;

use std::collections::BTreeSet;

use common::*;
use pacific_coop::consultation::*;
use pacific_coop::dispute::*;
use pacific_coop::wire::*;
use pacific_coop::*;
use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use proptest::prelude::*;

const PARTIES: [&str; 3] = [REQUESTER, RECIPIENT, OUTSIDER];

/// Nodes of a federation, each holding the acts it has received.
struct Federation<A: Admissible>
where
    A::Body: PartialEq + std::fmt::Debug,
{
    parties: Vec<PartyId>,
    held: Vec<Vec<HeldAct<A::Body>>>,
    /// Acts published but not yet delivered: (to node, act).
    in_flight: Vec<(usize, HeldAct<A::Body>)>,
    next: u32,
}

impl<A: Admissible> Federation<A>
where
    A::Body: PartialEq + std::fmt::Debug,
{
    /// A federation of `parties` where every node holds `history` (the acts made before).
    fn new(parties: &[&str], history: Vec<HeldAct<A::Body>>) -> Self {
        Self {
            parties: parties.iter().map(|p| PartyId::from(*p)).collect(),
            held: vec![history; parties.len()],
            in_flight: Vec::new(),
            next: 1000,
        }
    }

    /// The record as node `n` rebuilds it from what it holds.
    fn view(&self, n: usize) -> Replayed<A> {
        replay_acts::<A>(&mut self.held[n].clone())
    }

    /// Party `n` decides `command` on its own view at `now` (or just after the last event it
    /// holds) and publishes the act; `false` if its node refuses the command.
    fn act(&mut self, n: usize, command: A::Command, now: &Timestamp) -> bool {
        let record = self.view(n).record.expect("the record exists");
        let after = record.meta().modified.unix_micros() + 1;
        let now = Timestamp::from_unix_micros(now.unix_micros().max(after));
        let Ok(events) = record.decide(&liaison(self.parties[n].as_str()), command, &now) else {
            return false;
        };
        self.next += 1;
        let act = HeldAct {
            id: format!("{EVENT_TYPE}--{}", uuid(self.next)),
            origin: self.parties[n].clone(),
            events,
        };
        for other in (0..self.parties.len()).filter(|o| *o != n) {
            self.in_flight.push((other, act.clone()));
        }
        self.held[n].push(act);
        true
    }

    /// Delivers the act in flight at `pick` (modulo the number in flight), if any.
    fn deliver(&mut self, pick: usize) {
        if !self.in_flight.is_empty() {
            let (to, act) = self.in_flight.remove(pick % self.in_flight.len());
            self.held[to].push(act);
        }
    }

    fn deliver_all(&mut self) {
        while !self.in_flight.is_empty() {
            self.deliver(0);
        }
    }

    /// Every node's record and refused act ids, once everything is delivered; they must agree.
    fn settled(&mut self) -> (A, BTreeSet<String>)
    where
        A: PartialEq + std::fmt::Debug,
    {
        self.deliver_all();
        let first = self.view(0);
        let record = first.record.expect("the record exists");
        let refused: BTreeSet<String> = first.refused.into_iter().map(|(id, _)| id).collect();
        for n in 1..self.parties.len() {
            let other = self.view(n);
            assert_eq!(other.record.as_ref(), Some(&record), "node {n} differs");
            let ids: BTreeSet<String> = other.refused.into_iter().map(|(id, _)| id).collect();
            assert_eq!(ids, refused, "node {n} refused other acts");
        }
        (record, refused)
    }
}

/// A consultation of the three parties with minutes v1 proposed, known to every node.
fn consultation_with_minutes() -> Vec<HeldAct<ConsultationEventKind>> {
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
    let c = Consultation::from_created(&opened).unwrap();
    let minutes = c
        .decide(
            &liaison(REQUESTER),
            ConsultationCommand::ProposeMinutes {
                text: "null-route by Friday".into(),
            },
            &at_secs(1),
        )
        .unwrap();
    vec![
        HeldAct {
            id: format!("{EVENT_TYPE}--{}", uuid(1)),
            origin: REQUESTER.into(),
            events: vec![opened],
        },
        HeldAct {
            id: format!("{EVENT_TYPE}--{}", uuid(2)),
            origin: REQUESTER.into(),
            events: minutes,
        },
    ]
}

/// One party's act that commutes with every other party's.
fn commuting(kind: u8, party: usize, n: usize) -> ConsultationCommand {
    let text = format!("{} #{n}", PARTIES[party]);
    match kind % 3 {
        0 => ConsultationCommand::Post {
            text,
            object_refs: vec![],
        },
        1 => ConsultationCommand::AddAgendaItem { item: text },
        _ => ConsultationCommand::AttachObjects {
            object_refs: vec![format!(
                "indicator--{}",
                uuid(5000 + 10 * party as u32 + n as u32)
            )],
        },
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// The party acts next, `secs` after the previous step (by its own clock, `skew` seconds
    /// apart from the others').
    Act { party: usize, secs: u64 },
    /// An act in flight reaches its node.
    Deliver(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        prop_oneof![
            (0..3usize, 0..3u64).prop_map(|(party, secs)| Step::Act { party, secs }),
            any::<usize>().prop_map(Step::Deliver),
        ],
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Three parties post, add agenda items, attach objects and sign the minutes, each on its
    /// own node's view, in any interleaving of acts and deliveries: every act counts on every
    /// node, all three signatures with them, and the consultation closes.
    #[test]
    fn commuting_acts_of_three_parties_all_count_on_every_node(
        scripts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 3),
        skew in proptest::collection::vec(0..3u64, 3),
        schedule in steps(),
    ) {
        let mut fed = Federation::<Consultation>::new(&PARTIES, consultation_with_minutes());
        // Each party's script: its commuting acts, then its signature.
        let mut todo: Vec<Vec<ConsultationCommand>> = scripts
            .iter()
            .enumerate()
            .map(|(p, s)| {
                let mut cmds: Vec<_> = s.iter().enumerate().map(|(n, k)| commuting(*k, p, n)).collect();
                cmds.push(ConsultationCommand::SignMinutes { version: 1 });
                cmds.reverse();
                cmds
            })
            .collect();
        let mut clock = 10;
        let run = |fed: &mut Federation<Consultation>, todo: &mut Vec<Vec<ConsultationCommand>>, party: usize, clock: u64| {
            if let Some(command) = todo[party].pop() {
                let now = at_secs(clock + skew[party]);
                prop_assert!(fed.act(party, command, &now), "{} refused its own act", PARTIES[party]);
            }
            Ok(())
        };
        for step in schedule {
            match step {
                Step::Act { party, secs } => {
                    clock += secs;
                    run(&mut fed, &mut todo, party, clock)?;
                }
                Step::Deliver(pick) => fed.deliver(pick),
            }
        }
        // Whatever is left, each party does on its own before hearing from the others.
        for party in 0..3 {
            while !todo[party].is_empty() {
                run(&mut fed, &mut todo, party, clock)?;
            }
        }
        let (record, refused) = fed.settled();
        prop_assert!(refused.is_empty(), "refused: {refused:?}");
        let posts = scripts.iter().flatten().filter(|k| *k % 3 == 0).count();
        let items = scripts.iter().flatten().filter(|k| *k % 3 == 1).count();
        let attached = scripts.iter().flatten().filter(|k| *k % 3 == 2).count();
        prop_assert_eq!(record.messages.len(), posts);
        prop_assert_eq!(record.agenda.len(), 1 + items);
        prop_assert_eq!(record.object_refs.len(), attached);
        let signed: BTreeSet<&str> = record
            .minutes
            .as_ref()
            .unwrap()
            .signatures
            .iter()
            .map(|s| s.party.as_str())
            .collect();
        prop_assert_eq!(signed, BTreeSet::from(PARTIES));
        prop_assert_eq!(record.state, ConsultationState::Closed);
    }

    /// The same with acts that conflict (new minutes proposed while others sign the old
    /// ones): every node ends with the same record and refuses the same acts.
    #[test]
    fn any_acts_of_three_parties_give_the_same_record_on_every_node(
        scripts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..5), 3),
        skew in proptest::collection::vec(0..3u64, 3),
        schedule in steps(),
    ) {
        let mut fed = Federation::<Consultation>::new(&PARTIES, consultation_with_minutes());
        let mut todo: Vec<Vec<u8>> = scripts.iter().map(|s| s.iter().rev().copied().collect()).collect();
        let mut clock = 10;
        for step in schedule {
            match step {
                Step::Act { party, secs } => {
                    clock += secs;
                    let Some(k) = todo[party].pop() else { continue };
                    let command = match k % 5 {
                        3 => ConsultationCommand::ProposeMinutes { text: format!("v by {party}") },
                        4 => {
                            let v = fed.view(party).record.and_then(|c| c.minutes).map_or(1, |m| m.version);
                            ConsultationCommand::SignMinutes { version: v }
                        }
                        _ => commuting(k, party, todo[party].len()),
                    };
                    // A command the party's own node refuses is never published.
                    fed.act(party, command, &at_secs(clock + skew[party]));
                }
                Step::Deliver(pick) => fed.deliver(pick),
            }
        }
        fed.settled();
    }
}

/// The case issue 12 reported: Alpha and Bravo sign the minutes within moments, each before
/// seeing the other's signature. Both signatures count on both nodes, in either order of
/// arrival, and the consultation closes.
#[test]
fn two_signatures_made_concurrently_both_count_and_close_the_consultation() {
    let opened = Consultation::open(
        &liaison(REQUESTER),
        &uuid(3),
        "GRIDLOCK".into(),
        [PartyId::from(RECIPIENT)].into(),
        vec![],
        None,
        &t0(),
    )
    .unwrap();
    let mut c = Consultation::from_created(&opened).unwrap();
    let minutes = c
        .execute(
            &liaison(REQUESTER),
            ConsultationCommand::ProposeMinutes {
                text: "agreed".into(),
            },
            &at_secs(1),
        )
        .unwrap();
    let sign = |p: &str, s: u64| {
        c.decide(
            &liaison(p),
            ConsultationCommand::SignMinutes { version: 1 },
            &at_secs(s),
        )
        .unwrap()
    };
    let (alpha, bravo) = (sign(REQUESTER, 2), sign(RECIPIENT, 3));
    let act = |n: u32, origin: &str, events| HeldAct {
        id: format!("{EVENT_TYPE}--{}", uuid(n)),
        origin: PartyId::from(origin),
        events,
    };
    for order in [[2, 3], [3, 2]] {
        let mut acts = vec![
            act(10, REQUESTER, vec![opened.clone()]),
            act(11, REQUESTER, minutes.clone()),
        ];
        for n in order {
            acts.push(if n == 2 {
                act(12, REQUESTER, alpha.clone())
            } else {
                act(13, RECIPIENT, bravo.clone())
            });
        }
        let out = replay_acts::<Consultation>(&mut acts);
        assert!(out.refused.is_empty(), "{:?}", out.refused);
        let record = out.record.unwrap();
        assert_eq!(record.minutes.unwrap().signatures.len(), 2);
        assert_eq!(record.state, ConsultationState::Closed);
    }
}

/// Two members of a panel of three vote the same finding concurrently, each before seeing the
/// other's vote: both votes count and the majority decides; the third member's vote, made
/// concurrently too but ordered after the decision, is refused on every node alike.
#[test]
fn two_concurrent_votes_both_count_and_decide() {
    let open = Dispute::open(
        &liaison(REQUESTER),
        &uuid(2),
        RECIPIENT.into(),
        "unanswered requests".into(),
        "three requests ignored".into(),
        vec![],
        &DisputePolicy::default(),
        None,
        &t0(),
    )
    .unwrap();
    let mut d = Dispute::from_created(&open).unwrap();
    let members: BTreeSet<PartyId> = ["charlie", "delta", "echo"].map(PartyId::from).into();
    let mut history = vec![HeldAct {
        id: format!("{EVENT_TYPE}--{}", uuid(200)),
        origin: REQUESTER.into(),
        events: vec![open],
    }];
    for (n, (party, command)) in [
        (REQUESTER, DisputeCommand::ProposePanel { members }),
        (RECIPIENT, DisputeCommand::AcceptPanel),
    ]
    .into_iter()
    .enumerate()
    {
        let events = d
            .execute(&liaison(party), command, &at_secs(n as u64 + 1))
            .unwrap();
        history.push(HeldAct {
            id: format!("{EVENT_TYPE}--{}", uuid(201 + n as u32)),
            origin: party.into(),
            events,
        });
    }
    let mut fed = Federation::<Dispute>::new(&["charlie", "delta", "echo"], history);
    for (n, s) in [(0, 10), (1, 11), (2, 12)] {
        let vote = DisputeCommand::Vote {
            finding: Finding::Upheld,
            reasons: format!("reasons of member {n}"),
        };
        assert!(fed.act(n, vote, &at_secs(s)));
    }
    let (record, refused) = fed.settled();
    assert_eq!(record.stage, Stage::Decided);
    assert_eq!(record.votes.len(), 2);
    let decision = record.decision.unwrap();
    assert_eq!((decision.votes_for, decision.votes_against), (2, 0));
    assert_eq!(refused.len(), 1, "echo's vote came after the decision");
}
