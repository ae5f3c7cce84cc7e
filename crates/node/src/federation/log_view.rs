//! The transparency log as a peer may see it: the policy gate applied to log entries.
//!
//! A peer reading `/log/entries` gets an entry whole only when it reveals nothing the gate
//! holds back from that peer; every other entry is **redacted**: served as its index and RFC
//! 9162 leaf hash only, so checkpoints, inclusion and consistency proofs still verify, but the
//! entry's object id, version and SHA-256, the other party it names, user names and roles are
//! not shown. The rule (also in `docs/policy.md`):
//!
//! | entry | shown whole to peer P when |
//! |---|---|
//! | `object-stored`, `object-deleted` | the gate lets that object version go to P now (path `taxii-get`) |
//! | `object-sent`, `object-received` | the entry names P and the gate lets the version go to P |
//! | `object-withheld` | never (it names an object held back) |
//! | `peer-added`, `peer-removed`, `receipt-received`, `cosignature-received`, `cosignature-sent` | the entry names P |
//! | `user-added`, `user-removed`, `user-role-changed`, `token-revoked`, `token-issued`, `grant-changed`, `policy-changed` | never (this party's own affairs) |
//! | `charter-installed`, `proposal-closed` | always (the federation's business, which every member replays alike) |
//!
//! A version no longer stored (deleted) is held back like one the gate denies, so an
//! `object-deleted` entry is whole only while another collection still holds that exact version
//! and the gate lets it go to P from there. A leaf hash
//! commits to the whole entry, time in milliseconds included; it is not the object's hash.

use pacific_core::policy::PartyId;
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_store::StoreError;
use std::collections::{BTreeSet, HashSet};

use pacific_tlog::entry::{Act, Entry, ObjectRef, sha256};
use pacific_tlog::merkle::Hash;

use super::Federation;

impl Federation {
    /// Which of `entries` `peer` may see whole (see the module doc), in order; an entry that
    /// does not decode is not. The gate is asked once per collection for every object version
    /// the entries name, not once per entry.
    pub async fn log_entries_visible_to(
        &self,
        peer: &PartyId,
        entries: &[&[u8]],
    ) -> Result<Vec<bool>, StoreError> {
        let me = peer.as_str();
        let decoded: Vec<Option<Entry>> = entries.iter().map(|b| Entry::decode(b).ok()).collect();
        // The object versions whose visibility decides an entry.
        let asked: Vec<&ObjectRef> = decoded
            .iter()
            .flatten()
            .filter_map(|e| match &e.act {
                Act::ObjectStored { object } | Act::ObjectDeleted { object, .. } => Some(object),
                Act::ObjectSent {
                    object,
                    peer: named,
                    ..
                }
                | Act::ObjectReceived {
                    object,
                    peer: named,
                } if named == me => Some(object),
                _ => None,
            })
            .collect();
        let allowed = self.versions_visible_to(me, &asked).await?;
        Ok(decoded
            .iter()
            .map(|entry| {
                let Some(entry) = entry else {
                    return false;
                };
                match &entry.act {
                    Act::ObjectStored { object } | Act::ObjectDeleted { object, .. } => {
                        allowed.contains(&object.sha256)
                    }
                    Act::ObjectSent {
                        object,
                        peer: named,
                        ..
                    }
                    | Act::ObjectReceived {
                        object,
                        peer: named,
                    } => named == me && allowed.contains(&object.sha256),
                    Act::ObjectWithheld { .. }
                    | Act::UserAdded { .. }
                    | Act::UserRemoved { .. }
                    | Act::UserRoleChanged { .. }
                    | Act::TokenRevoked { .. }
                    | Act::TokenIssued { .. }
                    | Act::GrantChanged { .. }
                    | Act::PolicyChanged { .. } => false,
                    // The federation's business, which every member replays alike.
                    Act::CharterInstalled { .. } | Act::ProposalClosed { .. } => true,
                    Act::PeerAdded { peer: named, .. }
                    | Act::PeerRemoved { peer: named }
                    | Act::ReceiptReceived { peer: named, .. }
                    | Act::CosignatureReceived { peer: named, .. }
                    | Act::CosignatureSent { peer: named, .. } => named == me,
                }
            })
            .collect())
    }

    /// The SHA-256 of each of the exact versions `objects` name (by the hash of their stored
    /// text) that the gate lets go to `peer` from some collection holding it.
    async fn versions_visible_to(
        &self,
        peer: &str,
        objects: &[&ObjectRef],
    ) -> Result<HashSet<Hash>, StoreError> {
        let mut allowed = HashSet::new();
        if objects.is_empty() {
            return Ok(allowed);
        }
        let wanted: HashSet<Hash> = objects.iter().map(|o| o.sha256).collect();
        let ids: BTreeSet<String> = objects.iter().map(|o| o.id.clone()).collect();
        let mut query = ObjectQuery::all(1000);
        query.ids = ids.into_iter().collect();
        query.versions = vec![VersionSelector::All];
        for collection in self.objects().collections().await? {
            let mut exact = Vec::new();
            let mut q = query.clone();
            loop {
                let page = self
                    .objects()
                    .query_objects(&collection.id, &q, true)
                    .await?;
                exact.extend(
                    page.items
                        .into_iter()
                        .filter(|v| wanted.contains(&sha256(v.json.as_bytes()))),
                );
                match page.next {
                    Some(next) => q.next = Some(next),
                    None => break,
                }
            }
            if exact.is_empty() {
                continue;
            }
            for (version, _) in self.filter_for_peer(peer, &collection, exact).await? {
                allowed.insert(sha256(version.json.as_bytes()));
            }
        }
        Ok(allowed)
    }
}
