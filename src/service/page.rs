//! Keyset pagination of every list: `limit` and an opaque `after` cursor in,
//! one page and the `next` cursor out.

use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

use super::ServiceError;
use super::input::Problems;
use crate::fields::FieldProblem;
use crate::store::{Page, StoreError};

/// Default page size of every list.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of every list.
pub const MAX_LIMIT: i64 = 500;

/// `limit` and `after` of a list request, as given.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50 when absent or empty).
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page; empty for the first page.
    #[param(schema_with = cursor_schema)]
    pub after: Option<String>,
}

/// The pattern of a cursor: unpadded base64url of a 16-byte id (whose last
/// character carries two zero bits, so it is one of `A`, `Q`, `g`, `w`), or empty
/// (the first page).
pub const CURSOR_PATTERN: &str = "^([A-Za-z0-9_-]{21}[AQgw])?$";

/// The schema of a `limit` query parameter: a whole number from 1 to
/// [`MAX_LIMIT`], or empty (the default).
pub fn limit_schema() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(MAX_LIMIT)),
        )
        .item(super::input::empty_schema())
        .build()
        .into()
}

/// The schema of an `after` query parameter.
pub fn cursor_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(CURSOR_PATTERN))
        .build()
}

/// The schema of a query parameter that takes one of `names`, or empty (no filter).
pub fn choice_or_empty_schema(names: &[&str]) -> utoipa::openapi::Object {
    let values = std::iter::once("").chain(names.iter().copied());
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

impl PageParams {
    /// A request for `limit` rows after the `after` cursor.
    pub fn new(limit: Option<String>, after: Option<String>) -> Self {
        PageParams { limit, after }
    }

    /// The page asked for.
    pub fn page(&self) -> Result<Page, ServiceError> {
        let mut problems = Problems::default();
        let page = self.page_into(&mut problems);
        problems.finish()?;
        Ok(page)
    }

    /// The page asked for, its problems noted with the others of the request.
    pub fn page_into(&self, problems: &mut Problems) -> Page {
        let limit = match trimmed(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.push(FieldProblem::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match trimmed(&self.after) {
            None => None,
            Some(s) => match decode_cursor(s) {
                Some(id) => Some(id),
                None => {
                    problems.push(FieldProblem::new(
                        "after",
                        "is not a cursor this API gave out",
                    ));
                    None
                }
            },
        };
        Page { limit, after }
    }
}

fn trimmed(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
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

/// One page of rows from `fetch`, which is asked for one row more to learn
/// whether a next page exists: the rows and the `next` cursor.
pub async fn fetch<T, Fut>(
    page: Page,
    fetch: impl FnOnce(Page) -> Fut,
    id: impl Fn(&T) -> Uuid,
) -> Result<(Vec<T>, Option<String>), ServiceError>
where
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let rows = fetch(one_more(page)).await?;
    Ok(paginate(rows, page, id))
}

/// Rows fetched with one more than the page asks for: the page and the `next` cursor.
fn paginate<T>(mut rows: Vec<T>, page: Page, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
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
fn one_more(page: Page) -> Page {
    Page {
        limit: page.limit + 1,
        after: page.after,
    }
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
    fn every_id_s_cursor_matches_the_documented_pattern() {
        let pattern = regex::Regex::new(CURSOR_PATTERN).expect("regex");
        for _ in 0..64 {
            assert!(pattern.is_match(&encode_cursor(Uuid::new_v4())));
        }
        assert!(pattern.is_match(""));
        assert!(!pattern.is_match(&"0".repeat(22)), "not canonical base64");
    }

    #[test]
    fn a_limit_out_of_range_names_the_field() {
        let params = PageParams::new(Some("0".into()), None);
        match params.page() {
            Err(ServiceError::Invalid(problems)) => assert_eq!(problems[0].field, "limit"),
            other => panic!("expected a problem, got {other:?}"),
        }
    }
}
