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
//! - The dashboard (`dashboard::login`) holds one throttle for user names ([`USER_POLICY`]: 5
//!   failures) and one for client addresses ([`ADDRESS_POLICY`]: 20), sized for people typing.
//! - The token-authenticated APIs (TAXII, `/coop`, `/match`, `/log`, `/metrics`: every route
//!   taking a user [`Principal`](crate::authz::Principal)) go through [`ApiThrottle`], held by
//!   [`Authenticator`](crate::auth::Authenticator), which counts failures per token id
//!   ([`API_TOKEN_POLICY`]: 10) and per client address ([`API_ADDRESS_POLICY`]: 100), sized for
//!   machine clients: a feed consumer with a wrong token is stopped after 10 tries, while one
//!   address (a NAT, or the reverse proxy every client shares) may see many users' mistakes
//!   before it is stopped. Only a token whose id names a user, presented under that user's name,
//!   costs argon2 work, so only such a failure counts on its token id; every failure counts on
//!   the address. The lock-out times are the dashboard's (1 s doubling to 15 min).
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

/// Token ids are 12 hex digits (`auth::add_user`); a longer one is counted by its first bytes.
const MAX_TOKEN_KEY: usize = 64;

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

/// The throttle's key of a token id.
fn token_key(token_id: &str) -> String {
    let mut end = token_id.len().min(MAX_TOKEN_KEY);
    while !token_id.is_char_boundary(end) {
        end -= 1;
    }
    token_id[..end].to_owned()
}

/// Failed API authentications per client address and per token id (see the module doc).
///
/// An attempt is counted as failed from the moment it is let through until it succeeds, so
/// parallel attempts cannot slip past the limit: [`begin`](Self::begin) counts the address
/// before the store is asked, [`begin_secret`](Self::begin_secret) the token id before argon2
/// runs, and [`succeeded`](Self::succeeded) clears both. Addresses are passed already keyed
/// ([`address_key`]).
#[derive(Debug)]
pub struct ApiThrottle {
    tokens: LoginThrottle<String>,
    addresses: LoginThrottle<IpAddr>,
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
        }
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
            token_id.and_then(|t| self.tokens.check(&token_key(t), now).err()),
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

    /// Before the secret of `token_id` is checked: counts it as failed, or refuses it while
    /// it is locked out (a parallel attempt may have locked it since [`begin`](Self::begin)).
    pub fn begin_secret(
        &mut self,
        token_id: &str,
        now: Instant,
    ) -> Result<Option<RetryAfter>, RetryAfter> {
        let key = token_key(token_id);
        self.tokens.check(&key, now)?;
        Ok(locked_by(self.tokens.failed(key, now)))
    }

    /// A success from `address` with `token_id`: both start from zero.
    pub fn succeeded(&mut self, address: Option<IpAddr>, token_id: Option<&str>) {
        if let Some(a) = address {
            self.addresses.succeeded(&a);
        }
        if let Some(t) = token_id {
            self.tokens.succeeded(&token_key(t));
        }
    }

    /// Keys held (token ids, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.tokens.len(), self.addresses.len())
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
        assert_eq!(token_key(&"é".repeat(100)).len(), 64);
    }

    #[test]
    fn api_token_ids_lock_after_their_allowed_failures_and_a_success_clears_them() {
        let t0 = Instant::now();
        let mut t = ApiThrottle::default();
        let a = ip("127.0.0.1");
        for i in 1..=API_TOKEN_ALLOWED_FAILURES {
            let address_lock = t.begin(a, Some("abc"), t0).unwrap();
            assert_eq!(address_lock, None);
            let token_lock = t.begin_secret("abc", t0).unwrap();
            assert_eq!(
                token_lock.is_some(),
                i == API_TOKEN_ALLOWED_FAILURES,
                "failure {i}"
            );
        }
        // Refused before the store or argon2, also from another address; other ids may try.
        assert_eq!(
            t.begin(ip("192.0.2.1"), Some("abc"), t0),
            Err(RetryAfter(FIRST_LOCKOUT))
        );
        assert_eq!(t.begin_secret("abc", t0), Err(RetryAfter(FIRST_LOCKOUT)));
        assert_eq!(t.check(a, Some("other"), t0), Ok(()));
        assert_eq!(t.check(a, None, t0), Ok(()));
        // The lock-out ends on time; a success clears the id and the address.
        assert_eq!(t.check(a, Some("abc"), t0 + FIRST_LOCKOUT), Ok(()));
        t.succeeded(a, Some("abc"));
        assert_eq!(t.len(), (0, 0));
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
        // The longer of two waits is given: a token id locked for 2 s from t0 + 1 s.
        for _ in 0..API_TOKEN_ALLOWED_FAILURES {
            t.begin_secret("slow", t0).unwrap();
        }
        assert_eq!(t.begin_secret("slow", t0), Err(RetryAfter(FIRST_LOCKOUT)));
        assert!(t.begin_secret("slow", t0 + secs(1)).unwrap().is_some());
        // An address locked for 1 s from t0 + 1.2 s.
        let b = ip("192.0.2.9");
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
