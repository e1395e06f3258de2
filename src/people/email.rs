//! A user's email address: the name a person signs in with.

use std::fmt;

use crate::fields::Email;

use super::InputError;

/// A well-formed email address of at most 254 characters, kept in lower case: two users cannot
/// differ only in the case of their address, and signing in ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserEmail(String);

impl UserEmail {
    /// Accept what a lead's email field accepts (trimmed, at most 254 characters, `name@example.com`
    /// shape), then lower-case it.
    pub fn parse(s: &str) -> Result<Self, InputError> {
        Email::parse(s)
            .map(|email| Self(email.lowercase()))
            .map_err(|err| InputError::Email(err.to_string()))
    }

    /// The address in lower case, as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_differing_in_case_are_the_same_user() {
        let a = UserEmail::parse("Ann.Lee@Example.COM").unwrap();
        let b = UserEmail::parse("ann.lee@example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "ann.lee@example.com");
    }

    #[test]
    fn surrounding_spaces_are_trimmed() {
        let email = UserEmail::parse("  ann@example.com ").unwrap();
        assert_eq!(email.to_string(), "ann@example.com");
    }

    #[test]
    fn an_address_over_254_characters_is_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.chars().count(), 255);
        let err = UserEmail::parse(&long).unwrap_err();
        assert_eq!(err.to_string(), "must be at most 254 characters");
    }

    #[test]
    fn an_address_of_254_characters_is_accepted() {
        let domain = format!(
            "{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        let longest = format!("{}@{domain}", "a".repeat(64));
        assert_eq!(longest.chars().count(), 254);
        assert!(UserEmail::parse(&longest).is_ok());
    }

    #[test]
    fn a_malformed_address_is_refused() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@localhost",
            "Ann <ann@example.com>",
        ] {
            assert!(
                matches!(UserEmail::parse(bad), Err(InputError::Email(_))),
                "{bad}"
            );
        }
    }
}
