//! The peer header: a peer's signed request to another node,
//! `Authorization: Pacific-Peer <sender party id> <unix seconds> <nonce> <base64 Ed25519 signature>`.
//!
//! The signature covers `"pacific-peer-request/v2\n" + sender + "\n" + recipient party id +
//! "\n" + METHOD + "\n" + path + "\n" + query (without `?`, empty if none) + "\n" + seconds +
//! "\n" + nonce`, so a request is bound to the node it was made for, its exact target and a
//! time within the configured window (±5 minutes by default). The nonce (32 lower-case hex
//! digits, fresh for every request) makes every header unique, so the receiver refuses any
//! header it has seen before (`replay`).

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

pub const SCHEME: &str = "Pacific-Peer";

/// Hex digits of a nonce (128 bits).
const NONCE_HEX: usize = 32;

#[allow(clippy::too_many_arguments)]
fn message(
    sender: &str,
    recipient: &str,
    method: &str,
    path: &str,
    query: &str,
    unix: i64,
    nonce: &str,
) -> Vec<u8> {
    format!(
        "pacific-peer-request/v2\n{sender}\n{recipient}\n{method}\n{path}\n{query}\n{unix}\n{nonce}"
    )
    .into_bytes()
}

/// The `Authorization` value for a request, with a fresh random nonce.
pub fn authorization(
    key: &SigningKey,
    sender: &str,
    recipient: &str,
    method: &str,
    path: &str,
    query: &str,
    unix: i64,
) -> String {
    let nonce = hex::encode(crate::random_bytes::<16>());
    authorization_with_nonce(key, sender, recipient, method, path, query, unix, &nonce)
}

/// [`authorization`] with a given nonce (tests; a real request needs a fresh one).
#[allow(clippy::too_many_arguments)]
pub fn authorization_with_nonce(
    key: &SigningKey,
    sender: &str,
    recipient: &str,
    method: &str,
    path: &str,
    query: &str,
    unix: i64,
    nonce: &str,
) -> String {
    let sig = key.sign(&message(
        sender, recipient, method, path, query, unix, nonce,
    ));
    format!(
        "{SCHEME} {sender} {unix} {nonce} {}",
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    )
}

/// A parsed `Pacific-Peer` header, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerClaim {
    pub sender: String,
    pub unix: i64,
    pub nonce: String,
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
    let nonce = parts.next()?;
    if nonce.len() != NONCE_HEX
        || !nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let nonce = nonce.to_owned();
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
        nonce,
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
        let msg = message(
            &self.sender,
            recipient,
            method,
            path,
            query,
            self.unix,
            &self.nonce,
        );
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
        assert_eq!(claim.nonce.len(), 32);
        // Every header is unique: the same request twice carries two nonces.
        assert_ne!(
            h,
            authorization(&key, "bravo", "alpha", "GET", "/taxii2/", "a=1", 1000)
        );
        // The nonce is signed: another one under the same signature does not verify.
        let other = format!(
            "{} {:032x} {}",
            h.rsplitn(3, ' ').nth(2).unwrap(),
            7,
            h.rsplit(' ').next().unwrap()
        );
        assert!(!parse(&other).unwrap().verify(
            &key.verifying_key(),
            "alpha",
            "GET",
            "/taxii2/",
            "a=1"
        ));
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
            // Before v2: no nonce.
            "Pacific-Peer a 1 c2ln",
            // A nonce that is not 32 lower-case hex digits.
            "Pacific-Peer a 1 0123456789ABCDEF0123456789abcdef c2ln",
            "Pacific-Peer a 1 0123 c2ln",
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
