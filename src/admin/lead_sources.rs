//! Lead sources of an account: create, list, read, rotate their web_key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, QueryParams, parse_id};
use super::inbound::shown;
use crate::service::accounts::RotateKey;
use crate::service::lead_sources::{self, CreateLeadSource, LeadSourceList};
use crate::service::page::PageParams;
use crate::state::AppState;
use crate::store::{LeadSource, RotatedKey};

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
    let source = lead_sources::create(state.store.as_ref(), account_id, body).await?;
    Ok((StatusCode::CREATED, Json(shown(&state, source))))
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
    let mut list = lead_sources::list(state.store.as_ref(), account_id, &params).await?;
    list.lead_sources = list
        .lead_sources
        .into_iter()
        .map(|s| shown(&state, s))
        .collect();
    Ok(Json(list))
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
    let source = lead_sources::get(state.store.as_ref(), account_id, source_id).await?;
    Ok(Json(shown(&state, source)))
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
    Ok(Json(
        lead_sources::rotate_key(state.store.as_ref(), account_id, source_id, &body).await?,
    ))
}
