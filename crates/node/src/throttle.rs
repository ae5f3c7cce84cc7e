//! Failed sign-in throttling: how many times a key (a user name, a client address) may fail
//! before its attempts are refused for a while, and for how long.
//!
//! **Why.** Checking an API token costs an argon2 verification, tens of milliseconds of CPU. A
//! login form without a limit lets anyone try tokens as fast as argon2 allows and spend the
//! node's CPU doing it. [`LoginThrottle`] counts consecutive failures per key; once a key has
//! failed [`Policy::allowed_failures`] times, it is locked out for [`Policy::first_lockout`],
//! and each further failure (after the lock-out ended) doubles that, up to
//! [`Policy::max_lockout`]. While a key is locked out its attempts are refused without checking
//! the token, so they cost nothing. A success clears the key.
//!
//! **Who is locked out.** A lock-out must slow the attacker without locking out the legitimate
//! holder of a valid token. User names are public (the transparency log names users) and token
//! ids are not secret, so failures never lock a user name or a token id as such: they count per
//! *(client address, user name or token id)* pair, and per client address. A guesser locks
//! itself out; the holder, from its own address, is not touched. The one cost left to others is
//! the [`Argon2Budget`]: a small global rate of argon2 verifications for addresses that have not
//! signed in successfully lately, so a guesser spread over many addresses cannot spend the
//! node's CPU either; addresses with a recent success are not limited by it.
//!
//! **Forgetting.** A key that stays quiet for [`Policy::quiet_window`] after its last failure's
//! lock-out ended (or after its last failure, when it is not locked) starts from zero again.
//!
//! **Bounded memory.** At most [`Policy::max_keys`] keys are held. A new key beyond that first
//! drops the forgotten ones, then the one that would be forgotten soonest (few failures, long
//! ago), so an attacker cycling keys cannot grow the table, and pushes out the records that
//! matter least before those of locked-out keys.
//!
//! The logic is pure: time is passed in (`now`), so the tests need no sleeps. Two callers:
//!
//! - The dashboard (`dashboard::login`) holds one throttle for (address, user name) pairs
//!   ([`USER_POLICY`]: 5 failures) and one for client addresses ([`ADDRESS_POLICY`]: 20), sized
//!   for people typing.
//! - The token-authenticated APIs (TAXII, `/coop`, `/match`, `/log`, `/metrics`: every route
//!   taking a user [`Principal`](crate::principal::Principal)) go through [`ApiThrottle`], held by
//!   [`Authenticator`](crate::auth::Authenticator), which counts failures per (address, token
//!   id) pair ([`API_TOKEN_POLICY`]: 10) and per client address ([`API_ADDRESS_POLICY`]: 100),
//!   sized for machine clients: a feed consumer with a wrong token is stopped after 10 tries,
//!   while one address (a NAT, or the reverse proxy every client shares) may see many users'
//!   mistakes before it is stopped. Only a token whose id names a user, presented under that
//!   user's name, costs argon2 work, so only such a failure counts on its pair; every failure
//!   counts on the address. The lock-out times are the dashboard's (1 s doubling to 15 min).
//!   The [`Argon2Budget`] is the authenticator's, shared by both callers.
//!
//! Client addresses are keyed by [`address_key`]: an IPv6 client by its /64.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Failures a user name may have before it is locked out: the 6th attempt after 5 failures
/// is refused.
pub const USER_ALLOWED_FAILURES: u32 = 5;
/// Failures a client address may have before it is locked out. Higher than a user's: one
/// address can be an office behind one NAT, where one colleague's typos should not lock out
/// everyone; it catches one client trying many user names.
pub const ADDRESS_ALLOWED_FAILURES: u32 = 20;
/// The first lock-out; it doubles with each further failure.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(1);
/// The longest lock-out.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// A key quiet this long after its lock-out ended (or its last failure) starts from zero.
pub const QUIET_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys held at most per table.
pub const MAX_KEYS: usize = 10_000;

/// The dashboard's throttle of user names.
pub const USER_POLICY: Policy = Policy {
    allowed_failures: USER_ALLOWED_FAILURES,
    first_lockout: FIRST_LOCKOUT,
    max_lockout: MAX_LOCKOUT,
    quiet_window: QUIET_WINDOW,
    max_keys: MAX_KEYS,
};

/// The dashboard's throttle of client addresses.
pub const ADDRESS_POLICY: Policy = Policy {
    allowed_failures: ADDRESS_ALLOWED_FAILURES,
    ..USER_POLICY
};

/// Failures a token id may have on the API before it is locked out: the 11th attempt after 10
/// failures is refused. More than a person's, since a client may retry a few times before
/// its operator notices the wrong token.
pub const API_TOKEN_ALLOWED_FAILURES: u32 = 10;
/// Failures a client address may have on the API before it is locked out. Much more than the
/// dashboard's: machine clients behind one NAT or proxy share an address, and a success from it
/// clears the count; it catches one client trying many tokens.
pub const API_ADDRESS_ALLOWED_FAILURES: u32 = 100;

/// The API's throttle of token ids.
pub const API_TOKEN_POLICY: Policy = Policy {
    allowed_failures: API_TOKEN_ALLOWED_FAILURES,
    ..USER_POLICY
};

/// The API's throttle of client addresses.
pub const API_ADDRESS_POLICY: Policy = Policy {
    allowed_failures: API_ADDRESS_ALLOWED_FAILURES,
    ..USER_POLICY
};

/// Token ids are 12 hex digits and user names at most 64 bytes (`auth::add_user`); a longer
/// one is counted by its first bytes, so an attacker's long names take no more memory.
const MAX_NAME_KEY: usize = 64;

/// The throttle's key of a client address: an IPv4 address (also when IPv4-mapped), or an
/// IPv6 address's /64, which one client usually holds whole.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A user name or token id as a throttle key: at most its first [`MAX_NAME_KEY`] bytes.
pub fn name_key(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME_KEY);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// The throttle's key of a client (already keyed address) trying a user name or token id.
pub fn pair_key(address: Option<IpAddr>, name: &str) -> PairKey {
    (address, name_key(name))
}

/// A throttle key of a client and what it tried: the (already keyed) address, if known, and a
/// user name or token id. Counting failures per pair rather than per name or id keeps one
/// client's guesses from locking out another client presenting the right token.
pub type PairKey = (Option<IpAddr>, String);

/// Failed API authentications per client address and per (address, token id) pair (see the
/// module doc).
///
/// An attempt is counted as failed from the moment it is let through until it succeeds, so
/// parallel attempts cannot slip past the limit: [`begin`](Self::begin) counts the address
/// before the store is asked, [`begin_secret`](Self::begin_secret) the pair before argon2
/// runs, and [`succeeded`](Self::succeeded) clears both. Addresses are passed already keyed
/// ([`address_key`]).
#[derive(Debug)]
pub struct ApiThrottle {
    tokens: LoginThrottle<PairKey>,
    addresses: LoginThrottle<IpAddr>,
    argon2: Argon2Budget,
}

impl Default for ApiThrottle {
    fn default() -> Self {
        Self::new(API_TOKEN_POLICY, API_ADDRESS_POLICY)
    }
}

impl ApiThrottle {
    pub fn new(tokens: Policy, addresses: Policy) -> Self {
        Self {
            tokens: LoginThrottle::new(tokens),
            addresses: LoginThrottle::new(addresses),
            argon2: Argon2Budget::default(),
        }
    }

    /// Takes one argon2 verification from the node-wide [`Argon2Budget`].
    pub fn spend_argon2(
        &mut self,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), RetryAfter> {
        self.argon2.spend(address, now)
    }

    /// A client from `address` authenticated (API or dashboard): exempt from the budget.
    pub fn known_address(&mut self, address: IpAddr, now: Instant) {
        self.argon2.succeeded(address, now);
    }

    /// Whether an attempt from `address` on `token_id` may try now, without counting it; if
    /// not, the longer wait of the two.
    pub fn check(
        &self,
        address: Option<IpAddr>,
        token_id: Option<&str>,
        now: Instant,
    ) -> Result<(), RetryAfter> {
        let waits = [
            address.and_then(|a| self.addresses.check(&a, now).err()),
            token_id.and_then(|t| self.tokens.check(&pair_key(address, t), now).err()),
        ];
        match waits.into_iter().flatten().max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Lets an attempt through and counts it as failed on its address, or refuses it (the
    /// longer wait of its address and its token id) without counting it. `Ok(Some(_))`: the
    /// lock-out this attempt starts if it fails.
    pub fn begin(
        &mut self,
        address: Option<IpAddr>,
        token_id: Option<&str>,
        now: Instant,
    ) -> Result<Option<RetryAfter>, RetryAfter> {
        self.check(address, token_id, now)?;
        Ok(address.and_then(|a| locked_by(self.addresses.failed(a, now))))
    }

    /// Before the secret of `token_id` sent from `address` is checked: counts the pair as
    /// failed, or refuses it while it is locked out (a parallel attempt may have locked it
    /// since [`begin`](Self::begin)).
    pub fn begin_secret(
        &mut self,
        address: Option<IpAddr>,
        token_id: &str,
        now: Instant,
    ) -> Result<Option<RetryAfter>, RetryAfter> {
        let key = pair_key(address, token_id);
        self.tokens.check(&key, now)?;
        Ok(locked_by(self.tokens.failed(key, now)))
    }

    /// A success from `address` with `token_id`: both start from zero.
    pub fn succeeded(&mut self, address: Option<IpAddr>, token_id: Option<&str>) {
        if let Some(a) = address {
            self.addresses.succeeded(&a);
        }
        if let Some(t) = token_id {
            self.tokens.succeeded(&pair_key(address, t));
        }
    }

    /// Keys held ((address, token id) pairs, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.tokens.len(), self.addresses.len())
    }
}

/// Argon2 verifications per second allowed, all together, to clients whose address has no
/// recent success.
pub const UNKNOWN_ARGON2_PER_SECOND: u32 = 2;
/// How many of them may come at once (the budget's burst).
pub const UNKNOWN_ARGON2_BURST: u32 = 20;
/// How long an address that signed in successfully is exempt from the budget.
pub const KNOWN_ADDRESS_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// A small global rate of argon2 verifications for clients from addresses that have not signed
/// in successfully lately (at most about a tenth of one core's time at the defaults: an argon2
/// check takes tens of milliseconds)
/// in successfully lately (a token bucket of [`UNKNOWN_ARGON2_BURST`] refilled at
/// [`UNKNOWN_ARGON2_PER_SECOND`]). Per-address lock-outs stop one address; this stops a guesser
/// spread over many addresses from spending the node's CPU on argon2, while addresses with a
/// recent success (the node's own users and machines) are never limited by it. A refused client
/// waits about one refill and is not counted as failed.
#[derive(Debug)]
pub struct Argon2Budget {
    per_second: u32,
    burst: u32,
    /// Verifications left, in thousandths (refilled continuously).
    milli_left: u64,
    refilled_at: Option<Instant>,
    /// Addresses with a success, and when; at most [`MAX_KEYS`], the stalest dropped first.
    known: HashMap<IpAddr, Instant>,
}

impl Default for Argon2Budget {
    fn default() -> Self {
        Self::new(UNKNOWN_ARGON2_PER_SECOND, UNKNOWN_ARGON2_BURST)
    }
}

impl Argon2Budget {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second,
            burst,
            milli_left: u64::from(burst) * 1000,
            refilled_at: None,
            known: HashMap::new(),
        }
    }

    /// Takes one verification for a client from `address` (already keyed; `None` when the
    /// server does not know it, counted as unknown), or says how long to wait for one.
    pub fn spend(&mut self, address: Option<IpAddr>, now: Instant) -> Result<(), RetryAfter> {
        if address.is_some_and(|a| self.is_known(a, now)) {
            return Ok(());
        }
        let cap = u64::from(self.burst) * 1000;
        if let Some(at) = self.refilled_at {
            let elapsed_ms =
                u64::try_from(now.saturating_duration_since(at).as_millis()).unwrap_or(u64::MAX);
            let gained = elapsed_ms.saturating_mul(u64::from(self.per_second));
            self.milli_left = self.milli_left.saturating_add(gained).min(cap);
        }
        self.refilled_at = Some(now);
        if self.milli_left >= 1000 {
            self.milli_left -= 1000;
            return Ok(());
        }
        let missing_ms = (1000 - self.milli_left).div_ceil(u64::from(self.per_second.max(1)));
        Err(RetryAfter(Duration::from_millis(missing_ms)))
    }

    /// A client from `address` signed in: exempt from the budget for [`KNOWN_ADDRESS_FOR`].
    pub fn succeeded(&mut self, address: IpAddr, now: Instant) {
        if !self.known.contains_key(&address) && self.known.len() >= MAX_KEYS {
            self.known
                .retain(|_, at| now.saturating_duration_since(*at) < KNOWN_ADDRESS_FOR);
            if self.known.len() >= MAX_KEYS
                && let Some(stalest) = self
                    .known
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(a, _)| *a)
            {
                self.known.remove(&stalest);
            }
        }
        self.known.insert(address, now);
    }

    fn is_known(&self, address: IpAddr, now: Instant) -> bool {
        self.known
            .get(&address)
            .is_some_and(|at| now.saturating_duration_since(*at) < KNOWN_ADDRESS_FOR)
    }

    /// Addresses held as known.
    pub fn known_len(&self) -> usize {
        self.known.len()
    }
}

/// The lock-out a failure started, if any.
fn locked_by(outcome: AfterFailure) -> Option<RetryAfter> {
    match outcome {
        AfterFailure::LockedOut { retry, .. } => Some(retry),
        AfterFailure::Counted { .. } => None,
    }
}

/// The numbers of one throttle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Consecutive failures allowed; the failure after which the key is locked out is this one.
    pub allowed_failures: u32,
    /// The lock-out after the `allowed_failures`-th failure.
    pub first_lockout: Duration,
    /// The cap of the doubling lock-out.
    pub max_lockout: Duration,
    /// How long a key must stay quiet, after its lock-out, to be forgotten.
    pub quiet_window: Duration,
    /// Keys held at most.
    pub max_keys: usize,
}

impl Policy {
    /// The lock-out after `failures` consecutive failures: none below `allowed_failures`,
    /// then `first_lockout` doubled per failure beyond, at most `max_lockout`.
    pub fn lockout(&self, failures: u32) -> Duration {
        if failures < self.allowed_failures.max(1) {
            return Duration::ZERO;
        }
        let doublings = (failures - self.allowed_failures.max(1)).min(31);
        self.first_lockout
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_lockout)
            .min(self.max_lockout)
    }
}

/// How long until a locked-out key may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, at least 1 (for `Retry-After` and the message).
    pub fn seconds(self) -> u64 {
        let whole = self.0.as_secs();
        let secs = if self.0.subsec_nanos() > 0 {
            whole.saturating_add(1)
        } else {
            whole
        };
        secs.max(1)
    }
}

/// What a failure did to its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Counted; the key may still try.
    Counted { failures: u32 },
    /// This failure locked the key out.
    LockedOut { failures: u32, retry: RetryAfter },
}

/// Where a key stands at some time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    /// Quiet long enough: as if it had never failed.
    Forgotten,
    /// Failed fewer times than allowed, or its lock-out has ended.
    MayTry,
    /// Refused until the lock-out ends.
    LockedOut(RetryAfter),
}

/// One key's consecutive failures.
#[derive(Clone, Copy, Debug)]
struct Record {
    failures: u32,
    last_failure: Instant,
}

impl Record {
    /// When the lock-out of the last failure ends (the last failure itself when not locked).
    fn lock_end(&self, policy: &Policy) -> Instant {
        let lockout = policy.lockout(self.failures);
        self.last_failure
            .checked_add(lockout)
            .unwrap_or(self.last_failure)
    }

    /// When the key is forgotten.
    fn forget_at(&self, policy: &Policy) -> Instant {
        let end = self.lock_end(policy);
        end.checked_add(policy.quiet_window).unwrap_or(end)
    }

    fn standing(&self, policy: &Policy, now: Instant) -> Standing {
        if now >= self.forget_at(policy) {
            return Standing::Forgotten;
        }
        let end = self.lock_end(policy);
        if now < end {
            Standing::LockedOut(RetryAfter(end.saturating_duration_since(now)))
        } else {
            Standing::MayTry
        }
    }
}

/// Consecutive failed sign-ins per key, with doubling lock-outs. See the module doc.
#[derive(Debug)]
pub struct LoginThrottle<K> {
    policy: Policy,
    records: HashMap<K, Record>,
}

impl<K: Eq + Hash + Clone> LoginThrottle<K> {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            records: HashMap::new(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether `key` may try now; if not, how long until it may.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        match self.records.get(key).map(|r| r.standing(&self.policy, now)) {
            Some(Standing::LockedOut(retry)) => Err(retry),
            Some(Standing::MayTry | Standing::Forgotten) | None => Ok(()),
        }
    }

    /// Counts a failure of `key` at `now`. Call it only for attempts [`check`](Self::check)
    /// let through: refused attempts are not failures and do not lengthen the lock-out.
    pub fn failed(&mut self, key: K, now: Instant) -> AfterFailure {
        let policy = self.policy;
        let previous = match self.records.get(&key) {
            Some(r) if r.standing(&policy, now) != Standing::Forgotten => r.failures,
            _ => 0,
        };
        if !self.records.contains_key(&key) {
            self.make_room(now);
        }
        let record = Record {
            failures: previous.saturating_add(1),
            last_failure: now,
        };
        self.records.insert(key, record);
        match record.standing(&policy, now) {
            Standing::LockedOut(retry) => AfterFailure::LockedOut {
                failures: record.failures,
                retry,
            },
            Standing::MayTry | Standing::Forgotten => AfterFailure::Counted {
                failures: record.failures,
            },
        }
    }

    /// A success: `key` starts from zero.
    pub fn succeeded(&mut self, key: &K) {
        self.records.remove(key);
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Makes room for one more key: drops the forgotten keys, then, while still full, the key
    /// that would be forgotten soonest.
    fn make_room(&mut self, now: Instant) {
        let policy = self.policy;
        if self.records.len() < policy.max_keys {
            return;
        }
        self.records
            .retain(|_, r| r.standing(&policy, now) != Standing::Forgotten);
        while !self.records.is_empty() && self.records.len() >= policy.max_keys {
            let soonest = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.forget_at(&policy))
                .map(|(k, _)| k.clone());
            match soonest {
                Some(k) => self.records.remove(&k),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// Fails `key` `n` times at `at`.
    fn fail_n(t: &mut LoginThrottle<&'static str>, key: &'static str, n: u32, at: Instant) {
        for _ in 0..n {
            t.failed(key, at);
        }
    }

    #[test]
    fn allowed_failures_pass_and_the_next_one_locks() {
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(USER_POLICY);
        for i in 1..USER_ALLOWED_FAILURES {
            assert_eq!(t.failed("ana", t0), AfterFailure::Counted { failures: i });
            assert_eq!(t.check(&"ana", t0), Ok(()), "after {i} failures");
        }
        assert_eq!(
            t.failed("ana", t0),
            AfterFailure::LockedOut {
                failures: USER_ALLOWED_FAILURES,
                retry: RetryAfter(FIRST_LOCKOUT)
            }
        );
        assert_eq!(t.check(&"ana", t0), Err(RetryAfter(secs(1))));
        let half = t0 + Duration::from_millis(400);
        assert_eq!(
            t.check(&"ana", half),
            Err(RetryAfter(Duration::from_millis(600)))
        );
        assert_eq!(t.check(&"ana", half).unwrap_err().seconds(), 1);
        // Another key is not affected; the lock-out ends on time.
        assert_eq!(t.check(&"bob", t0), Ok(()));
        assert_eq!(t.check(&"ana", t0 + secs(1)), Ok(()));
    }

    #[test]
    fn each_further_failure_doubles_the_lockout_up_to_the_cap() {
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(USER_POLICY);
        fail_n(&mut t, "ana", USER_ALLOWED_FAILURES, t0);
        let mut at = t0;
        let mut expected = secs(1);
        let mut seen = Vec::new();
        for _ in 0..14 {
            assert_eq!(t.check(&"ana", at), Err(RetryAfter(expected)));
            // Tried again as soon as the lock-out ended, and failed.
            at += expected;
            assert_eq!(t.check(&"ana", at), Ok(()));
            let AfterFailure::LockedOut { retry, .. } = t.failed("ana", at) else {
                panic!("a failure past the allowed ones must lock out");
            };
            seen.push(retry.seconds());
            expected = retry.0;
        }
        assert_eq!(
            seen,
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
        );
        assert_eq!(USER_POLICY.lockout(u32::MAX), MAX_LOCKOUT);
    }

    #[test]
    fn a_success_clears_the_key() {
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(USER_POLICY);
        fail_n(&mut t, "ana", USER_ALLOWED_FAILURES - 1, t0);
        t.succeeded(&"ana");
        assert!(t.is_empty());
        // Four more failures are allowed again; the fifth locks.
        fail_n(&mut t, "ana", USER_ALLOWED_FAILURES - 1, t0);
        assert_eq!(t.check(&"ana", t0), Ok(()));
        assert!(matches!(
            t.failed("ana", t0),
            AfterFailure::LockedOut { .. }
        ));
        // Success also clears a locked-out key (the caller decides whether to check first).
        t.succeeded(&"ana");
        assert_eq!(t.check(&"ana", t0), Ok(()));
    }

    #[test]
    fn a_quiet_key_is_forgotten() {
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(USER_POLICY);
        fail_n(&mut t, "ana", USER_ALLOWED_FAILURES - 1, t0);
        // Still counted just before the window ends.
        let almost = t0 + QUIET_WINDOW - secs(1);
        assert_eq!(
            t.failed("ana", almost),
            AfterFailure::LockedOut {
                failures: USER_ALLOWED_FAILURES,
                retry: RetryAfter(secs(1))
            }
        );
        // Quiet for the window after its lock-out ended: from zero again.
        let later = almost + secs(1) + QUIET_WINDOW;
        assert_eq!(
            t.failed("ana", later),
            AfterFailure::Counted { failures: 1 }
        );
    }

    #[test]
    fn the_table_is_bounded_and_keeps_locked_keys_longest() {
        let policy = Policy {
            max_keys: 8,
            allowed_failures: 2,
            ..USER_POLICY
        };
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(policy);
        // A locked-out key, then many one-failure keys, as from an attacker cycling names.
        t.failed(u32::MAX, t0);
        t.failed(u32::MAX, t0);
        assert!(t.check(&u32::MAX, t0).is_err());
        for i in 0..1000u32 {
            let at = t0 + Duration::from_millis(u64::from(i));
            t.failed(i, at);
            assert!(t.len() <= 8, "{} keys", t.len());
        }
        assert_eq!(t.len(), 8);
        // The locked key (forgotten last) is still there; the oldest one-failure keys are not.
        assert!(t.check(&u32::MAX, t0).is_err());
        assert!(t.records.contains_key(&999));
        assert!(!t.records.contains_key(&0));
        // Forgotten keys are dropped first when room is needed.
        let much_later = t0 + MAX_LOCKOUT + QUIET_WINDOW + secs(60);
        t.failed(5000, much_later);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::ZERO).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(secs(2)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::from_millis(2001)).seconds(), 3);
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(address_key(s.parse().unwrap()))
    }

    #[test]
    fn address_keys_group_an_ipv6_client_by_its_64() {
        let key = |s: &str| ip(s).unwrap().to_string();
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::");
        assert_eq!(name_key(&"é".repeat(100)).len(), 64);
    }

    #[test]
    fn api_token_ids_lock_per_address_after_their_allowed_failures_and_a_success_clears_them() {
        let t0 = Instant::now();
        let mut t = ApiThrottle::default();
        let a = ip("127.0.0.1");
        for i in 1..=API_TOKEN_ALLOWED_FAILURES {
            let address_lock = t.begin(a, Some("abc"), t0).unwrap();
            assert_eq!(address_lock, None);
            let token_lock = t.begin_secret(a, "abc", t0).unwrap();
            assert_eq!(
                token_lock.is_some(),
                i == API_TOKEN_ALLOWED_FAILURES,
                "failure {i}"
            );
        }
        // Refused from that address before the store or argon2; other ids may try from it.
        assert_eq!(t.begin(a, Some("abc"), t0), Err(RetryAfter(FIRST_LOCKOUT)));
        assert_eq!(t.begin_secret(a, "abc", t0), Err(RetryAfter(FIRST_LOCKOUT)));
        assert_eq!(t.check(a, Some("other"), t0), Ok(()));
        assert_eq!(t.check(a, None, t0), Ok(()));
        // The same id from another address is not locked: the guesser locked only itself.
        let b = ip("192.0.2.1");
        assert_eq!(t.check(b, Some("abc"), t0), Ok(()));
        assert_eq!(t.begin_secret(b, "abc", t0).unwrap(), None);
        // The lock-out ends on time; a success clears the pair and the address.
        assert_eq!(t.check(a, Some("abc"), t0 + FIRST_LOCKOUT), Ok(()));
        t.succeeded(a, Some("abc"));
        assert_eq!(t.len(), (1, 0), "only the other address's pair is left");
    }

    #[test]
    fn api_addresses_lock_after_their_allowed_failures_whatever_the_token() {
        let t0 = Instant::now();
        let mut t = ApiThrottle::default();
        let a = ip("2001:db8::1");
        for i in 1..=API_ADDRESS_ALLOWED_FAILURES {
            let id = format!("id{i}");
            let lock = t.begin(a, Some(&id), t0).unwrap();
            assert_eq!(lock.is_some(), i == API_ADDRESS_ALLOWED_FAILURES, "{i}");
        }
        // The whole /64 waits, with or without a token id; other addresses do not.
        let neighbour = ip("2001:db8::ffff");
        assert_eq!(t.begin(neighbour, None, t0), Err(RetryAfter(FIRST_LOCKOUT)));
        assert_eq!(
            t.begin(neighbour, Some("new"), t0),
            Err(RetryAfter(FIRST_LOCKOUT))
        );
        assert_eq!(t.check(ip("2001:db8:0:1::1"), None, t0), Ok(()));
        // The longer of two waits is given: a pair locked for 2 s from t0 + 1 s.
        let b = ip("192.0.2.9");
        for _ in 0..API_TOKEN_ALLOWED_FAILURES {
            t.begin_secret(b, "slow", t0).unwrap();
        }
        assert_eq!(
            t.begin_secret(b, "slow", t0),
            Err(RetryAfter(FIRST_LOCKOUT))
        );
        assert!(t.begin_secret(b, "slow", t0 + secs(1)).unwrap().is_some());
        // Its address locked for 1 s from t0 + 1.2 s.
        let at = t0 + Duration::from_millis(1200);
        for _ in 0..API_ADDRESS_ALLOWED_FAILURES {
            t.begin(b, None, at).unwrap();
        }
        let later = t0 + Duration::from_millis(1500);
        assert_eq!(
            t.check(b, None, later),
            Err(RetryAfter(Duration::from_millis(700)))
        );
        assert_eq!(
            t.check(b, Some("slow"), later),
            Err(RetryAfter(Duration::from_millis(1500)))
        );
        // A success from the address clears it.
        t.succeeded(a, None);
        assert_eq!(t.check(a, None, t0), Ok(()));
    }

    #[test]
    fn the_argon2_budget_limits_unknown_addresses_only() {
        let t0 = Instant::now();
        let mut budget = Argon2Budget::new(5, 3);
        let known = ip("192.0.2.1").unwrap();
        budget.succeeded(known, t0);
        // The burst, then a wait of one refill (1/5 s), for any unknown address or none.
        for i in 0..3 {
            assert_eq!(budget.spend(ip(&format!("198.51.100.{i}")), t0), Ok(()));
        }
        let wait = RetryAfter(Duration::from_millis(200));
        assert_eq!(budget.spend(ip("198.51.100.9"), t0), Err(wait));
        assert_eq!(budget.spend(None, t0), Err(wait));
        // A known address is never limited by it.
        for _ in 0..100 {
            assert_eq!(budget.spend(Some(known), t0), Ok(()));
        }
        // Refilled with time, never beyond the burst.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(
            budget.spend(None, later),
            Err(RetryAfter(Duration::from_millis(100)))
        );
        assert_eq!(budget.spend(None, t0 + Duration::from_millis(200)), Ok(()));
        let much_later = t0 + secs(3600);
        for _ in 0..3 {
            assert_eq!(budget.spend(None, much_later), Ok(()));
        }
        assert!(budget.spend(None, much_later).is_err());
        // A success is remembered for a day, then the address is unknown again.
        assert_eq!(
            budget.spend(Some(known), t0 + KNOWN_ADDRESS_FOR - secs(1)),
            Ok(())
        );
        let next_day = much_later + KNOWN_ADDRESS_FOR;
        for _ in 0..3 {
            assert_eq!(budget.spend(Some(known), next_day), Ok(()));
        }
        assert!(budget.spend(Some(known), next_day).is_err());
    }

    #[test]
    fn the_known_addresses_are_bounded() {
        let t0 = Instant::now();
        let mut budget = Argon2Budget::default();
        for i in 0..(MAX_KEYS as u32 + 50) {
            let at = t0 + Duration::from_millis(u64::from(i));
            budget.succeeded(IpAddr::from(i.to_be_bytes()), at);
        }
        assert_eq!(budget.known_len(), MAX_KEYS);
        // The stalest went, the newest stayed.
        let newest = IpAddr::from((MAX_KEYS as u32 + 49).to_be_bytes());
        assert!(budget.is_known(newest, t0 + secs(1)));
        assert!(!budget.is_known(IpAddr::from(0u32.to_be_bytes()), t0 + secs(1)));
    }

    #[test]
    fn api_limits_are_more_generous_than_the_dashboards() {
        const {
            assert!(API_ADDRESS_POLICY.allowed_failures > ADDRESS_POLICY.allowed_failures);
            assert!(API_TOKEN_POLICY.allowed_failures > USER_POLICY.allowed_failures);
            assert!(API_ADDRESS_POLICY.allowed_failures > API_TOKEN_POLICY.allowed_failures);
        }
    }

    #[test]
    fn an_odd_policy_never_panics() {
        let policy = Policy {
            allowed_failures: 0,
            first_lockout: Duration::MAX,
            max_lockout: Duration::MAX,
            quiet_window: Duration::MAX,
            max_keys: 0,
        };
        let t0 = Instant::now();
        let mut t = LoginThrottle::new(policy);
        for _ in 0..40 {
            t.failed("x", t0);
        }
        let _ = t.check(&"x", t0);
        assert!(t.len() <= 1);
    }
}
