//! The login lockout counted in Redis, so every instance sharing that Redis shares it: the same
//! [`LoginThrottle`] as the in-memory [`Lockout`](super::Lockout), with its counts kept by
//! [`SharedLimits`] (one atomic script per failure, keys that expire by themselves). An email is
//! kept in Redis only as its SHA-256 digest. Redis down: the lockout fails open (a warning naming
//! Redis, `leadpost_redis_errors_total`), as the shared rate limits do.

use async_trait::async_trait;

use super::lockout::{Locked, LockoutPolicy, LoginThrottle};
use super::{SecretHash, UserEmail};
use crate::spam::{LoginLock, LoginPolicy, SharedLimits};

/// Failed logins counted in a Redis shared by every instance.
#[derive(Clone)]
pub struct SharedLockout {
    limits: SharedLimits,
}

impl SharedLockout {
    /// The lockout of `policy`, counted through `limits`.
    pub fn new(limits: SharedLimits, policy: LockoutPolicy) -> Self {
        let login = LoginPolicy {
            max_failures: policy.max_failures,
            window: policy.window,
            lock: policy.lock,
        };
        SharedLockout {
            limits: limits.with_login_policy(login),
        }
    }
}

/// What the counters of `email` are named by: its digest, never the address itself.
fn who(email: &UserEmail) -> String {
    SecretHash::of(email.as_str()).to_hex()
}

#[async_trait]
impl LoginThrottle for SharedLockout {
    async fn check(&self, email: &UserEmail) -> Result<(), Locked> {
        match self.limits.login_lock(&who(email)).await {
            LoginLock::Open => Ok(()),
            LoginLock::Locked { remaining } => Err(Locked {
                retry_after: remaining,
            }),
        }
    }

    async fn record_failure(&self, email: &UserEmail) {
        self.limits.login_failed(&who(email)).await;
    }

    async fn record_success(&self, email: &UserEmail) {
        self.limits.login_succeeded(&who(email)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_named_by_its_digest_in_lower_case() {
        let mixed = UserEmail::parse("Ann@Example.com").unwrap();
        let lower = UserEmail::parse("ann@example.com").unwrap();
        assert_eq!(who(&mixed), who(&lower));
        assert!(!who(&lower).contains("ann"));
        assert_eq!(who(&lower).len(), 64);
    }
}
