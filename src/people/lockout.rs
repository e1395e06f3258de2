//! Login lockout: after too many failed logins for one email within a window, that email is refused
//! for a while, whether or not it belongs to anyone (so the refusal tells nothing about who exists).
//!
//! [`LoginThrottle`] is what the login code calls; [`Lockout`] counts in this process's memory. A
//! counter shared by several instances (e.g. in Redis) can replace it behind the same trait.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::UserEmail;

/// Past this many emails remembered, entries whose window and lock are over are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// How many failures lock an email, within what window, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures that lock the email.
    pub max_failures: u32,
    /// Failures count toward the lock within this long of the first one.
    pub window: Duration,
    /// How long a locked email is refused.
    pub lock: Duration,
}

impl LockoutPolicy {
    /// Ten failures, with `seconds` both as the window and as the lock (the one setting
    /// `LEADPOST_LOGIN_LOCK_SECONDS`).
    pub fn from_lock_seconds(seconds: u64) -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_secs(seconds),
            lock: Duration::from_secs(seconds),
        }
    }
}

impl Default for LockoutPolicy {
    /// Ten failures within 15 minutes lock the email for 15 minutes.
    fn default() -> Self {
        Self::from_lock_seconds(900)
    }
}

/// The email is locked: refuse the login (429) without checking the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed logins; try again in {} seconds", retry_after.as_secs().max(1))]
pub struct Locked {
    /// How long until the lock ends (for `Retry-After`).
    pub retry_after: Duration,
}

/// Counts failed logins per email. The login code calls [`check`](LoginThrottle::check) before
/// looking at the password, for every email, known or not, then records the outcome.
#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// `Err(Locked)` while `email` is locked.
    async fn check(&self, email: &UserEmail) -> Result<(), Locked>;
    /// Count one failed login for `email` (unknown email and wrong password alike).
    async fn record_failure(&self, email: &UserEmail);
    /// A successful login forgets the email's failures.
    async fn record_success(&self, email: &UserEmail);
}

/// The failures of one email.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

impl Failures {
    /// How long the lock still holds at `now`, if it does.
    fn lock_left(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|left| !left.is_zero())
    }

    /// Whether this record still matters at `now` (its window or its lock is not over).
    fn current(&self, policy: &LockoutPolicy, now: Instant) -> bool {
        self.lock_left(now).is_some()
            || (self.locked_until.is_none()
                && now.duration_since(self.window_start) < policy.window)
    }
}

/// Failed logins counted in this process's memory.
#[derive(Debug)]
pub struct Lockout {
    policy: LockoutPolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Lockout {
    /// An empty counter following `policy`.
    pub fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The counts; a panic elsewhere while holding the lock leaves them usable.
    fn failures(&self) -> MutexGuard<'_, HashMap<String, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// [`LoginThrottle::check`] at `now`.
    pub fn check_at(&self, email: &UserEmail, now: Instant) -> Result<(), Locked> {
        match self
            .failures()
            .get(email.as_str())
            .and_then(|f| f.lock_left(now))
        {
            Some(retry_after) => Err(Locked { retry_after }),
            None => Ok(()),
        }
    }

    /// [`LoginThrottle::record_failure`] at `now`. A failure while locked does not extend the lock;
    /// the first failure after the window or the lock is over starts a new count.
    pub fn record_failure_at(&self, email: &UserEmail, now: Instant) {
        let policy = self.policy;
        let mut failures = self.failures();
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, f| f.current(&policy, now));
        }
        let fresh = Failures {
            count: 0,
            window_start: now,
            locked_until: None,
        };
        let entry = failures.entry(email.as_str().to_owned()).or_insert(fresh);
        if entry.lock_left(now).is_some() {
            return;
        }
        if !entry.current(&policy, now) {
            *entry = fresh;
        }
        entry.count += 1;
        if entry.count >= policy.max_failures {
            entry.locked_until = Some(now + policy.lock);
        }
    }

    /// [`LoginThrottle::record_success`].
    pub fn forget(&self, email: &UserEmail) {
        self.failures().remove(email.as_str());
    }
}

impl Default for Lockout {
    fn default() -> Self {
        Self::new(LockoutPolicy::default())
    }
}

#[async_trait]
impl LoginThrottle for Lockout {
    async fn check(&self, email: &UserEmail) -> Result<(), Locked> {
        self.check_at(email, Instant::now())
    }

    async fn record_failure(&self, email: &UserEmail) {
        self.record_failure_at(email, Instant::now());
    }

    async fn record_success(&self, email: &UserEmail) {
        self.forget(email);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn email(s: &str) -> UserEmail {
        UserEmail::parse(s).unwrap()
    }

    /// A lockout with the default policy and `n` failures for `who` at `start`.
    fn failed(who: &UserEmail, n: u32, start: Instant) -> Lockout {
        let lockout = Lockout::default();
        for _ in 0..n {
            lockout.record_failure_at(who, start);
        }
        lockout
    }

    #[test]
    fn nine_failures_do_not_lock() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        assert_eq!(failed(&ann, 9, start).check_at(&ann, start), Ok(()));
    }

    #[test]
    fn ten_failures_lock_the_email_for_the_lock_time() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 10, start);
        let retry_after = Duration::from_secs(900);
        assert_eq!(lockout.check_at(&ann, start), Err(Locked { retry_after }));
    }

    #[test]
    fn the_lock_ends_after_the_lock_time() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 10, start);
        assert!(lockout.check_at(&ann, start + 14 * MINUTE).is_err());
        assert_eq!(lockout.check_at(&ann, start + 15 * MINUTE), Ok(()));
    }

    #[test]
    fn after_the_lock_one_failure_does_not_lock_again() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 10, start);
        lockout.record_failure_at(&ann, start + 16 * MINUTE);
        assert_eq!(lockout.check_at(&ann, start + 16 * MINUTE), Ok(()));
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 10, start);
        lockout.record_failure_at(&ann, start + 10 * MINUTE);
        assert_eq!(lockout.check_at(&ann, start + 15 * MINUTE), Ok(()));
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 9, start);
        lockout.record_failure_at(&ann, start + 15 * MINUTE);
        assert_eq!(lockout.check_at(&ann, start + 15 * MINUTE), Ok(()));
    }

    #[test]
    fn the_email_is_counted_in_lower_case() {
        let start = Instant::now();
        let lockout = failed(&email("Ann@Example.com"), 10, start);
        assert!(lockout.check_at(&email("ann@example.com"), start).is_err());
    }

    #[test]
    fn one_email_locked_leaves_the_others_alone() {
        let start = Instant::now();
        let lockout = failed(&email("ann@example.com"), 10, start);
        assert_eq!(lockout.check_at(&email("bob@example.com"), start), Ok(()));
    }

    #[test]
    fn a_success_forgets_the_failures() {
        let ann = email("ann@example.com");
        let start = Instant::now();
        let lockout = failed(&ann, 9, start);
        lockout.forget(&ann);
        lockout.record_failure_at(&ann, start);
        assert_eq!(lockout.check_at(&ann, start), Ok(()));
    }

    #[test]
    fn the_lock_setting_is_also_the_window() {
        let policy = LockoutPolicy::from_lock_seconds(5);
        assert_eq!(policy.window, Duration::from_secs(5));
        assert_eq!(policy.lock, Duration::from_secs(5));
        assert_eq!(policy.max_failures, 10);
    }

    #[test]
    fn the_lock_message_says_when_to_retry() {
        let locked = Locked {
            retry_after: Duration::from_secs(90),
        };
        assert_eq!(
            locked.to_string(),
            "too many failed logins; try again in 90 seconds"
        );
    }

    #[tokio::test]
    async fn the_counter_works_behind_the_throttle_trait() {
        let throttle: Arc<dyn LoginThrottle> = Arc::new(Lockout::default());
        let ann = email("ann@example.com");
        for _ in 0..10 {
            assert!(throttle.check(&ann).await.is_ok());
            throttle.record_failure(&ann).await;
        }
        assert!(throttle.check(&ann).await.is_err());
        throttle.record_success(&ann).await;
        assert!(throttle.check(&ann).await.is_ok());
    }
}
