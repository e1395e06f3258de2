//! What every HTTP handler can reach: the store, the settings, the rate
//! limits the CAPTCHA verifier and the login lockout. Its own module so that the edges (intake, pages, admin) depend on it
//! and not on the application that assembles them.

use std::sync::Arc;

use crate::config::Settings;
use crate::limits::{RateLimits, shared_redis};
use crate::people::{Lockout, LockoutPolicy, LoginThrottle, SharedLockout};
use crate::spam::CaptchaVerifier;
use crate::store::Store;
use crate::telemetry::Metrics;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub limits: Arc<RateLimits>,
    /// Asks the CAPTCHA providers about the tokens posted to the intake endpoint.
    pub captcha: CaptchaVerifier,
    /// This application's own metrics, served at `/metrics`.
    pub metrics: Metrics,
    /// Failed console logins per email (the lockout), in Redis when `limits.redis_url` is set.
    pub throttle: Arc<dyn LoginThrottle>,
}

impl AppState {
    /// State for these settings and this store.
    pub fn new(settings: Settings, store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            limits: Arc::new(RateLimits::new(&settings.limits)),
            captcha: CaptchaVerifier::new(reqwest::Client::new(), settings.spam.verify_urls()),
            metrics: Metrics::new(),
            throttle: login_throttle(&settings),
            settings: Arc::new(settings),
        }
    }
}

/// The login lockout: shared through Redis when one is configured, else in this process.
fn login_throttle(settings: &Settings) -> Arc<dyn LoginThrottle> {
    let policy = LockoutPolicy::from_lock_seconds(settings.people.login_lock_seconds);
    match shared_redis(&settings.limits) {
        Some(redis) => Arc::new(SharedLockout::new(redis, policy)),
        None => Arc::new(Lockout::new(policy)),
    }
}
