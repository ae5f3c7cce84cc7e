//! The charter that founds a federation: its name, its founding members and its constitution
//! (voting rules per kind of proposal, deliberation and voting periods). Written in TOML
//! (`pacific federation found charter.toml`), co-signed by every founding member's node key.
//!
//! The **federation id** is the SHA-256 of the charter's canonical form (the charter as JSON,
//! fields in their declared order, without the signatures), so any change to a name, a key or
//! a rule is a different federation, and each signature binds its signer to exactly this text.
//! A signature is Ed25519 by the member's node key over [`Charter::signing_message`]; this
//! crate does no cryptography, so its caller signs and verifies and tells [`Charter::verify`]
//! which signatures hold.

use std::collections::{BTreeMap, BTreeSet};

use pacific_core::Timestamp;
use pacific_core::party::{StakeholderType, check_jurisdiction};
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::proposal::ProposalKind;
use crate::rules::VotingRule;

/// A founding member, or a member admitted later (same details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDetails {
    /// The party's id in the federation (what policies and markings name).
    pub party: PartyId,
    pub name: String,
    pub stakeholder: StakeholderType,
    /// ISO 3166-1 alpha-2: a state's own; for another member, where it is based (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// Its node's Ed25519 public key, 64 hex digits.
    pub key: String,
    /// Its node's base URL.
    pub url: String,
}

/// Seconds of the default periods.
const DAY: u64 = 24 * 3600;

/// How the federation decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constitution {
    /// How long a proposal is debated (commented and amended) before voting opens, in seconds.
    /// Default 14 days.
    pub deliberation_secs: u64,
    /// How long voting stays open, in seconds. Default 7 days.
    pub voting_secs: u64,
    /// The voting rule of each kind of proposal; a kind not named here takes
    /// [`VotingRule::two_thirds_of_states`] (quorum half the states, two thirds of the votes
    /// cast, states binding and everyone else advisory).
    pub rules: BTreeMap<ProposalKind, VotingRule>,
}

impl Default for Constitution {
    fn default() -> Self {
        Self {
            deliberation_secs: 14 * DAY,
            voting_secs: 7 * DAY,
            rules: BTreeMap::new(),
        }
    }
}

impl Constitution {
    /// The rule of `kind`.
    pub fn rule(&self, kind: ProposalKind) -> VotingRule {
        self.rules
            .get(&kind)
            .cloned()
            .unwrap_or_else(VotingRule::two_thirds_of_states)
    }
}

/// One founding member's signature of the charter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharterSignature {
    pub party: PartyId,
    /// Ed25519 signature of [`Charter::signing_message`], 128 hex digits.
    pub signature: String,
}

/// A charter as written, with the signatures gathered so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// The federation's name.
    pub name: String,
    /// When it is founded (RFC 3339).
    pub founded: Timestamp,
    #[serde(default)]
    pub constitution: Constitution,
    pub members: Vec<MemberDetails>,
    /// The founding members' signatures (not part of what is signed, nor of the id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<CharterSignature>,
}

/// What is wrong with a charter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CharterError {
    #[error("the charter is not valid TOML of a charter: {0}")]
    Syntax(String),
    #[error("the charter has no name")]
    NoName,
    #[error("the charter names no founding member")]
    NoMembers,
    #[error("party {0} is named twice")]
    DuplicateMember(PartyId),
    #[error("member {party}: {reason}")]
    Member { party: PartyId, reason: String },
    #[error("the constitution's {0} period is zero")]
    ZeroPeriod(&'static str),
    #[error("the rule for {kind} proposals makes no stakeholder type binding")]
    NoBindingVoters { kind: ProposalKind },
    #[error("{0} signed the charter but is not one of its founding members")]
    SignedByStranger(PartyId),
    #[error("{0} signed the charter twice")]
    SignedTwice(PartyId),
    #[error("the signature of {0} does not verify with its key")]
    BadSignature(PartyId),
    #[error("not signed yet by {}", .0.iter().map(PartyId::as_str).collect::<Vec<_>>().join(", "))]
    Unsigned(Vec<PartyId>),
}

impl MemberDetails {
    /// Checks the details' form: a state has a jurisdiction (an ISO 3166 code, as any
    /// member's); the key is 64 hex digits; the URL is http(s).
    pub fn check(&self) -> Result<(), CharterError> {
        let bad = |reason: String| CharterError::Member {
            party: self.party.clone(),
            reason,
        };
        if self.party.as_str().is_empty() || self.party.as_str().chars().any(char::is_whitespace) {
            return Err(bad("the party id is empty or has spaces".into()));
        }
        if self.name.trim().is_empty() {
            return Err(bad("no name".into()));
        }
        match (&self.jurisdiction, self.stakeholder) {
            (None, StakeholderType::State) => {
                return Err(bad("a state needs its jurisdiction (ISO 3166 code)".into()));
            }
            (Some(j), _) => check_jurisdiction(j).map_err(bad)?,
            (None, _) => {}
        }
        if self.key.len() != 64 || !self.key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the node key is not 64 hex digits".into()));
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(bad(format!("the URL {:?} is not http(s)", self.url)));
        }
        Ok(())
    }
}

/// The part of a charter its id and signatures cover.
#[derive(Serialize)]
struct Signed<'a> {
    name: &'a str,
    founded: &'a Timestamp,
    constitution: &'a Constitution,
    members: &'a [MemberDetails],
}

impl Charter {
    /// Reads and checks a charter written in TOML.
    pub fn from_toml(text: &str) -> Result<Self, CharterError> {
        let charter: Charter =
            toml::from_str(text).map_err(|e| CharterError::Syntax(e.to_string()))?;
        charter.check()?;
        Ok(charter)
    }

    /// The charter in TOML, signatures included.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a charter always serialises")
    }

    /// Checks its form (not its signatures).
    pub fn check(&self) -> Result<(), CharterError> {
        if self.name.trim().is_empty() {
            return Err(CharterError::NoName);
        }
        if self.members.is_empty() {
            return Err(CharterError::NoMembers);
        }
        let mut seen = BTreeSet::new();
        for m in &self.members {
            if !seen.insert(&m.party) {
                return Err(CharterError::DuplicateMember(m.party.clone()));
            }
            m.check()?;
        }
        if self.constitution.deliberation_secs == 0 {
            return Err(CharterError::ZeroPeriod("deliberation"));
        }
        if self.constitution.voting_secs == 0 {
            return Err(CharterError::ZeroPeriod("voting"));
        }
        if let Some((kind, _)) = self
            .constitution
            .rules
            .iter()
            .find(|(_, r)| r.binding.is_empty())
        {
            return Err(CharterError::NoBindingVoters { kind: *kind });
        }
        Ok(())
    }

    /// The canonical bytes the id and the signatures cover.
    fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&Signed {
            name: &self.name,
            founded: &self.founded,
            constitution: &self.constitution,
            members: &self.members,
        })
        .expect("a charter always serialises")
    }

    /// The federation id: SHA-256 of the canonical charter, 64 hex digits.
    pub fn federation_id(&self) -> String {
        hex::encode(Sha256::digest(self.canonical()))
    }

    /// What each founding member's node signs.
    pub fn signing_message(&self) -> Vec<u8> {
        format!("pacific charter v1\n{}\n", self.federation_id()).into_bytes()
    }

    /// The founding member `party`, if it is one.
    pub fn member(&self, party: &PartyId) -> Option<&MemberDetails> {
        self.members.iter().find(|m| &m.party == party)
    }

    /// Adds (or replaces) `party`'s signature.
    pub fn add_signature(&mut self, party: &PartyId, signature_hex: String) {
        self.signatures.retain(|s| &s.party != party);
        self.signatures.push(CharterSignature {
            party: party.clone(),
            signature: signature_hex,
        });
        self.signatures.sort_by(|a, b| a.party.cmp(&b.party));
    }

    /// Checks every signature with `verifies(member, signature)` (the caller's Ed25519 check of
    /// [`Charter::signing_message`] with the member's key) and says who has not signed yet.
    /// `Ok(missing)`: every signature present holds; the charter is in force when `missing`
    /// is empty.
    pub fn verify(
        &self,
        verifies: impl Fn(&MemberDetails, &str) -> bool,
    ) -> Result<Vec<PartyId>, CharterError> {
        self.check()?;
        let mut signed = BTreeSet::new();
        for s in &self.signatures {
            let member = self
                .member(&s.party)
                .ok_or_else(|| CharterError::SignedByStranger(s.party.clone()))?;
            if !signed.insert(&s.party) {
                return Err(CharterError::SignedTwice(s.party.clone()));
            }
            if !verifies(member, &s.signature) {
                return Err(CharterError::BadSignature(s.party.clone()));
            }
        }
        Ok(self
            .members
            .iter()
            .filter(|m| !signed.contains(&m.party))
            .map(|m| m.party.clone())
            .collect())
    }

    /// [`Charter::verify`], and every founding member has signed: the charter is in force.
    pub fn verify_complete(
        &self,
        verifies: impl Fn(&MemberDetails, &str) -> bool,
    ) -> Result<(), CharterError> {
        let missing = self.verify(verifies)?;
        if missing.is_empty() {
            Ok(())
        } else {
            Err(CharterError::Unsigned(missing))
        }
    }
}
