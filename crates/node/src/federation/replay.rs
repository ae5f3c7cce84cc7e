//! Replay protection for peers' signed TAXII requests (`Pacific-Peer`).
//!
//! A signed request is valid for the clock-skew window around its time (±5 minutes by
//! default). Within that window a captured header could be sent again; so every verified
//! (peer, time, signature) is remembered until its time has left the window, and a repeat is
//! refused. Memory is bounded: entries leave as soon as they could no longer be accepted
//! anyway, and a peer with more than [`MAX_PER_PEER`] live entries is refused (fail closed)
//! until older ones expire.
//!
//! One exception, because the header's time has a resolution of one second and Ed25519
//! signatures are deterministic: a peer that makes the same request twice within one second
//! (a TAXII client fetching discovery before each operation) sends the very same header. A
//! repeat is therefore accepted for [`REPEAT_GRACE_MS`] after this node first accepted the
//! header, at most [`MAX_REPEATS`] times; after that, it is a replay. (A nonce in the header
//! would remove the exception; that is a protocol change for client and server together.)

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Live entries kept per peer.
pub const MAX_PER_PEER: usize = 100_000;
/// How long after its first acceptance the same header may be seen again.
pub const REPEAT_GRACE_MS: i64 = 2_000;
/// How many times it may be seen again within that grace.
pub const MAX_REPEATS: u32 = 16;

/// Why a request was not fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stale {
    /// This exact (time, signature) was accepted before, within the window.
    Replayed,
    /// The peer has too many live entries; refused until some expire.
    TooMany,
}

/// When a header was first accepted (ms since the epoch) and how often it was repeated.
#[derive(Clone, Copy, Debug)]
struct Seen {
    first_ms: i64,
    repeats: u32,
}

/// The signatures seen recently, per peer.
#[derive(Debug)]
pub struct ReplayGuard {
    window_secs: i64,
    max_per_peer: usize,
    seen: Mutex<HashMap<String, BTreeMap<(i64, [u8; 64]), Seen>>>,
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

    /// Records a verified request made at `unix` (seconds) with `signature`, seen at `now_ms`
    /// (milliseconds since the epoch); `Err` if it is a replay (or the peer is over its
    /// bound). Call it only after the signature and the time window were checked.
    pub fn check(
        &self,
        peer: &str,
        unix: i64,
        signature: &[u8; 64],
        now_ms: i64,
    ) -> Result<(), Stale> {
        let mut seen = self.seen.lock().expect("replay lock");
        let entries = seen.entry(peer.to_owned()).or_default();
        // A request at time t is accepted while |now - t| <= window: forget it after that.
        let oldest_live = now_ms.div_euclid(1000).saturating_sub(self.window_secs);
        while entries
            .first_key_value()
            .is_some_and(|((t, _), _)| *t < oldest_live)
        {
            entries.pop_first();
        }
        if let Some(entry) = entries.get_mut(&(unix, *signature)) {
            if now_ms.saturating_sub(entry.first_ms) <= REPEAT_GRACE_MS
                && entry.repeats < MAX_REPEATS
            {
                entry.repeats += 1;
                return Ok(());
            }
            return Err(Stale::Replayed);
        }
        if entries.len() >= self.max_per_peer {
            return Err(Stale::TooMany);
        }
        entries.insert(
            (unix, *signature),
            Seen {
                first_ms: now_ms,
                repeats: 0,
            },
        );
        Ok(())
    }

    /// Live entries for `peer` (tests, metrics).
    pub fn len(&self, peer: &str) -> usize {
        self.seen
            .lock()
            .expect("replay lock")
            .get(peer)
            .map_or(0, BTreeMap::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000; // ms per second

    #[test]
    fn a_repeat_within_the_window_is_refused_and_forgotten_after_it() {
        let g = ReplayGuard::new(300);
        let (a, b) = ([1u8; 64], [2u8; 64]);
        assert_eq!(g.check("bravo", 1000, &a, 1000 * S), Ok(()));
        assert_eq!(g.check("bravo", 1000, &a, 1200 * S), Err(Stale::Replayed));
        // Another peer, another signature or another time is a different request.
        assert_eq!(g.check("charlie", 1000, &a, 1000 * S), Ok(()));
        assert_eq!(g.check("bravo", 1000, &b, 1000 * S), Ok(()));
        assert_eq!(g.check("bravo", 1001, &a, 1001 * S), Ok(()));
        // Still refused at the window's edge; evicted once it could no longer be accepted.
        assert_eq!(g.check("bravo", 1000, &a, 1300 * S), Err(Stale::Replayed));
        g.check("bravo", 1302, &[3; 64], 1302 * S).unwrap();
        assert_eq!(g.len("bravo"), 1);
    }

    #[test]
    fn the_same_request_within_its_second_is_not_a_replay_but_only_briefly_and_a_few_times() {
        let g = ReplayGuard::new(300);
        let a = [1u8; 64];
        g.check("bravo", 1000, &a, 1000 * S + 900).unwrap();
        g.check("bravo", 1000, &a, 1000 * S + 950).unwrap();
        assert_eq!(
            g.check("bravo", 1000, &a, 1000 * S + 900 + REPEAT_GRACE_MS + 1),
            Err(Stale::Replayed)
        );
        let b = [2u8; 64];
        g.check("bravo", 1000, &b, 1000 * S).unwrap();
        for _ in 0..MAX_REPEATS {
            g.check("bravo", 1000, &b, 1000 * S + 10).unwrap();
        }
        assert_eq!(
            g.check("bravo", 1000, &b, 1000 * S + 20),
            Err(Stale::Replayed)
        );
    }

    #[test]
    fn the_memory_is_bounded_per_peer() {
        let g = ReplayGuard::with_capacity(300, 3);
        for i in 0..3u8 {
            g.check("bravo", 1000, &[i; 64], 1000 * S).unwrap();
        }
        assert_eq!(
            g.check("bravo", 1000, &[9; 64], 1000 * S),
            Err(Stale::TooMany)
        );
        assert_eq!(g.check("charlie", 1000, &[9; 64], 1000 * S), Ok(()));
        // Once the old ones leave the window there is room again.
        assert_eq!(g.check("bravo", 1400, &[9; 64], 1400 * S), Ok(()));
        assert_eq!(g.len("bravo"), 1);
    }
}
