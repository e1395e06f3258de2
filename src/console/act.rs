//! What the operational and settings pages share once a form has been checked: the answer to a
//! service call (a redirect carrying a flash message, or the frame's 404/500 page), the ids a
//! form names, and the query's values.

use axum::response::Response;
use uuid::Uuid;

use super::frame::{Console, FlashKind, redirect_with};
use crate::service::ServiceError;

/// Back to `to` with `success` shown, or with what went wrong; an object that is not the
/// account's is the 404 page and a failure nobody can fix is the 500 page.
pub fn answer<T>(
    console: &Console,
    to: &str,
    result: Result<T, ServiceError>,
    success: impl FnOnce(T) -> String,
) -> Response {
    match result {
        Ok(value) => redirect_with(to, FlashKind::Ok, &success(value)),
        Err(e) => refused(console, to, e),
    }
}

/// Back to `to` with the reason `e` gives, or the frame's 404 / 500 page.
pub fn refused(console: &Console, to: &str, e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(what) => console.not_found(what),
        ServiceError::Invalid(problems) => {
            let text: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.reason))
                .collect();
            redirect_with(to, FlashKind::Error, &text.join("; "))
        }
        ServiceError::Conflict(text) | ServiceError::Forbidden(text) => {
            redirect_with(to, FlashKind::Error, &text)
        }
        ServiceError::Taken(what) => {
            redirect_with(to, FlashKind::Error, &format!("{what} is already taken"))
        }
        ServiceError::DuplicateClient => redirect_with(
            to,
            FlashKind::Error,
            "The account already has a lead with this email (ct103).",
        ),
        other => console.failed(other),
    }
}

/// An id in the path, or the 404 page.
pub fn path_id(console: &Console, raw: &str, what: &str) -> Result<Uuid, Box<Response>> {
    Uuid::parse_str(raw).map_err(|_| Box::new(console.not_found(what)))
}

/// Every value of `name` in a form or query string, in order.
pub fn all_values(body: &[u8], name: &str) -> Vec<String> {
    url::form_urlencoded::parse(body)
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The first non-empty value of `name` in a query string.
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(n, v)| n == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
}

/// A page path with the current account kept (`?account=ID`), so a link or redirect lands on the
/// same account whatever the session holds.
pub fn with_account(console: &Console, path: &str) -> String {
    match &console.account {
        Some(account) => {
            let joiner = if path.contains('?') { '&' } else { '?' };
            format!("{path}{joiner}account={}", account.id)
        }
        None => path.to_string(),
    }
}

/// A moment as the pages show it: `YYYY-MM-DD HH:MM:SS UTC`.
pub fn moment(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}
