//! `/console/deliveries`: the account's jobs (webhooks, emails, texts), filtered by state, each
//! with every attempt (time, status, latency, the first KiB of the answer). Members and owners
//! queue a finished job again, or every dead job of one webhook.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::context;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::act::{answer, moment, path_id, query_value, with_account};
use super::frame::Console;
use crate::people::Capability;
use crate::service::automation::list_webhooks;
use crate::service::jobs::{self, JobQuery};
use crate::service::page::PageParams;
use crate::state::AppState;
use crate::store::{JobState, JobWithAttempts};

const PATH: &str = "/console/deliveries";

/// The page's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route(PATH, get(deliveries))
        .route("/console/deliveries/{id}/retry", post(retry))
        .route(
            "/console/deliveries/webhooks/{id}/retry-dead",
            post(retry_dead),
        )
}

/// One attempt as shown.
#[derive(Serialize)]
struct ShownAttempt {
    at: String,
    status: Option<i32>,
    latency_ms: i64,
    response: Option<String>,
    error: Option<String>,
}

/// One job as shown.
#[derive(Serialize)]
struct ShownJob {
    id: Uuid,
    kind: &'static str,
    target: String,
    state: &'static str,
    client_id: Option<Uuid>,
    created: String,
    due: String,
    last_error: Option<String>,
    retryable: bool,
    attempts: Vec<ShownAttempt>,
}

fn shown(job: JobWithAttempts, names: &HashMap<Uuid, String>) -> ShownJob {
    let state = job.job.state;
    ShownJob {
        id: job.job.id,
        kind: job.job.kind.as_str(),
        target: job
            .job
            .webhook_id
            .and_then(|w| names.get(&w).cloned())
            .unwrap_or_default(),
        state: state.as_str(),
        client_id: job.job.client_id,
        created: moment(job.job.created_at),
        due: moment(job.job.due_at),
        last_error: job.job.last_error,
        retryable: matches!(
            state,
            JobState::Delivered | JobState::Dead | JobState::Skipped
        ),
        attempts: job
            .attempts_log
            .into_iter()
            .map(|a| ShownAttempt {
                at: moment(a.attempted_at),
                status: a.status_code,
                latency_ms: a.latency_ms,
                response: a.response,
                error: a.error,
            })
            .collect(),
    }
}

/// `GET /console/deliveries[?state=&after=]`
async fn deliveries(
    State(state): State<AppState>,
    console: Console,
    RawQuery(query): RawQuery,
) -> Response {
    let account_id = match console.account_id() {
        Ok(id) => id,
        Err(none) => return *none,
    };
    let chosen = query_value(query.as_deref(), "state")
        .filter(|s| JobState::ALL.iter().any(|k| k.as_str() == s.as_str()));
    let asked = JobQuery {
        state: chosen.clone(),
        limit: None,
        after: query_value(query.as_deref(), "after"),
    };
    let store = state.store.as_ref();
    let list = match jobs::list(store, account_id, &asked).await {
        Ok(list) => list,
        Err(e) => return console.failed(e),
    };
    let hooks = match list_webhooks(
        store,
        account_id,
        &PageParams::new(Some("500".into()), None),
    )
    .await
    {
        Ok(hooks) => hooks.webhooks,
        Err(e) => return console.failed(e),
    };
    let names: HashMap<Uuid, String> = hooks.iter().map(|w| (w.id, w.name.clone())).collect();
    let shown_jobs: Vec<ShownJob> = list.jobs.into_iter().map(|j| shown(j, &names)).collect();
    let next = list.next.map(|n| {
        let state_part = chosen
            .as_deref()
            .map(|s| format!("state={s}&"))
            .unwrap_or_default();
        with_account(&console, &format!("{PATH}?{state_part}after={n}"))
    });
    let webhooks: Vec<_> = hooks
        .iter()
        .map(|w| context! { id => w.id, name => w.name })
        .collect();
    console.render(
        "deliveries.html",
        context! {
            jobs => shown_jobs,
            states => JobState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            chosen => chosen,
            next => next,
            webhooks => webhooks,
            can_retry => console.can(Capability::ActOnLeads),
        },
    )
}

/// `POST /console/deliveries/{id}/retry` (member or owner).
async fn retry(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ActOnLeads) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "job")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let retried = jobs::retry(state.store.as_ref(), Some(account_id), id).await;
    let retried = console.audited(&state, "job", "retry", id, retried).await;
    answer(&console, &with_account(&console, PATH), retried, |_| {
        "The job is queued again.".to_string()
    })
}

/// `POST /console/deliveries/webhooks/{id}/retry-dead` (member or owner).
async fn retry_dead(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = console.form(&state, &headers, &body, Capability::ActOnLeads) {
        return *refused;
    }
    let (account_id, id) = match (console.account_id(), path_id(&console, &id, "webhook")) {
        (Ok(account), Ok(id)) => (account, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let retried = jobs::retry_dead_of_webhook(state.store.as_ref(), account_id, id).await;
    let retried = console
        .audited(&state, "webhook", "retry_dead", id, retried)
        .await;
    answer(&console, &with_account(&console, PATH), retried, |n| {
        format!(
            "{n} dead job{} queued again.",
            if n == 1 { "" } else { "s" }
        )
    })
}
