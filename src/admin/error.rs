//! The one error type of the admin API and the JSON answer each case becomes
//! (`{"error": ..., "fields": [{"field", "reason"}...]}`): the only place where
//! a [`ServiceError`] becomes an HTTP status.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::fields::FieldProblem;
use crate::service::ServiceError;

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "the admin API is disabled: set `token` under `[admin]` in the configuration file \
         or the LEADPOST_ADMIN_TOKEN environment variable to enable it"
    )]
    Disabled,
    #[error(
        "missing or wrong credentials: send `Authorization: Bearer <admin token or lpat_ token>` \
         or a console session cookie"
    )]
    Unauthorized,
    /// A console session's write without its CSRF token, or from a foreign `Origin`.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// What the operation itself answered.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl AdminError {
    /// A 422 for one field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        ServiceError::field(field, reason).into()
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::Disabled => StatusCode::FORBIDDEN,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::Forbidden(_) => StatusCode::FORBIDDEN,
            AdminError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AdminError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::Service(e) => match e {
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::Taken(_)
                | ServiceError::Conflict(_)
                | ServiceError::DuplicateClient => StatusCode::CONFLICT,
                ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                ServiceError::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Gone(_) => StatusCode::GONE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The field problems the answer lists (422 and 409 only).
    fn fields(&self) -> Option<Vec<FieldProblem>> {
        match self {
            AdminError::Service(ServiceError::Invalid(problems)) => Some(problems.clone()),
            AdminError::Service(ServiceError::Taken(what)) => {
                Some(vec![FieldProblem::new(*what, "is already taken")])
            }
            _ => None,
        }
    }
}

/// The JSON body of every admin error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// Every invalid field (422 and 409 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// The intake's error code, when the refusal is one (`ct103` on a release).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // Details go to the log, never to the client.
            tracing::error!(error = ?self, "admin request failed");
        }
        let error_code = match &self {
            AdminError::Service(ServiceError::DuplicateClient) => Some("ct103"),
            _ => None,
        };
        let body = ErrorBody {
            error_code,
            fields: self.fields(),
            error: self.to_string(),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
