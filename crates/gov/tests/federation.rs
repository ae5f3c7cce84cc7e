//! The federation as its acts make it: a charter signed by every founding member, proposals
//! debated, amended and voted, what adoption changes, and acts that do not count — each
//! refused with its reason and changing nothing; the same federation whatever order the acts
//! arrived in.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_core::policy::PartyId;
use pacific_gov::charter::{Charter, CharterError, MemberDetails};
use pacific_gov::params::Parameter;
use pacific_gov::proposal::{Act, Change};
use pacific_gov::state::{Federation, GovError, HeldAct, Stage, replay};
use pacific_gov::{Choice, MemberStatus, Outcome};
use proptest::prelude::*;

const DAY: i64 = 24 * 3600;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Three states, a company and an NGO; one-day deliberation, one-day vote.
const CHARTER: &str = r#"
name = "Test federation"
founded = "2026-10-01T00:00:00Z"

[constitution]
deliberation_secs = 86400
voting_secs = 86400

[constitution.rules.membership]
decision = { mode = "consensus", quorum = "1/1" }

[[members]]
party = "xa"
name = "State A"
stakeholder = "state"
jurisdiction = "XA"
key = "KEY1"
url = "http://127.0.0.1:9101"

[[members]]
party = "xb"
name = "State B"
stakeholder = "state"
jurisdiction = "XB"
key = "KEY2"
url = "http://127.0.0.1:9102"

[[members]]
party = "xc"
name = "State C"
stakeholder = "state"
jurisdiction = "XC"
key = "KEY3"
url = "http://127.0.0.1:9103"

[[members]]
party = "acme"
name = "Acme Networks"
stakeholder = "company"
key = "KEY4"
url = "http://127.0.0.1:9104"

[[members]]
party = "ngo"
name = "Open Net NGO"
stakeholder = "civil-society"
key = "KEY5"
url = "http://127.0.0.1:9105"
"#;

fn charter_text() -> String {
    let mut text = CHARTER.to_owned();
    for seed in 1..=5u8 {
        let hex = hex_key(&key(seed).verifying_key());
        text = text.replace(&format!("KEY{seed}"), &hex);
    }
    text
}

fn hex_key(k: &VerifyingKey) -> String {
    k.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn charter() -> Charter {
    Charter::from_toml(&charter_text()).expect("the test charter is valid")
}

fn verifies(m: &MemberDetails, sig_hex: &str, message: &[u8]) -> bool {
    let unhex = |s: &str| -> Option<Vec<u8>> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
            .collect()
    };
    let (Some(k), Some(s)) = (unhex(&m.key), unhex(sig_hex)) else {
        return false;
    };
    let (Ok(k), Ok(s)) = (<[u8; 32]>::try_from(k), <[u8; 64]>::try_from(s)) else {
        return false;
    };
    let Ok(k) = VerifyingKey::from_bytes(&k) else {
        return false;
    };
    k.verify(message, &Signature::from_bytes(&s)).is_ok()
}

fn sign(c: &mut Charter, seed: u8, party: &str) {
    let sig = key(seed).sign(&c.signing_message());
    let hex: String = sig.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    c.add_signature(&PartyId::new(party), hex);
}

#[test]
fn a_charter_is_in_force_once_every_founding_member_signed_it_with_its_own_key() {
    let mut c = charter();
    let msg = c.signing_message();
    let check = |c: &Charter| c.verify_complete(|m, s| verifies(m, s, &msg));
    assert!(matches!(check(&c), Err(CharterError::Unsigned(m)) if m.len() == 5));
    for (seed, party) in [(1, "xa"), (2, "xb"), (3, "xc"), (4, "acme")] {
        sign(&mut c, seed, party);
    }
    assert_eq!(
        check(&c),
        Err(CharterError::Unsigned(vec![PartyId::new("ngo")]))
    );
    // Signed with another member's key: refused, naming the party.
    let mut forged = c.clone();
    sign(&mut forged, 1, "ngo");
    assert_eq!(
        check(&forged),
        Err(CharterError::BadSignature(PartyId::new("ngo")))
    );
    sign(&mut c, 5, "ngo");
    assert_eq!(check(&c), Ok(()));
    // The signatures travel in the file and read back.
    let again = Charter::from_toml(&c.to_toml()).unwrap();
    assert_eq!(again, c);
    assert_eq!(again.federation_id(), c.federation_id());
}

#[test]
fn the_federation_id_is_the_hash_of_the_charter_so_any_change_is_another_federation() {
    let c = charter();
    assert_eq!(c.federation_id().len(), 64);
    let mut other = c.clone();
    other.members[3].url = "http://127.0.0.1:9999".into();
    assert_ne!(other.federation_id(), c.federation_id());
    let mut signed = c.clone();
    sign(&mut signed, 1, "xa");
    assert_eq!(
        signed.federation_id(),
        c.federation_id(),
        "signatures are not part of it"
    );
}

#[test]
fn charters_with_errors_are_refused_with_the_reason() {
    let text = charter_text();
    let no_jurisdiction = text.replacen("jurisdiction = \"XA\"\n", "", 1);
    assert!(matches!(
        Charter::from_toml(&no_jurisdiction),
        Err(CharterError::Member { party, .. }) if party.as_str() == "xa"
    ));
    let twice = text.replace("party = \"xb\"", "party = \"xa\"");
    assert_eq!(
        Charter::from_toml(&twice),
        Err(CharterError::DuplicateMember(PartyId::new("xa")))
    );
    let unknown_field = text.replace("name = \"Test federation\"", "name = \"T\"\ncolour = 1");
    assert!(matches!(
        Charter::from_toml(&unknown_field),
        Err(CharterError::Syntax(_))
    ));
    let bad_fraction = text.replace("quorum = \"1/1\"", "quorum = \"3/2\"");
    assert!(matches!(
        Charter::from_toml(&bad_fraction),
        Err(CharterError::Syntax(_))
    ));
}

/// Acts in a compact form: `(id, by, seconds after founding, act)`.
fn at(secs: i64) -> Timestamp {
    let founded = Timestamp::parse("2026-10-01T00:00:00Z").unwrap();
    Timestamp::from_unix_micros(founded.unix_micros() + secs * 1_000_000)
}

fn held(id: &str, by: &str, secs: i64, act: Act) -> HeldAct {
    HeldAct {
        id: id.into(),
        by: PartyId::new(by),
        origin: PartyId::new(by),
        at: at(secs),
        act,
    }
}

fn propose(change: Change) -> Act {
    Act::Propose {
        title: "Acknowledge emergencies within 30 minutes".into(),
        text: "Members acknowledge emergency requests within one hour.".into(),
        rationale: "Emergencies cannot wait.".into(),
        change,
        co_sponsors: BTreeSet::from([PartyId::new("xb")]),
    }
}

fn ack_emergency(secs: u64) -> Change {
    Change::AdoptNorm {
        norm: "13h".into(),
        parameters: BTreeMap::from([(Parameter::AckEmergency, secs)]),
    }
}

fn vote(id: &str, by: &str, secs: i64, choice: Choice) -> HeldAct {
    held(
        id,
        by,
        secs,
        Act::Vote {
            proposal: "p1".into(),
            choice,
        },
    )
}

/// A norm proposal debated, amended by its co-sponsor and voted: adopted by two states of
/// three (two thirds of the votes cast), the company's "no" advisory.
fn debate() -> Vec<HeldAct> {
    vec![
        held("p1", "xa", 100, propose(ack_emergency(3600))),
        held(
            "c1",
            "acme",
            200,
            Act::Comment {
                proposal: "p1".into(),
                text: "Half an hour is what CERTs promise already.".into(),
            },
        ),
        held(
            "a1",
            "xb",
            300,
            Act::Amend {
                proposal: "p1".into(),
                text: "Members acknowledge emergency requests within 30 minutes.".into(),
                rationale: None,
                change: Some(ack_emergency(1800)),
            },
        ),
        vote("v1", "xa", DAY + 200, Choice::Yes),
        vote("v2", "xb", DAY + 300, Choice::Yes),
        vote("v3", "xc", DAY + 400, Choice::No),
        vote("v4", "acme", DAY + 500, Choice::No),
        vote("v5", "ngo", DAY + 600, Choice::Yes),
    ]
}

#[test]
fn a_proposal_debated_amended_and_voted_is_adopted_and_sets_its_parameter() {
    let c = charter();
    let during = replay(&c, &debate(), &at(DAY + 1000));
    let p = &during.proposals["p1"];
    assert_eq!(p.stage, Stage::Voting);
    assert_eq!(p.versions.len(), 2, "both versions are kept");
    assert_eq!(p.comments.len(), 1);
    assert!(
        during.parameters.is_empty(),
        "nothing changes before it closes"
    );

    let fed = replay(&c, &debate(), &at(2 * DAY + 200));
    let p = &fed.proposals["p1"];
    assert_eq!(p.stage, Stage::Closed);
    let t = p.tally.as_ref().unwrap();
    assert_eq!(t.outcome, Outcome::Adopted);
    assert_eq!((t.binding.yes, t.binding.no), (2, 1));
    assert_eq!((t.advisory.yes, t.advisory.no), (1, 1));
    assert_eq!(
        fed.parameters.get(&Parameter::AckEmergency),
        Some(&(1800, "p1".to_owned())),
        "the amended value is the one adopted"
    );
    assert!(fed.norms.contains_key("13h"));
    assert!(fed.refused.is_empty(), "{:?}", fed.refused);
}

fn refusal(fed: &Federation, id: &str) -> GovError {
    fed.refused
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} was not refused: {:?}", fed.refused))
        .error
        .clone()
}

#[test]
fn acts_a_member_could_not_make_are_refused_and_change_nothing() {
    let c = charter();
    let mut acts = debate();
    // Amended by a member that is not a sponsor; amended once voting opened.
    acts.push(held(
        "a2",
        "xc",
        400,
        Act::Amend {
            proposal: "p1".into(),
            text: "x".into(),
            rationale: None,
            change: Some(ack_emergency(60)),
        },
    ));
    acts.push(held(
        "a3",
        "xa",
        DAY + 150,
        Act::Amend {
            proposal: "p1".into(),
            text: "late".into(),
            rationale: None,
            change: Some(ack_emergency(60)),
        },
    ));
    // A vote before voting opens, one after it closes, one by a stranger, and one published by
    // xc's node in xa's name.
    acts.push(vote("early", "xc", 500, Choice::Yes));
    acts.push(vote("late", "xc", 2 * DAY + 100, Choice::Yes));
    acts.push(vote("stranger", "zz", DAY + 700, Choice::No));
    let mut forged = vote("forged", "xa", DAY + 800, Choice::No);
    forged.origin = PartyId::new("xc");
    acts.push(forged);
    let fed = replay(&c, &acts, &at(3 * DAY));
    assert_eq!(refusal(&fed, "a2"), GovError::NotASponsor("p1".into()));
    assert_eq!(
        refusal(&fed, "a3"),
        GovError::NotInDeliberation("p1".into())
    );
    assert_eq!(refusal(&fed, "early"), GovError::VoteOutsidePeriod);
    assert_eq!(refusal(&fed, "late"), GovError::VoteOutsidePeriod);
    assert_eq!(
        refusal(&fed, "stranger"),
        GovError::NotAMember(PartyId::new("zz"))
    );
    assert!(matches!(
        refusal(&fed, "forged"),
        GovError::NotItsOwn { .. }
    ));
    // Exactly as without them.
    let clean = replay(&c, &debate(), &at(3 * DAY));
    assert_eq!(fed.proposals["p1"].tally, clean.proposals["p1"].tally);
    assert_eq!(fed.parameters, clean.parameters);
    assert_eq!(fed.proposals["p1"].versions, clean.proposals["p1"].versions);
}

#[test]
fn a_changed_vote_counts_once_as_its_last_choice_within_the_period() {
    let c = charter();
    let mut acts = debate();
    acts.push(vote("v6", "xb", DAY + 900, Choice::No));
    let fed = replay(&c, &acts, &at(3 * DAY));
    let t = fed.proposals["p1"].tally.as_ref().unwrap();
    assert_eq!((t.binding.yes, t.binding.no), (1, 2));
    assert_eq!(t.outcome, Outcome::Rejected);
    assert!(fed.parameters.is_empty());
    assert_eq!(t.superseded, vec!["v2".to_owned()]);
}

fn details(party: &str) -> MemberDetails {
    MemberDetails {
        party: PartyId::new(party),
        name: "State D".into(),
        stakeholder: StakeholderType::State,
        jurisdiction: Some("XD".into()),
        key: hex_key(&key(9).verifying_key()),
        url: "http://127.0.0.1:9109".into(),
    }
}

#[test]
fn admission_is_by_consensus_of_the_states_and_one_no_leaves_the_applicant_out() {
    let c = charter();
    let admit = |id: &str| {
        held(
            id,
            "xa",
            0,
            Act::Propose {
                title: "Admit D".into(),
                text: "Admit State D.".into(),
                rationale: "It asked.".into(),
                change: Change::Admit {
                    member: details("xd"),
                },
                co_sponsors: BTreeSet::new(),
            },
        )
    };
    let votes = |choices: [Choice; 3]| {
        ["xa", "xb", "xc"]
            .iter()
            .zip(choices)
            .enumerate()
            .map(|(i, (who, ch))| {
                held(
                    &format!("v{i}"),
                    who,
                    DAY + 10 + i as i64,
                    Act::Vote {
                        proposal: "p1".into(),
                        choice: ch,
                    },
                )
            })
            .collect::<Vec<_>>()
    };
    let during = replay(&c, &[admit("p1")], &at(10));
    assert_eq!(
        during.register[&PartyId::new("xd")].status,
        MemberStatus::Applicant
    );

    let mut acts = vec![admit("p1")];
    acts.extend(votes([Choice::Yes, Choice::Yes, Choice::No]));
    let blocked = replay(&c, &acts, &at(3 * DAY));
    assert!(matches!(
        &blocked.proposals["p1"].tally.as_ref().unwrap().outcome,
        Outcome::Blocked { by } if by == &vec![PartyId::new("xc")]
    ));
    assert!(!blocked.register.contains_key(&PartyId::new("xd")));

    let mut acts = vec![admit("p1")];
    acts.extend(votes([Choice::Yes; 3]));
    let admitted = replay(&c, &acts, &at(3 * DAY));
    assert_eq!(
        admitted.register[&PartyId::new("xd")].status,
        MemberStatus::Member
    );
    assert!(
        admitted
            .members_in_good_standing()
            .contains(&PartyId::new("xd"))
    );
}

#[test]
fn a_member_withdraws_itself_and_may_no_longer_vote() {
    let c = charter();
    let mut acts = debate();
    acts.push(held("w", "xc", DAY + 100, Act::Withdraw {}));
    let fed = replay(&c, &acts, &at(3 * DAY));
    assert_eq!(
        fed.register[&PartyId::new("xc")].status,
        MemberStatus::Withdrawn
    );
    assert!(matches!(
        refusal(&fed, "v3"),
        GovError::NotInGoodStanding { .. }
    ));
    let t = fed.proposals["p1"].tally.as_ref().unwrap();
    assert_eq!((t.eligible, t.binding.yes, t.binding.no), (2, 2, 0));
}

#[test]
fn an_act_dated_in_the_future_waits_for_its_time_and_closes_nothing_early() {
    let c = charter();
    let mut acts = debate();
    acts.push(vote("future", "xc", 2 * DAY + 500, Choice::Yes));
    let now = at(DAY + 1000);
    let fed = replay(&c, &acts, &now);
    assert_eq!(
        fed.proposals["p1"].stage,
        Stage::Voting,
        "not closed by the future vote"
    );
    assert!(fed.refused.is_empty(), "{:?}", fed.refused);
    let later = replay(&c, &acts, &at(3 * DAY));
    assert_eq!(refusal(&later, "future"), GovError::VoteOutsidePeriod);
}

proptest! {
    #[test]
    fn any_order_of_arrival_gives_the_same_federation(
        order in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle(),
        now in 0i64..4 * DAY,
    ) {
        let c = charter();
        let mut acts = debate();
        acts.push(vote("v6", "xb", DAY + 900, Choice::No));
        acts.push(vote("late", "xc", 2 * DAY + 100, Choice::Yes));
        acts.push(held("w", "ngo", DAY + 100, Act::Withdraw {}));
        acts.push(acts[0].clone()); // the proposal held twice
        let shuffled: Vec<HeldAct> = order.iter().map(|&i| acts[i].clone()).collect();
        prop_assert_eq!(replay(&c, &shuffled, &at(now)), replay(&c, &acts, &at(now)));
    }
}

#[test]
fn the_example_charter_reads_with_its_documented_rules() {
    let c = Charter::from_toml(include_str!("../../../pacific.charter.example.toml"))
        .expect("the example charter is valid");
    assert_eq!(c.members.len(), 3);
    assert_eq!(c.constitution.deliberation_secs, 14 * 24 * 3600);
    use pacific_gov::proposal::ProposalKind;
    assert!(matches!(
        c.constitution.rule(ProposalKind::Membership).decision,
        pacific_gov::Decision::Consensus { .. }
    ));
    assert_eq!(
        c.constitution.rule(ProposalKind::Parameter),
        pacific_gov::VotingRule::two_thirds_of_states()
    );
}

#[test]
fn a_node_may_tighten_an_adopted_parameter_and_never_loosen_it() {
    use pacific_gov::params::{Adopted, Source, in_force};
    let configured = BTreeMap::from([
        (Parameter::AckEmergency, 600),       // stricter than adopted
        (Parameter::AckUrgent, 86_400),       // looser than adopted
        (Parameter::HotlinePingTimeout, 900), // not adopted
    ]);
    let adopted: Adopted = BTreeMap::from([
        (Parameter::AckEmergency, (1200, "p1".to_owned())),
        (Parameter::AckUrgent, (7200, "p2".to_owned())),
    ]);
    let got: Vec<(Parameter, u64, Source)> = in_force(&configured, &adopted)
        .into_iter()
        .map(|v| (v.parameter, v.value, v.source))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Parameter::AckEmergency,
                600,
                Source::NodeTightens {
                    adopted: 1200,
                    proposal: "p1".into()
                }
            ),
            (
                Parameter::AckUrgent,
                7200,
                Source::Federation {
                    proposal: "p2".into()
                }
            ),
            (Parameter::HotlinePingTimeout, 900, Source::Node),
        ]
    );
}
