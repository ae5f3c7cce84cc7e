//! Users' roles and what they allow.

use std::fmt;
use std::str::FromStr;

/// A user's role on this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages users, collections and the node; reads and writes every collection.
    Admin,
    /// Reads and writes collections, unless a per-collection grant says otherwise.
    Analyst,
    /// Acts for the party in cooperation (requests, hotline, consultations, disputes); for
    /// collections it is like an analyst.
    Liaison,
    /// Reads collections, unless a per-collection grant says otherwise; never writes.
    Reader,
}

/// What a request wants to do with a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    Read,
    Write,
}

/// An explicit per-collection grant, which replaces the role's default for that collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionGrant {
    pub collection_id: String,
    pub can_read: bool,
    pub can_write: bool,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Liaison, Role::Reader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
            Role::Reader => "reader",
        }
    }

    /// Whether this role may exercise `right` on a collection, given the user's explicit grant
    /// for that collection if there is one. Admins are never restricted; a reader never writes,
    /// whatever a grant says.
    pub fn allows(self, right: Right, grant: Option<&CollectionGrant>) -> bool {
        match (self, grant) {
            (Role::Admin, _) => true,
            (Role::Reader, _) if right == Right::Write => false,
            (_, Some(g)) => match right {
                Right::Read => g.can_read,
                Right::Write => g.can_write,
            },
            (Role::Analyst | Role::Liaison, None) => true,
            (Role::Reader, None) => right == Right::Read,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?} (expected admin, analyst, liaison or reader)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(read: bool, write: bool) -> CollectionGrant {
        CollectionGrant {
            collection_id: "c".into(),
            can_read: read,
            can_write: write,
        }
    }

    #[test]
    fn defaults_follow_the_role() {
        assert!(Role::Admin.allows(Right::Write, None));
        assert!(Role::Analyst.allows(Right::Write, None));
        assert!(Role::Liaison.allows(Right::Write, None));
        assert!(Role::Reader.allows(Right::Read, None));
        assert!(!Role::Reader.allows(Right::Write, None));
    }

    #[test]
    fn grants_replace_defaults_but_never_lift_a_reader_to_writer() {
        assert!(!Role::Analyst.allows(Right::Read, Some(&grant(false, false))));
        assert!(!Role::Analyst.allows(Right::Write, Some(&grant(true, false))));
        assert!(!Role::Reader.allows(Right::Write, Some(&grant(true, true))));
        assert!(!Role::Reader.allows(Right::Read, Some(&grant(false, false))));
        assert!(Role::Admin.allows(Right::Write, Some(&grant(false, false))));
    }
}
