//! Spam: the per-account settings, the checks that judge a post (honeypot, fill time, rules, CAPTCHA),
//! allowed origins, and the rate limits and login-failure counter shared between instances through
//! Redis. Spam is kept, never lost: these modules only decide; the intake pipeline records the verdict.

pub mod captcha;
pub mod control;
pub mod origin;
pub mod rules;
pub mod settings;
pub mod shared_limits;

pub use captcha::{CaptchaOutcome, CaptchaVerifier, VerifyUrls};
pub use control::is_control_field;
pub use origin::{OriginCheck, OriginPattern, OriginPolicy};
pub use rules::{SpamReason, count_spam, judge};
pub use settings::{Captcha, CaptchaProvider, SettingProblem, SpamSettings, SpamSettingsPatch};
pub use shared_limits::{LimitScope, LoginLock, LoginPolicy, RateDecision, SharedLimits};
