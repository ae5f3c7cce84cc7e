//! Who acts: a party, through a user with a role.
//!
//! Cooperation adds one role to the node's roles (`pacific_core::access::Role`): **liaison**,
//! the officer who acts for the party on requests, the hotline, consultations and disputes.
//! A node's **delegate** acts for the party in governance, not here: cooperation sees a reader.
//! [`CoopRole`] is the cooperation view of a user's role; [`CoopRole::may`] is the one rule.

use std::fmt;

use pacific_core::access::Role;
use pacific_core::policy::PartyId;
use serde::{Deserialize, Serialize};

/// A user's role, as cooperation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoopRole {
    /// Manages the node; may do anything a liaison may.
    Admin,
    /// Acts for the party: sends, acknowledges, answers, declines and withdraws requests,
    /// acknowledges hotline escalations, signs minutes, takes every step of a dispute.
    Liaison,
    /// Drafts requests, posts in consultations, proposes minutes; never commits the party.
    Analyst,
    /// Reads records; never changes them.
    Reader,
}

/// What a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// See a record.
    Read,
    /// Prepare something that does not yet commit the party (a draft, a message).
    Draft,
    /// Commit the party: every step another party relies on.
    Act,
}

impl CoopRole {
    pub const ALL: [CoopRole; 4] = [
        CoopRole::Admin,
        CoopRole::Liaison,
        CoopRole::Analyst,
        CoopRole::Reader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CoopRole::Admin => "admin",
            CoopRole::Liaison => "liaison",
            CoopRole::Analyst => "analyst",
            CoopRole::Reader => "reader",
        }
    }

    /// Whether the role has `capability`: liaison and admin act, analysts draft, readers read.
    pub fn may(self, capability: Capability) -> bool {
        match self {
            CoopRole::Admin | CoopRole::Liaison => true,
            CoopRole::Analyst => capability != Capability::Act,
            CoopRole::Reader => capability == Capability::Read,
        }
    }
}

/// The node's roles map onto cooperation roles one to one, but for a delegate: it acts for the
/// party in governance, not in cooperation, where it reads records and never acts.
impl From<Role> for CoopRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => CoopRole::Admin,
            Role::Analyst => CoopRole::Analyst,
            Role::Liaison => CoopRole::Liaison,
            Role::Reader | Role::Delegate => CoopRole::Reader,
        }
    }
}

impl fmt::Display for CoopRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for CoopRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?} (expected admin, liaison, analyst or reader)")
            })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::Read => "read",
            Capability::Draft => "draft",
            Capability::Act => "act",
        })
    }
}

/// Who gives a command: a user of `party`'s node with `role`. The node builds it from the
/// authenticated user; a peer's event is applied, never decided, so it needs no actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub party: PartyId,
    pub role: CoopRole,
}

impl Actor {
    pub fn new(party: impl Into<PartyId>, role: CoopRole) -> Self {
        Self {
            party: party.into(),
            role,
        }
    }

    /// Refuses unless the role has `capability`.
    pub(crate) fn needs(
        &self,
        capability: Capability,
        command: &'static str,
    ) -> Result<(), crate::CoopError> {
        if self.role.may(capability) {
            Ok(())
        } else {
            Err(crate::CoopError::RoleNotAllowed {
                role: self.role,
                needed: capability,
                command,
            })
        }
    }

    /// Refuses unless the actor's party is `party`.
    pub(crate) fn must_be(
        &self,
        party: &PartyId,
        who: &str,
        command: &'static str,
    ) -> Result<(), crate::CoopError> {
        if &self.party == party {
            Ok(())
        } else {
            Err(crate::CoopError::WrongParty {
                party: self.party.clone(),
                command,
                allowed: format!("the {who} ({party})"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delegate_reads_cooperation_records_and_never_acts() {
        let delegate = CoopRole::from(Role::Delegate);
        assert_eq!(delegate, CoopRole::Reader);
        assert!(delegate.may(Capability::Read));
        assert!(!delegate.may(Capability::Draft));
        assert!(!delegate.may(Capability::Act));
    }

    #[test]
    fn the_other_roles_keep_their_cooperation_namesake() {
        for role in Role::ALL {
            if role != Role::Delegate {
                assert_eq!(CoopRole::from(role).as_str(), role.as_str());
            }
        }
    }
}
