//! An account's webhooks and action plans (secrets masked on the way out), and
//! sending one webhook for one client by hand.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, QueryParams, parse_id};
use crate::actions::{ActionPlanRequest, WebhookRequest};
use crate::service::automation::{self, ActionPlanList, WebhookList, WebhookView};
use crate::service::page::PageParams;
use crate::state::AppState;
use crate::store::{ActionPlan, Job};

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
    Ok(Json(
        automation::list_webhooks(state.store.as_ref(), account_id, &params).await?,
    ))
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
    Ok(Json(
        automation::list_action_plans(state.store.as_ref(), account_id, &params).await?,
    ))
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
    let view = automation::create_webhook(state.store.as_ref(), account_id, body).await?;
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
    let plan = automation::create_action_plan(state.store.as_ref(), account_id, body).await?;
    Ok((StatusCode::CREATED, Json(plan)))
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
    let job = automation::send_webhook(state.store.as_ref(), client_id, webhook_id).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}
