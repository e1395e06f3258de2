//! Accounts: create, list, read, change, rotate the account's web_key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{AdminError, ErrorBody, problem};
use super::extract::{
    JsonBody, PageParams, QueryParams, double_option, one_more, paginate, parse_id,
};
use super::input::{self, Problems};
use crate::app::AppState;
use crate::store::{Account, AccountChanges, NewAccount, RotatedKey, Store, generate_web_key};

/// `POST /admin/v1/accounts`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    #[schema(min_length = 1)]
    pub name: String,
    pub owner_email: Option<String>,
    /// Ten digits.
    pub owner_phone: Option<String>,
    /// Keep the key existing forms already use; otherwise a random one is made.
    pub web_key: Option<String>,
}

impl CreateAccount {
    /// Check every field; all problems at once.
    pub fn parse(self) -> Result<NewAccount, AdminError> {
        let mut problems = Problems::default();
        let name = problems.check(input::name("name", &self.name));
        let owner_email = problems.check(input::optional(self.owner_email.as_deref(), |s| {
            input::email("owner_email", s)
        }));
        let owner_phone = problems.check(input::optional(self.owner_phone.as_deref(), |s| {
            input::phone("owner_phone", s)
        }));
        let web_key = problems.check(input::optional(self.web_key.as_deref(), |s| {
            input::web_key("web_key", s)
        }));
        problems.finish()?;
        Ok(NewAccount {
            name: name.unwrap_or_default(),
            owner_email: owner_email.flatten(),
            owner_phone: owner_phone.flatten(),
            web_key: web_key.flatten(),
        })
    }
}

/// `PATCH /admin/v1/accounts/{id}`: absent fields are kept, `null` clears.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_phone: Option<Option<String>>,
    /// One of the account's action plans; `null` for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub default_action_plan_id: Option<Option<Uuid>>,
}

impl UpdateAccount {
    /// Check every field. An empty string clears like `null`.
    pub fn parse(self) -> Result<AccountChanges, AdminError> {
        let mut problems = Problems::default();
        let name = match self.name {
            Some(n) => problems.check(input::name("name", &n)),
            None => None,
        };
        let owner_email = match self.owner_email {
            Some(e) => problems.check(input::optional(e.as_deref(), |s| {
                input::email("owner_email", s)
            })),
            None => None,
        };
        let owner_phone = match self.owner_phone {
            Some(p) => problems.check(input::optional(p.as_deref(), |s| {
                input::phone("owner_phone", s)
            })),
            None => None,
        };
        problems.finish()?;
        Ok(AccountChanges {
            name,
            owner_email,
            owner_phone,
            default_action_plan_id: self.default_action_plan_id,
        })
    }
}

/// `POST .../rotate-key`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// Seconds the old key keeps working (default 0: it stops at once; at most 90 days).
    #[schema(minimum = 0, maximum = 7_776_000)]
    pub grace_seconds: Option<i64>,
}

/// A page of accounts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub accounts: Vec<Account>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

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
    let new = body.parse()?;
    let account = state.store.create_account(&new).await?;
    tracing::info!(account_id = %account.id, "account created");
    Ok((StatusCode::CREATED, Json(account)))
}

/// List accounts, newest first.
#[utoipa::path(get, path = "/admin/v1/accounts", tag = "accounts",
    params(PageParams),
    responses((status = 200, body = AccountList), (status = 422, body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Json<AccountList>, AdminError> {
    let page = params.page()?;
    let rows = state.store.list_accounts(one_more(page)).await?;
    let (accounts, next) = paginate(rows, page, |a| a.id);
    Ok(Json(AccountList { accounts, next }))
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
    Ok(Json(account_of(state.store.as_ref(), id).await?))
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
    let changes = body.parse()?;
    Ok(Json(
        apply_account_changes(state.store.as_ref(), id, &changes).await?,
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
    let grace =
        input::grace_seconds(body.grace_seconds).map_err(|p| AdminError::Invalid(vec![p]))?;
    Ok(Json(
        rotate_key(state.store.as_ref(), id, None, grace).await?,
    ))
}

/// The account, or 404.
pub async fn account_of(store: &dyn Store, id: Uuid) -> Result<Account, AdminError> {
    store
        .get_account(id)
        .await
        .map_err(|e| AdminError::from_store(e, "account"))
}

/// Apply checked changes (shared with the CLI): the plan must be the account's.
pub async fn apply_account_changes(
    store: &dyn Store,
    id: Uuid,
    changes: &AccountChanges,
) -> Result<Account, AdminError> {
    account_of(store, id).await?;
    if let Some(Some(plan_id)) = changes.default_action_plan_id {
        store
            .get_action_plan(id, plan_id)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => AdminError::Invalid(vec![problem(
                    "default_action_plan_id",
                    "is not an action plan of this account",
                )]),
                other => other.into(),
            })?;
    }
    let account = store
        .update_account(id, changes)
        .await
        .map_err(|e| AdminError::from_store(e, "account"))?;
    tracing::info!(account_id = %id, "account changed");
    Ok(account)
}

/// Rotate the key of an account or of one of its lead sources (shared with the CLI).
pub async fn rotate_key(
    store: &dyn Store,
    account_id: Uuid,
    lead_source_id: Option<Uuid>,
    grace_seconds: i64,
) -> Result<RotatedKey, AdminError> {
    let what = if lead_source_id.is_some() {
        "lead source"
    } else {
        "account"
    };
    let rotated = store
        .rotate_web_key(
            account_id,
            lead_source_id,
            &generate_web_key(),
            grace_seconds,
        )
        .await
        .map_err(|e| AdminError::from_store(e, what))?;
    tracing::info!(%account_id, ?lead_source_id, grace_seconds, "web_key rotated");
    Ok(rotated)
}
