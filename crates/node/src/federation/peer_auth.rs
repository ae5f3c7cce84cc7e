//! Authenticating peers' signed requests (the header's format is `crate::wire::peer_header`):
//! the sender must be a registered peer, the time within the window, the signature its
//! registered key's, and the nonce new (`replay`).

pub use crate::wire::peer_header::*;

impl super::Federation {
    /// Authenticates a peer's signed request; the error says why, for logs (the caller answers
    /// 401 alike for every reason).
    pub async fn authenticate_peer(
        &self,
        header: &str,
        method: &str,
        path: &str,
        query: &str,
    ) -> Result<pacific_core::policy::PartyId, String> {
        let claim = parse(header).ok_or("malformed Pacific-Peer header")?;
        let peer = self
            .store()
            .peer(&claim.sender)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("unknown peer {:?}", claim.sender))?;
        let key = super::parse_public_key(&peer.public_key)
            .ok_or("the peer's registered key is unusable")?;
        let now = pacific_core::Timestamp::now().unix().0;
        if (now - claim.unix).abs() > self.max_skew_secs {
            return Err(format!("request time {} is outside the window", claim.unix));
        }
        if !claim.verify(&key, self.local().id.as_str(), method, path, query) {
            return Err("bad signature".into());
        }
        if let Err(stale) = self.replay.check(
            peer.party_id.as_str(),
            claim.unix,
            &claim.nonce,
            pacific_core::Timestamp::now().unix_micros() / 1000,
        ) {
            self.count("rejected", peer.party_id.as_str(), "request-replayed");
            return Err(format!("replayed request ({stale:?})"));
        }
        Ok(peer.party_id)
    }
}
