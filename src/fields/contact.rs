//! Ways to reach a person: phone, email, social profile ids.

use email_address::{EmailAddress, Options};

use super::{FieldError, char_len, has_shape};

/// Longest email address, in characters.
const EMAIL_MAX_CHARS: usize = 254;

/// Longest social profile id, in characters.
const PROFILE_ID_MAX_CHARS: usize = 100;

/// A phone number: exactly ten ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accept exactly ten ASCII digits, no formatting.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if has_shape(s, "9999999999") {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                "must be exactly ten digits with no formatting",
            ))
        }
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A well-formed email address, stored as posted (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Accept an address like `name@example.com` of at most 254 characters (no display name, no
    /// domain literal, at least two domain labels).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        if char_len(s) > EMAIL_MAX_CHARS {
            return Err(FieldError(format!(
                "must be at most {EMAIL_MAX_CHARS} characters"
            )));
        }
        let options = Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        EmailAddress::parse_with_options(s, options)
            .map(|_| Self(s.to_owned()))
            .map_err(|_| {
                FieldError::new("must be a well-formed email address like name@example.com")
            })
    }

    /// The address as posted.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address in lower case, the form it is compared in.
    pub fn lowercase(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A Facebook or LinkedIn profile id: 1 to 100 ASCII letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileId(String);

impl ProfileId {
    /// Accept 1 to 100 ASCII letters, digits, `.`, `_` or `-`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
        if (1..=PROFILE_ID_MAX_CHARS).contains(&s.len()) && s.bytes().all(allowed) {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError(format!(
                "must be a profile id of 1 to {PROFILE_ID_MAX_CHARS} letters, digits, '.', '_' or '-'"
            )))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `https://www.facebook.com/<id>`.
    pub fn facebook_url(&self) -> String {
        format!("https://www.facebook.com/{}", self.0)
    }

    /// `https://www.linkedin.com/in/<id>/`.
    pub fn linkedin_url(&self) -> String {
        format!("https://www.linkedin.com/in/{}/", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_of_ten_digits_is_accepted() {
        assert_eq!(Phone::parse("8015551234").unwrap().as_str(), "8015551234");
    }

    #[test]
    fn phone_of_nine_or_eleven_digits_is_refused() {
        assert!(Phone::parse("801555123").is_err());
        assert!(Phone::parse("18015551234").is_err());
    }

    #[test]
    fn phone_with_formatting_is_refused() {
        let err = Phone::parse("801-555-1234").unwrap_err();
        assert_eq!(
            err.to_string(),
            "must be exactly ten digits with no formatting"
        );
        assert!(Phone::parse("(801)5551234").is_err());
        assert!(Phone::parse("801 555 123").is_err());
    }

    #[test]
    fn phone_with_non_ascii_digits_is_refused() {
        assert!(Phone::parse("٨٠١٥٥٥١٢٣٤").is_err());
        assert!(Phone::parse("８０１５５５１２３４").is_err());
    }

    #[test]
    fn email_is_kept_as_posted_and_compared_lowercase() {
        let email = Email::parse(" John.Doe@Example.com ").unwrap();
        assert_eq!(email.as_str(), "John.Doe@Example.com");
        assert_eq!(email.lowercase(), "john.doe@example.com");
    }

    #[test]
    fn email_without_domain_dot_is_refused() {
        let err = Email::parse("john@localhost").unwrap_err();
        assert_eq!(
            err.to_string(),
            "must be a well-formed email address like name@example.com"
        );
    }

    #[test]
    fn malformed_email_is_refused() {
        for bad in [
            "john",
            "john@",
            "@example.com",
            "a b@example.com",
            "John <j@example.com>",
            "j@[127.0.0.1]",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_over_254_characters_is_refused() {
        let label = "a".repeat(60);
        let long = format!("me@{label}.{label}.{label}.{label}.{label}.com");
        assert!(char_len(&long) > 254);
        let err = Email::parse(&long).unwrap_err();
        assert_eq!(err.to_string(), "must be at most 254 characters");
    }

    #[test]
    fn profile_id_is_accepted_and_linked() {
        let id = ProfileId::parse("john.doe_99-x").unwrap();
        assert_eq!(id.as_str(), "john.doe_99-x");
        assert_eq!(id.facebook_url(), "https://www.facebook.com/john.doe_99-x");
        assert_eq!(
            id.linkedin_url(),
            "https://www.linkedin.com/in/john.doe_99-x/"
        );
    }

    #[test]
    fn profile_id_with_other_characters_is_refused() {
        for bad in [
            "",
            "john doe",
            "a/b",
            "https://www.facebook.com/x",
            "jöhn",
            "a?b=c",
        ] {
            assert!(ProfileId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn profile_id_over_100_characters_is_refused() {
        assert!(ProfileId::parse(&"a".repeat(100)).is_ok());
        assert!(ProfileId::parse(&"a".repeat(101)).is_err());
    }
}
