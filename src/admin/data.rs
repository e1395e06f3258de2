//! Keeping and erasing data: an account's retention settings, a purge run now, and erasure of one
//! lead or of one person by email.
//!
//! Least role each route needs: GET retention viewer, PATCH retention owner, erasure owner; the
//! purge is for operators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, parse_id};
use crate::service::erasure::{self, EraseEmail, ErasureCounts};
use crate::service::retention::{self, PurgeCounts, RetentionPatch};
use crate::state::AppState;
use crate::store::Retention;

/// Read the account's retention settings.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/retention", tag = "data",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = Retention), (status = 404, body = ErrorBody)))]
pub async fn get_retention(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Retention>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        retention::get(state.store.as_ref(), account_id).await?,
    ))
}

/// Change the account's retention settings: a key left out stays.
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}/retention", tag = "data",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = Option<RetentionPatch>,
    responses(
        (status = 200, body = Retention),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn update_retention(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RetentionPatch>,
) -> Result<Json<Retention>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        retention::update(state.store.as_ref(), account_id, body).await?,
    ))
}

/// Enforce every account's retention now: the counts removed or stripped.
#[utoipa::path(post, path = "/admin/v1/purge", tag = "data",
    responses((status = 200, body = PurgeCounts)))]
pub async fn purge_now(State(state): State<AppState>) -> Result<Json<PurgeCounts>, AdminError> {
    let now = time::OffsetDateTime::now_utc();
    Ok(Json(retention::purge(state.store.as_ref(), now).await?))
}

/// Erase a lead: the client, its tags' links, values, notes and notifications, the raw fields of
/// its submissions, its attempts' answer bodies and its double-submit memory; its waiting jobs
/// are skipped.
#[utoipa::path(delete, path = "/admin/v1/clients/{id}", tag = "data",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn erase_client(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let client_id = parse_id(&id, "client")?;
    erasure::erase_client(state.store.as_ref(), client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erase a person from the account by email (any case): every client with it, and its every
/// occurrence in the submission log. An unknown email answers zeros.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/erase", tag = "data",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = EraseEmail,
    responses(
        (status = 200, body = ErasureCounts),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn erase_email(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EraseEmail>,
) -> Result<Json<ErasureCounts>, AdminError> {
    let account_id = parse_id(&id, "account")?;
    Ok(Json(
        erasure::erase_email(state.store.as_ref(), account_id, &body).await?,
    ))
}
