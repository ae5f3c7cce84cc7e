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
//! | `object-stored` | the gate lets that object version go to P now (path `taxii-get`) |
//! | `object-sent`, `object-received` | the entry names P and the gate lets the version go to P |
//! | `object-withheld` | never (it names an object held back) |
//! | `peer-added`, `peer-removed`, `receipt-received`, `cosignature-received`, `cosignature-sent` | the entry names P |
//! | `user-added`, `policy-changed` | never (this party's own affairs) |
//!
//! A version no longer stored (deleted) is held back like one the gate denies. A leaf hash
//! commits to the whole entry, time in milliseconds included; it is not the object's hash.

use pacific_core::policy::PartyId;
use pacific_core::taxii::{ObjectQuery, VersionSelector};
use pacific_store::StoreError;
use pacific_tlog::entry::{Act, Entry, ObjectRef};

use super::Federation;

impl Federation {
    /// Whether `peer` may see `entry` whole (see the module doc); `false` for an entry that
    /// does not decode.
    pub async fn log_entry_visible_to(
        &self,
        peer: &PartyId,
        entry_bytes: &[u8],
    ) -> Result<bool, StoreError> {
        let Ok(entry) = Entry::decode(entry_bytes) else {
            return Ok(false);
        };
        let me = peer.as_str();
        Ok(match &entry.act {
            Act::ObjectStored { object } => self.object_visible_to(me, object).await?,
            Act::ObjectSent {
                object,
                peer: named,
                ..
            }
            | Act::ObjectReceived {
                object,
                peer: named,
            } => named == me && self.object_visible_to(me, object).await?,
            Act::ObjectWithheld { .. } | Act::UserAdded { .. } | Act::PolicyChanged { .. } => false,
            Act::PeerAdded { peer: named, .. }
            | Act::PeerRemoved { peer: named }
            | Act::ReceiptReceived { peer: named, .. }
            | Act::CosignatureReceived { peer: named, .. }
            | Act::CosignatureSent { peer: named, .. } => named == me,
        })
    }

    /// Whether the gate lets the exact version `object` names (by SHA-256 of its stored text)
    /// go to `peer` from some collection that holds it.
    async fn object_visible_to(&self, peer: &str, object: &ObjectRef) -> Result<bool, StoreError> {
        let mut query = ObjectQuery::all(1000);
        query.ids = vec![object.id.clone()];
        query.versions = vec![VersionSelector::All];
        for collection in self.objects().collections().await? {
            let page = self
                .objects()
                .query_objects(&collection.id, &query, true)
                .await?;
            let exact: Vec<_> = page
                .items
                .into_iter()
                .filter(|v| pacific_tlog::entry::sha256(v.json.as_bytes()) == object.sha256)
                .collect();
            if exact.is_empty() {
                continue;
            }
            if !self
                .filter_for_peer(peer, &collection, exact)
                .await?
                .is_empty()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
