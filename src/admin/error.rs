//! The one error type of the admin API and the JSON answer each case becomes
//! (docs/admin-api.md, errors): `{"error": ..., "fields": [{"field", "reason"}...]}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::intake::form::FieldProblem;
use crate::store::StoreError;

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "the admin API is disabled: set `token` under `[admin]` in the configuration file \
         or the LEADPOST_ADMIN_TOKEN environment variable to enable it"
    )]
    Disabled,
    #[error("missing or wrong admin token: send `Authorization: Bearer <admin token>`")]
    Unauthorized,
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("invalid request: {}", first_problem(.0))]
    Invalid(Vec<FieldProblem>),
    #[error("{0} is already taken")]
    Taken(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the database is unavailable; try again")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn first_problem(problems: &[FieldProblem]) -> String {
    problems
        .first()
        .map(|p| format!("{} {}", p.field, p.reason))
        .unwrap_or_default()
}

impl AdminError {
    /// A 422 for one field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        AdminError::Invalid(vec![problem(field, reason)])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::Disabled => StatusCode::FORBIDDEN,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AdminError::Taken(_) | AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AdminError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Map a store error, naming the object a `NotFound` is about.
    pub fn from_store(err: StoreError, what: &'static str) -> Self {
        match err {
            StoreError::NotFound => AdminError::NotFound(what),
            other => other.into(),
        }
    }
}

/// One field problem.
pub fn problem(field: &str, reason: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        reason: reason.into(),
    }
}

impl From<StoreError> for AdminError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AdminError::NotFound("object"),
            StoreError::Conflict(what) => AdminError::Taken(what),
            StoreError::Database(ref e) if is_unavailable(e) => AdminError::Unavailable(err),
            other => AdminError::Internal(other.into()),
        }
    }
}

/// A database that is down or overloaded, as opposed to a failing statement.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            // SQLite busy or locked past its timeout.
            matches!(db.code().as_deref(), Some("5" | "6" | "517"))
        }
        _ => false,
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
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // Details go to the log, never to the client.
            tracing::error!(error = ?self, "admin request failed");
        }
        let fields = match &self {
            AdminError::Invalid(problems) => Some(problems.clone()),
            AdminError::Taken(what) => Some(vec![problem(what, "is already taken")]),
            _ => None,
        };
        let body = ErrorBody {
            error: self.to_string(),
            fields,
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
