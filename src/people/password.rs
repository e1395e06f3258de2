//! Passwords: the length rule, argon2id hashing, and verification that costs the same whether or not
//! the email belongs to anyone.
//!
//! Hashing is slow on purpose, so both hashing and verifying run on tokio's blocking pool
//! (`spawn_blocking`), never on the threads that serve requests.

use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use super::InputError;

/// Fewest characters a password may have.
pub const MIN_CHARS: usize = 10;

/// Most characters a password may have (a bound on the work one login may cause).
pub const MAX_CHARS: usize = 1024;

/// An argon2id hash with the same parameters as [`hash_password`] uses, of a password no account
/// has: checked against when there is no stored hash, so that answer takes as long as a wrong
/// password (and is `false` whatever it matches).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ln05lrNotw/0us3Pd8K4kQ$io2fpdzdGMOrpGGZxAKqdW/fr8bZo4/7D7dV3MTCyKo";

/// A password that passed the length rule (10 to 1,024 characters, kept exactly as typed: no
/// trimming). It never prints itself: `Debug` shows `Password(<redacted>)` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Accept a new password of 10 to 1,024 characters.
    pub fn parse(s: impl Into<String>) -> Result<Self, InputError> {
        let s = s.into();
        match s.chars().count() {
            n if n < MIN_CHARS => Err(InputError::PasswordTooShort),
            n if n > MAX_CHARS => Err(InputError::PasswordTooLong),
            _ => Ok(Self(s)),
        }
    }

    /// A password typed at login, to be checked against a stored hash. It is not held to the length
    /// rule (a rule may change after a password was set). One longer than any password that can be
    /// set cannot match, so an empty one is checked in its place: it costs no more than a short one
    /// and the answer is the same wrong-password answer.
    pub fn presented(s: impl Into<String>) -> Self {
        let s: String = s.into();
        if s.chars().count() > MAX_CHARS {
            Self(String::new())
        } else {
            Self(s)
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash: an argon2id PHC string (`$argon2id$v=19$...`). Not a secret by itself,
/// but no business of a log either, so `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A hash read back from the store, checked when a password is verified against it.
    pub fn from_stored(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The PHC string, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashing or verifying could not be done: a fault of the server, never of the person typing.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    /// The hashing library refused (e.g. the OS random generator failed to give a salt).
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    /// The stored hash is not a PHC string this service can read.
    #[error("the stored password hash is not a valid PHC string")]
    Unreadable,
    /// The blocking task was cancelled or panicked.
    #[error("the password hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The hasher: argon2id, version 19, the library's default parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Hash `password` with a fresh random salt, off the async runtime.
pub async fn hash_password(password: Password) -> Result<PasswordHash, PasswordHashError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|hash| PasswordHash(hash.to_string()))
            .map_err(PasswordHashError::Hash)
    })
    .await?
}

/// Whether `password` matches `stored`, off the async runtime. With no stored hash (no such user, or
/// a user who has not set a password yet) a hash of an unknown password is checked instead and the
/// answer is `false`: the caller answers both cases alike and they take about the same time.
pub async fn verify_password(
    password: Password,
    stored: Option<PasswordHash>,
) -> Result<bool, PasswordHashError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.map_or_else(|| DUMMY_HASH.to_owned(), |hash| hash.0);
        let matches = check(&password, &phc)?;
        Ok(known && matches)
    })
    .await?
}

/// The blocking check of one password against one PHC string.
fn check(password: &Password, phc: &str) -> Result<bool, PasswordHashError> {
    let parsed = argon2::PasswordHash::new(phc).map_err(|_| PasswordHashError::Unreadable)?;
    match argon2().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(err) => Err(PasswordHashError::Hash(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    #[test]
    fn a_password_of_ten_characters_is_accepted() {
        assert!(Password::parse("0123456789").is_ok());
    }

    #[test]
    fn a_password_of_nine_characters_is_refused() {
        let err = Password::parse("012345678").unwrap_err();
        assert_eq!(err, InputError::PasswordTooShort);
        assert_eq!(err.to_string(), "must be at least 10 characters");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(
            Password::parse("ééééééééé").is_err(),
            "9 characters, 18 bytes"
        );
        assert!(
            Password::parse("é".repeat(1024)).is_ok(),
            "1,024 characters, 2,048 bytes"
        );
    }

    #[test]
    fn a_password_over_1024_characters_is_refused() {
        let err = Password::parse("x".repeat(1025)).unwrap_err();
        assert_eq!(err.to_string(), "must be at most 1024 characters");
    }

    #[test]
    fn spaces_in_a_password_are_kept() {
        assert_ne!(password(" secret phrase "), password("secret phrase"));
    }

    #[test]
    fn a_password_never_prints_itself() {
        let text = format!("{:?}", password("correct horse battery"));
        assert_eq!(text, "Password(<redacted>)");
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_and_does_not_contain_the_password() {
        let hash = hash_password(password("correct horse battery"))
            .await
            .unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$"),
            "{}",
            hash.as_str()
        );
        assert!(!hash.as_str().contains("correct horse"));
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password(password("correct horse battery"))
            .await
            .unwrap();
        let right = Password::presented("correct horse battery");
        let wrong = Password::presented("correct horse battery!");
        assert!(verify_password(right, Some(hash.clone())).await.unwrap());
        assert!(!verify_password(wrong, Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_their_salt() {
        let a = hash_password(password("correct horse battery"))
            .await
            .unwrap();
        let b = hash_password(password("correct horse battery"))
            .await
            .unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn without_a_stored_hash_nothing_verifies() {
        let result = verify_password(Password::presented("anything at all"), None).await;
        assert!(!result.unwrap());
    }

    #[tokio::test]
    async fn an_unreadable_stored_hash_is_a_server_fault() {
        let stored = PasswordHash::from_stored("not a hash");
        let result = verify_password(Password::presented("anything at all"), Some(stored)).await;
        assert!(matches!(result, Err(PasswordHashError::Unreadable)));
    }

    #[tokio::test]
    async fn an_oversized_presented_password_never_verifies() {
        let hash = hash_password(password("correct horse battery"))
            .await
            .unwrap();
        let huge = Password::presented("x".repeat(MAX_CHARS + 1));
        assert!(!verify_password(huge, Some(hash)).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_hash_costs() {
        let dummy = argon2::PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&dummy).unwrap();
        assert_eq!(dummy.algorithm, argon2::ARGON2ID_IDENT);
        let real = argon2().params().clone();
        let costs = |p: &argon2::Params| (p.m_cost(), p.t_cost(), p.p_cost());
        assert_eq!(costs(&params), costs(&real));
    }
}
