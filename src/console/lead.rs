//! A lead's page (`/console/leads/{client id}`): every stored field, custom fields, tags, notes,
//! the post it came from (raw fields, IP, user agent, time, request id), its jobs with every
//! attempt; members and owners add notes, add and remove tags, send it to a webhook and mark it
//! spam; owners erase it (a ticked confirmation box, then the service's erasure of one client).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::context;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::frame::{Console, FlashKind, redirect_with};
use crate::clients::read_back;
use crate::people::Capability;
use crate::service::{ServiceError, automation, erasure, leads, spam};
use crate::state::AppState;
use crate::store::{Channel, JobWithAttempts, LeadOrigin};

/// A lead page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console/leads/{id}", get(lead_page))
        .route("/console/leads/{id}/notes", post(add_note))
        .route("/console/leads/{id}/tags", post(add_tag))
        .route("/console/leads/{id}/tags/remove", post(remove_tag))
        .route("/console/leads/{id}/send-webhook", post(send_webhook))
        .route("/console/leads/{id}/spam", post(mark_spam))
        .route("/console/leads/{id}/erase", post(erase))
}

fn when(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[derive(Serialize)]
struct AttemptView {
    at: String,
    status: Option<i32>,
    latency_ms: i64,
    response: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JobView {
    id: Uuid,
    kind: String,
    state: String,
    attempts: Vec<AttemptView>,
    last_error: Option<String>,
}

fn job_view(j: &JobWithAttempts) -> JobView {
    JobView {
        id: j.job.id,
        kind: j.job.kind.as_str().to_string(),
        state: j.job.state.as_str().to_string(),
        last_error: j.job.last_error.clone(),
        attempts: j
            .attempts_log
            .iter()
            .map(|a| AttemptView {
                at: when(a.attempted_at),
                status: a.status_code,
                latency_ms: a.latency_ms,
                response: a.response.clone(),
                error: a.error.clone(),
            })
            .collect(),
    }
}

fn origin_view(origin: &LeadOrigin) -> minijinja::Value {
    let s = &origin.submission;
    context! {
        id => s.id,
        outcome => s.outcome.as_str(),
        channel => s.channel.as_str(),
        raw_message => (s.channel == Channel::Email).then_some(s.raw_message.as_deref()).flatten(),
        fields => s.fields.iter().map(|(n, v)| vec![n.clone(), v.clone()]).collect::<Vec<_>>(),
        ip => s.remote_ip,
        user_agent => s.user_agent,
        at => when(s.created_at),
        request_id => origin.request_id,
    }
}

/// The lead's id from the path; a malformed one is as absent as an unknown one.
fn lead_id(console: &Console, raw: &str) -> Result<Uuid, Box<Response>> {
    Uuid::parse_str(raw).map_err(|_| Box::new(console.not_found("lead")))
}

/// `GET /console/leads/{id}`
pub async fn lead_page(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let id = match lead_id(&console, &raw) {
        Ok(id) => id,
        Err(page) => return *page,
    };
    let view = match leads::view(state.store.as_ref(), account_id, id).await {
        Ok(view) => view,
        Err(ServiceError::NotFound(_)) => return console.not_found("lead"),
        Err(e) => return console.failed(e),
    };
    let client = &view.client;
    let fields: Vec<Vec<String>> = read_back(&client.fields)
        .into_iter()
        .filter_map(|f| f.value.map(|v| vec![f.json.to_string(), v.to_cell()]))
        .collect();
    let notes: Vec<_> = client
        .notes
        .iter()
        .map(|n| context! { body => n.body, at => when(n.created_at) })
        .collect();
    let webhooks: Vec<_> = view
        .webhooks
        .iter()
        .map(|w| context! { id => w.id, name => w.name })
        .collect();
    console.render(
        "lead.html",
        context! {
            id => client.id,
            name => client.fields.display_name(),
            created_at => when(client.created_at),
            fields => fields,
            custom => client.custom_fields,
            tags => client.tags,
            notes => notes,
            origin => view.origin.as_ref().map(origin_view),
            jobs => view.jobs.iter().map(job_view).collect::<Vec<_>>(),
            webhooks => webhooks,
        },
    )
}

/// The checks every action on a lead shares: the form (origin, CSRF, a member's role), the
/// account and the lead's id.
fn action(
    state: &AppState,
    console: &Console,
    headers: &HeaderMap,
    body: &[u8],
    raw: &str,
) -> Result<(Uuid, Uuid, std::collections::HashMap<String, String>), Box<Response>> {
    let fields = console.form(state, headers, body, Capability::ActOnLeads)?;
    let account_id = console.account_id()?;
    let id = lead_id(console, raw)?;
    Ok((account_id, id, fields))
}

/// Back to the lead's page with the outcome of an action.
fn done(console: &Console, id: Uuid, result: Result<String, ServiceError>) -> Response {
    let to = format!("/console/leads/{id}");
    match result {
        Ok(text) => redirect_with(&to, FlashKind::Ok, &text),
        Err(ServiceError::Invalid(problems)) => {
            let text = problems
                .iter()
                .map(|p| format!("The {} {}.", p.field, p.reason))
                .collect::<Vec<_>>()
                .join(" ");
            redirect_with(&to, FlashKind::Error, &text)
        }
        Err(ServiceError::NotFound(_)) => console.not_found("lead"),
        Err(e) => console.failed(e),
    }
}

/// `POST /console/leads/{id}/notes` (form: `note`)
pub async fn add_note(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account_id, id, fields) = match action(&state, &console, &headers, &body, &raw) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let note = fields.get("note").map(String::as_str).unwrap_or_default();
    let result = leads::add_note(state.store.as_ref(), account_id, id, note).await;
    let result = console
        .audited(&state, "client", "add_note", id, result)
        .await
        .map(|()| "Note added.".to_string());
    done(&console, id, result)
}

/// `POST /console/leads/{id}/tags` (form: `tag`)
pub async fn add_tag(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account_id, id, fields) = match action(&state, &console, &headers, &body, &raw) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let tag = fields.get("tag").map(String::as_str).unwrap_or_default();
    let result = leads::add_tag(state.store.as_ref(), account_id, id, tag).await;
    let result = console
        .audited(&state, "client", "add_tag", id, result)
        .await
        .map(|tag| format!("Tag “{tag}” added."));
    done(&console, id, result)
}

/// `POST /console/leads/{id}/tags/remove` (form: `tag`)
pub async fn remove_tag(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account_id, id, fields) = match action(&state, &console, &headers, &body, &raw) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let tag = fields.get("tag").map(String::as_str).unwrap_or_default();
    let result = leads::remove_tag(state.store.as_ref(), account_id, id, tag).await;
    let result = console
        .audited(&state, "client", "remove_tag", id, result)
        .await
        .map(|()| format!("Tag “{}” removed.", tag.trim()));
    done(&console, id, result)
}

/// `POST /console/leads/{id}/send-webhook` (form: `webhook_id`)
pub async fn send_webhook(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account_id, id, fields) = match action(&state, &console, &headers, &body, &raw) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let store = state.store.as_ref();
    let webhook = fields
        .get("webhook_id")
        .and_then(|w| Uuid::parse_str(w.trim()).ok());
    let result = match webhook {
        None => Err(ServiceError::field(
            "webhook",
            "must be one of the account's webhooks",
        )),
        Some(webhook_id) => match leads::view(store, account_id, id).await {
            Ok(view) if view.webhooks.iter().any(|w| w.id == webhook_id) => {
                automation::send_webhook(store, id, webhook_id)
                    .await
                    .map(|_| "Webhook queued.".to_string())
            }
            Ok(_) => Err(ServiceError::field(
                "webhook",
                "must be one of the account's webhooks",
            )),
            Err(e) => Err(e),
        },
    };
    let result = console
        .audited(&state, "client", "send_webhook", id, result)
        .await;
    done(&console, id, result)
}

/// `POST /console/leads/{id}/spam`: the lead goes to the spam quarantine.
pub async fn mark_spam(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account_id, id, _) = match action(&state, &console, &headers, &body, &raw) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let store = state.store.as_ref();
    if let Err(e) = crate::service::clients::get_of_account(store, account_id, id).await {
        return match e {
            ServiceError::NotFound(_) => console.not_found("lead"),
            other => console.failed(other),
        };
    }
    let result = spam::mark_client(store, id).await;
    match console
        .audited(&state, "client", "mark_spam", id, result)
        .await
    {
        Ok(_) => redirect_with("/console/", FlashKind::Ok, "Lead marked spam."),
        Err(ServiceError::NotFound(_)) => console.not_found("lead"),
        Err(e) => console.failed(e),
    }
}

/// `POST /console/leads/{id}/erase` (`confirm=erase`): the lead is erased (owner), then the inbox.
pub async fn erase(
    State(state): State<AppState>,
    console: Console,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match console.form(&state, &headers, &body, Capability::ManageAccount) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let (account_id, id) = match (console.account_id(), lead_id(&console, &raw)) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    if fields.get("confirm").map(String::as_str) != Some("erase") {
        let text = "Tick the box to confirm the erasure.";
        return redirect_with(&format!("/console/leads/{id}"), FlashKind::Error, text);
    }
    let store = state.store.as_ref();
    let result = match crate::service::clients::get_of_account(store, account_id, id).await {
        Ok(_) => erasure::erase_client(store, id).await,
        Err(e) => Err(e),
    };
    match console.audited(&state, "client", "erase", id, result).await {
        Ok(_) => redirect_with(
            &super::act::with_account(&console, "/console/"),
            FlashKind::Ok,
            "Lead erased.",
        ),
        Err(ServiceError::NotFound(_)) => console.not_found("lead"),
        Err(e) => console.failed(e),
    }
}
