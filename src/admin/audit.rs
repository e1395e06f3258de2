//! The audit log on the admin API: every write route's action in one table ([`AUDITED`]), recorded
//! by the token check ([`super::auth::guard`]) after a 2xx answer — no handler records anything
//! itself — and `GET /admin/v1/accounts/{id}/audit` to read an account's entries (owners and
//! operators).
//!
//! Adding a write route: add its row here, next to its `.routes(...)` line and its access row. A
//! test asks every documented write operation for its row.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::access::{self, AccountFrom, Need};
use super::error::{AdminError, ErrorBody};
use super::extract::{QueryParams, parse_id};
use crate::people::Caller;
use crate::service::audit::{self, AuditAction, AuditList, AuditQuery};
use crate::service::credentials::account_of;
use crate::state::AppState;
use crate::store::Store;

/// Where a write's object id is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFrom {
    /// This path parameter.
    Path(&'static str),
    /// This key of the JSON answer (a new object's id).
    Answer(&'static str),
    /// Nowhere: the write has no one object (or only the caller).
    None,
}

/// One write route and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Audited {
    pub method: &'static str,
    pub path: &'static str,
    pub action: AuditAction,
    pub object: ObjectFrom,
}

const fn row(
    method: &'static str,
    path: &'static str,
    object_type: &'static str,
    verb: &'static str,
    object: ObjectFrom,
) -> Audited {
    Audited {
        method,
        path,
        action: AuditAction::new(object_type, verb),
        object,
    }
}

use ObjectFrom::{Answer, Path as InPath};

/// Every write route of the admin API.
pub const AUDITED: &[Audited] = &[
    row(
        "POST",
        "/admin/v1/accounts",
        "account",
        "create",
        Answer("id"),
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}",
        "account",
        "update",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/rotate-key",
        "account",
        "rotate_key",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources",
        "lead_source",
        "create",
        Answer("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-key",
        "lead_source",
        "rotate_key",
        InPath("source_id"),
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}",
        "lead_source",
        "update",
        InPath("source_id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/webhooks",
        "webhook",
        "create",
        Answer("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/action-plans",
        "action_plan",
        "create",
        Answer("id"),
    ),
    row(
        "POST",
        "/admin/v1/clients/{id}/send-webhook/{webhook_id}",
        "client",
        "send_webhook",
        InPath("id"),
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}/notifications/{notification_id}",
        "notification",
        "update",
        InPath("notification_id"),
    ),
    row(
        "POST",
        "/admin/v1/jobs/{id}/retry",
        "job",
        "retry",
        InPath("id"),
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}/spam",
        "spam_settings",
        "update",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/submissions/{id}/release",
        "submission",
        "release",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/clients/{id}/spam",
        "client",
        "mark_spam",
        InPath("id"),
    ),
    row("POST", "/admin/v1/users", "user", "create", Answer("id")),
    row(
        "DELETE",
        "/admin/v1/users/{id}",
        "user",
        "delete",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/members",
        "member",
        "create",
        Answer("user_id"),
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}/members/{user_id}",
        "member",
        "update",
        InPath("user_id"),
    ),
    row(
        "DELETE",
        "/admin/v1/accounts/{id}/members/{user_id}",
        "member",
        "delete",
        InPath("user_id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/api-tokens",
        "api_token",
        "create",
        Answer("id"),
    ),
    row(
        "DELETE",
        "/admin/v1/accounts/{id}/api-tokens/{token_id}",
        "api_token",
        "revoke",
        InPath("token_id"),
    ),
    row(
        "POST",
        "/admin/v1/me/password",
        "user",
        "change_password",
        ObjectFrom::None,
    ),
    row(
        "PATCH",
        "/admin/v1/accounts/{id}/retention",
        "retention",
        "update",
        InPath("id"),
    ),
    row("POST", "/admin/v1/purge", "purge", "run", ObjectFrom::None),
    row(
        "DELETE",
        "/admin/v1/clients/{id}",
        "client",
        "erase",
        InPath("id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/erase",
        "client",
        "erase_by_email",
        ObjectFrom::None,
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-inbound-token",
        "lead_source",
        "rotate_inbound_token",
        InPath("source_id"),
    ),
    row(
        "POST",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers",
        "parser",
        "create",
        Answer("id"),
    ),
    row(
        "PUT",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}",
        "parser",
        "update",
        InPath("parser_id"),
    ),
    row(
        "DELETE",
        "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/{parser_id}",
        "parser",
        "delete",
        InPath("parser_id"),
    ),
    row(
        "POST",
        "/admin/v1/submissions/{id}/reparse",
        "submission",
        "reparse",
        InPath("id"),
    ),
];

/// Routes that use POST without writing anything (a dry run): never audited.
pub const NOT_WRITES: &[(&str, &str)] = &[(
    "POST",
    "/admin/v1/accounts/{id}/lead-sources/{source_id}/parsers/test",
)];

/// The row of a write route, if it has one.
pub fn audited(method: &Method, path: &str) -> Option<&'static Audited> {
    AUDITED
        .iter()
        .find(|row| row.method == method.as_str() && row.path == path)
}

/// Warn of a write route that ran without an audit row: a route added without
/// its row. Not for the dry runs of [`NOT_WRITES`], nor for a method the path
/// does not serve (answered 405 before any handler ran).
pub fn unaudited_write(method: &Method, path: &str, status: StatusCode) {
    if method.is_safe()
        || status == StatusCode::METHOD_NOT_ALLOWED
        || audited(method, path).is_some()
        || NOT_WRITES.contains(&(method.as_str(), path))
    {
        return;
    }
    tracing::warn!(%method, path, "a write route without an audit row");
}

/// What the guard notes about a write before its handler runs (the object may be gone after:
/// an erased client's account is found first).
pub struct PendingAudit {
    row: &'static Audited,
    caller: Caller,
    account_id: Option<Uuid>,
    params: Vec<(String, String)>,
}

/// Note a write about to run: its row and its account. `None` for reads and unlisted routes.
pub async fn before_write(
    store: &dyn Store,
    caller: &Caller,
    method: &Method,
    path: &str,
    params: Vec<(String, String)>,
) -> Option<PendingAudit> {
    if method.is_safe() {
        return None;
    }
    // A write without a row is noted after its answer (see `unaudited_write`).
    let row = audited(method, path)?;
    let id = params
        .iter()
        .find(|(name, _)| name == "id")
        .and_then(|(_, value)| Uuid::parse_str(value.trim()).ok());
    let account_id = match (access::need(method, path), id) {
        (Need::InAccount(_, AccountFrom::Path), Some(id)) => Some(id),
        (Need::InAccount(_, AccountFrom::Object(object, _)), Some(id)) => {
            account_of(store, object, id).await.ok().flatten()
        }
        _ => None,
    };
    Some(PendingAudit {
        row,
        caller: caller.clone(),
        account_id,
        params,
    })
}

/// Largest answer read for a new object's id.
const ANSWER_LIMIT: usize = 1024 * 1024;

/// Record the write if it succeeded; the answer, unchanged.
pub async fn after_write(store: &dyn Store, pending: PendingAudit, response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (response, object_id) = match pending.row.object {
        ObjectFrom::Path(name) => {
            let value = pending
                .params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            (response, value)
        }
        ObjectFrom::Answer(key) => answer_id(response, key).await,
        ObjectFrom::None => (response, None),
    };
    let mut account_id = pending.account_id;
    if account_id.is_none() && pending.row.action.object_type == "account" {
        account_id = object_id.as_deref().and_then(|s| Uuid::parse_str(s).ok());
    }
    audit::record(
        store,
        &pending.caller,
        account_id,
        pending.row.action,
        object_id,
    )
    .await;
    response
}

/// The string or number at `key` of a JSON answer, and the answer rebuilt.
async fn answer_id(response: Response, key: &str) -> (Response, Option<String>) {
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, ANSWER_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "answer unreadable for the audit log");
            return (Response::from_parts(parts, Body::empty()), None);
        }
    };
    let id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get(key).and_then(|id| id.as_str().map(str::to_string)));
    (Response::from_parts(parts, Body::from(bytes)), id)
}

/// The account's audit log, newest first: who wrote what, when and from where.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/audit", tag = "data",
    params(("id" = Uuid, Path, description = "Account id"), AuditQuery),
    responses((status = 200, body = AuditList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<AuditList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        audit::list(state.store.as_ref(), account_id, &query).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_write_route_is_listed_twice() {
        for (i, a) in AUDITED.iter().enumerate() {
            for b in &AUDITED[i + 1..] {
                assert!(a.method != b.method || a.path != b.path, "{}", a.path);
            }
        }
    }

    #[test]
    fn actions_are_snake_case() {
        for row in AUDITED {
            let name = row.action.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{name}"
            );
        }
    }
}
