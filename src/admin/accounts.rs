//! Accounts: create, list, read, change, rotate the account's web_key.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, QueryParams, parse_id};
use crate::people::Caller;
use crate::service::accounts::{self, AccountList, CreateAccount, RotateKey, UpdateAccount};
use crate::service::page::PageParams;
use crate::state::AppState;
use crate::store::{Account, RotatedKey};

/// Create an account.
#[utoipa::path(post, path = "/admin/v1/accounts", tag = "accounts",
    request_body = CreateAccount,
    responses(
        (status = 201, description = "Created", body = Account),
        (status = 409, description = "web_key already taken", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateAccount>,
) -> Result<(StatusCode, Json<Account>), AdminError> {
    let account = accounts::create(state.store.as_ref(), body).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// List accounts, newest first: every account for operators, a user's own accounts for a user.
#[utoipa::path(get, path = "/admin/v1/accounts", tag = "accounts",
    params(PageParams),
    responses((status = 200, body = AccountList), (status = 422, body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<AccountList>, AdminError> {
    Ok(Json(
        accounts::list_for(state.store.as_ref(), &caller.actor, &params).await?,
    ))
}

/// Read an account.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody)))]
pub async fn get_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Account>, AdminError> {
    let id = parse_id(&id, "account")?;
    Ok(Json(accounts::get(state.store.as_ref(), id).await?))
}

/// Change an account's name, owner email or phone, or default action plan.
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}", tag = "accounts",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = Option<UpdateAccount>,
    responses((status = 200, body = Account), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateAccount>,
) -> Result<Json<Account>, AdminError> {
    let id = parse_id(&id, "account")?;
    Ok(Json(
        accounts::update(state.store.as_ref(), id, body).await?,
    ))
}

/// Replace the account's web_key; the old one works `grace_seconds` longer.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/rotate-key", tag = "accounts",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body(content = Option<RotateKey>, description = "May be empty"),
    responses((status = 200, body = RotatedKey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rotate_account_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RotateKey>,
) -> Result<Json<RotatedKey>, AdminError> {
    let id = parse_id(&id, "account")?;
    Ok(Json(
        accounts::rotate_key(state.store.as_ref(), id, &body).await?,
    ))
}
