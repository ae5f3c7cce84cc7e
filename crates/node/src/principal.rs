//! Who acts: the typed principal of a request or a command — a user of this node with a role,
//! or a federation peer — and what it may do with a collection. Services take a [`Principal`];
//! the HTTP layer authenticates it (`crate::http::authz`).

use std::fmt;

use pacific_core::access::Role;
use pacific_core::policy::PartyId;

/// Who a request is from, once authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A user of this node, by API token.
    User { name: String, role: Role },
    /// A federation peer, by its signed `Pacific-Peer` request (a registered party).
    Peer(PartyId),
}

impl Principal {
    /// The user's role; `None` for a peer.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::User { role, .. } => Some(*role),
            Principal::Peer(_) => None,
        }
    }

    /// The peer, if the principal is one.
    pub fn peer(&self) -> Option<&PartyId> {
        match self {
            Principal::Peer(p) => Some(p),
            Principal::User { .. } => None,
        }
    }

    /// The user's name; `None` for a peer.
    pub fn user(&self) -> Option<&str> {
        match self {
            Principal::User { name, .. } => Some(name),
            Principal::Peer(_) => None,
        }
    }

    /// The actor as the transparency log and the logs name it: the user's name, or
    /// `peer:<party>` (user names cannot hold `:`).
    pub fn actor(&self) -> String {
        match self {
            Principal::User { name, .. } => name.clone(),
            Principal::Peer(p) => peer_actor(p.as_str()),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.actor())
    }
}

/// What `who` may do with a collection, as (read, write): a user by role and per-collection
/// grant (`Role::allows`); a peer reads every collection through the policy gate and never
/// writes. TAXII and the dashboard both ask this.
pub async fn collection_rights(
    store: &dyn pacific_store::Store,
    who: &Principal,
    collection_id: &str,
) -> Result<(bool, bool), pacific_store::StoreError> {
    use pacific_core::access::Right;
    match who {
        Principal::Peer(_) => Ok((true, false)),
        Principal::User { name, role } => {
            let grant = store.grant(name, collection_id).await?;
            Ok((
                role.allows(Right::Read, grant.as_ref()),
                role.allows(Right::Write, grant.as_ref()),
            ))
        }
    }
}

/// How the transparency log names a peer as an actor (`peer:<party>`).
pub fn peer_actor(party: &str) -> String {
    format!("peer:{party}")
}
