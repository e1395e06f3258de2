//! Lead sources of an account: create, list, read, rotate their web_key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::accounts::{RotateKey, account_of, rotate_key};
use super::error::{AdminError, ErrorBody, problem};
use super::extract::{JsonBody, PageParams, QueryParams, one_more, paginate, parse_id};
use super::input::{self, Problems};
use crate::app::AppState;
use crate::store::{LeadSource, NewLeadSource, RotatedKey, Store, StoreError};

/// `POST /admin/v1/accounts/{id}/lead-sources`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadSource {
    #[schema(min_length = 1)]
    pub name: String,
    /// The connection action plan (one of the account's); none runs nothing.
    pub action_plan_id: Option<Uuid>,
    /// Keep the key existing forms already use; otherwise a random one is made.
    pub web_key: Option<String>,
}

impl CreateLeadSource {
    /// Check every field; all problems at once.
    pub fn parse(self) -> Result<NewLeadSource, AdminError> {
        let mut problems = Problems::default();
        let name = problems.check(input::name("name", &self.name));
        let web_key = problems.check(input::optional(self.web_key.as_deref(), |s| {
            input::web_key("web_key", s)
        }));
        problems.finish()?;
        Ok(NewLeadSource {
            name: name.unwrap_or_default(),
            action_plan_id: self.action_plan_id,
            web_key: web_key.flatten(),
        })
    }
}

/// A page of lead sources.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeadSourceList {
    pub lead_sources: Vec<LeadSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Create a lead source with its own web_key.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/lead-sources", tag = "lead sources",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = CreateLeadSource,
    responses(
        (status = 201, body = LeadSource),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_lead_source(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CreateLeadSource>,
) -> Result<(StatusCode, Json<LeadSource>), AdminError> {
    let account_id = parse_id(&id, "account")?;
    let new = body.parse()?;
    let source = add_lead_source(state.store.as_ref(), account_id, &new).await?;
    Ok((StatusCode::CREATED, Json(source)))
}

/// List the account's lead sources, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/lead-sources", tag = "lead sources",
    params(("id" = Uuid, Path, description = "Account id"), PageParams),
    responses((status = 200, body = LeadSourceList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_lead_sources(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<LeadSourceList>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let page = params.page()?;
    account_of(state.store.as_ref(), account_id).await?;
    let rows = state
        .store
        .list_lead_sources(account_id, one_more(page))
        .await?;
    let (lead_sources, next) = paginate(rows, page, |s| s.id);
    Ok(Json(LeadSourceList { lead_sources, next }))
}

/// Read one of the account's lead sources.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}", tag = "lead sources",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    responses((status = 200, body = LeadSource), (status = 404, body = ErrorBody)))]
pub async fn get_lead_source(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
) -> Result<Json<LeadSource>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    let source = state
        .store
        .get_lead_source(account_id, source_id)
        .await
        .map_err(|e| AdminError::from_store(e, "lead source"))?;
    Ok(Json(source))
}

/// Replace a lead source's web_key; the old one works `grace_seconds` longer.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}/rotate-key", tag = "lead sources",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    request_body(content = Option<RotateKey>, description = "May be empty"),
    responses((status = 200, body = RotatedKey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_lead_source_key(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RotateKey>,
) -> Result<Json<RotatedKey>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    let grace =
        input::grace_seconds(body.grace_seconds).map_err(|p| AdminError::Invalid(vec![p]))?;
    Ok(Json(
        rotate_key(state.store.as_ref(), account_id, Some(source_id), grace).await?,
    ))
}

/// Create a checked lead source (shared with the CLI): the account must exist and
/// the plan be one of its own.
pub async fn add_lead_source(
    store: &dyn Store,
    account_id: Uuid,
    new: &NewLeadSource,
) -> Result<LeadSource, AdminError> {
    account_of(store, account_id).await?;
    if let Some(plan_id) = new.action_plan_id {
        store
            .get_action_plan(account_id, plan_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AdminError::Invalid(vec![problem(
                    "action_plan_id",
                    "is not an action plan of this account",
                )]),
                other => other.into(),
            })?;
    }
    let source = store
        .create_lead_source(account_id, new)
        .await
        .map_err(|e| AdminError::from_store(e, "account"))?;
    tracing::info!(%account_id, lead_source_id = %source.id, "lead source created");
    Ok(source)
}
