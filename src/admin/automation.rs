//! The read side of an account's webhooks and action plans. Secrets never leave
//! through here: a webhook's `secret`, its URL's user and query values, and every
//! header value but harmless ones are masked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::accounts::account_of;
use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, PageParams, QueryParams, one_more, paginate, parse_id};
use crate::actions::{self, ActionPlanRequest, WebhookRequest};
use crate::app::AppState;
use crate::intake::form::FieldProblem;
use crate::mask::{MASK, mask_headers, mask_url};
use crate::store::{ActionPlan, Job, StoreError, Webhook};

/// A webhook as the admin API shows it: secrets masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub preset: Option<String>,
    pub url: String,
    pub method: String,
    /// Header name → value; values masked but for harmless headers (Accept, Content-Type...).
    #[schema(value_type = Object)]
    pub headers: serde_json::Value,
    /// The JSON body template.
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// `whsec_********` when the webhook signs its requests, else null.
    pub secret: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        WebhookView {
            id: w.id,
            account_id: w.account_id,
            name: w.name,
            preset: w.preset,
            url: mask_url(&w.url),
            method: w.method,
            headers: mask_headers(w.headers),
            body: w.body,
            secret: w.secret.map(|_| format!("whsec_{MASK}")),
            created_at: w.created_at,
        }
    }
}

/// A page of webhooks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A page of action plans.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionPlanList {
    pub action_plans: Vec<ActionPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// List the account's webhooks, newest first, secrets masked.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/webhooks", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Account id"), PageParams),
    responses((status = 200, body = WebhookList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<WebhookList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let page = params.page()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .list_webhooks(account_id, one_more(page))
        .await?;
    let (rows, next) = paginate(rows, page, |w| w.id);
    Ok(Json(WebhookList {
        webhooks: rows.into_iter().map(WebhookView::from).collect(),
        next,
    }))
}

/// List the account's action plans with their steps, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/action-plans", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Account id"), PageParams),
    responses((status = 200, body = ActionPlanList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_action_plans(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<ActionPlanList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let page = params.page()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .list_action_plans(account_id, one_more(page))
        .await?;
    let (action_plans, next) = paginate(rows, page, |p| p.id);
    Ok(Json(ActionPlanList { action_plans, next }))
}

/// The actions module's problems as the admin API reports them (422).
fn invalid(problems: Vec<actions::FieldProblem>) -> AdminError {
    AdminError::Invalid(
        problems
            .into_iter()
            .map(|p| FieldProblem {
                field: p.field,
                reason: p.reason,
            })
            .collect(),
    )
}

/// Create a webhook: a URL, method, headers and JSON body template, or the
/// `acculynx` preset. With `secret: true` a signing secret is made and returned
/// this once; a given secret is never shown again.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/webhooks", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = WebhookRequest,
    responses((status = 201, body = WebhookView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookView>), AdminError> {
    let account_id = parse_id(&id, "account")?;
    account_of(state.store.as_ref(), account_id).await?;
    let (new, generated) = body.prepare().map_err(invalid)?;
    let webhook = state.store.create_webhook(account_id, &new).await?;
    let mut view = WebhookView::from(webhook);
    if generated.is_some() {
        view.secret = generated;
    }
    Ok((StatusCode::CREATED, Json(view)))
}

/// Create an action plan: webhooks of the account, in order, each after its delay.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/action-plans", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = ActionPlanRequest,
    responses((status = 201, body = ActionPlan), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_action_plan(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionPlanRequest>,
) -> Result<(StatusCode, Json<ActionPlan>), AdminError> {
    let account_id = parse_id(&id, "account")?;
    account_of(state.store.as_ref(), account_id).await?;
    let new = body.prepare().map_err(invalid)?;
    match state.store.create_action_plan(account_id, &new).await {
        Ok(plan) => Ok((StatusCode::CREATED, Json(plan))),
        // The account exists, so a step names a webhook that is not the account's.
        Err(StoreError::NotFound) => Err(AdminError::Invalid(vec![FieldProblem {
            field: "steps".into(),
            reason: "every webhook_id must be one of the account's webhooks".into(),
        }])),
        Err(e) => Err(e.into()),
    }
}

/// Queue one webhook for one client now (202); the delivery worker sends it.
#[utoipa::path(post, path = "/admin/v1/clients/{id}/send-webhook/{webhook_id}", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Client id"), ("webhook_id" = Uuid, Path, description = "Webhook id of the client's account")),
    responses((status = 202, body = Job), (status = 404, body = ErrorBody)))]
pub async fn send_webhook(
    State(state): State<AppState>,
    Path((id, webhook_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Job>), AdminError> {
    let client_id = parse_id(&id, "client")?;
    let webhook_id = parse_id(&webhook_id, "webhook")?;
    match state.store.queue_webhook_job(client_id, webhook_id).await {
        Ok(job) => Ok((StatusCode::ACCEPTED, Json(job))),
        Err(StoreError::NotFound) => Err(AdminError::NotFound("client or webhook")),
        Err(e) => Err(e.into()),
    }
}
