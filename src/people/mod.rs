//! People and access: who may sign in and what they may do.
//!
//! The building blocks of users, roles, console sessions and account API tokens, kept free of
//! storage and HTTP so the admin API, the CLI and the console can share them:
//! - [`actor`]: who is acting (admin token, user, API token, CLI) and from where;
//! - [`roles`]: the roles of a membership, the scopes of an API token and what each may do;
//! - [`email`]: a user's email address, compared in lower case;
//! - [`password`]: password rules, argon2id hashing and verification off the async runtime;
//! - [`secrets`]: API tokens, session ids, invite and CSRF tokens drawn from the OS generator,
//!   stored only as SHA-256 digests;
//! - [`session`]: the `lp_session` cookie, session expiry, the CSRF token check and the `Origin` rule;
//! - [`lockout`]: counting failed logins per email and refusing a locked one for a while;
//! - [`shared_lockout`]: the same lockout counted in Redis, shared by every instance.

pub mod actor;
pub mod email;
pub mod lockout;
pub mod password;
pub mod roles;
pub mod secrets;
pub mod session;
pub mod shared_lockout;

pub use actor::{Actor, Caller};
pub use email::UserEmail;
pub use lockout::{Locked, Lockout, LockoutPolicy, LoginThrottle};
pub use password::{Password, PasswordHash, PasswordHashError};
pub use roles::{Access, Capability, Role, TokenScope};
pub use secrets::{ApiToken, CsrfToken, InviteToken, SecretHash, SessionId};
pub use session::{SessionClock, SessionLimits};
pub use shared_lockout::SharedLockout;

/// Why a value given for a person, role or credential was refused; the text reads after the field's
/// name (e.g. "role must be one of owner, member, viewer").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not one of the three roles.
    #[error("must be one of owner, member, viewer")]
    UnknownRole,
    /// Not one of the three token scopes.
    #[error("must be one of read, write, owner")]
    UnknownScope,
    /// A password shorter than the minimum.
    #[error("must be at least {min} characters", min = password::MIN_CHARS)]
    PasswordTooShort,
    /// A password longer than the maximum.
    #[error("must be at most {max} characters", max = password::MAX_CHARS)]
    PasswordTooLong,
    /// An email address that is too long or not well formed; the reason says which.
    #[error("{0}")]
    Email(String),
    /// A presented token, session id or invite that does not have the shape this service issues.
    #[error("is not a valid {0}")]
    MalformedSecret(&'static str),
}
