//! Disputes between two parties (`x-pacific-dispute`).
//!
//! ```text
//! negotiation ─(mediator proposed by one party, accepted by the other)→ mediation
//! negotiation | mediation ─(panel proposed by one party, accepted by the other)→ arbitration
//! arbitration ─(a majority of the panel votes the same finding)→ decided
//! negotiation | mediation | arbitration ─(settlement proposed by one party, accepted by the other)→ settled
//! ```
//! The mediator is neither party; the panel is an odd number (at least three) of distinct
//! parties, neither disputing party among them. Each panel member votes once, with reasons; the
//! first finding to win a majority of the panel is the decision, recorded with the tally and
//! the reasons of the members who voted for it. Each stage has a time box ([`DisputePolicy`]);
//! when it passes the dispute is flagged overdue for that stage ([`Dispute::overdue_due`]),
//! and either party may move it on or settle. Every step is an event of the acting party.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Capability};
use crate::common::{
    Aggregate, Audience, Event, RecordId, RecordMeta, RecordType, blank, check_stix_ref, plus,
};
use crate::error::CoopError;

/// Where a dispute stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Negotiation,
    Mediation,
    Arbitration,
    Settled,
    Decided,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Negotiation,
        Stage::Mediation,
        Stage::Arbitration,
        Stage::Settled,
        Stage::Decided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Negotiation => "negotiation",
            Stage::Mediation => "mediation",
            Stage::Arbitration => "arbitration",
            Stage::Settled => "settled",
            Stage::Decided => "decided",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            Stage::Negotiation | Stage::Mediation | Stage::Arbitration
        )
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Time boxes of the stages, in seconds. Defaults: negotiation 30 days, mediation 60 days,
/// arbitration 90 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisputePolicy {
    pub negotiation_secs: u64,
    pub mediation_secs: u64,
    pub arbitration_secs: u64,
}

impl Default for DisputePolicy {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        Self {
            negotiation_secs: 30 * DAY,
            mediation_secs: 60 * DAY,
            arbitration_secs: 90 * DAY,
        }
    }
}

impl DisputePolicy {
    pub fn time_box(&self, stage: Stage) -> Option<Duration> {
        match stage {
            Stage::Negotiation => Some(self.negotiation_secs),
            Stage::Mediation => Some(self.mediation_secs),
            Stage::Arbitration => Some(self.arbitration_secs),
            Stage::Settled | Stage::Decided => None,
        }
        .map(Duration::from_secs)
    }
}

/// A claim, with its evidence (STIX references).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub by: PartyId,
    pub at: Timestamp,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_refs: Vec<String>,
}

/// What an arbitration finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// The claimant's claims are upheld.
    Upheld,
    /// The claims are rejected.
    Rejected,
}

/// One panel member's vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub member: PartyId,
    pub at: Timestamp,
    pub finding: Finding,
    pub reasons: String,
}

/// The panel's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub finding: Finding,
    pub votes_for: u32,
    pub votes_against: u32,
    /// The reasons of the members who voted for the finding, in voting order.
    pub reasons: Vec<String>,
    pub at: Timestamp,
}

/// A proposal by one party that the other must accept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal<T> {
    pub by: PartyId,
    pub at: Timestamp,
    pub proposal: T,
}

/// A stage change, as the record keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChange {
    pub from: Stage,
    pub to: Stage,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PartyId>,
}

/// A dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    #[serde(flatten)]
    pub meta: RecordMeta,
    pub claimant: PartyId,
    pub respondent: PartyId,
    pub subject: String,
    pub claims: Vec<Claim>,
    pub stage: Stage,
    pub stage_started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_deadline: Option<Timestamp>,
    pub time_boxes: DisputePolicy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overdue_stages: Vec<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_mediator: Option<Proposal<PartyId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator: Option<PartyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_panel: Option<Proposal<BTreeSet<PartyId>>>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub panel: BTreeSet<PartyId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_settlement: Option<Proposal<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_changes: Vec<StageChange>,
}

/// Commands on a [`Dispute`]. Creation is [`Dispute::open`]. Every command commits the party
/// (a liaison or admin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisputeCommand {
    AddClaim {
        text: String,
        evidence_refs: Vec<String>,
    },
    ProposeMediator {
        mediator: PartyId,
    },
    AcceptMediator,
    ProposePanel {
        members: BTreeSet<PartyId>,
    },
    AcceptPanel,
    Vote {
        finding: Finding,
        reasons: String,
    },
    ProposeSettlement {
        terms: String,
    },
    AcceptSettlement,
}

impl DisputeCommand {
    pub fn name(&self) -> &'static str {
        match self {
            DisputeCommand::AddClaim { .. } => "add-claim",
            DisputeCommand::ProposeMediator { .. } => "propose-mediator",
            DisputeCommand::AcceptMediator => "accept-mediator",
            DisputeCommand::ProposePanel { .. } => "propose-panel",
            DisputeCommand::AcceptPanel => "accept-panel",
            DisputeCommand::Vote { .. } => "vote",
            DisputeCommand::ProposeSettlement { .. } => "propose-settlement",
            DisputeCommand::AcceptSettlement => "accept-settlement",
        }
    }
}

/// What happened to a dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum DisputeEventKind {
    Opened {
        claimant: PartyId,
        respondent: PartyId,
        subject: String,
        claim: Claim,
        time_boxes: DisputePolicy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created_by_ref: Option<String>,
    },
    ClaimAdded {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence_refs: Vec<String>,
    },
    MediatorProposed {
        mediator: PartyId,
    },
    MediationStarted {
        mediator: PartyId,
        deadline: Timestamp,
    },
    PanelProposed {
        members: BTreeSet<PartyId>,
    },
    ArbitrationStarted {
        panel: BTreeSet<PartyId>,
        deadline: Timestamp,
    },
    Voted {
        finding: Finding,
        reasons: String,
    },
    Decided {
        decision: Decision,
    },
    SettlementProposed {
        terms: String,
    },
    Settled {
        terms: String,
    },
    StageOverdue {
        stage: Stage,
        deadline: Timestamp,
    },
}

pub type DisputeEvent = Event<DisputeEventKind>;

impl Dispute {
    /// The actor's party opens a dispute with `respondent` (a liaison or admin), with a first
    /// claim and its evidence. Negotiation starts now.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        actor: &Actor,
        uuid: &str,
        respondent: PartyId,
        subject: String,
        claim: String,
        evidence_refs: Vec<String>,
        policy: &DisputePolicy,
        created_by_ref: Option<String>,
        now: &Timestamp,
    ) -> Result<DisputeEvent, CoopError> {
        actor.needs(Capability::Act, "open-dispute")?;
        let mut missing = Vec::new();
        if blank(&subject) {
            missing.push("subject");
        }
        if blank(&claim) {
            missing.push("claim");
        }
        if blank(respondent.as_str()) {
            missing.push("respondent");
        }
        if !missing.is_empty() {
            return Err(CoopError::MissingFields {
                what: "a dispute".into(),
                fields: missing,
            });
        }
        if respondent == actor.party {
            return Err(CoopError::InvalidInput {
                field: "respondent",
                reason: "a party does not dispute with itself".into(),
            });
        }
        for r in &evidence_refs {
            check_stix_ref("evidence_refs", r)?;
        }
        let event = Event {
            record: RecordId::new(RecordType::Dispute, uuid)?,
            at: now.clone(),
            by: Some(actor.party.clone()),
            body: DisputeEventKind::Opened {
                claimant: actor.party.clone(),
                respondent,
                subject,
                claim: Claim {
                    by: actor.party.clone(),
                    at: now.clone(),
                    text: claim,
                    evidence_refs,
                },
                time_boxes: *policy,
                created_by_ref,
            },
        };
        Self::from_created(&event)?;
        Ok(event)
    }

    /// The two disputing parties.
    pub fn parties(&self) -> [&PartyId; 2] {
        [&self.claimant, &self.respondent]
    }

    /// The `stage-overdue` event when the current stage's time box has passed (once per stage).
    pub fn overdue_due(&self, now: &Timestamp) -> Vec<DisputeEvent> {
        match &self.stage_deadline {
            Some(d)
                if self.stage.is_open()
                    && now >= d
                    && !self.overdue_stages.contains(&self.stage) =>
            {
                vec![Event {
                    record: self.meta.id.clone(),
                    at: now.clone(),
                    by: None,
                    body: DisputeEventKind::StageOverdue {
                        stage: self.stage,
                        deadline: d.clone(),
                    },
                }]
            }
            _ => Vec::new(),
        }
    }

    fn illegal(&self, command: &'static str) -> CoopError {
        CoopError::IllegalTransition {
            record: "dispute",
            state: self.stage.as_str().into(),
            command,
        }
    }

    fn deadline_for(&self, stage: Stage, now: &Timestamp) -> Timestamp {
        plus(now, self.time_boxes.time_box(stage).unwrap_or_default())
    }

    fn move_to(&mut self, to: Stage, event: &DisputeEvent) {
        self.stage_changes.push(StageChange {
            from: self.stage,
            to,
            at: event.at.clone(),
            by: event.by.clone(),
        });
        self.stage = to;
        self.stage_started_at = event.at.clone();
        self.stage_deadline = self.time_boxes.time_box(to).map(|d| plus(&event.at, d));
        self.proposed_settlement = None;
    }

    /// The other disputing party than the proposer of `p`, who alone may accept it.
    fn must_accept<T>(
        &self,
        actor: &Actor,
        p: &Proposal<T>,
        command: &'static str,
    ) -> Result<(), CoopError> {
        let other = if p.by == self.claimant {
            &self.respondent
        } else {
            &self.claimant
        };
        actor.must_be(other, "other party than the proposer", command)
    }
}

impl Aggregate for Dispute {
    type Command = DisputeCommand;
    type Body = DisputeEventKind;

    fn decide(
        &self,
        actor: &Actor,
        command: DisputeCommand,
        now: &Timestamp,
    ) -> Result<Vec<DisputeEvent>, CoopError> {
        use DisputeCommand as C;
        use DisputeEventKind as E;
        let name = command.name();
        actor.needs(Capability::Act, name)?;
        let is_party = self.parties().contains(&&actor.party);
        let party_only = || {
            if is_party {
                Ok(())
            } else {
                Err(CoopError::WrongParty {
                    party: actor.party.clone(),
                    command: name,
                    allowed: format!(
                        "the disputing parties ({}, {})",
                        self.claimant, self.respondent
                    ),
                })
            }
        };
        let event = |body| Event {
            record: self.meta.id.clone(),
            at: now.clone(),
            by: Some(actor.party.clone()),
            body,
        };
        let stage_in = |stages: &[Stage]| {
            if stages.contains(&self.stage) {
                Ok(())
            } else {
                Err(self.illegal(name))
            }
        };
        let open = [Stage::Negotiation, Stage::Mediation, Stage::Arbitration];
        match command {
            C::AddClaim {
                text,
                evidence_refs,
            } => {
                party_only()?;
                stage_in(&open)?;
                if blank(&text) {
                    return Err(CoopError::MissingFields {
                        what: "a claim".into(),
                        fields: vec!["text"],
                    });
                }
                for r in &evidence_refs {
                    check_stix_ref("evidence_refs", r)?;
                }
                Ok(vec![event(E::ClaimAdded {
                    text,
                    evidence_refs,
                })])
            }
            C::ProposeMediator { mediator } => {
                party_only()?;
                stage_in(&[Stage::Negotiation])?;
                if self.parties().contains(&&mediator) || blank(mediator.as_str()) {
                    return Err(CoopError::InvalidInput {
                        field: "mediator",
                        reason: "the mediator is a third party, neither disputing party".into(),
                    });
                }
                Ok(vec![event(E::MediatorProposed { mediator })])
            }
            C::AcceptMediator => {
                party_only()?;
                stage_in(&[Stage::Negotiation])?;
                let p = self
                    .proposed_mediator
                    .as_ref()
                    .ok_or_else(|| self.illegal(name))?;
                self.must_accept(actor, p, name)?;
                Ok(vec![event(E::MediationStarted {
                    mediator: p.proposal.clone(),
                    deadline: self.deadline_for(Stage::Mediation, now),
                })])
            }
            C::ProposePanel { members } => {
                party_only()?;
                stage_in(&[Stage::Negotiation, Stage::Mediation])?;
                if members.len() < 3 || members.len() % 2 == 0 {
                    return Err(CoopError::InvalidInput {
                        field: "members",
                        reason: format!(
                            "a panel has an odd number of members, at least 3 (got {})",
                            members.len()
                        ),
                    });
                }
                if members
                    .iter()
                    .any(|m| self.parties().contains(&m) || blank(m.as_str()))
                {
                    return Err(CoopError::InvalidInput {
                        field: "members",
                        reason: "neither disputing party sits on the panel".into(),
                    });
                }
                Ok(vec![event(E::PanelProposed { members })])
            }
            C::AcceptPanel => {
                party_only()?;
                stage_in(&[Stage::Negotiation, Stage::Mediation])?;
                let p = self
                    .proposed_panel
                    .as_ref()
                    .ok_or_else(|| self.illegal(name))?;
                self.must_accept(actor, p, name)?;
                Ok(vec![event(E::ArbitrationStarted {
                    panel: p.proposal.clone(),
                    deadline: self.deadline_for(Stage::Arbitration, now),
                })])
            }
            C::Vote { finding, reasons } => {
                if !self.panel.contains(&actor.party) {
                    return Err(CoopError::WrongParty {
                        party: actor.party.clone(),
                        command: name,
                        allowed: "the members of the panel".into(),
                    });
                }
                stage_in(&[Stage::Arbitration])?;
                if self.votes.iter().any(|v| v.member == actor.party) {
                    return Err(CoopError::InvalidInput {
                        field: "vote",
                        reason: format!("{} has already voted", actor.party),
                    });
                }
                if blank(&reasons) {
                    return Err(CoopError::MissingFields {
                        what: "a vote".into(),
                        fields: vec!["reasons"],
                    });
                }
                let mut events = vec![event(E::Voted { finding, reasons })];
                let mut after = self.clone();
                after.apply(&events[0]);
                let count = |f: Finding| after.votes.iter().filter(|v| v.finding == f).count();
                let majority = self.panel.len() / 2 + 1;
                if count(finding) >= majority {
                    let reasons = after
                        .votes
                        .iter()
                        .filter(|v| v.finding == finding)
                        .map(|v| v.reasons.clone())
                        .collect();
                    let against = after.votes.len() - count(finding);
                    events.push(event(E::Decided {
                        decision: Decision {
                            finding,
                            votes_for: count(finding) as u32,
                            votes_against: against as u32,
                            reasons,
                            at: now.clone(),
                        },
                    }));
                }
                Ok(events)
            }
            C::ProposeSettlement { terms } => {
                party_only()?;
                stage_in(&open)?;
                if blank(&terms) {
                    return Err(CoopError::MissingFields {
                        what: "a settlement".into(),
                        fields: vec!["terms"],
                    });
                }
                Ok(vec![event(E::SettlementProposed { terms })])
            }
            C::AcceptSettlement => {
                party_only()?;
                stage_in(&open)?;
                let p = self
                    .proposed_settlement
                    .as_ref()
                    .ok_or_else(|| self.illegal(name))?;
                self.must_accept(actor, p, name)?;
                Ok(vec![event(E::Settled {
                    terms: p.proposal.clone(),
                })])
            }
        }
    }

    fn apply(&mut self, event: &DisputeEvent) {
        use DisputeEventKind as E;
        if event.record != self.meta.id {
            return;
        }
        let by = event.by.clone().unwrap_or_else(|| self.claimant.clone());
        let proposal = |p| Proposal {
            by: by.clone(),
            at: event.at.clone(),
            proposal: p,
        };
        match &event.body {
            E::Opened { .. } => return,
            E::ClaimAdded {
                text,
                evidence_refs,
            } => self.claims.push(Claim {
                by: by.clone(),
                at: event.at.clone(),
                text: text.clone(),
                evidence_refs: evidence_refs.clone(),
            }),
            E::MediatorProposed { mediator } => {
                self.proposed_mediator = Some(proposal(mediator.clone()))
            }
            E::MediationStarted { mediator, .. } => {
                self.mediator = Some(mediator.clone());
                self.proposed_mediator = None;
                self.move_to(Stage::Mediation, event);
            }
            E::PanelProposed { members } => {
                self.proposed_panel = Some(Proposal {
                    by: by.clone(),
                    at: event.at.clone(),
                    proposal: members.clone(),
                })
            }
            E::ArbitrationStarted { panel, .. } => {
                self.panel = panel.clone();
                self.proposed_panel = None;
                self.move_to(Stage::Arbitration, event);
            }
            E::Voted { finding, reasons } => self.votes.push(Vote {
                member: by.clone(),
                at: event.at.clone(),
                finding: *finding,
                reasons: reasons.clone(),
            }),
            E::Decided { decision } => {
                self.decision = Some(decision.clone());
                self.move_to(Stage::Decided, event);
            }
            E::SettlementProposed { terms } => {
                self.proposed_settlement = Some(Proposal {
                    by: by.clone(),
                    at: event.at.clone(),
                    proposal: terms.clone(),
                })
            }
            E::Settled { terms } => {
                self.settlement = Some(terms.clone());
                self.move_to(Stage::Settled, event);
            }
            E::StageOverdue { stage, .. } => {
                if !self.overdue_stages.contains(stage) {
                    self.overdue_stages.push(*stage);
                }
            }
        }
        self.meta.touch(&event.at);
    }

    fn from_created(event: &DisputeEvent) -> Result<Self, CoopError> {
        let DisputeEventKind::Opened {
            claimant,
            respondent,
            subject,
            claim,
            time_boxes,
            created_by_ref,
        } = &event.body
        else {
            return Err(CoopError::BadEvent("a dispute starts with `opened`".into()));
        };
        if event.record.record_type() != RecordType::Dispute {
            return Err(CoopError::BadEvent("not a dispute id".into()));
        }
        Ok(Self {
            meta: RecordMeta::new(event.record.clone(), &event.at, created_by_ref.clone())?,
            claimant: claimant.clone(),
            respondent: respondent.clone(),
            subject: subject.clone(),
            claims: vec![claim.clone()],
            stage: Stage::Negotiation,
            stage_started_at: event.at.clone(),
            stage_deadline: time_boxes
                .time_box(Stage::Negotiation)
                .map(|d| plus(&event.at, d)),
            time_boxes: *time_boxes,
            overdue_stages: Vec::new(),
            proposed_mediator: None,
            mediator: None,
            proposed_panel: None,
            panel: BTreeSet::new(),
            votes: Vec::new(),
            decision: None,
            proposed_settlement: None,
            settlement: None,
            stage_changes: Vec::new(),
        })
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    /// The two parties, the mediator and the panel.
    fn audience(&self) -> Audience {
        let mut a: BTreeSet<PartyId> = [self.claimant.clone(), self.respondent.clone()].into();
        a.extend(self.mediator.iter().cloned());
        a.extend(self.panel.iter().cloned());
        Audience::Only(a)
    }
}
