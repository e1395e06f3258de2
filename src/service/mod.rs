//! The operations on an account's data, behind every edge that changes or reads
//! it: the admin API, the command line and the web console all call these
//! functions. Each parses its raw input into domain types (collecting every
//! field problem), calls the store, and answers with domain values or a
//! [`ServiceError`]. Nothing here knows about HTTP status codes or terminals:
//! each edge maps [`ServiceError`] to its own answer in one place.
//!
//! One file per area: [`accounts`], [`lead_sources`], [`automation`] (webhooks,
//! action plans, sending), [`clients`] and their CSV [`export`], [`activity`]
//! (notifications, submissions), [`jobs`], a webhook's [`test_send`]; [`people`] (users, members, invites, passwords),
//! [`credentials`] (account API tokens, who a credential is, what an actor may reach) and
//! [`sessions`] (console login and logout); [`input`] and [`page`] hold the shared checks and
//! the keyset pagination.
//!
//! The input types (`CreateAccount`, `ClientQuery`, ...) are the raw values as
//! any edge gives them; they are also the admin API's request bodies and query
//! strings, so their doc comments are its OpenAPI descriptions.

pub mod accounts;
pub mod activity;
pub mod audit;
pub mod automation;
pub mod clients;
pub mod credentials;
pub mod erasure;
pub mod export;
pub mod inbound;
pub mod inbox;
pub mod input;
pub mod intake;
pub mod jobs;
pub mod lead_sources;
pub mod leads;
pub mod live;
pub mod page;
pub mod parsers;
pub mod people;
pub mod reparse;
pub mod retention;
pub mod sessions;
pub mod spam;
pub mod test_send;

use crate::fields::FieldProblem;
use crate::store::StoreError;

/// Why an operation failed, whoever asked for it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The object named does not exist (or is not the account's).
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The input has these problems, all of them.
    #[error("invalid request: {}", first_problem(.0))]
    Invalid(Vec<FieldProblem>),
    /// A unique value (a web_key) is in use already.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// The account already has a client with this email (ct103); Duplicate Record was raised.
    #[error("Duplicate Client creation attempted")]
    DuplicateClient,
    /// The object is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// The caller is known but may not do this (its role or scope is too small).
    #[error("{0}")]
    Forbidden(String),
    /// No valid credential: unknown, revoked or expired token or session, or a failed login.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Too many failed logins for this email.
    #[error(transparent)]
    Locked(#[from] crate::people::Locked),
    /// A one-use or time-limited link that is used up or past its end.
    #[error("this {0} has been used or has expired")]
    Gone(&'static str),
    /// The database is down or overloaded; worth trying again.
    #[error("the database is unavailable; try again")]
    Unavailable(#[source] StoreError),
    /// Anything else; the details are for the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn first_problem(problems: &[FieldProblem]) -> String {
    problems
        .first()
        .map(|p| format!("{} {}", p.field, p.reason))
        .unwrap_or_default()
}

impl ServiceError {
    /// A problem with one field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldProblem::new(field, reason)])
    }

    /// Map a store error, naming the object a `NotFound` is about.
    pub fn from_store(err: StoreError, what: &'static str) -> Self {
        match err {
            StoreError::NotFound => ServiceError::NotFound(what),
            other => other.into(),
        }
    }

    /// Map a store error, reading a `NotFound` as a problem with one field
    /// (an id in the input that names nothing of the account's).
    pub fn from_store_as_field(err: StoreError, field: &str, reason: &str) -> Self {
        match err {
            StoreError::NotFound => ServiceError::field(field, reason),
            other => other.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ServiceError::NotFound("object"),
            StoreError::Conflict(what) => ServiceError::Taken(what),
            StoreError::Database(ref e) if is_unavailable(e) => ServiceError::Unavailable(err),
            StoreError::Sqlite(ref e) if sqlite_busy(e) => ServiceError::Unavailable(err),
            other => ServiceError::Internal(other.into()),
        }
    }
}

/// SQLite busy or locked past its timeout, on the group-commit path.
fn sqlite_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
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
