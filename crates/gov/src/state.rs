//! The federation as every member node rebuilds it: the charter, then every act held, replayed
//! in one order ([`replay`]). The register, the proposals with their versions, comments and
//! tallies, the adopted parameters and norms and the roster are a pure function of (charter,
//! set of acts, now): every node holding the same acts computes the same federation, whatever
//! order they arrived in.
//!
//! **Order.** Acts are replayed by time (`at`), then id. A proposal closes at the end of its
//! voting period: before any act at or after that time is replayed, so its tally counts the
//! votes cast within the period against the register as it stands then, and what it changes
//! (a member admitted or suspended, a parameter set) holds for every later act.
//!
//! **Re-checks.** An act counts only when made by the party its node published it as (the
//! caller gives each act's origin, from the federation's signed provenance), by a member
//! allowed to make it in the state the earlier acts give; otherwise it is refused with a
//! reason ([`Refused`]), counted, and changes nothing. A vote's period and voter are the
//! tally's to judge ([`crate::tally`]); a vote on a proposal whose voting has closed is
//! refused as outside its period.

use std::collections::{BTreeMap, BTreeSet};

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::Serialize;

use crate::charter::{Charter, Constitution, MemberDetails};
use crate::params::{Adopted, Parameter};
use crate::proposal::{Act, Change, ProposalKind};
use crate::rules::VotingRule;
use crate::tally::{self, Member, MemberStatus, Outcome, Period, Tally, Vote};

/// An act as a node holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldAct {
    /// Its object id.
    pub id: String,
    /// The party the act says made it.
    pub by: PartyId,
    /// The party whose node published it (signed provenance).
    pub origin: PartyId,
    pub at: Timestamp,
    pub act: Act,
}

/// Why an act does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", content = "detail", rename_all = "kebab-case")]
pub enum GovError {
    #[error("published by {origin}, not by {by} whose act it says it is")]
    NotItsOwn { by: PartyId, origin: PartyId },
    #[error("made before the federation was founded")]
    BeforeFounding,
    #[error("{0} is not a member of the federation")]
    NotAMember(PartyId),
    #[error("{party} is {status:?} and may not {act}")]
    NotInGoodStanding {
        party: PartyId,
        status: MemberStatus,
        act: &'static str,
    },
    #[error("no proposal {0}")]
    UnknownProposal(String),
    #[error("proposal {0} is closed")]
    Closed(String),
    #[error("proposal {0} is no longer in deliberation: its text can no longer change")]
    NotInDeliberation(String),
    #[error("only the proposer or a co-sponsor amends proposal {0}")]
    NotASponsor(String),
    #[error("an amendment keeps the kind of its proposal ({0})")]
    KindChanged(ProposalKind),
    #[error("the change is not possible: {0}")]
    InvalidChange(String),
    #[error("the vote is cast outside the voting period")]
    VoteOutsidePeriod,
}

/// An act that does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub id: String,
    pub by: PartyId,
    pub act: &'static str,
    pub error: GovError,
}

/// A member in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterEntry {
    #[serde(flatten)]
    pub details: MemberDetails,
    pub status: MemberStatus,
    /// Since when it has this status.
    pub since: Timestamp,
    /// The proposal that gave it this status (none for a founding member, or a withdrawal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_proposal: Option<String>,
}

/// One version of a proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Version {
    /// The act that made it.
    pub act: String,
    pub at: Timestamp,
    pub by: PartyId,
    pub text: String,
    pub rationale: String,
    pub change: Change,
}

/// A comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub act: String,
    pub at: Timestamp,
    pub by: PartyId,
    pub text: String,
}

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Deliberation,
    Voting,
    Closed,
}

/// A proposal and everything done on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub id: String,
    pub kind: ProposalKind,
    pub title: String,
    pub proposer: PartyId,
    pub co_sponsors: BTreeSet<PartyId>,
    pub proposed_at: Timestamp,
    /// Every version of its text, the first one first.
    pub versions: Vec<Version>,
    pub comments: Vec<Comment>,
    /// Voting opens here (deliberation ends).
    pub voting_opens: Timestamp,
    /// Voting closes here.
    pub voting_closes: Timestamp,
    pub rule: VotingRule,
    pub stage: Stage,
    /// The votes held (the tally decides which count).
    #[serde(skip)]
    pub votes: Vec<Vote>,
    /// Votes that arrived after the proposal closed.
    pub late_votes: Vec<String>,
    /// The tally: live while voting (the register of now), final once closed (the register
    /// at closing).
    pub tally: Option<Tally>,
}

impl Proposal {
    /// The version in force (the last).
    pub fn current(&self) -> &Version {
        self.versions
            .last()
            .expect("a proposal has its first version")
    }

    fn period(&self) -> Period {
        Period {
            opens: millis(&self.voting_opens),
            closes: millis(&self.voting_closes),
        }
    }

    pub fn is_adopted(&self) -> bool {
        self.stage == Stage::Closed
            && self
                .tally
                .as_ref()
                .is_some_and(|t| t.outcome == Outcome::Adopted)
    }
}

/// An adopted norm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdoptedNorm {
    pub norm: String,
    pub proposal: String,
    pub at: Timestamp,
    pub parameters: BTreeMap<Parameter, u64>,
}

/// The roster of mediators and arbitrators.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Roster {
    pub mediators: BTreeSet<PartyId>,
    pub arbitrators: BTreeSet<PartyId>,
    pub proposal: Option<String>,
}

/// The federation, rebuilt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Federation {
    /// The charter's hash.
    pub id: String,
    pub name: String,
    pub founded: Timestamp,
    pub constitution: Constitution,
    pub register: BTreeMap<PartyId, RegisterEntry>,
    pub proposals: BTreeMap<String, Proposal>,
    /// Federation parameters adopted, with the proposal that set each.
    #[serde(serialize_with = "adopted_as_map")]
    pub parameters: Adopted,
    pub norms: BTreeMap<String, AdoptedNorm>,
    pub roster: Roster,
    pub refused: Vec<Refused>,
}

fn adopted_as_map<S: serde::Serializer>(a: &Adopted, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(a.len()))?;
    for (p, (value, proposal)) in a {
        m.serialize_entry(
            p.key(),
            &serde_json::json!({"value": value, "proposal": proposal}),
        )?;
    }
    m.end()
}

fn millis(t: &Timestamp) -> u64 {
    u64::try_from(t.unix_micros() / 1000).unwrap_or(0)
}

fn after(t: &Timestamp, secs: u64) -> Timestamp {
    let micros = i64::try_from(secs.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    Timestamp::from_unix_micros(t.unix_micros().saturating_add(micros))
}

impl Federation {
    fn founded(charter: &Charter) -> Self {
        let register = charter
            .members
            .iter()
            .map(|m| {
                (
                    m.party.clone(),
                    RegisterEntry {
                        details: m.clone(),
                        status: MemberStatus::Member,
                        since: charter.founded.clone(),
                        by_proposal: None,
                    },
                )
            })
            .collect();
        Self {
            id: charter.federation_id(),
            name: charter.name.clone(),
            founded: charter.founded.clone(),
            constitution: charter.constitution.clone(),
            register,
            proposals: BTreeMap::new(),
            parameters: Adopted::new(),
            norms: BTreeMap::new(),
            roster: Roster::default(),
            refused: Vec::new(),
        }
    }

    /// The register as the tally reads it.
    pub fn voters(&self) -> Vec<Member> {
        self.register
            .values()
            .map(|e| Member {
                party: e.details.party.clone(),
                stakeholder: e.details.stakeholder,
                status: e.status,
            })
            .collect()
    }

    /// The parties in good standing: TLP:GREEN's community.
    pub fn members_in_good_standing(&self) -> BTreeSet<PartyId> {
        self.register
            .values()
            .filter(|e| e.status == MemberStatus::Member)
            .map(|e| e.details.party.clone())
            .collect()
    }

    /// Whether `party` may make `act` now; the reason if not.
    fn standing(&self, party: &PartyId, act: &Act) -> Result<(), GovError> {
        let entry = self
            .register
            .get(party)
            .ok_or_else(|| GovError::NotAMember(party.clone()))?;
        let allowed = match entry.status {
            MemberStatus::Member => true,
            // A suspended member may still leave.
            MemberStatus::Suspended => matches!(act, Act::Withdraw {}),
            MemberStatus::Applicant | MemberStatus::Withdrawn => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(GovError::NotInGoodStanding {
                party: party.clone(),
                status: entry.status,
                act: act.name(),
            })
        }
    }

    /// Whether `change` can be proposed on the federation as it stands.
    pub fn check_change(&self, change: &Change) -> Result<(), GovError> {
        let invalid = |s: String| Err(GovError::InvalidChange(s));
        let status = |p: &PartyId| self.register.get(p).map(|e| e.status);
        match change {
            Change::AdoptNorm { norm, parameters } => {
                if crate::norms::canonical_id(norm).as_deref() != Some(norm.as_str()) {
                    return invalid(format!(
                        "no norm {norm:?} in the catalogue (its ids are 13a to 13k)"
                    ));
                }
                check_parameters(parameters)
            }
            Change::SetParameters { parameters } => {
                if parameters.is_empty() {
                    return invalid("no parameter is set".into());
                }
                check_parameters(parameters)
            }
            Change::Admit { member } => {
                member
                    .check()
                    .map_err(|e| GovError::InvalidChange(e.to_string()))?;
                match status(&member.party) {
                    None | Some(MemberStatus::Withdrawn) => Ok(()),
                    Some(s) => invalid(format!(
                        "{} is already in the register ({s:?})",
                        member.party
                    )),
                }
            }
            Change::Suspend { party } => match status(party) {
                Some(MemberStatus::Member) => Ok(()),
                _ => invalid(format!("{party} is not a member in good standing")),
            },
            Change::Reinstate { party } => match status(party) {
                Some(MemberStatus::Suspended) => Ok(()),
                _ => invalid(format!("{party} is not suspended")),
            },
            Change::RotateKey { party, key } => {
                if !matches!(
                    status(party),
                    Some(MemberStatus::Member | MemberStatus::Suspended)
                ) {
                    return invalid(format!("{party} is not a member"));
                }
                if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return invalid("the new key is not 64 hex digits".into());
                }
                Ok(())
            }
            Change::Roster {
                mediators,
                arbitrators,
            } => match mediators
                .iter()
                .chain(arbitrators)
                .find(|p| status(p) != Some(MemberStatus::Member))
            {
                Some(p) => invalid(format!("{p} is not a member in good standing")),
                None => Ok(()),
            },
        }
    }

    /// Replays one act.
    fn apply(&mut self, held: &HeldAct) -> Result<(), GovError> {
        if held.by != held.origin {
            return Err(GovError::NotItsOwn {
                by: held.by.clone(),
                origin: held.origin.clone(),
            });
        }
        if held.at < self.founded {
            return Err(GovError::BeforeFounding);
        }
        self.standing(&held.by, &held.act)?;
        match &held.act {
            Act::Propose {
                title,
                text,
                rationale,
                change,
                co_sponsors,
            } => {
                self.check_change(change)?;
                let members = self.members_in_good_standing();
                if let Some(p) = co_sponsors.iter().find(|p| !members.contains(*p)) {
                    return Err(GovError::NotAMember(p.clone()));
                }
                let kind = change.kind();
                let voting_opens = after(&held.at, self.constitution.deliberation_secs);
                let voting_closes = after(&voting_opens, self.constitution.voting_secs);
                if let Change::Admit { member } = change {
                    self.register.insert(
                        member.party.clone(),
                        RegisterEntry {
                            details: member.clone(),
                            status: MemberStatus::Applicant,
                            since: held.at.clone(),
                            by_proposal: Some(held.id.clone()),
                        },
                    );
                }
                self.proposals.insert(
                    held.id.clone(),
                    Proposal {
                        id: held.id.clone(),
                        kind,
                        title: title.clone(),
                        proposer: held.by.clone(),
                        co_sponsors: co_sponsors.clone(),
                        proposed_at: held.at.clone(),
                        versions: vec![Version {
                            act: held.id.clone(),
                            at: held.at.clone(),
                            by: held.by.clone(),
                            text: text.clone(),
                            rationale: rationale.clone(),
                            change: change.clone(),
                        }],
                        comments: Vec::new(),
                        voting_opens,
                        voting_closes,
                        rule: self.constitution.rule(kind),
                        stage: Stage::Deliberation,
                        votes: Vec::new(),
                        late_votes: Vec::new(),
                        tally: None,
                    },
                );
                Ok(())
            }
            Act::Comment { proposal, text } => {
                let p = self.open_proposal(proposal)?;
                p.comments.push(Comment {
                    act: held.id.clone(),
                    at: held.at.clone(),
                    by: held.by.clone(),
                    text: text.clone(),
                });
                Ok(())
            }
            Act::Amend {
                proposal,
                text,
                rationale,
                change,
            } => {
                let p = self.open_proposal(proposal)?;
                if held.at >= p.voting_opens {
                    return Err(GovError::NotInDeliberation(proposal.clone()));
                }
                if p.proposer != held.by && !p.co_sponsors.contains(&held.by) {
                    return Err(GovError::NotASponsor(proposal.clone()));
                }
                let current = p.current().clone();
                let change = change.clone().unwrap_or(current.change);
                if change.kind() != p.kind {
                    return Err(GovError::KindChanged(p.kind));
                }
                self.check_change(&change)?;
                let p = self.open_proposal(proposal)?;
                p.versions.push(Version {
                    act: held.id.clone(),
                    at: held.at.clone(),
                    by: held.by.clone(),
                    text: text.clone(),
                    rationale: rationale.clone().unwrap_or(current.rationale),
                    change,
                });
                Ok(())
            }
            Act::Vote { proposal, choice } => {
                let p = self
                    .proposals
                    .get_mut(proposal)
                    .ok_or_else(|| GovError::UnknownProposal(proposal.clone()))?;
                if p.stage == Stage::Closed {
                    p.late_votes.push(held.id.clone());
                    return Err(GovError::VoteOutsidePeriod);
                }
                if held.at < p.voting_opens {
                    return Err(GovError::VoteOutsidePeriod);
                }
                p.votes.push(Vote {
                    id: held.id.clone(),
                    voter: held.by.clone(),
                    choice: *choice,
                    cast_at: millis(&held.at),
                });
                Ok(())
            }
            Act::Withdraw {} => {
                let entry = self.register.get_mut(&held.by).expect("standing checked");
                entry.status = MemberStatus::Withdrawn;
                entry.since = held.at.clone();
                entry.by_proposal = None;
                Ok(())
            }
        }
    }

    fn open_proposal(&mut self, id: &str) -> Result<&mut Proposal, GovError> {
        let p = self
            .proposals
            .get_mut(id)
            .ok_or_else(|| GovError::UnknownProposal(id.to_owned()))?;
        if p.stage == Stage::Closed {
            return Err(GovError::Closed(id.to_owned()));
        }
        Ok(p)
    }

    /// Closes every proposal whose voting closes at or before `t`, in order of closing (then
    /// id), applying what the adopted ones change.
    fn close_until(&mut self, t: &Timestamp) {
        loop {
            let next = self
                .proposals
                .values()
                .filter(|p| p.stage != Stage::Closed && p.voting_closes <= *t)
                .min_by(|a, b| (&a.voting_closes, &a.id).cmp(&(&b.voting_closes, &b.id)))
                .map(|p| p.id.clone());
            let Some(id) = next else { return };
            let voters = self.voters();
            let p = self.proposals.get_mut(&id).expect("found above");
            let result = tally::tally(&p.rule, &voters, p.period(), &p.votes);
            p.stage = Stage::Closed;
            let adopted = result.outcome == Outcome::Adopted;
            p.tally = Some(result);
            let change = p.current().change.clone();
            let at = p.voting_closes.clone();
            if adopted {
                self.enact(&id, &change, &at);
            } else if let Change::Admit { member } = &change {
                // An applicant not admitted leaves the register again.
                if self.register.get(&member.party).is_some_and(|e| {
                    e.status == MemberStatus::Applicant && e.by_proposal.as_deref() == Some(&id)
                }) {
                    self.register.remove(&member.party);
                }
            }
        }
    }

    /// What an adopted proposal changes. Checked again: a change the register no longer
    /// allows (a member suspended by an earlier proposal) changes nothing.
    fn enact(&mut self, proposal: &str, change: &Change, at: &Timestamp) {
        let set_status = |f: &mut Self, party: &PartyId, status: MemberStatus| {
            if let Some(e) = f.register.get_mut(party) {
                e.status = status;
                e.since = at.clone();
                e.by_proposal = Some(proposal.to_owned());
            }
        };
        match change {
            Change::AdoptNorm { norm, parameters } => {
                for (p, v) in parameters {
                    self.parameters.insert(*p, (*v, proposal.to_owned()));
                }
                self.norms.insert(
                    norm.clone(),
                    AdoptedNorm {
                        norm: norm.clone(),
                        proposal: proposal.to_owned(),
                        at: at.clone(),
                        parameters: parameters.clone(),
                    },
                );
            }
            Change::SetParameters { parameters } => {
                for (p, v) in parameters {
                    self.parameters.insert(*p, (*v, proposal.to_owned()));
                }
            }
            Change::Admit { member } => {
                if matches!(
                    self.register.get(&member.party).map(|e| e.status),
                    Some(MemberStatus::Applicant | MemberStatus::Withdrawn) | None
                ) {
                    self.register.insert(
                        member.party.clone(),
                        RegisterEntry {
                            details: member.clone(),
                            status: MemberStatus::Member,
                            since: at.clone(),
                            by_proposal: Some(proposal.to_owned()),
                        },
                    );
                }
            }
            Change::Suspend { party } => {
                if self.register.get(party).map(|e| e.status) == Some(MemberStatus::Member) {
                    set_status(self, party, MemberStatus::Suspended);
                }
            }
            Change::Reinstate { party } => {
                if self.register.get(party).map(|e| e.status) == Some(MemberStatus::Suspended) {
                    set_status(self, party, MemberStatus::Member);
                }
            }
            Change::RotateKey { party, key } => {
                if let Some(e) = self.register.get_mut(party) {
                    e.details.key = key.clone();
                }
            }
            Change::Roster {
                mediators,
                arbitrators,
            } => {
                self.roster = Roster {
                    mediators: mediators.clone(),
                    arbitrators: arbitrators.clone(),
                    proposal: Some(proposal.to_owned()),
                };
            }
        }
    }

    /// Moves open proposals to the stage `now` gives, with a live tally while voting.
    fn settle(&mut self, now: &Timestamp) {
        self.close_until(now);
        let voters = self.voters();
        for p in self.proposals.values_mut() {
            if p.stage == Stage::Deliberation && *now >= p.voting_opens {
                p.stage = Stage::Voting;
            }
            if p.stage == Stage::Voting {
                p.tally = Some(tally::tally(&p.rule, &voters, p.period(), &p.votes));
            }
        }
    }
}

fn check_parameters(parameters: &BTreeMap<Parameter, u64>) -> Result<(), GovError> {
    for (p, v) in parameters {
        p.check(*v).map_err(GovError::InvalidChange)?;
    }
    Ok(())
}

/// Rebuilds the federation from its charter and the acts held, as it stands at `now` (acts
/// dated later wait until their time).
pub fn replay(charter: &Charter, acts: &[HeldAct], now: &Timestamp) -> Federation {
    let mut fed = Federation::founded(charter);
    let mut ordered: Vec<&HeldAct> = acts.iter().collect();
    // A total order: two different acts under one id (a forgery, or a bug) are still put in
    // the same order everywhere, so the one that counts is the same on every node.
    let key = |a: &HeldAct| serde_json::to_string(&a.act).unwrap_or_default();
    ordered.sort_by_cached_key(|a| {
        (
            a.at.clone(),
            a.id.clone(),
            a.origin.clone(),
            a.by.clone(),
            key(a),
        )
    });
    let mut seen = BTreeSet::new();
    // An act dated after `now` does not count yet: replaying it would close the proposals
    // its time passes before their time (a node's clock ahead, or a forged date).
    for held in ordered.into_iter().filter(|a| a.at <= *now) {
        // The same act held twice counts once (ids name acts).
        if !seen.insert(&held.id) {
            continue;
        }
        fed.close_until(&held.at);
        if let Err(error) = fed.apply(held) {
            fed.refused.push(Refused {
                id: held.id.clone(),
                by: held.by.clone(),
                act: held.act.name(),
                error,
            });
        }
    }
    fed.settle(now);
    fed
}
