//! Peers' signed TAXII requests:
//! `Authorization: Pacific-Peer <sender party id> <unix seconds> <base64 Ed25519 signature>`.
//!
//! The signature covers `"pacific-peer-request/v1\n" + sender + "\n" + recipient party id +
//! "\n" + METHOD + "\n" + path + "\n" + query (without `?`, empty if none) + "\n" + seconds`,
//! so a request is bound to the node it was made for, its exact target and a time within the
//! configured window (±5 minutes by default).

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

pub const SCHEME: &str = "Pacific-Peer";

fn message(
    sender: &str,
    recipient: &str,
    method: &str,
    path: &str,
    query: &str,
    unix: i64,
) -> Vec<u8> {
    format!("pacific-peer-request/v1\n{sender}\n{recipient}\n{method}\n{path}\n{query}\n{unix}")
        .into_bytes()
}

/// The `Authorization` value for a request.
pub fn authorization(
    key: &SigningKey,
    sender: &str,
    recipient: &str,
    method: &str,
    path: &str,
    query: &str,
    unix: i64,
) -> String {
    let sig = key.sign(&message(sender, recipient, method, path, query, unix));
    format!(
        "{SCHEME} {sender} {unix} {}",
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    )
}

/// A parsed `Pacific-Peer` header, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerClaim {
    pub sender: String,
    pub unix: i64,
    signature: [u8; 64],
}

/// Whether a header value uses the peer scheme.
pub fn is_peer_scheme(header: &str) -> bool {
    header
        .trim_start()
        .split_once(' ')
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case(SCHEME))
}

pub fn parse(header: &str) -> Option<PeerClaim> {
    let mut parts = header.split_ascii_whitespace();
    let scheme = parts.next()?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let sender = parts.next()?.to_owned();
    let unix = parts.next()?.parse().ok()?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(parts.next()?)
        .ok()?
        .try_into()
        .ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(PeerClaim {
        sender,
        unix,
        signature,
    })
}

impl PeerClaim {
    pub fn verify(
        &self,
        key: &VerifyingKey,
        recipient: &str,
        method: &str,
        path: &str,
        query: &str,
    ) -> bool {
        let msg = message(&self.sender, recipient, method, path, query, self.unix);
        key.verify(&msg, &Signature::from_bytes(&self.signature))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let h = authorization(&key, "bravo", "alpha", "GET", "/taxii2/", "a=1", 1000);
        assert!(is_peer_scheme(&h));
        let claim = parse(&h).unwrap();
        assert_eq!((claim.sender.as_str(), claim.unix), ("bravo", 1000));
        let pk = key.verifying_key();
        assert!(claim.verify(&pk, "alpha", "GET", "/taxii2/", "a=1"));
        assert!(!claim.verify(&pk, "charlie", "GET", "/taxii2/", "a=1"));
        assert!(!claim.verify(&pk, "alpha", "POST", "/taxii2/", "a=1"));
        assert!(!claim.verify(&pk, "alpha", "GET", "/taxii2/x", "a=1"));
        assert!(!claim.verify(&pk, "alpha", "GET", "/taxii2/", "a=2"));
        for bad in [
            "",
            "Pacific-Peer",
            "Pacific-Peer a 1",
            "Pacific-Peer a x c2ln",
            "Bearer x",
            &format!("{h} extra"),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_header_is_parsed_or_refused(h in "\\PC{0,200}") {
            let _ = parse(&h);
            let _ = is_peer_scheme(&h);
        }
    }
}

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
            &claim.signature,
            pacific_core::Timestamp::now().unix_micros() / 1000,
        ) {
            self.count("rejected", peer.party_id.as_str(), "request-replayed");
            return Err(format!("replayed request ({stale:?})"));
        }
        Ok(peer.party_id)
    }
}
