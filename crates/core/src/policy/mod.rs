//! The policy gate: what may leave this node, for whom.
//!
//! Every outbound path of a node — a TAXII response to a peer, a federation push, an export to
//! a file for a peer — asks one function, [`decide`], about each object and each recipient, and
//! sends only what it allows. The decision reads three things:
//!
//! 1. the object's **markings** ([`Markings`]): its TLP 2.0 level and Pacific's marking
//!    properties (named recipients, sharing groups, jurisdiction restriction, personal data,
//!    retention);
//! 2. the **context** ([`GateContext`]): this node's party and export policy, the federation's
//!    members, the collection, the object's provenance if it was received from a peer, the time
//!    and the outbound path;
//! 3. the **recipient** ([`Party`]).
//!
//! Evaluation order: the markings' hard constraints first (a policy can never loosen them),
//! then the policy's rules in order (the first that matches decides), then the policy's
//! default. Every decision names what decided it: the rule for a [`Decision::Allow`], a
//! [`DenyReason`] for a [`Decision::Deny`]. The exact semantics, in plain words, are in
//! `docs/policy.md`; they are the product.
//!
//! This module does no I/O and reads no clock: `now` is passed in.

mod config;
mod markings;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::party::StakeholderType;
use crate::tlp::Tlp;
use crate::{StixObject, Timestamp};

pub use config::{
    Action, ExportPolicy, PolicyError, Rule, SharingGroup, parse_tlp_name, tlp_name_of,
};
pub use markings::{
    MarkingError, Markings, PROP_JURISDICTION_RESTRICTION, PROP_PERSONAL_DATA, PROP_RECIPIENTS,
    PROP_RETENTION, PROP_SHARING_GROUPS, TlpSource, is_tlp_definition,
};

/// The rule a [`Decision::Allow`] cites when no rule matched and the policy's default is allow.
pub const DEFAULT_RULE: &str = "default";
/// The rule a [`Decision::Allow`] cites for a standard TLP marking definition no rule matched.
pub const TLP_DEFINITION_RULE: &str = "tlp-definition";

/// A party's identifier in the federation (its peer name or key fingerprint), as objects'
/// `x_pacific_recipients` and sharing groups name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartyId(String);

impl PartyId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for PartyId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}
impl From<String> for PartyId {
    fn from(s: String) -> Self {
        Self(s)
    }
}
impl std::borrow::Borrow<str> for PartyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member of the federation, as this node knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub id: PartyId,
    pub name: String,
    pub stakeholder_type: StakeholderType,
    /// ISO 3166-1 alpha-2 code; states have one, others may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// The organisation scope TLP:AMBER+STRICT is confined to (e.g. two nodes of one
    /// government). `None`: the party shares its organisation with nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
}

/// The party an object would go to.
pub type Recipient = Party;

/// Where a received object came from. Kept by the node beside the object, not in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The peer that sent it to this node.
    pub received_from: PartyId,
    pub received_at: Timestamp,
    /// The party that created it (whose markings it carries).
    pub origin: PartyId,
}

/// The way an object would leave the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboundPath {
    /// A TAXII 2.1 response to a peer's request.
    TaxiiGet,
    /// A signed envelope pushed to a peer.
    FederationPush,
    /// A file written for a peer.
    Export,
}

impl OutboundPath {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundPath::TaxiiGet => "taxii-get",
            OutboundPath::FederationPush => "federation-push",
            OutboundPath::Export => "export",
        }
    }
}

impl fmt::Display for OutboundPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything besides the object and the recipient that a decision depends on.
#[derive(Clone, Copy, Debug)]
pub struct GateContext<'a> {
    /// This node's export policy.
    pub policy: &'a ExportPolicy,
    /// This node's party.
    pub local: &'a Party,
    /// The federation's members as this node knows them (its peers). TLP:GREEN and above go to
    /// members only.
    pub peers: &'a BTreeSet<PartyId>,
    /// The collection the object is served from or filed in, if any.
    pub collection: Option<&'a str>,
    /// Where the object came from, if this node received it from a peer.
    pub provenance: Option<&'a Provenance>,
    /// The time of the decision.
    pub now: &'a Timestamp,
    pub path: OutboundPath,
}

impl<'a> GateContext<'a> {
    /// A context with no collection and no provenance.
    pub fn new(
        policy: &'a ExportPolicy,
        local: &'a Party,
        peers: &'a BTreeSet<PartyId>,
        now: &'a Timestamp,
        path: OutboundPath,
    ) -> Self {
        Self {
            policy,
            local,
            peers,
            collection: None,
            provenance: None,
            now,
            path,
        }
    }

    pub fn with_collection(self, collection: Option<&'a str>) -> Self {
        Self { collection, ..self }
    }

    pub fn with_provenance(self, provenance: Option<&'a Provenance>) -> Self {
        Self { provenance, ..self }
    }

    /// Whether the object was received from another party (a re-share if it goes out).
    pub fn is_received(&self) -> bool {
        self.provenance.is_some_and(|p| p.origin != self.local.id)
    }
}

/// The gate's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The object may go; `rule` is the policy rule that allowed it, or [`DEFAULT_RULE`], or
    /// [`TLP_DEFINITION_RULE`].
    Allow { rule: String },
    /// The object stays.
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// The reason, for a denial.
    pub fn deny_reason(&self) -> Option<&DenyReason> {
        match self {
            Decision::Allow { .. } => None,
            Decision::Deny(reason) => Some(reason),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow { rule } => write!(f, "allowed by rule `{rule}`"),
            Decision::Deny(reason) => write!(f, "held back: {reason}"),
        }
    }
}

/// Why an object may not go to a recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// The recipient is this node's own party: the gate judges transfers to other parties.
    RecipientIsSelf,
    /// A marking property cannot be read; an unread marking might be a restriction.
    MalformedMarking { property: String, problem: String },
    /// TLP:RED never leaves the node.
    TlpRed,
    /// TLP:GREEN and above go only to members of the federation.
    NotFederationMember { tlp: Tlp },
    /// TLP:AMBER+STRICT stays within this node's organisation scope.
    AmberStrictOutsideOrganisation {
        local_organisation: Option<String>,
        recipient_organisation: Option<String>,
    },
    /// TLP:AMBER goes only to parties the object names or whose sharing group it names.
    AmberNotNamedRecipient,
    /// The object names its audience and the recipient is not in it.
    NotInSharingGroup { groups: Vec<String> },
    /// The object must stay within these jurisdictions.
    JurisdictionRestricted {
        keep_within: Vec<String>,
        recipient_jurisdiction: Option<String>,
    },
    /// Personal data about residents of these jurisdictions never leaves them.
    PersonalData {
        subjects_resident_in: Vec<String>,
        recipient_jurisdiction: Option<String>,
    },
    /// The object's retention period is over.
    RetentionExpired { until: Timestamp },
    /// An object above TLP:GREEN received from `origin` may be passed on only to parties the
    /// originator named.
    ReshareNotAllowed { origin: PartyId, tlp: Tlp },
    /// A policy rule denies objects of this type.
    TypeNotShared { rule: String, type_name: String },
    /// A policy rule denies objects of this collection.
    CollectionNotShared { rule: String, collection: String },
    /// A policy rule denies recipients of this stakeholder type.
    StakeholderTypeNotAllowed {
        rule: String,
        stakeholder_type: StakeholderType,
    },
    /// Another policy rule denies it.
    RuleDenied { rule: String },
    /// No rule matched and the policy's default is deny.
    DefaultDeny,
}

impl DenyReason {
    /// A stable, kebab-case name for logs, metrics and the terminal.
    pub fn label(&self) -> &'static str {
        match self {
            DenyReason::RecipientIsSelf => "recipient-is-self",
            DenyReason::MalformedMarking { .. } => "malformed-marking",
            DenyReason::TlpRed => "tlp-red",
            DenyReason::NotFederationMember { .. } => "not-federation-member",
            DenyReason::AmberStrictOutsideOrganisation { .. } => {
                "amber-strict-outside-organisation"
            }
            DenyReason::AmberNotNamedRecipient => "amber-not-named-recipient",
            DenyReason::NotInSharingGroup { .. } => "not-in-sharing-group",
            DenyReason::JurisdictionRestricted { .. } => "jurisdiction-restricted",
            DenyReason::PersonalData { .. } => "personal-data",
            DenyReason::RetentionExpired { .. } => "retention-expired",
            DenyReason::ReshareNotAllowed { .. } => "reshare-not-allowed",
            DenyReason::TypeNotShared { .. } => "type-not-shared",
            DenyReason::CollectionNotShared { .. } => "collection-not-shared",
            DenyReason::StakeholderTypeNotAllowed { .. } => "stakeholder-type-not-allowed",
            DenyReason::RuleDenied { .. } => "rule-denied",
            DenyReason::DefaultDeny => "default-deny",
        }
    }

    /// The policy rule behind the denial, for denials by a rule.
    pub fn rule(&self) -> Option<&str> {
        match self {
            DenyReason::TypeNotShared { rule, .. }
            | DenyReason::CollectionNotShared { rule, .. }
            | DenyReason::StakeholderTypeNotAllowed { rule, .. }
            | DenyReason::RuleDenied { rule } => Some(rule),
            _ => None,
        }
    }

    /// Whether the object's markings (not the policy) decided: no policy could allow it.
    pub fn is_marking(&self) -> bool {
        !matches!(
            self,
            DenyReason::RecipientIsSelf
                | DenyReason::TypeNotShared { .. }
                | DenyReason::CollectionNotShared { .. }
                | DenyReason::StakeholderTypeNotAllowed { .. }
                | DenyReason::RuleDenied { .. }
                | DenyReason::DefaultDeny
        )
    }
}

fn or_none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("none")
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::RecipientIsSelf => f.write_str("the recipient is this node's own party"),
            DenyReason::MalformedMarking { property, problem } => {
                write!(f, "marking {property} cannot be read ({problem})")
            }
            DenyReason::TlpRed => f.write_str("TLP:RED never leaves this node"),
            DenyReason::NotFederationMember { tlp } => {
                write!(f, "{} goes to federation members only; the recipient is not one", tlp.label())
            }
            DenyReason::AmberStrictOutsideOrganisation { local_organisation, recipient_organisation } => write!(
                f,
                "TLP:AMBER+STRICT stays within this node's organisation ({}); the recipient's is {}",
                or_none(local_organisation),
                or_none(recipient_organisation)
            ),
            DenyReason::AmberNotNamedRecipient => f.write_str(
                "TLP:AMBER goes only to parties named in x_pacific_recipients or in a group of x_pacific_sharing_groups; the recipient is neither",
            ),
            DenyReason::NotInSharingGroup { groups } if groups.is_empty() => {
                f.write_str("the recipient is not among the parties the object is addressed to")
            }
            DenyReason::NotInSharingGroup { groups } => write!(
                f,
                "the recipient is neither named by the object nor a member of its sharing groups ({})",
                groups.join(", ")
            ),
            DenyReason::JurisdictionRestricted { keep_within, recipient_jurisdiction } => write!(
                f,
                "the object must stay within {}; the recipient's jurisdiction is {}",
                list_or_nothing(keep_within),
                or_none(recipient_jurisdiction)
            ),
            DenyReason::PersonalData { subjects_resident_in, recipient_jurisdiction } if subjects_resident_in.is_empty() => write!(
                f,
                "personal data whose subjects' residence is not stated never leaves this node (recipient's jurisdiction: {})",
                or_none(recipient_jurisdiction)
            ),
            DenyReason::PersonalData { subjects_resident_in, recipient_jurisdiction } => write!(
                f,
                "personal data about residents of {} never leaves {}; the recipient's jurisdiction is {}",
                subjects_resident_in.join(", "),
                if subjects_resident_in.len() == 1 { "it" } else { "each of them" },
                or_none(recipient_jurisdiction)
            ),
            DenyReason::RetentionExpired { until } => write!(f, "its retention period ended at {until}"),
            DenyReason::ReshareNotAllowed { origin, tlp } => write!(
                f,
                "{} received from {origin}: passed on only to parties {origin} named in x_pacific_recipients",
                tlp.label()
            ),
            DenyReason::TypeNotShared { rule, type_name } => {
                write!(f, "rule `{rule}`: objects of type {type_name} are not shared with this recipient")
            }
            DenyReason::CollectionNotShared { rule, collection } => {
                write!(f, "rule `{rule}`: collection {collection} is not shared with this recipient")
            }
            DenyReason::StakeholderTypeNotAllowed { rule, stakeholder_type } => {
                write!(f, "rule `{rule}`: not shared with {stakeholder_type} parties")
            }
            DenyReason::RuleDenied { rule } => write!(f, "rule `{rule}` denies it"),
            DenyReason::DefaultDeny => f.write_str("no rule allows it and the policy's default is deny"),
        }
    }
}

fn list_or_nothing(list: &[String]) -> String {
    if list.is_empty() {
        "no jurisdiction at all".to_owned()
    } else {
        list.join(", ")
    }
}

/// Decides whether `object` may go to `recipient`. Total: never panics, whatever the object,
/// recipient or policy (an unvalidated policy included).
pub fn decide(object: &StixObject, recipient: &Party, context: &GateContext<'_>) -> Decision {
    let markings = match hard_constraints(object, recipient, context) {
        Ok(markings) => markings,
        Err(reason) => return Decision::Deny(reason),
    };
    let policy = context.policy;
    for rule in &policy.rules {
        if rule_matches(rule, object, &markings, recipient, context) {
            return match rule.action {
                Action::Allow => Decision::Allow {
                    rule: rule.name.clone(),
                },
                Action::Deny => Decision::Deny(rule_reason(rule, object, recipient, context)),
            };
        }
    }
    if markings.tlp_source == TlpSource::TlpDefinition {
        return Decision::Allow {
            rule: TLP_DEFINITION_RULE.to_owned(),
        };
    }
    match policy.default {
        Action::Allow => Decision::Allow {
            rule: DEFAULT_RULE.to_owned(),
        },
        Action::Deny => Decision::Deny(DenyReason::DefaultDeny),
    }
}

/// Whether the recipient is in the audience the object names: individually in
/// `x_pacific_recipients`, or as a member (by this node's policy) of a group in
/// `x_pacific_sharing_groups`.
fn in_audience(markings: &Markings, recipient: &Party, policy: &ExportPolicy) -> bool {
    markings.names(&recipient.id)
        || markings
            .sharing_groups
            .iter()
            .flatten()
            .any(|g| policy.in_group(g, &recipient.id))
}

/// The markings' constraints, which no policy can loosen. `Ok` carries the markings read.
fn hard_constraints(
    object: &StixObject,
    recipient: &Party,
    ctx: &GateContext<'_>,
) -> Result<Markings, DenyReason> {
    if recipient.id == ctx.local.id {
        return Err(DenyReason::RecipientIsSelf);
    }
    let m = Markings::read(object, ctx.policy.default_tlp).map_err(|e| {
        DenyReason::MalformedMarking {
            property: e.property,
            problem: e.problem,
        }
    })?;
    if m.tlp == Tlp::Red {
        return Err(DenyReason::TlpRed);
    }
    if m.tlp >= Tlp::Green && !ctx.peers.contains(&recipient.id) {
        return Err(DenyReason::NotFederationMember { tlp: m.tlp });
    }
    if m.tlp == Tlp::AmberStrict {
        let same = matches!((&ctx.local.organisation, &recipient.organisation), (Some(a), Some(b)) if a == b);
        if !same {
            return Err(DenyReason::AmberStrictOutsideOrganisation {
                local_organisation: ctx.local.organisation.clone(),
                recipient_organisation: recipient.organisation.clone(),
            });
        }
    }
    let audience = in_audience(&m, recipient, ctx.policy);
    if m.tlp == Tlp::Amber && !audience {
        return Err(DenyReason::AmberNotNamedRecipient);
    }
    if m.is_addressed() && !audience {
        return Err(DenyReason::NotInSharingGroup {
            groups: m.sharing_groups.iter().flatten().cloned().collect(),
        });
    }
    if let Some(keep_within) = &m.keep_within
        && !recipient
            .jurisdiction
            .as_ref()
            .is_some_and(|j| keep_within.contains(j))
    {
        return Err(DenyReason::JurisdictionRestricted {
            keep_within: keep_within.iter().cloned().collect(),
            recipient_jurisdiction: recipient.jurisdiction.clone(),
        });
    }
    if let Some(subjects) = &m.personal_data_of {
        let stays = match &recipient.jurisdiction {
            Some(j) => !subjects.is_empty() && subjects.iter().all(|s| s == j),
            None => false,
        };
        if !stays {
            return Err(DenyReason::PersonalData {
                subjects_resident_in: subjects.iter().cloned().collect(),
                recipient_jurisdiction: recipient.jurisdiction.clone(),
            });
        }
    }
    if let Some(until) = &m.retention_until
        && ctx.now >= until
    {
        return Err(DenyReason::RetentionExpired {
            until: until.clone(),
        });
    }
    if let Some(provenance) = ctx.provenance.filter(|_| ctx.is_received())
        && m.tlp > Tlp::Green
        && !m.names(&recipient.id)
    {
        return Err(DenyReason::ReshareNotAllowed {
            origin: provenance.origin.clone(),
            tlp: m.tlp,
        });
    }
    Ok(m)
}

fn type_matches(pattern: &str, type_name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => type_name.starts_with(prefix),
        None => pattern == type_name,
    }
}

/// Whether every condition the rule states holds.
fn rule_matches(
    rule: &Rule,
    object: &StixObject,
    m: &Markings,
    recipient: &Party,
    ctx: &GateContext<'_>,
) -> bool {
    fn holds<T>(condition: &Option<Vec<T>>, test: impl FnOnce(&[T]) -> bool) -> bool {
        condition.as_deref().is_none_or(test)
    }
    let in_jurisdictions = |list: &[String]| {
        recipient
            .jurisdiction
            .as_ref()
            .is_some_and(|j| list.contains(j))
    };
    holds(&rule.types, |l| {
        l.iter().any(|p| type_matches(p, object.type_name()))
    }) && holds(&rule.collections, |l| {
        ctx.collection.is_some_and(|c| l.iter().any(|x| x == c))
    }) && holds(&rule.tlp, |l| l.contains(&m.tlp))
        && holds(&rule.paths, |l| l.contains(&ctx.path))
        && holds(&rule.recipients, |l| l.contains(&recipient.id))
        && holds(&rule.recipient_groups, |l| {
            l.iter().any(|g| ctx.policy.in_group(g, &recipient.id))
        })
        && holds(&rule.recipient_stakeholder_types, |l| {
            l.contains(&recipient.stakeholder_type)
        })
        && holds(&rule.recipient_stakeholder_types_not, |l| {
            !l.contains(&recipient.stakeholder_type)
        })
        && holds(&rule.recipient_jurisdictions, in_jurisdictions)
        && holds(&rule.recipient_jurisdictions_not, |l| !in_jurisdictions(l))
        && holds(&rule.personal_data_of, |l| {
            m.personal_data_of
                .as_ref()
                .is_some_and(|s| l.iter().any(|c| s.contains(c)))
        })
        && rule.received.is_none_or(|r| r == ctx.is_received())
}

/// The reason a deny rule gives: the most telling of the conditions it states.
fn rule_reason(
    rule: &Rule,
    object: &StixObject,
    recipient: &Party,
    ctx: &GateContext<'_>,
) -> DenyReason {
    let name = rule.name.clone();
    if rule.recipient_stakeholder_types.is_some() || rule.recipient_stakeholder_types_not.is_some()
    {
        DenyReason::StakeholderTypeNotAllowed {
            rule: name,
            stakeholder_type: recipient.stakeholder_type,
        }
    } else if rule.types.is_some() {
        DenyReason::TypeNotShared {
            rule: name,
            type_name: object.type_name().to_owned(),
        }
    } else if let (Some(_), Some(collection)) = (&rule.collections, ctx.collection) {
        DenyReason::CollectionNotShared {
            rule: name,
            collection: collection.to_owned(),
        }
    } else {
        DenyReason::RuleDenied { rule: name }
    }
}
