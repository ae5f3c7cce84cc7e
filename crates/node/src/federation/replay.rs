//! Replay protection for peers' signed TAXII requests (`Pacific-Peer`).
//!
//! A signed request is valid for the clock-skew window around its time (±5 minutes by
//! default). Within that window a captured header could be sent again; so every verified
//! (peer, time, nonce) is remembered until its time has left the window, and a repeat is
//! refused. Each header carries a fresh nonce (`peer_auth`), so an honest client never sends
//! the same header twice. Memory is bounded: entries leave as soon as they could no longer be
//! accepted anyway, and a peer with more than [`MAX_PER_PEER`] live entries is refused (fail
//! closed) until older ones expire.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Live entries kept per peer.
pub const MAX_PER_PEER: usize = 100_000;

/// Why a request was not fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// This exact (time, nonce) was accepted before, within the window.
    Replayed,
    /// The peer has too many live entries; refused until some expire.
    TooMany,
}

/// The requests seen recently, per peer, ordered by their time so that expired ones leave
/// from the front.
#[derive(Debug)]
pub struct ReplayGuard {
    window_secs: i64,
    max_per_peer: usize,
    seen: Mutex<HashMap<String, BTreeSet<(i64, String)>>>,
}

impl ReplayGuard {
    pub fn new(window_secs: i64) -> Self {
        Self::with_capacity(window_secs, MAX_PER_PEER)
    }

    pub fn with_capacity(window_secs: i64, max_per_peer: usize) -> Self {
        Self {
            window_secs,
            max_per_peer,
            seen: Mutex::default(),
        }
    }

    /// Records a verified request made at `unix` (seconds) with `nonce`, seen at `now_ms`
    /// (milliseconds since the epoch); `Err` if it is a replay (or the peer is over its
    /// bound). Call it only after the signature and the time window were checked.
    pub fn check(&self, peer: &str, unix: i64, nonce: &str, now_ms: i64) -> Result<(), Stale> {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entries = seen.entry(peer.to_owned()).or_default();
        // A request at time t is accepted while |now - t| <= window: forget it after that.
        let oldest_live = now_ms.div_euclid(1000).saturating_sub(self.window_secs);
        while entries.first().is_some_and(|(t, _)| *t < oldest_live) {
            entries.pop_first();
        }
        let key = (unix, nonce.to_owned());
        if entries.contains(&key) {
            return Err(Stale::Replayed);
        }
        if entries.len() >= self.max_per_peer {
            return Err(Stale::TooMany);
        }
        entries.insert(key);
        Ok(())
    }

    /// Live entries for `peer` (tests, metrics).
    pub fn len(&self, peer: &str) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(peer)
            .map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000; // ms per second

    #[test]
    fn a_repeat_within_the_window_is_refused_and_forgotten_after_it() {
        let g = ReplayGuard::new(300);
        assert_eq!(g.check("bravo", 1000, "a", 1000 * S), Ok(()));
        // At once, or later within the window: a replay.
        assert_eq!(
            g.check("bravo", 1000, "a", 1000 * S + 1),
            Err(Stale::Replayed)
        );
        assert_eq!(g.check("bravo", 1000, "a", 1200 * S), Err(Stale::Replayed));
        // Another peer, another nonce or another time is a different request.
        assert_eq!(g.check("charlie", 1000, "a", 1000 * S), Ok(()));
        assert_eq!(g.check("bravo", 1000, "b", 1000 * S), Ok(()));
        assert_eq!(g.check("bravo", 1001, "a", 1001 * S), Ok(()));
        // Still refused at the window's edge; evicted once it could no longer be accepted.
        assert_eq!(g.check("bravo", 1000, "a", 1300 * S), Err(Stale::Replayed));
        g.check("bravo", 1302, "c", 1302 * S).unwrap();
        assert_eq!(g.len("bravo"), 1);
    }

    #[test]
    fn the_memory_is_bounded_per_peer() {
        let g = ReplayGuard::with_capacity(300, 3);
        for nonce in ["a", "b", "c"] {
            g.check("bravo", 1000, nonce, 1000 * S).unwrap();
        }
        assert_eq!(g.check("bravo", 1000, "d", 1000 * S), Err(Stale::TooMany));
        assert_eq!(g.check("charlie", 1000, "d", 1000 * S), Ok(()));
        // Once the old ones leave the window there is room again.
        assert_eq!(g.check("bravo", 1400, "d", 1400 * S), Ok(()));
        assert_eq!(g.len("bravo"), 1);
    }
}
