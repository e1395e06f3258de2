//! Reading admin requests: JSON bodies (422 naming the field), query strings
//! (422) and ids in the path (unknown or malformed: 404).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::AdminError;
use crate::service::ServiceError;

/// Largest accepted admin request body.
const BODY_LIMIT: usize = 64 * 1024;

/// A JSON object as request body; an empty body or `null` reads as `{}`, any
/// other JSON value (an array, which serde would read into a struct) is a 422.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AdminError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase());
        if content_type
            .as_deref()
            .is_some_and(|ct| !ct.starts_with("application/json") && !ct.contains("+json"))
        {
            return Err(AdminError::UnsupportedMediaType);
        }
        let req =
            req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, BODY_LIMIT)));
        let bytes = bytes::Bytes::from_request(req, state)
            .await
            .map_err(|_| AdminError::PayloadTooLarge(BODY_LIMIT))?;
        let text = object_text(&bytes)?;
        refuse_nul_in_json(text)?;
        let whole = whole_numbers_as_integers(text);
        let text = whole.as_deref().unwrap_or(text);
        let mut de = serde_json::Deserializer::from_slice(text);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            let inner = e.into_inner();
            let reason = reason_of(&inner);
            let field = unknown_field_name(&inner).unwrap_or(field);
            AdminError::field(&field, reason)
        })?;
        de.end()
            .map_err(|_| AdminError::field("body", "must be a single JSON value"))?;
        Ok(JsonBody(value))
    }
}

/// The JSON text to read: no body at all (or `null`) is `{}`; anything else must be a JSON
/// object. Whitespace alone is not JSON, so it is refused rather than read as no body.
fn object_text(bytes: &[u8]) -> Result<&[u8], AdminError> {
    if bytes.is_empty() {
        return Ok(b"{}");
    }
    match bytes.trim_ascii() {
        b"null" => Ok(b"{}"),
        b if b.starts_with(b"{") => Ok(bytes),
        _ => Err(AdminError::field("body", "must be a JSON object")),
    }
}

const NUL_REASON: &str = "must not contain a NUL character";

/// JSON Schema counts `164.0` as an integer: a body whose numbers include such a whole number
/// written with a fraction or an exponent, rewritten with them as plain integers (which the
/// typed fields read); `None` when there is nothing to rewrite.
fn whole_numbers_as_integers(text: &[u8]) -> Option<Vec<u8>> {
    if !text.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    let mut value = serde_json::from_slice::<serde_json::Value>(text).ok()?;
    if !rewrite_whole_numbers(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// Rewrite every float with no fraction (and exactly representable) as an integer; whether any was.
fn rewrite_whole_numbers(value: &mut serde_json::Value) -> bool {
    /// Floats up to 2^53 are exact integers.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        serde_json::Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *value = serde_json::Value::from(f as i64);
                true
            }
            _ => false,
        },
        // Every item is visited (no short cut): each may need rewriting.
        serde_json::Value::Array(items) => {
            items
                .iter_mut()
                .map(rewrite_whole_numbers)
                .filter(|c| *c)
                .count()
                > 0
        }
        serde_json::Value::Object(map) => {
            map.values_mut()
                .map(rewrite_whole_numbers)
                .filter(|c| *c)
                .count()
                > 0
        }
        _ => false,
    }
}

/// A JSON body with a NUL (`\u0000`) in any key or string: 422 naming where.
fn refuse_nul_in_json(text: &[u8]) -> Result<(), AdminError> {
    if !text.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(text) else {
        return Ok(());
    };
    match crate::fields::json_path_with_nul(&value) {
        Some(path) => {
            let field = path.trim_start_matches('.');
            let field = if field.is_empty() { "body" } else { field };
            Err(AdminError::field(field, NUL_REASON))
        }
        None => Ok(()),
    }
}

/// serde's message without its position suffix.
fn reason_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    };
    if text.starts_with("missing field") {
        "is required".to_string()
    } else if text.starts_with("unknown field") {
        "is not a known field".to_string()
    } else {
        text
    }
}

/// `unknown field `x`, expected ...` names the field itself.
fn unknown_field_name(e: &serde_json::Error) -> Option<String> {
    let text = e.to_string();
    let rest = text
        .strip_prefix("unknown field `")
        .or_else(|| text.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_string)
}

/// A query string read into `T` (whose fields are all optional strings); a
/// malformed one is a 422.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) =
            form_urlencoded_parse(query).find(|(n, v)| n.contains('\0') || v.contains('\0'))
        {
            return Err(AdminError::field(&name.replace('\0', ""), NUL_REASON));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let field = e.path().to_string();
                AdminError::field(&field, e.into_inner().to_string())
            })
    }
}

fn form_urlencoded_parse(query: &str) -> url::form_urlencoded::Parse<'_> {
    url::form_urlencoded::parse(query.as_bytes())
}

/// An id from the path; a malformed one names no object: 404.
pub fn parse_id(raw: &str, what: &'static str) -> Result<Uuid, AdminError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ServiceError::NotFound(what).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_with_a_fraction_reads_as_an_integer() {
        let rewritten = whole_numbers_as_integers(br#"{"a": 164.0, "b": [2e1], "c": "1.5"}"#);
        let value: serde_json::Value =
            serde_json::from_slice(&rewritten.expect("rewritten")).expect("json");
        assert_eq!(value, serde_json::json!({"a": 164, "b": [20], "c": "1.5"}));
    }

    #[test]
    fn no_body_or_null_reads_as_an_empty_object() {
        assert_eq!(object_text(b"").ok(), Some(&b"{}"[..]));
        assert_eq!(object_text(b" null ").ok(), Some(&b"{}"[..]));
        assert_eq!(object_text(b" {} ").ok(), Some(&b" {} "[..]));
    }

    #[test]
    fn a_body_of_whitespace_alone_is_not_json() {
        assert!(object_text(b"\t").is_err());
        assert!(object_text(b" \r\n").is_err());
    }

    #[test]
    fn a_real_fraction_is_left_for_the_field_to_refuse() {
        assert_eq!(whole_numbers_as_integers(br#"{"a": 1.5}"#), None);
        assert_eq!(whole_numbers_as_integers(br#"{"a": 1}"#), None);
    }
}
