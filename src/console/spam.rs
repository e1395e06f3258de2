//! `/console/spam`: the account's kept spam, newest first, with the reasons and what was posted.
//! "Not spam" releases one into a lead (members and owners); owners delete a selection.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::context;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::act::{all_values, answer, path_id, query_value, with_account};
use super::frame::Console;
use crate::people::Capability;
use crate::service::activity::{SubmissionQuery, list_submissions};
use crate::service::audit::AuditAction;
use crate::service::spam;
use crate::state::AppState;
use crate::store::{Outcome, Submission};

const PATH: &str = "/console/spam";

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(PATH, get(quarantine))
        .route("/console/spam/delete", post(delete))
        .route("/console/spam/{id}/release", post(release))
}

/// One kept post as the page shows it.
#[derive(Serialize)]
struct Kept {
    id: Uuid,
    at: String,
    name: String,
    email: String,
    reasons: Vec<&'static str>,
    fields: Vec<(String, String)>,
    remote_ip: Option<String>,
    released_client_id: Option<Uuid>,
    release_error_code: Option<String>,
}

impl From<Submission> for Kept {
    fn from(s: Submission) -> Self {
        let value = |names: &[&str]| {
            s.fields
                .iter()
                .filter(|(n, _)| names.contains(&n.as_str()))
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        Kept {
            id: s.id,
            at: super::act::moment(s.created_at),
            name: value(&["name", "firstName", "lastName"]),
            email: value(&["email"]),
            reasons: s.spam_reasons.iter().map(|r| r.as_str()).collect(),
            remote_ip: s.remote_ip.clone(),
            released_client_id: s.released_client_id,
            release_error_code: s.release_error_code.clone(),
            fields: s.fields,
        }
    }
}

/// `GET /console/spam[?after=]`
async fn quarantine(
    State(state): State<AppState>,
    console: Console,
    RawQuery(query): RawQuery,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let asked = SubmissionQuery {
        outcome: Some(Outcome::Spam.as_str().to_string()),
        error_code: None,
        channel: None,
        limit: None,
        after: query_value(query.as_deref(), "after"),
    };
    let list = match list_submissions(state.store.as_ref(), Some(account_id), &asked).await {
        Ok(list) => list,
        Err(e) => return console.failed(e),
    };
    let kept: Vec<Kept> = list.submissions.into_iter().map(Kept::from).collect();
    console.render(
        "spam.html",
        context! {
            kept => kept,
            next => list.next.map(|n| with_account(&console, &format!("{PATH}?after={n}"))),
            can_release => console.can(Capability::ActOnLeads),
            can_delete => console.can(Capability::ManageAccount),
        },
    )
}

/// `POST /console/spam/{id}/release`: "Not spam" (member or owner).
async fn release(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ActOnLeads) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "submission")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let released = spam::release_of_account(state.store.as_ref(), account_id, id).await;
    let released = console
        .audited(&state, "submission", "release", id, released)
        .await;
    answer(
        &console,
        &with_account(&console, PATH),
        released,
        |client| format!("Released: the lead is in the inbox ({}).", client.id),
    )
}

/// `POST /console/spam/delete` (`id` repeated): delete the chosen kept posts (owner).
async fn delete(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ManageAccount) {
        return *refused;
    }
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let ids: Vec<Uuid> = all_values(&body, "id")
        .iter()
        .filter_map(|raw| Uuid::parse_str(raw).ok())
        .collect();
    let deleted = spam::delete_submissions(state.store.as_ref(), account_id, &ids).await;
    if matches!(deleted, Ok(n) if n > 0) {
        let action = AuditAction::new("submission", "delete");
        for id in &ids {
            console.audit(&state, action, Some(id.to_string())).await;
        }
    }
    answer(&console, &with_account(&console, PATH), deleted, |n| {
        format!(
            "Deleted {n} kept spam post{}.",
            if n == 1 { "" } else { "s" }
        )
    })
}
