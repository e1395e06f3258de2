//! Spam: an account's spam settings, releasing a kept spam post, marking a client as spam, and a
//! lead source's own origin rules.
//!
//! Least role each route needs: GET settings viewer, PATCH settings owner, release and mark spam
//! member, lead-source PATCH owner; the account is the path's `{id}`, the submission's or the
//! client's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, parse_id};
use crate::service::spam::{self, UpdateSourceOrigins};
use crate::spam::{SpamSettings, SpamSettingsPatch};
use crate::state::AppState;
use crate::store::{Client, LeadSource};

/// Read the account's spam settings (the CAPTCHA secret masked).
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/spam", tag = "spam",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = SpamSettings), (status = 404, body = ErrorBody)))]
pub async fn get_spam_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SpamSettings>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        spam::settings(state.store.as_ref(), account_id).await?,
    ))
}

/// Change the account's spam settings: a key left out stays, `null` clears it.
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}/spam", tag = "spam",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = Option<SpamSettingsPatch>,
    responses(
        (status = 200, body = SpamSettings),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn update_spam_settings(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SpamSettingsPatch>,
) -> Result<Json<SpamSettings>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        spam::update_settings(state.store.as_ref(), account_id, body).await?,
    ))
}

/// The client a release made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Released {
    pub client: Client,
}

/// Release a kept spam post: it becomes a client, with its plan's jobs and notifications.
#[utoipa::path(post, path = "/admin/v1/submissions/{id}/release", tag = "spam",
    params(("id" = Uuid, Path, description = "Submission id")),
    responses(
        (status = 201, body = Released),
        (status = 404, body = ErrorBody),
        (status = 409, description = "ct103: the email is taken; or not spam, or released already", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn release_submission(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Released>), AdminError> {
    let submission_id = parse_id(&id, "submission")?;
    let client = spam::release(state.store.as_ref(), submission_id).await?;
    Ok((StatusCode::CREATED, Json(Released { client })))
}

/// Remove a client as spam; its submission is kept as spam (reason `manual`).
#[utoipa::path(post, path = "/admin/v1/clients/{id}/spam", tag = "spam",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn mark_client_spam(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let client_id = parse_id(&id, "client")?;
    spam::mark_client(state.store.as_ref(), client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a lead source's own origin rules (`null`: the account's apply).
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}/lead-sources/{source_id}", tag = "lead sources",
    params(("id" = Uuid, Path, description = "Account id"), ("source_id" = Uuid, Path, description = "Lead source id")),
    request_body = Option<UpdateSourceOrigins>,
    responses((status = 200, body = LeadSource), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_lead_source(
    State(state): State<AppState>,
    Path((id, source_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateSourceOrigins>,
) -> Result<Json<LeadSource>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    let source_id = parse_id(&source_id, "lead source")?;
    let source =
        spam::update_source_origins(state.store.as_ref(), account_id, source_id, body).await?;
    Ok(Json(super::inbound::shown(&state, source)))
}
