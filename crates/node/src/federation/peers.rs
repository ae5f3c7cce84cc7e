//! Adding a peer to a node's data directory (an admin act, `pacific peer add`): what a peer
//! must be — an Ed25519 key, an `http(s)` URL, a party id without spaces, a known
//! jurisdiction code — checked once here for every front end; the store logs `peer-added` in
//! the same transaction.

use pacific_core::Timestamp;
use pacific_core::party::StakeholderType;
use pacific_core::policy::PartyId;
use pacific_store::{FederationStore, Peer, SqliteFederationStore};

use super::{parse_public_key, party_id_from_name};
use crate::{DataDir, NodeError};

/// A peer as an admin describes it.
#[derive(Clone, Debug)]
pub struct PeerSpec {
    /// The party's name, e.g. "Bravo CERT".
    pub name: String,
    /// Its party id (default: from the name, e.g. `bravo-cert`).
    pub id: Option<String>,
    /// Its node's base URL.
    pub url: String,
    /// Its Ed25519 public key, 64 hex digits.
    pub key: String,
    pub stakeholder_type: StakeholderType,
    /// ISO 3166-1 alpha-2 jurisdiction.
    pub jurisdiction: Option<String>,
    /// Organisation scope (for TLP:AMBER+STRICT).
    pub organisation: Option<String>,
}

impl PeerSpec {
    /// The peer this describes, if it is one: every check a peer must pass.
    pub fn check(self) -> Result<Peer, NodeError> {
        if parse_public_key(&self.key).is_none() {
            return Err(NodeError::Setup(format!(
                "{:?} is not an Ed25519 public key (64 hex digits)",
                self.key
            )));
        }
        if let Some(j) = &self.jurisdiction {
            pacific_core::party::check_jurisdiction(j).map_err(NodeError::Setup)?;
        }
        let url = self.url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(NodeError::Setup(format!(
                "peer URL {url:?} must start with http:// or https://"
            )));
        }
        let party_id = self.id.unwrap_or_else(|| party_id_from_name(&self.name));
        if party_id.is_empty() || party_id.contains(char::is_whitespace) {
            return Err(NodeError::Setup(format!(
                "party id {party_id:?} must be non-empty and without spaces"
            )));
        }
        Ok(Peer {
            party_id: PartyId::new(party_id),
            name: self.name,
            stakeholder_type: self.stakeholder_type,
            jurisdiction: self.jurisdiction,
            organisation: self.organisation,
            url: url.trim_end_matches('/').to_owned(),
            public_key: self.key.trim().to_ascii_lowercase(),
            added: Timestamp::now(),
        })
    }
}

/// Adds the peer `spec` describes to the node of `dir` (checked first; logged `peer-added`
/// by `local`).
pub async fn add_peer(dir: &DataDir, spec: PeerSpec) -> Result<Peer, NodeError> {
    let peer = spec.check()?;
    if !dir.is_initialised() {
        return Err(dir.not_initialised());
    }
    let store = SqliteFederationStore::open(&dir.db_path()).await?;
    store.add_peer(&peer, pacific_store::LOCAL_ACTOR).await?;
    store.close().await;
    Ok(peer)
}

/// The peer a user means by `given`: its party id, its name (any case), or a prefix of exactly
/// one peer's id (`bravo` for `bravo-cert`). Else an error listing the peers' ids, so a user
/// never has to guess.
pub fn resolve_peer<'a>(peers: &'a [Peer], given: &str) -> Result<&'a Peer, NodeError> {
    let by_id = peers.iter().find(|p| p.party_id.as_str() == given);
    let by_name = || {
        peers
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(given.trim()))
    };
    if let Some(peer) = by_id.or_else(by_name) {
        return Ok(peer);
    }
    let prefixed: Vec<&Peer> = peers
        .iter()
        .filter(|p| !given.is_empty() && p.party_id.as_str().starts_with(given))
        .collect();
    if let [peer] = prefixed[..] {
        return Ok(peer);
    }
    let ids: Vec<&str> = peers.iter().map(|p| p.party_id.as_str()).collect();
    let known = if ids.is_empty() {
        "this node has no peers (`pacific peer add`)".to_owned()
    } else {
        format!("the peers are: {}", ids.join(", "))
    };
    let why = if prefixed.len() > 1 {
        "names more than one peer"
    } else {
        "is no peer's id or name"
    };
    Err(NodeError::Setup(format!("{given:?} {why}; {known}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bravo() -> PeerSpec {
        PeerSpec {
            name: "Bravo CERT".into(),
            id: None,
            url: "http://127.0.0.1:9002/".into(),
            key: hex::encode_upper(
                ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                    .verifying_key()
                    .to_bytes(),
            ),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XB".into()),
            organisation: None,
        }
    }

    #[test]
    fn a_good_spec_becomes_a_peer_with_its_id_url_and_key_normalised() {
        let peer = bravo().check().unwrap();
        assert_eq!(peer.party_id.as_str(), "bravo-cert");
        assert_eq!(peer.url, "http://127.0.0.1:9002");
        assert_eq!(peer.public_key, bravo().key.to_ascii_lowercase());
    }

    #[test]
    fn every_bad_field_is_refused_with_its_reason() {
        type Spoil = fn(&mut PeerSpec);
        let cases: [(Spoil, &str); 4] = [
            (|s| s.key = "xyz".into(), "Ed25519 public key"),
            (|s| s.url = "ftp://bravo".into(), "http:// or https://"),
            (|s| s.id = Some("bravo cert".into()), "without spaces"),
            (|s| s.jurisdiction = Some("bravo".into()), "bravo"),
        ];
        for (spoil, reason) in cases {
            let mut spec = bravo();
            spoil(&mut spec);
            let err = spec.check().unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }

    fn peer(id: &str, name: &str) -> Peer {
        Peer {
            party_id: PartyId::new(id),
            name: name.to_owned(),
            stakeholder_type: StakeholderType::State,
            jurisdiction: Some("XB".to_owned()),
            organisation: None,
            url: "http://127.0.0.1:1".to_owned(),
            public_key: "00".repeat(32),
            added: Timestamp::now(),
        }
    }

    #[test]
    fn a_peer_is_found_by_id_name_or_unique_prefix_else_the_ids_are_listed() {
        let peers = [
            peer("bravo-cert", "Bravo CERT"),
            peer("bravo-police", "Bravo Police"),
            peer("charlie-hosting", "Charlie Hosting"),
        ];
        let id = |given| resolve_peer(&peers, given).map(|p| p.party_id.as_str().to_owned());
        assert_eq!(id("bravo-cert").unwrap(), "bravo-cert");
        assert_eq!(id("bravo police").unwrap(), "bravo-police");
        assert_eq!(id("charlie").unwrap(), "charlie-hosting");
        let e = id("bravo").unwrap_err().to_string();
        assert!(e.contains("\"bravo\" names more than one peer"), "{e}");
        assert!(
            e.contains("bravo-cert, bravo-police, charlie-hosting"),
            "{e}"
        );
        let e = id("zulu").unwrap_err().to_string();
        assert!(
            e.contains("\"zulu\" is no peer's id or name; the peers are:"),
            "{e}"
        );
        let e = resolve_peer(&[], "").unwrap_err().to_string();
        assert!(e.contains("this node has no peers"), "{e}");
    }
}
