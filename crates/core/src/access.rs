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
    /// Acts for the party in the federation's governance (proposes, comments, amends and votes
    /// on proposals); for collections it is like a reader, and in cooperation it only reads.
    Delegate,
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
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Analyst,
        Role::Liaison,
        Role::Reader,
        Role::Delegate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
            Role::Reader => "reader",
            Role::Delegate => "delegate",
        }
    }

    /// Who may act for the party in the federation's governance (propose, comment, amend,
    /// vote): a delegate, and an admin, who may do anything on the node.
    pub fn governs(self) -> bool {
        match self {
            Role::Admin | Role::Delegate => true,
            Role::Analyst | Role::Liaison | Role::Reader => false,
        }
    }

    /// Whether this role may exercise `right` on a collection, given the user's explicit grant
    /// for that collection if there is one. Admins are never restricted; a reader or a delegate
    /// never writes, whatever a grant says.
    pub fn allows(self, right: Right, grant: Option<&CollectionGrant>) -> bool {
        match (self, grant) {
            (Role::Admin, _) => true,
            (_, _) if right == Right::Write && !self.writes_collections() => false,
            (_, Some(g)) => match right {
                Right::Read => g.can_read,
                Right::Write => g.can_write,
            },
            (Role::Analyst | Role::Liaison, None) => true,
            (Role::Reader | Role::Delegate, None) => right == Right::Read,
        }
    }

    /// Whether the role may ever write a collection (a grant can restrict it, never lift a
    /// role that does not write): readers and delegates only read.
    pub fn writes_collections(self) -> bool {
        match self {
            Role::Admin | Role::Analyst | Role::Liaison => true,
            Role::Reader | Role::Delegate => false,
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
                format!("unknown role {s:?} (expected admin, analyst, liaison, reader or delegate)")
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
        assert!(Role::Delegate.allows(Right::Read, None));
        assert!(!Role::Delegate.allows(Right::Write, None));
    }

    #[test]
    fn grants_replace_defaults_but_never_lift_a_reader_to_writer() {
        assert!(!Role::Analyst.allows(Right::Read, Some(&grant(false, false))));
        assert!(!Role::Analyst.allows(Right::Write, Some(&grant(true, false))));
        assert!(!Role::Reader.allows(Right::Write, Some(&grant(true, true))));
        assert!(!Role::Reader.allows(Right::Read, Some(&grant(false, false))));
        assert!(Role::Admin.allows(Right::Write, Some(&grant(false, false))));
    }

    #[test]
    fn a_delegate_is_a_reader_for_collections() {
        for g in [
            None,
            Some(grant(true, true)),
            Some(grant(true, false)),
            Some(grant(false, false)),
        ] {
            for right in [Right::Read, Right::Write] {
                assert_eq!(
                    Role::Delegate.allows(right, g.as_ref()),
                    Role::Reader.allows(right, g.as_ref()),
                    "{right:?} with {g:?}"
                );
            }
        }
        assert!(!Role::Delegate.writes_collections());
        assert!(!Role::Reader.writes_collections());
        assert!(Role::Analyst.writes_collections());
    }

    #[test]
    fn only_delegates_and_admins_act_in_governance() {
        let governing: Vec<Role> = Role::ALL.into_iter().filter(|r| r.governs()).collect();
        assert_eq!(governing, [Role::Admin, Role::Delegate]);
    }

    #[test]
    fn every_role_reads_back_from_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert_eq!("delegate".parse::<Role>(), Ok(Role::Delegate));
    }

    #[test]
    fn an_unknown_role_is_refused_naming_every_role() {
        let refusal = "chair".parse::<Role>().unwrap_err();
        for role in Role::ALL {
            assert!(refusal.contains(role.as_str()), "{refusal} names {role}");
        }
    }

    #[test]
    fn a_delegate_serialises_as_its_name() {
        assert_eq!(
            serde_json::to_string(&Role::Delegate).unwrap(),
            "\"delegate\""
        );
        assert_eq!(
            serde_json::from_str::<Role>("\"delegate\"").unwrap(),
            Role::Delegate
        );
    }
}
