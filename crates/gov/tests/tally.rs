//! The tally, as the issue states its rules: quorum missed, exact threshold, consensus blocked,
//! abstentions not cast, changed votes (the last counts), advisory votes beside the result and
//! never in it, refused votes counted and changing nothing, and the same result whatever order
//! the votes arrived in.

use pacific_core::party::StakeholderType::{self, CivilSociety, Company, State};
use pacific_core::policy::PartyId;
use pacific_gov::{
    Choice::{self, Abstain, No, Yes},
    Decision, Fraction, Member, MemberStatus, Outcome, Period, Refusal, Vote, VotingRule, tally,
};
use proptest::prelude::*;

const PERIOD: Period = Period {
    opens: 1_000,
    closes: 2_000,
};

fn member(id: &str, stakeholder: StakeholderType) -> Member {
    Member {
        party: PartyId::new(id),
        stakeholder,
        status: MemberStatus::Member,
    }
}

/// Six states, a company and an NGO.
fn register() -> Vec<Member> {
    let mut r: Vec<Member> = ["xa", "xb", "xc", "xd", "xe", "xf"]
        .iter()
        .map(|id| member(id, State))
        .collect();
    r.push(member("acme", Company));
    r.push(member("ngo", CivilSociety));
    r
}

fn vote(voter: &str, choice: Choice, at: u64) -> Vote {
    Vote {
        id: format!("vote--{voter}-{at}"),
        voter: PartyId::new(voter),
        choice,
        cast_at: at,
    }
}

fn votes(list: &[(&str, Choice)]) -> Vec<Vote> {
    list.iter()
        .enumerate()
        .map(|(i, (v, c))| vote(v, *c, 1_100 + i as u64))
        .collect()
}

fn consensus() -> VotingRule {
    VotingRule {
        decision: Decision::Consensus {
            quorum: Fraction::new(1, 2).unwrap(),
        },
        ..VotingRule::two_thirds_of_states()
    }
}

/// What a case says, the votes (in order), and the outcome expected.
type Case<'a> = (&'a str, &'a [(&'a str, Choice)], Outcome);

#[test]
fn the_default_rule_table() {
    let rule = VotingRule::two_thirds_of_states();
    let cases: &[Case] = &[
        (
            "two of six states take part: below half",
            &[("xa", Yes), ("xb", Yes), ("acme", Yes), ("ngo", Yes)],
            Outcome::NoQuorum {
                participants: 2,
                eligible: 6,
            },
        ),
        (
            "three of six: exactly half is a quorum; 2 of 3 cast is exactly two thirds",
            &[("xa", Yes), ("xb", Yes), ("xc", No)],
            Outcome::Adopted,
        ),
        (
            "just under two thirds",
            &[
                ("xa", Yes),
                ("xb", Yes),
                ("xc", No),
                ("xd", No),
                ("xe", Yes),
            ],
            Outcome::Rejected,
        ),
        (
            "abstentions make the quorum but are not cast",
            &[("xa", Yes), ("xb", Abstain), ("xc", Abstain)],
            Outcome::Adopted,
        ),
        (
            "only abstentions: nothing cast, not adopted",
            &[("xa", Abstain), ("xb", Abstain), ("xc", Abstain)],
            Outcome::Rejected,
        ),
        (
            "advisory votes never count: the company and the NGO against, the states for",
            &[
                ("xa", Yes),
                ("xb", Yes),
                ("xc", Yes),
                ("acme", No),
                ("ngo", No),
            ],
            Outcome::Adopted,
        ),
    ];
    for (what, list, expected) in cases {
        let t = tally(&rule, &register(), PERIOD, &votes(list));
        assert_eq!(&t.outcome, expected, "{what}: {t:?}");
        assert!(t.refused.is_empty(), "{what}");
    }
}

#[test]
fn advisory_votes_are_published_beside_the_result() {
    let list = [
        ("xa", Yes),
        ("xb", Yes),
        ("xc", Yes),
        ("acme", No),
        ("ngo", Abstain),
    ];
    let t = tally(
        &VotingRule::two_thirds_of_states(),
        &register(),
        PERIOD,
        &votes(&list),
    );
    assert_eq!((t.binding.yes, t.binding.no, t.binding.abstain), (3, 0, 0));
    assert_eq!(
        (t.advisory.yes, t.advisory.no, t.advisory.abstain),
        (0, 1, 1)
    );
    assert_eq!(t.eligible, 6);
}

#[test]
fn in_consensus_one_binding_no_blocks_and_an_advisory_no_does_not() {
    let t = tally(
        &consensus(),
        &register(),
        PERIOD,
        &votes(&[("xa", Yes), ("xb", Yes), ("xc", No), ("xd", Abstain)]),
    );
    assert_eq!(
        t.outcome,
        Outcome::Blocked {
            by: vec![PartyId::new("xc")]
        }
    );
    let t = tally(
        &consensus(),
        &register(),
        PERIOD,
        &votes(&[("xa", Yes), ("xb", Yes), ("xc", Abstain), ("ngo", No)]),
    );
    assert_eq!(t.outcome, Outcome::Adopted);
}

#[test]
fn a_member_may_change_its_vote_until_the_period_closes_and_the_last_counts() {
    let list = vec![
        vote("xa", No, 1_100),
        vote("xb", Yes, 1_101),
        vote("xc", Yes, 1_102),
        vote("xa", Yes, 1_500),
        // After the close: refused, the earlier "yes" stands.
        vote("xb", No, 2_000),
    ];
    let t = tally(
        &VotingRule::two_thirds_of_states(),
        &register(),
        PERIOD,
        &list,
    );
    assert_eq!(t.outcome, Outcome::Adopted);
    assert_eq!((t.binding.yes, t.binding.no), (3, 0));
    assert_eq!(t.superseded, ["vote--xa-1100"]);
    assert_eq!(
        t.refused,
        [("vote--xb-2000".to_owned(), Refusal::OutsidePeriod)]
    );
}

#[test]
fn refused_votes_are_counted_and_change_nothing() {
    let mut reg = register();
    reg[3].status = MemberStatus::Suspended; // xd
    reg[4].status = MemberStatus::Applicant; // xe
    let good = votes(&[("xa", Yes), ("xb", Yes), ("xc", No)]);
    let mut all = good.clone();
    all.push(good[0].clone()); // the same vote twice
    all.push(vote("xd", No, 1_200));
    all.push(vote("xe", No, 1_201));
    all.push(vote("zz", No, 1_202)); // not in the register
    all.push(vote("xf", No, 999)); // before the period opens
    let rule = VotingRule::two_thirds_of_states();
    let t = tally(&rule, &reg, PERIOD, &all);
    let mut reasons: Vec<Refusal> = t.refused.iter().map(|(_, r)| *r).collect();
    reasons.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        reasons,
        [
            Refusal::Duplicate,
            Refusal::MayNotVote,
            Refusal::MayNotVote,
            Refusal::NotAMember,
            Refusal::OutsidePeriod
        ]
    );
    let clean = tally(&rule, &reg, PERIOD, &good);
    assert_eq!(
        (t.binding, t.outcome.clone()),
        (clean.binding, clean.outcome)
    );
    // The suspended and the applicant states are not eligible: 4 of 6 remain.
    assert_eq!(t.eligible, 4);
}

#[test]
fn two_different_votes_under_one_id_count_the_same_whatever_their_order() {
    let yes = vote("xa", Yes, 1_100);
    let no = Vote {
        choice: No,
        ..yes.clone()
    };
    let rule = VotingRule::two_thirds_of_states();
    let one = tally(&rule, &register(), PERIOD, &[yes.clone(), no.clone()]);
    let other = tally(&rule, &register(), PERIOD, &[no, yes]);
    assert_eq!(one, other);
    assert_eq!(
        one.refused,
        [("vote--xa-1100".to_owned(), Refusal::Duplicate)]
    );
}

#[test]
fn fractions_are_exact() {
    let two_thirds = Fraction::new(2, 3).unwrap();
    assert!(two_thirds.reached_by(2, 3));
    assert!(!two_thirds.reached_by(666_666, 1_000_000));
    assert!(two_thirds.reached_by(u64::MAX, u64::MAX));
    assert!(!two_thirds.reached_by(0, 0));
    assert!(Fraction::new(0, 1).unwrap().reached_by(0, 0));
    assert_eq!(Fraction::new(1, 0), None);
    assert_eq!(Fraction::new(3, 2), None);
}

proptest! {
    /// The tally is a function of the set of votes: any order of arrival gives the same result.
    #[test]
    fn any_order_of_arrival_gives_the_same_tally(
        raw in proptest::collection::vec((0usize..9, 0u8..3, 900u64..2_100), 0..30),
        seed in any::<u64>(),
        consensus_mode in any::<bool>(),
    ) {
        let parties = ["xa", "xb", "xc", "xd", "xe", "xf", "acme", "ngo", "zz"];
        let choices = [Yes, No, Abstain];
        let list: Vec<Vote> = raw
            .iter()
            .map(|(p, c, at)| vote(parties[*p], choices[*c as usize], *at))
            .collect();
        let mut shuffled = list.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let rule = if consensus_mode { consensus() } else { VotingRule::two_thirds_of_states() };
        prop_assert_eq!(
            tally(&rule, &register(), PERIOD, &list),
            tally(&rule, &register(), PERIOD, &shuffled)
        );
    }
}
