//! Input checks shared by the operations: names, web_keys, owner email and
//! phone (the same [`Email`] and [`Phone`] types as intake), grace periods,
//! moments. Each check reports the field it is about; an operation collects
//! them all with [`Problems`].

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use super::ServiceError;
use crate::fields::{Email, FieldProblem, Phone, char_len};

/// Longest name of an account, lead source, webhook or plan.
pub const NAME_MAX_CHARS: usize = 255;
/// Longest web_key that may be given.
pub const WEB_KEY_MAX_CHARS: usize = 255;
/// Longest grace period of a key rotation: 90 days.
pub const GRACE_MAX_SECONDS: i64 = 90 * 24 * 3600;

/// Collects the problems of one request.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// Keep `result`'s value, or note its problem.
    pub fn check<T>(&mut self, result: Result<T, FieldProblem>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(p) => {
                self.0.push(p);
                None
            }
        }
    }

    /// Note a problem.
    pub fn push(&mut self, p: FieldProblem) {
        self.0.push(p);
    }

    /// `Ok` when nothing was noted.
    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}

/// `s` without, at either end, the white space that JSON Schema's `\s` (ECMAScript's) names, so a
/// value the OpenAPI document's `\S` pattern accepts is never blank here. (Rust's `trim` also
/// takes U+0085, which `\s` does not, and leaves U+FEFF, which `\s` takes.)
pub fn trim_blank(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    })
}

/// A name: 1 to 255 characters once trimmed.
pub fn name(field: &str, raw: &str) -> Result<String, FieldProblem> {
    let s = raw.trim();
    if s.is_empty() {
        Err(FieldProblem::new(field, "must not be empty"))
    } else if char_len(s) > NAME_MAX_CHARS {
        Err(FieldProblem::new(
            field,
            format!("must be at most {NAME_MAX_CHARS} characters"),
        ))
    } else if s.chars().any(char::is_control) {
        Err(FieldProblem::new(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(s.to_string())
    }
}

/// A web_key given by the caller: 1 to 255 URL-safe characters (letters, digits,
/// `-`, `_`, `.`, `~`): it travels in form posts and URLs, and intake, which strips
/// HTML, could never match a key with `<` or `&`.
pub fn web_key(field: &str, raw: &str) -> Result<String, FieldProblem> {
    let s = raw.trim();
    let url_safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    if s.is_empty() || char_len(s) > WEB_KEY_MAX_CHARS || !s.bytes().all(url_safe) {
        Err(FieldProblem::new(
            field,
            format!(
                "must be 1 to {WEB_KEY_MAX_CHARS} URL-safe characters (letters, digits, - _ . ~)"
            ),
        ))
    } else {
        Ok(s.to_string())
    }
}

/// An owner email, stored as given (trimmed).
pub fn email(field: &str, raw: &str) -> Result<String, FieldProblem> {
    Email::parse(raw)
        .map(|e| e.as_str().to_string())
        .map_err(|e| FieldProblem::new(field, e))
}

/// An owner phone: ten digits.
pub fn phone(field: &str, raw: &str) -> Result<String, FieldProblem> {
    Phone::parse(raw)
        .map(|p| p.as_str().to_string())
        .map_err(|e| FieldProblem::new(field, e))
}

/// Longest website URL.
pub const WEBSITE_URL_MAX_CHARS: usize = 2048;

/// A website address: an `http://` or `https://` URL with a host, at most 2,048 characters.
pub fn website_url(field: &str, raw: &str) -> Result<String, FieldProblem> {
    let s = raw.trim();
    let refuse = || {
        FieldProblem::new(
            field,
            format!(
                "must be an http:// or https:// URL with a host, at most {WEBSITE_URL_MAX_CHARS} characters"
            ),
        )
    };
    if char_len(s) > WEBSITE_URL_MAX_CHARS || s.chars().any(char::is_control) {
        return Err(refuse());
    }
    match url::Url::parse(s) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => Err(refuse()),
    }
}

/// Seconds the old key keeps working after a rotation: 0 to 90 days.
pub fn grace_seconds(raw: Option<i64>) -> Result<i64, FieldProblem> {
    match raw {
        None => Ok(0),
        Some(n) if (0..=GRACE_MAX_SECONDS).contains(&n) => Ok(n),
        Some(_) => Err(FieldProblem::new(
            "grace_seconds",
            format!("must be from 0 to {GRACE_MAX_SECONDS}"),
        )),
    }
}

/// An optional value where empty means absent.
pub fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, FieldProblem>,
) -> Result<Option<T>, FieldProblem> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

/// A trimmed optional string; empty counts as absent.
pub fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_moment(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// The schema of an empty (or blank: white space only) query value, which counts as absent.
pub fn empty_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^\\s*$"))
        .build()
}

/// The schema of a free-text query value: anything but a NUL character (the
/// admin API refuses NUL everywhere).
pub fn text_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^[^\\u0000]*$"))
        .build()
}

/// The schema of a moment in a query ([`parse_moment`]): an RFC 3339 time, a
/// date, or empty (no filter).
pub fn moment_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    AnyOfBuilder::new()
        .item(string(KnownFormat::DateTime))
        .item(string(KnownFormat::Date))
        .item(empty_schema())
        .build()
        .into()
}

/// `Option<Option<T>>` for changes: absent = unchanged, `null` = clear.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_what_json_schemas_white_space_class_names() {
        assert_eq!(trim_blank(" \u{feff}a\u{3000}\t"), "a");
        // U+0085 is not `\s` in JSON Schema: the OpenAPI document's `\S` accepts it.
        assert_eq!(trim_blank("\u{85}"), "\u{85}");
    }

    #[test]
    fn a_name_is_trimmed_and_must_not_be_empty() {
        assert_eq!(name("name", "  Acme ").as_deref(), Ok("Acme"));
        assert_eq!(
            name("name", "   ").map_err(|p| p.field),
            Err("name".to_string())
        );
        assert!(name("name", &"x".repeat(256)).is_err());
    }

    #[test]
    fn a_web_key_has_no_spaces() {
        assert!(web_key("web_key", "CT_DEMO").is_ok());
        assert!(web_key("web_key", "two words").is_err());
        assert!(web_key("web_key", "ключ").is_err());
    }

    #[test]
    fn a_web_key_with_characters_intake_would_strip_is_refused() {
        assert!(web_key("web_key", "a<b").is_err());
        assert!(web_key("web_key", "a&amp;b").is_err());
        assert!(web_key("web_key", "Key-1_2.3~4").is_ok());
    }

    #[test]
    fn grace_is_bounded() {
        assert_eq!(grace_seconds(None), Ok(0));
        assert_eq!(grace_seconds(Some(3600)), Ok(3600));
        assert!(grace_seconds(Some(-1)).is_err());
        assert!(grace_seconds(Some(GRACE_MAX_SECONDS + 1)).is_err());
    }

    #[test]
    fn a_moment_is_a_time_or_a_date() {
        assert!(parse_moment("2026-01-02T03:04:05Z").is_some());
        assert_eq!(
            parse_moment("2026-01-02"),
            Some(time::macros::datetime!(2026-01-02 00:00 UTC))
        );
        assert!(parse_moment("yesterday").is_none());
    }
}
