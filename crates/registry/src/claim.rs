//! Resource claims: a party's statement that it answers, in one [`Role`], for a set of
//! [`Resources`], with the 24/7 [`Contact`] to use, validity dates and optional evidence.
//!
//! A claim is checked whole ([`Claim::check`]) before it is written or once it is read: it
//! holds at least one resource, a `jurisdiction` claim holds no special-purpose space
//! ([`crate::special`]), its validity does not end before it begins, its contact can be
//! reached, and its evidence lines are single lines. A claim changes by new versions of the
//! same id (STIX `modified`); it is withdrawn by a version marked `revoked`, which is final.
//! [`ClaimSet`] keeps the latest version of each claim and refuses a version from another party
//! than the first, or one after the claim was revoked.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use pacific_core::Timestamp;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

use crate::resource::{AsnRange, DomainSuffix, IpPrefix, Ipv4Prefix, Ipv6Prefix, Resource};
use crate::special::{self, Special};

/// In what capacity a party answers for its resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A state, for resources within its territory.
    Jurisdiction,
    /// A company or network that runs the resources.
    Operator,
    /// A CERT that handles abuse for them.
    Contact,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Jurisdiction, Role::Operator, Role::Contact];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Jurisdiction => "jurisdiction",
            Role::Operator => "operator",
            Role::Contact => "contact",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ClaimError;
    fn from_str(s: &str) -> Result<Self, ClaimError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ClaimError::UnknownRole(s.to_owned()))
    }
}

/// The 24/7 contact for a claim's resources: a name and at least one of an e-mail address and a
/// telephone number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    fn check(&self) -> Result<(), ClaimError> {
        let bad = |reason: &str| Err(ClaimError::Contact(reason.to_owned()));
        if self.name.trim().is_empty() {
            return bad("the contact has no name");
        }
        if self.email.is_none() && self.phone.is_none() {
            return bad("a 24/7 contact needs an e-mail address or a telephone number");
        }
        if let Some(email) = &self.email {
            let ok = email
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
                && !email.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(ClaimError::Contact(format!(
                    "{email:?} is not an e-mail address"
                )));
            }
        }
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let ok = phone.starts_with('+')
                && digits >= 6
                && phone[1..]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
            if !ok {
                return Err(ClaimError::Contact(format!(
                    "{phone:?} is not a telephone number in international form (+CC …)"
                )));
            }
        }
        for field in [Some(&self.name), self.email.as_ref(), self.phone.as_ref()]
            .into_iter()
            .flatten()
        {
            if field.chars().any(char::is_control) {
                return bad("the contact holds a control character");
            }
        }
        Ok(())
    }
}

/// The resources of one claim, each kind sorted and without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub ipv4: Vec<Ipv4Prefix>,
    pub ipv6: Vec<Ipv6Prefix>,
    pub asns: Vec<AsnRange>,
    pub domains: Vec<DomainSuffix>,
}

/// How much a set of resources covers (each kind's union: overlapping entries count once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub ipv4_prefixes: usize,
    pub ipv6_prefixes: usize,
    pub ipv4_addresses: u64,
    /// IPv6 addresses covered, saturating at 2^128 - 1.
    pub ipv6_addresses: u128,
    pub as_ranges: usize,
    pub asns: u64,
    pub domains: usize,
}

impl Resources {
    pub fn push(&mut self, r: Resource) {
        match r {
            Resource::Ip(IpPrefix::V4(p)) => self.ipv4.push(p),
            Resource::Ip(IpPrefix::V6(p)) => self.ipv6.push(p),
            Resource::Asn(a) => self.asns.push(a),
            Resource::Domain(d) => self.domains.push(d),
        }
    }

    /// Sorts each kind and drops duplicates.
    pub fn normalise(&mut self) {
        self.ipv4.sort_unstable();
        self.ipv4.dedup();
        self.ipv6.sort_unstable();
        self.ipv6.dedup();
        self.asns.sort_unstable();
        self.asns.dedup();
        self.domains.sort_unstable();
        self.domains.dedup();
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of entries of every kind.
    pub fn len(&self) -> usize {
        self.ipv4.len() + self.ipv6.len() + self.asns.len() + self.domains.len()
    }

    /// Every resource, kind by kind.
    pub fn iter(&self) -> impl Iterator<Item = Resource> + '_ {
        let v4 = self.ipv4.iter().map(|p| Resource::Ip(IpPrefix::V4(*p)));
        let v6 = self.ipv6.iter().map(|p| Resource::Ip(IpPrefix::V6(*p)));
        let asns = self.asns.iter().map(|a| Resource::Asn(*a));
        let names = self.domains.iter().map(|d| Resource::Domain(d.clone()));
        v4.chain(v6).chain(asns).chain(names)
    }

    /// Adds the resources of `other`, normalised.
    pub fn extend(&mut self, other: Resources) {
        self.ipv4.extend(other.ipv4);
        self.ipv6.extend(other.ipv6);
        self.asns.extend(other.asns);
        self.domains.extend(other.domains);
        self.normalise();
    }

    /// The first resource that overlaps special-purpose space, with the block it overlaps.
    pub fn first_special(&self) -> Option<(Resource, Special)> {
        self.iter().find_map(|r| {
            let s = match &r {
                Resource::Ip(IpPrefix::V4(p)) => special::ipv4(p),
                Resource::Ip(IpPrefix::V6(p)) => special::ipv6(p),
                Resource::Asn(a) => special::asn(a),
                Resource::Domain(d) => special::domain(d),
            };
            s.map(|s| (r, s))
        })
    }

    /// What the resources cover.
    pub fn totals(&self) -> Totals {
        let union = |mut v: Vec<(u128, u128)>| -> u128 {
            v.sort_unstable();
            let mut total = 0u128;
            let mut cur: Option<(u128, u128)> = None;
            for (a, b) in v {
                cur = match cur {
                    Some((s, e)) if a <= e.saturating_add(1) => Some((s, e.max(b))),
                    Some((s, e)) => {
                        total = total.saturating_add(e - s).saturating_add(1);
                        Some((a, b))
                    }
                    None => Some((a, b)),
                };
            }
            if let Some((s, e)) = cur {
                total = total.saturating_add(e - s).saturating_add(1);
            }
            total
        };
        Totals {
            ipv4_prefixes: self.ipv4.len(),
            ipv6_prefixes: self.ipv6.len(),
            ipv4_addresses: union(
                self.ipv4
                    .iter()
                    .map(|p| (p.first().into(), p.last().into()))
                    .collect(),
            ) as u64,
            ipv6_addresses: union(self.ipv6.iter().map(|p| (p.first(), p.last())).collect()),
            as_ranges: self.asns.len(),
            asns: union(
                self.asns
                    .iter()
                    .map(|a| (a.first().into(), a.last().into()))
                    .collect(),
            ) as u64,
            domains: self.domains.len(),
        }
    }
}

impl FromIterator<Resource> for Resources {
    fn from_iter<I: IntoIterator<Item = Resource>>(iter: I) -> Self {
        let mut out = Resources::default();
        for r in iter {
            out.push(r);
        }
        out.normalise();
        out
    }
}

/// Why a claim is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("unknown role {0:?} (expected jurisdiction, operator or contact)")]
    UnknownRole(String),
    #[error("a claim holds at least one resource")]
    NoResources,
    #[error(
        "{resource} overlaps special-purpose space {special}: no party holds it as jurisdiction"
    )]
    SpecialPurpose { resource: String, special: Special },
    #[error("the claim's validity ends ({until}) before it begins ({from})")]
    ValidityReversed { from: String, until: String },
    #[error("{0}")]
    Contact(String),
    #[error("evidence line {line} is not one line of text")]
    Evidence { line: usize },
    #[error("{0:?} is not the id of a resource claim (x-pacific-resource-claim--UUID)")]
    BadId(String),
    #[error("{0:?} is not a party id (non-empty, without spaces or control characters)")]
    BadParty(String),
    #[error("{0:?} is not a STIX identity id")]
    BadIdentity(String),
    #[error("the claim is modified ({modified}) before it was created ({created})")]
    VersionBeforeCreation { created: String, modified: String },
    #[error(
        "the claim says it is {party}'s, but it came from {origin}'s node: a party claims only for itself"
    )]
    NotItsPublisher { party: String, origin: String },
    #[error(
        "a new version of {id} names {party} as its party; the claim is {first}'s and stays so"
    )]
    PartyChanged {
        id: String,
        first: String,
        party: String,
    },
    #[error("{id} was revoked: a revoked claim stays so (make a new claim)")]
    Revoked { id: String },
    #[error("the party's identity for {id} changed from {first} to {now}")]
    IdentityChanged {
        id: String,
        first: String,
        now: String,
    },
}

/// One version of a resource claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// `x-pacific-resource-claim--UUID`, the same for every version.
    pub id: String,
    pub created: Timestamp,
    /// This version's time.
    pub modified: Timestamp,
    /// Whether this version withdraws the claim.
    pub revoked: bool,
    /// The claiming party; its node publishes the claim.
    pub party: PartyId,
    /// The claiming party's STIX identity: the claim's `created_by_ref`.
    pub party_identity: String,
    pub role: Role,
    pub resources: Resources,
    pub contact: Contact,
    pub valid_from: Timestamp,
    /// When the claim lapses (exclusive); `None`: until revoked.
    pub valid_until: Option<Timestamp>,
    /// What the claim rests on, e.g. the RIR delegation lines.
    pub evidence: Vec<String>,
}

/// The fields of a new claim, before it has an id and a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimDraft {
    pub party: PartyId,
    pub party_identity: String,
    pub role: Role,
    pub resources: Resources,
    pub contact: Contact,
    pub valid_from: Timestamp,
    pub valid_until: Option<Timestamp>,
    pub evidence: Vec<String>,
}

/// The STIX type of a claim, also the prefix of its id.
pub const CLAIM_TYPE: &str = "x-pacific-resource-claim";

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

impl ClaimDraft {
    /// The claim's first version: id `x-pacific-resource-claim--{uuid}`, made at `at`.
    pub fn into_claim(mut self, uuid: &str, at: &Timestamp) -> Result<Claim, ClaimError> {
        self.resources.normalise();
        let claim = Claim {
            id: format!("{CLAIM_TYPE}--{uuid}"),
            created: at.clone(),
            modified: at.clone(),
            revoked: false,
            party: self.party,
            party_identity: self.party_identity,
            role: self.role,
            resources: self.resources,
            contact: self.contact,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            evidence: self.evidence,
        };
        claim.check()?;
        Ok(claim)
    }
}

impl Claim {
    /// Checks the claim whole; see the module's documentation.
    pub fn check(&self) -> Result<(), ClaimError> {
        match self
            .id
            .strip_prefix(CLAIM_TYPE)
            .and_then(|r| r.strip_prefix("--"))
        {
            Some(uuid) if is_uuid(uuid) => {}
            _ => return Err(ClaimError::BadId(self.id.clone())),
        }
        let party = self.party.as_str();
        if party.is_empty() || party.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ClaimError::BadParty(party.to_owned()));
        }
        match self.party_identity.strip_prefix("identity--") {
            Some(uuid) if is_uuid(uuid) => {}
            _ => return Err(ClaimError::BadIdentity(self.party_identity.clone())),
        }
        if self.modified < self.created {
            return Err(ClaimError::VersionBeforeCreation {
                created: self.created.to_string(),
                modified: self.modified.to_string(),
            });
        }
        if self.resources.is_empty() {
            return Err(ClaimError::NoResources);
        }
        if self.role == Role::Jurisdiction
            && let Some((resource, special)) = self.resources.first_special()
        {
            return Err(ClaimError::SpecialPurpose {
                resource: resource.to_string(),
                special,
            });
        }
        if let Some(until) = &self.valid_until
            && *until <= self.valid_from
        {
            return Err(ClaimError::ValidityReversed {
                from: self.valid_from.to_string(),
                until: until.to_string(),
            });
        }
        self.contact.check()?;
        if let Some(i) = self
            .evidence
            .iter()
            .position(|l| l.contains(['\n', '\r']) || l.chars().any(char::is_control))
        {
            return Err(ClaimError::Evidence { line: i + 1 });
        }
        Ok(())
    }

    /// Refuses a claim whose node (`origin`, the party whose signature it came under) is not
    /// the party it names.
    pub fn check_publisher(&self, origin: &PartyId) -> Result<(), ClaimError> {
        if &self.party != origin {
            return Err(ClaimError::NotItsPublisher {
                party: self.party.to_string(),
                origin: origin.to_string(),
            });
        }
        Ok(())
    }

    /// Whether the claim holds at `now`: not revoked, `valid_from <= now < valid_until`.
    pub fn in_force(&self, now: &Timestamp) -> bool {
        !self.revoked
            && self.valid_from <= *now
            && self.valid_until.as_ref().is_none_or(|u| now < u)
    }

    /// A new version made at `at` (the latest of `at` and one microsecond after this version),
    /// the caller then changing what it replaces.
    pub fn next_version(&self, at: &Timestamp) -> Claim {
        let after = Timestamp::from_unix_micros(self.modified.unix_micros() + 1);
        let mut next = self.clone();
        next.modified = if *at >= after { at.clone() } else { after };
        next
    }

    /// The version that withdraws the claim, made at `at`.
    pub fn revoke(&self, at: &Timestamp) -> Claim {
        let mut next = self.next_version(at);
        next.revoked = true;
        next
    }
}

/// What [`ClaimSet::insert`] did with a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A claim not held before.
    New,
    /// A later version of a claim held: it replaces it.
    Replaced,
    /// The same or an earlier version than the one held: nothing changes.
    Stale,
}

/// The latest version of every claim held, by id.
#[derive(Clone, Debug, Default)]
pub struct ClaimSet {
    claims: BTreeMap<String, Claim>,
}

impl ClaimSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a version of a claim (checked whole); a later version replaces an earlier one,
    /// but never changes the claim's party or identity, and nothing follows a revocation.
    pub fn insert(&mut self, claim: Claim) -> Result<Inserted, ClaimError> {
        claim.check()?;
        match self.claims.get(&claim.id) {
            None => {
                self.claims.insert(claim.id.clone(), claim);
                Ok(Inserted::New)
            }
            Some(held) => {
                if held.party != claim.party {
                    return Err(ClaimError::PartyChanged {
                        id: claim.id.clone(),
                        first: held.party.to_string(),
                        party: claim.party.to_string(),
                    });
                }
                if held.party_identity != claim.party_identity {
                    return Err(ClaimError::IdentityChanged {
                        id: claim.id.clone(),
                        first: held.party_identity.clone(),
                        now: claim.party_identity.clone(),
                    });
                }
                if claim.modified <= held.modified {
                    return Ok(Inserted::Stale);
                }
                if held.revoked {
                    return Err(ClaimError::Revoked {
                        id: claim.id.clone(),
                    });
                }
                self.claims.insert(claim.id.clone(), claim);
                Ok(Inserted::Replaced)
            }
        }
    }

    /// The latest version of the claim `id`.
    pub fn get(&self, id: &str) -> Option<&Claim> {
        self.claims.get(id)
    }

    /// The latest version of every claim, revoked ones included, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Claim> {
        self.claims.values()
    }

    pub fn len(&self) -> usize {
        self.claims.len()
    }

    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }
}
