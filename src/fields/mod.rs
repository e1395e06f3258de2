//! Domain types for posted values: each parses a cleaned string once, at the edge; the rest of the
//! code never re-checks a raw string.
//!
//! Every `parse` trims its input first and never panics. The rules are in docs/endpoint.md, fields and their rules.

mod address;
mod choice;
mod clean;
mod contact;
mod date;
mod numbers;
pub mod phone_lenient;
mod problem;
mod redirect;
mod text;

pub use address::{UsCaState, Zip};
pub use choice::{
    ContactType, Gender, HomeOwnerStatus, Keyword, MaritalStatus, NewLeadNotification,
};
pub use clean::{json_path_with_nul, remove_controls};
pub use contact::{Email, Phone, ProfileId};
pub use date::YmdDate;
pub use numbers::{Flag, WholeNumber, json_integer, json_integer_opt};
pub use problem::FieldProblem;
pub use redirect::RedirectUrl;
pub use text::{TAGS_PER_POST_MAX, TagList, Text, char_len, strip_html, truncate_chars};

/// Why a value was refused; the text is shown to the person who posted it, after the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

impl FieldError {
    /// A refusal with this reason (e.g. "must be 1 or 0").
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Whether `s` has exactly the shape `pattern`, byte for byte: `9` stands for an ASCII digit, `A` for
/// an ASCII letter, anything else for itself. Non-ASCII input never matches a `9` or an `A`.
fn has_shape(s: &str, pattern: &str) -> bool {
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'9' => c.is_ascii_digit(),
            b'A' => c.is_ascii_alphabetic(),
            _ => c == p,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_digits_letters_and_literals() {
        assert!(has_shape("A1b 2C3", "A9A 9A9"));
        assert!(!has_shape("A1b-2C3", "A9A 9A9"));
        assert!(!has_shape("123", "9999"));
        assert!(!has_shape("١٢٣", "999"));
    }

    #[test]
    fn field_error_displays_its_reason() {
        assert_eq!(
            FieldError::new("must be 1 or 0").to_string(),
            "must be 1 or 0"
        );
    }
}
