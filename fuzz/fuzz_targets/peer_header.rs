//! The `Authorization: Pacific-Peer …` header of a peer's signed request, read by
//! `peer_header::parse` on every request that carries it (before the sender is known). An
//! accepted header must write back to the same words, and verify or not without panicking
//! (bravo's key: the golden header's signer).
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use pacific_node::wire::peer_header::{is_peer_scheme, parse};

fuzz_target!(|data: &[u8]| {
    let Some(header) = pacific_fuzz::text(data) else {
        return;
    };
    let _ = is_peer_scheme(header);
    let Some(claim) = parse(header) else {
        return;
    };
    let words: Vec<&str> = header.split_ascii_whitespace().collect();
    assert_eq!(words.len(), 5);
    assert_eq!(words[1], claim.sender);
    assert_eq!(words[2].parse::<i64>().ok(), Some(claim.unix));
    assert_eq!(words[3], claim.nonce);
    let signature = base64::engine::general_purpose::STANDARD.decode(words[4]);
    assert_eq!(signature.map(|s| s.len()).ok(), Some(64));
    let bravo = pacific_fuzz::public_key(0x80);
    let _ = claim.verify(bravo, "alpha", "GET", "/log/entries", "start=0&end=5");
});
