//! Reading admin requests: JSON bodies (422 naming the field), query strings,
//! ids in the path (unknown or malformed: 404) and keyset pagination with an
//! opaque cursor.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::error::{AdminError, problem};
use crate::store::Page;

/// Default page size of every list.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of every list.
pub const MAX_LIMIT: i64 = 500;
/// Largest accepted admin request body.
const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body; an empty body reads as `{}`.
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
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        refuse_nul_in_json(text)?;
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
            AdminError::Invalid(vec![problem(&field, reason)])
        })?;
        de.end()
            .map_err(|_| AdminError::field("body", "must be a single JSON value"))?;
        Ok(JsonBody(value))
    }
}

const NUL_REASON: &str = "must not contain a NUL character";

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
            Err(AdminError::Invalid(vec![problem(field, NUL_REASON)]))
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

/// `Option<Option<T>>` for PATCH bodies: absent = unchanged, `null` = clear.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
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

/// `limit` and `after` of a list request.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub after: Option<String>,
}

impl PageParams {
    /// The page asked for.
    pub fn page(&self) -> Result<Page, AdminError> {
        let mut problems = Vec::new();
        let limit = match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.push(problem(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match self
            .after
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => match decode_cursor(s) {
                Some(id) => Some(id),
                None => {
                    problems.push(problem("after", "is not a cursor this API gave out"));
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok(Page { limit, after })
        } else {
            Err(AdminError::Invalid(problems))
        }
    }
}

/// The cursor that continues after the row with this id.
pub fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(s: &str) -> Option<Uuid> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// Fetch one row more than asked, then call this: the page and the `next` cursor.
pub fn paginate<T>(
    mut rows: Vec<T>,
    page: Page,
    id: impl Fn(&T) -> Uuid,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|row| encode_cursor(id(row)));
        (rows, next)
    } else {
        (rows, None)
    }
}

/// The page with one row more, to learn whether a next page exists.
pub fn one_more(page: Page) -> Page {
    Page {
        limit: page.limit + 1,
        after: page.after,
    }
}

/// An id from the path; a malformed one names no object: 404.
pub fn parse_id(raw: &str, what: &'static str) -> Result<Uuid, AdminError> {
    Uuid::parse_str(raw.trim()).map_err(|_| AdminError::NotFound(what))
}

/// A trimmed optional string; empty counts as absent.
pub fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_id() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not a cursor"), None);
    }

    #[test]
    fn a_full_page_gets_a_next_cursor_and_a_short_one_does_not() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = Page {
            limit: 2,
            after: None,
        };
        let (rows, next) = paginate(ids.clone(), page, |id| *id);
        assert_eq!(rows, ids[..2]);
        assert_eq!(next, Some(encode_cursor(ids[1])));
        let (rows, next) = paginate(ids[..2].to_vec(), page, |id| *id);
        assert_eq!(rows.len(), 2);
        assert_eq!(next, None);
    }

    #[test]
    fn a_limit_out_of_range_names_the_field() {
        let params = PageParams {
            limit: Some("0".into()),
            after: None,
        };
        match params.page() {
            Err(AdminError::Invalid(problems)) => assert_eq!(problems[0].field, "limit"),
            other => panic!("expected a 422, got {other:?}"),
        }
    }
}
