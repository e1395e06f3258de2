//! Random secrets handed to people: account API tokens, session ids, invite and CSRF tokens.
//!
//! Each is drawn from the operating system's random generator and written in URL-safe base64 without
//! padding. The store keeps only a [`SecretHash`] (SHA-256, hex) of tokens, session ids and invites,
//! so a copy of the database opens nothing; digests are compared in constant time. A secret's value
//! is reached only through [`Secret::expose`], to hand it over once; `Debug` never shows it and there
//! is no `Display`.

use std::fmt;
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::InputError;

/// What sets one kind of secret apart: its name, its visible prefix and how many random bytes it has.
pub trait SecretKind {
    /// The name used in error messages, e.g. "API token".
    const NAME: &'static str;
    /// The type's name shown by `Debug`.
    const DEBUG_NAME: &'static str;
    /// A fixed prefix that lets people (and secret scanners) recognise the secret.
    const PREFIX: &'static str;
    /// Random bytes drawn for one secret.
    const BYTES: usize;
}

/// An account API token: `lpat_` + 256 random bits.
#[derive(Debug)]
pub enum ApiTokenKind {}

impl SecretKind for ApiTokenKind {
    const NAME: &'static str = "API token";
    const DEBUG_NAME: &'static str = "ApiToken";
    const PREFIX: &'static str = "lpat_";
    const BYTES: usize = 32;
}

/// A console session id, the value of the `lp_session` cookie: 256 random bits.
#[derive(Debug)]
pub enum SessionKind {}

impl SecretKind for SessionKind {
    const NAME: &'static str = "session";
    const DEBUG_NAME: &'static str = "SessionId";
    const PREFIX: &'static str = "";
    const BYTES: usize = 32;
}

/// A one-use invite, the last part of `/console/invite/{token}`: 128 random bits.
#[derive(Debug)]
pub enum InviteKind {}

impl SecretKind for InviteKind {
    const NAME: &'static str = "invite";
    const DEBUG_NAME: &'static str = "InviteToken";
    const PREFIX: &'static str = "";
    const BYTES: usize = 16;
}

/// A session's CSRF token, put in the console's forms: 256 random bits.
#[derive(Debug)]
pub enum CsrfKind {}

impl SecretKind for CsrfKind {
    const NAME: &'static str = "CSRF token";
    const DEBUG_NAME: &'static str = "CsrfToken";
    const PREFIX: &'static str = "";
    const BYTES: usize = 32;
}

/// An account API token (`lpat_…`), shown once when created.
pub type ApiToken = Secret<ApiTokenKind>;
/// A console session id, carried by the `lp_session` cookie.
pub type SessionId = Secret<SessionKind>;
/// An invite token, carried by the invite link.
pub type InviteToken = Secret<InviteKind>;
/// A session's CSRF token.
pub type CsrfToken = Secret<CsrfKind>;

/// The operating system's random generator failed: no secret can be made safely.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random generator failed: {0}")]
pub struct RandomnessUnavailable(#[from] rand::rngs::SysError);

/// A random secret of kind `K`.
pub struct Secret<K> {
    value: String,
    kind: PhantomData<K>,
}

impl<K: SecretKind> Secret<K> {
    /// A fresh secret from the operating system's random generator.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let mut bytes = vec![0u8; K::BYTES];
        SysRng.try_fill_bytes(&mut bytes)?;
        Ok(Self::new(format!(
            "{}{}",
            K::PREFIX,
            URL_SAFE_NO_PAD.encode(&bytes)
        )))
    }

    /// A secret as presented (a bearer token, a cookie, a link, a form field), if it has the shape
    /// this service issues: the prefix, then exactly the base64 of `K::BYTES` bytes. A wrong shape
    /// cannot belong to anyone, so callers may refuse it without a look-up.
    pub fn parse(s: &str) -> Result<Self, InputError> {
        let well_formed = s.strip_prefix(K::PREFIX).is_some_and(|body| {
            body.len() == base64::encoded_len(K::BYTES, false).unwrap_or(0)
                && URL_SAFE_NO_PAD
                    .decode(body)
                    .is_ok_and(|bytes| bytes.len() == K::BYTES)
        });
        if well_formed {
            Ok(Self::new(s.to_owned()))
        } else {
            Err(InputError::MalformedSecret(K::NAME))
        }
    }

    fn new(value: String) -> Self {
        Self {
            value,
            kind: PhantomData,
        }
    }

    /// The secret itself, to hand over once (in an answer, a cookie, a link or a form) and never to
    /// log.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Its SHA-256 digest, the only form the store keeps and looks secrets up by.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.value)
    }

    /// Whether this secret is the one `stored` was made from, compared in constant time.
    pub fn matches(&self, stored: &SecretHash) -> bool {
        self.hash() == *stored
    }
}

impl<K> Clone for Secret<K> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: SecretKind> fmt::Debug for Secret<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(<redacted>)", K::DEBUG_NAME)
    }
}

/// The SHA-256 digest of a secret, kept by the store as 64 lower-case hex digits. Equality is
/// constant-time.
#[derive(Clone, Copy)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The digest of `secret`.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// The digest as the store keeps it: 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A digest read back from the store; `None` unless it is 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretHash {}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_token_is_lpat_and_256_bits_of_url_safe_text() {
        let token = ApiToken::generate().unwrap();
        let body = token.expose().strip_prefix("lpat_").unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn a_session_id_carries_256_bits() {
        let id = SessionId::generate().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(id.expose()).unwrap().len(), 32);
    }

    #[test]
    fn an_invite_token_carries_128_bits() {
        let invite = InviteToken::generate().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(invite.expose()).unwrap().len(), 16);
    }

    #[test]
    fn two_secrets_never_repeat() {
        let a = SessionId::generate().unwrap();
        let b = SessionId::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn a_secret_never_prints_itself() {
        let token = ApiToken::generate().unwrap();
        let text = format!("{token:?} {:?}", token.hash());
        assert_eq!(text, "ApiToken(<redacted>) SecretHash(<redacted>)");
    }

    #[test]
    fn the_stored_hash_is_the_sha256_hex_of_the_secret() {
        let hash = SecretHash::of("abc");
        assert_eq!(
            hash.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_hash_reads_back_from_its_hex() {
        let token = ApiToken::generate().unwrap();
        let stored = token.hash().to_hex();
        assert_eq!(SecretHash::from_hex(&stored), Some(token.hash()));
    }

    #[test]
    fn malformed_hex_is_no_hash() {
        for bad in ["", "abc", &"g".repeat(64), &"é".repeat(32), &"a".repeat(66)] {
            assert_eq!(SecretHash::from_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_presented_secret_matches_its_stored_hash_only() {
        let token = ApiToken::generate().unwrap();
        let other = ApiToken::generate().unwrap();
        let presented = ApiToken::parse(token.expose()).unwrap();
        assert!(presented.matches(&token.hash()));
        assert!(!presented.matches(&other.hash()));
    }

    #[test]
    fn a_token_without_its_prefix_is_malformed() {
        let token = ApiToken::generate().unwrap();
        let body = token.expose().trim_start_matches("lpat_");
        let err = ApiToken::parse(body).unwrap_err();
        assert_eq!(err.to_string(), "is not a valid API token");
    }

    #[test]
    fn a_secret_of_the_wrong_length_or_alphabet_is_malformed() {
        let id = SessionId::generate().unwrap();
        let short = &id.expose()[1..];
        let longer = format!("{}A", id.expose());
        let foreign = id
            .expose()
            .replacen(|c: char| c.is_ascii_alphanumeric(), "+", 1);
        for bad in [short, &longer, &foreign, ""] {
            assert!(SessionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_invite_is_not_a_session_id() {
        let invite = InviteToken::generate().unwrap();
        assert!(SessionId::parse(invite.expose()).is_err());
    }
}
