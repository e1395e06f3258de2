//! People and keys: users (operators), an account's members and API tokens (owners), and `me`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::error::{AdminError, ErrorBody};
use super::extract::{JsonBody, QueryParams, parse_id};
use crate::people::{Actor, Caller};
use crate::service::ServiceError;
use crate::service::credentials::{self, ApiTokenList, CreateApiToken, CreatedApiToken};
use crate::service::page::PageParams;
use crate::service::people::{
    self, AddMember, AddedMember, ChangePassword, CreateUser, CreatedUser, Me, MemberList,
    PeoplePolicy, UpdateMember, UserList,
};
use crate::service::sessions::SignedIn;
use crate::state::AppState;
use crate::store::Member;

/// Create a user (operators only); without a password the answer carries an invite link.
#[utoipa::path(post, path = "/admin/v1/users", tag = "people",
    request_body = CreateUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 403, body = ErrorBody),
        (status = 409, description = "email already taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_user(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), AdminError> {
    let policy = PeoplePolicy::from_settings(&state.settings);
    let user = people::create_user(state.store.as_ref(), &policy, body).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// List users, newest first (operators only).
#[utoipa::path(get, path = "/admin/v1/users", tag = "people",
    params(PageParams),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<UserList>, AdminError> {
    Ok(Json(
        people::list_users(state.store.as_ref(), &params).await?,
    ))
}

/// Remove a user (operators only); the last owner of an account cannot be removed (409).
#[utoipa::path(delete, path = "/admin/v1/users/{id}", tag = "people",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let id = parse_id(&id, "user")?;
    people::delete_user(state.store.as_ref(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's members.
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/members", tag = "people",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = MemberList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MemberList>, AdminError> {
    let id = parse_id(&id, "account")?;
    Ok(Json(people::list_members(state.store.as_ref(), id).await?))
}

/// Add a member; a new email creates the user with an invite link.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/members", tag = "people",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = AddMember,
    responses(
        (status = 201, body = AddedMember),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already a member", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddMember>,
) -> Result<(StatusCode, Json<AddedMember>), AdminError> {
    let id = parse_id(&id, "account")?;
    let policy = PeoplePolicy::from_settings(&state.settings);
    let member = people::add_member(state.store.as_ref(), &policy, id, body).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Change a member's role; demoting the last owner is refused (409).
#[utoipa::path(patch, path = "/admin/v1/accounts/{id}/members/{user_id}", tag = "people",
    params(("id" = Uuid, Path, description = "Account id"), ("user_id" = Uuid, Path, description = "User id")),
    request_body = UpdateMember,
    responses(
        (status = 200, body = Member),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the last owner", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn update_member(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateMember>,
) -> Result<Json<Member>, AdminError> {
    let id = parse_id(&id, "account")?;
    let user_id = parse_id(&user_id, "member")?;
    Ok(Json(
        people::update_member(state.store.as_ref(), id, user_id, body).await?,
    ))
}

/// Take a member out of the account; the last owner cannot be removed (409).
#[utoipa::path(delete, path = "/admin/v1/accounts/{id}/members/{user_id}", tag = "people",
    params(("id" = Uuid, Path, description = "Account id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    let id = parse_id(&id, "account")?;
    let user_id = parse_id(&user_id, "member")?;
    people::remove_member(state.store.as_ref(), id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/admin/v1/accounts/{id}/api-tokens", tag = "people",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, body = ApiTokenList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_api_tokens(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiTokenList>, AdminError> {
    let id = parse_id(&id, "account")?;
    Ok(Json(
        credentials::list_api_tokens(state.store.as_ref(), id).await?,
    ))
}

/// Make an API token for the account; the answer is the only place it is shown.
#[utoipa::path(post, path = "/admin/v1/accounts/{id}/api-tokens", tag = "people",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = CreateApiToken,
    responses(
        (status = 201, body = CreatedApiToken),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create_api_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CreateApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), AdminError> {
    let id = parse_id(&id, "account")?;
    let token = credentials::create_api_token(state.store.as_ref(), id, body).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke an API token: refused at once afterwards.
#[utoipa::path(delete, path = "/admin/v1/accounts/{id}/api-tokens/{token_id}", tag = "people",
    params(("id" = Uuid, Path, description = "Account id"), ("token_id" = Uuid, Path, description = "API token id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_token(
    State(state): State<AppState>,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    let id = parse_id(&id, "account")?;
    let token_id = parse_id(&token_id, "API token")?;
    credentials::revoke_api_token(state.store.as_ref(), id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is calling and the accounts they belong to (not for API tokens).
#[utoipa::path(get, path = "/admin/v1/me", tag = "people",
    responses((status = 200, body = Me), (status = 403, body = ErrorBody)))]
pub async fn get_me(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Me>, AdminError> {
    Ok(Json(people::me(state.store.as_ref(), &caller.actor).await?))
}

/// Change the caller's password; the person's other sessions end.
#[utoipa::path(post, path = "/admin/v1/me/password", tag = "people",
    request_body = ChangePassword,
    responses(
        (status = 204),
        (status = 403, description = "wrong current_password, or not a person", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    session: Option<Extension<SignedIn>>,
    JsonBody(body): JsonBody<ChangePassword>,
) -> Result<StatusCode, AdminError> {
    let Actor::User { id, .. } = caller.actor else {
        return Err(ServiceError::Forbidden("only a person has a password".to_string()).into());
    };
    let keep = session.as_ref().map(|Extension(s)| &s.session);
    people::change_password(state.store.as_ref(), id, keep, body).await?;
    Ok(StatusCode::NO_CONTENT)
}
