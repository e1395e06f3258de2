//! The answers of the intake endpoint (docs/endpoint.md, answers and codes): one error type that knows
//! its code, status and message, and the redirect or JSON it becomes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use uuid::Uuid;

use crate::fields::{FieldProblem, RedirectUrl};

/// Why a post was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("The request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Step 1 (body syntax) or step 2 (`OnErrorURL` itself).
    #[error("Invalid request or field value: {0}")]
    BadRequest(String),
    #[error("Invalid Web_Key")]
    InvalidWebKey,
    /// Step 3b: the post's `Origin` (or `Referer`) is not one the account allows.
    #[error("Origin not allowed")]
    OriginNotAllowed,
    #[error("Name Not Received")]
    NameNotReceived,
    /// Step 5: every invalid field; the message names the first.
    #[error("Invalid request or field value: {}", first_problem(.0))]
    InvalidFields(Vec<FieldProblem>),
    #[error("Duplicate Client creation attempted")]
    DuplicateClient,
    #[error("Temporarily unable to accept the lead; please try again")]
    StorageUnavailable,
    #[error("Too many requests; try again later")]
    TooManyRequests { retry_after: std::time::Duration },
}

fn first_problem(problems: &[FieldProblem]) -> String {
    problems
        .first()
        .map(|p| format!("{} {}", p.field, p.reason))
        .unwrap_or_default()
}

impl IntakeError {
    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::InvalidWebKey => "ct101",
            IntakeError::NameNotReceived => "ct102",
            IntakeError::DuplicateClient => "ct103",
            IntakeError::StorageUnavailable => "ct105",
            IntakeError::TooManyRequests { .. } => "ct106",
            IntakeError::OriginNotAllowed => "ct107",
            IntakeError::PayloadTooLarge { .. }
            | IntakeError::UnsupportedMediaType(_)
            | IntakeError::BadRequest(_)
            | IntakeError::InvalidFields(_) => "ct104",
        }
    }

    /// The status of the JSON answer.
    pub fn status(&self) -> StatusCode {
        match self {
            IntakeError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            IntakeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IntakeError::InvalidWebKey => StatusCode::UNAUTHORIZED,
            IntakeError::OriginNotAllowed => StatusCode::FORBIDDEN,
            IntakeError::DuplicateClient => StatusCode::CONFLICT,
            IntakeError::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            IntakeError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            IntakeError::BadRequest(_)
            | IntakeError::NameNotReceived
            | IntakeError::InvalidFields(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// How a post is answered.
#[derive(Debug)]
pub enum Answer {
    Success {
        redirect: Option<RedirectUrl>,
    },
    Failure {
        error: IntakeError,
        redirect: Option<RedirectUrl>,
    },
    /// `303` to the service's own `/thanks` (no error) or `/oops` page: for accounts
    /// with hosted thank-you pages, when the browser prefers HTML and the form gave no
    /// URL of its own. `base` is the public URL, or empty for a relative `Location`;
    /// `account_id` goes along as `?a=` so the page can name the account.
    HostedPage {
        base: String,
        account_id: Uuid,
        error: Option<IntakeError>,
    },
}

impl Answer {
    /// The hosted page instead of a JSON answer; redirects the form asked for are kept.
    pub fn on_hosted_page(self, base: &str, account_id: Uuid) -> Answer {
        match self {
            Answer::Success { redirect: None } => Answer::HostedPage {
                base: base.to_string(),
                account_id,
                error: None,
            },
            Answer::Failure {
                error,
                redirect: None,
            } => Answer::HostedPage {
                base: base.to_string(),
                account_id,
                error: Some(error),
            },
            other => other,
        }
    }
}

/// Path of the hosted success page.
pub const THANKS_PATH: &str = "/thanks";
/// Path of the hosted error page (`?error_Code=&msg=`).
pub const OOPS_PATH: &str = "/oops";

/// `{base}/thanks?a=<account id>`.
fn thanks_location(base: &str, account_id: Uuid) -> String {
    format!("{base}{THANKS_PATH}?a={account_id}")
}

/// `{base}/oops?a=<account id>&error_Code=<code>&msg=<msg>`, form-encoded.
fn oops_location(base: &str, account_id: Uuid, error: &IntakeError) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("a", &account_id.to_string())
        .append_pair("error_Code", error.code())
        .append_pair("msg", &error.to_string())
        .finish();
    format!("{base}{OOPS_PATH}?{query}")
}

#[derive(Serialize)]
struct SuccessBody {
    #[serde(rename = "Message")]
    message: &'static str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "Message")]
    message: &'static str,
    error_code: &'static str,
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [FieldProblem]>,
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        // A parsed URL is always a valid header value; never echo anything else.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Success {
                redirect: Some(url),
            } => see_other(url.as_str()),
            Answer::Success { redirect: None } => {
                Json(SuccessBody { message: "Success" }).into_response()
            }
            Answer::Failure {
                error,
                redirect: Some(url),
            } => see_other(&url.with_error(error.code(), &error.to_string())),
            Answer::HostedPage {
                base,
                account_id,
                error: None,
            } => see_other(&thanks_location(&base, account_id)),
            Answer::HostedPage {
                base,
                account_id,
                error: Some(error),
            } => see_other(&oops_location(&base, account_id, &error)),
            Answer::Failure {
                error,
                redirect: None,
            } => {
                let fields = match &error {
                    IntakeError::InvalidFields(problems) => Some(problems.as_slice()),
                    _ => None,
                };
                let body = ErrorBody {
                    message: "Error",
                    error_code: error.code(),
                    msg: error.to_string(),
                    fields,
                };
                let mut response = (error.status(), Json(body)).into_response();
                if let IntakeError::TooManyRequests { retry_after } = error {
                    // Whole seconds, rounded up, at least 1.
                    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
                }
                response
            }
        }
    }
}
