//! Accounts: create, list, read, change, point at an action plan, turn hosted
//! pages on or off, and rotate the web_key of an account or of one of its lead
//! sources.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use super::input::{self, Problems, double_option};
use super::page::{PageParams, fetch};
use crate::fields::{FieldProblem, NewLeadNotification};
use crate::people::Actor;
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
    pub fn parse(self) -> Result<NewAccount, ServiceError> {
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
    /// The name visitors see on the hosted pages.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// The account's website (http/https), linked from the hosted pages.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub website_url: Option<Option<String>>,
    /// Accept phones with common North American formatting (stored as ten digits).
    pub lenient_phones: Option<bool>,
    /// The `new_lead_notification` level (0, 1 or 2) of a post that sends none.
    #[serde(default, deserialize_with = "crate::fields::json_integer_opt")]
    #[schema(minimum = 0, maximum = 2)]
    pub new_lead_notification_default: Option<i64>,
    /// Browsers posting without redirect URLs land on the hosted /thanks and /oops pages.
    pub hosted_pages: Option<bool>,
}

impl UpdateAccount {
    /// Check every field. An empty string clears like `null`.
    pub fn parse(self) -> Result<AccountChanges, ServiceError> {
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
        let display_name = match self.display_name {
            Some(n) => problems.check(input::optional(n.as_deref(), |s| {
                input::name("display_name", s)
            })),
            None => None,
        };
        let website_url = match self.website_url {
            Some(u) => problems.check(input::optional(u.as_deref(), |s| {
                input::website_url("website_url", s)
            })),
            None => None,
        };
        let level = self.new_lead_notification_default;
        if level.is_some_and(|l| NewLeadNotification::from_level(l).is_none()) {
            problems.push(FieldProblem::new(
                "new_lead_notification_default",
                "must be 0, 1 or 2",
            ));
        }
        problems.finish()?;
        Ok(AccountChanges {
            name,
            owner_email,
            owner_phone,
            default_action_plan_id: self.default_action_plan_id,
            display_name,
            website_url,
            lenient_phones: self.lenient_phones,
            new_lead_notification_default: level,
            hosted_pages: self.hosted_pages,
        })
    }
}

/// `POST .../rotate-key`
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// Seconds the old key keeps working (default 0: it stops at once; at most 90 days).
    #[serde(default, deserialize_with = "crate::fields::json_integer_opt")]
    #[schema(minimum = 0, maximum = 7_776_000)]
    pub grace_seconds: Option<i64>,
}

impl RotateKey {
    /// The checked grace period.
    pub fn grace(&self) -> Result<i64, ServiceError> {
        input::grace_seconds(self.grace_seconds).map_err(|p| ServiceError::Invalid(vec![p]))
    }
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
pub async fn create(store: &dyn Store, input: CreateAccount) -> Result<Account, ServiceError> {
    let new = input.parse()?;
    let account = store.create_account(&new).await?;
    tracing::info!(account_id = %account.id, "account created");
    Ok(account)
}

/// Accounts, newest first.
pub async fn list(store: &dyn Store, params: &PageParams) -> Result<AccountList, ServiceError> {
    let page = params.page()?;
    let (accounts, next) = fetch(page, |p| store.list_accounts(p), |a| a.id).await?;
    Ok(AccountList { accounts, next })
}

/// The accounts `actor` sees, newest first: all of them for an operator, the ones a user belongs
/// to; none for an API token.
pub async fn list_for(
    store: &dyn Store,
    actor: &Actor,
    params: &PageParams,
) -> Result<AccountList, ServiceError> {
    match actor {
        _ if actor.is_operator() => list(store, params).await,
        Actor::User { id, .. } => {
            let page = params.page()?;
            let (accounts, next) =
                fetch(page, |p| store.list_accounts_of_user(*id, p), |a| a.id).await?;
            Ok(AccountList { accounts, next })
        }
        _ => Err(ServiceError::Forbidden(
            "an account API token may not list accounts".to_string(),
        )),
    }
}

/// The account.
pub async fn get(store: &dyn Store, id: Uuid) -> Result<Account, ServiceError> {
    store
        .get_account(id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))
}

/// Change an account: the default plan must be one of its own.
pub async fn update(
    store: &dyn Store,
    id: Uuid,
    input: UpdateAccount,
) -> Result<Account, ServiceError> {
    let changes = input.parse()?;
    get(store, id).await?;
    if let Some(Some(plan_id)) = changes.default_action_plan_id {
        store.get_action_plan(id, plan_id).await.map_err(|e| {
            ServiceError::from_store_as_field(
                e,
                "default_action_plan_id",
                "is not an action plan of this account",
            )
        })?;
    }
    let account = store
        .update_account(id, &changes)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(account_id = %id, "account changed");
    Ok(account)
}

/// Point the account's own web_key at one of its action plans, or at none.
pub async fn set_default_action_plan(
    store: &dyn Store,
    id: Uuid,
    plan_id: Option<Uuid>,
) -> Result<(), ServiceError> {
    store
        .set_default_action_plan(id, plan_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "account or action plan"))?;
    tracing::info!(account_id = %id, ?plan_id, "default action plan set");
    Ok(())
}

/// Turn the hosted thank-you pages of an account on or off.
pub async fn set_hosted_pages(store: &dyn Store, id: Uuid, on: bool) -> Result<(), ServiceError> {
    store
        .set_hosted_pages(id, on)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(account_id = %id, on, "hosted pages set");
    Ok(())
}

/// Give the account a new web_key; the old one works `grace_seconds` longer.
pub async fn rotate_key(
    store: &dyn Store,
    id: Uuid,
    input: &RotateKey,
) -> Result<RotatedKey, ServiceError> {
    let grace = input.grace()?;
    rotate(store, id, None, grace).await
}

/// Rotate the key of an account or of one of its lead sources.
pub(super) async fn rotate(
    store: &dyn Store,
    account_id: Uuid,
    lead_source_id: Option<Uuid>,
    grace_seconds: i64,
) -> Result<RotatedKey, ServiceError> {
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
        .map_err(|e| ServiceError::from_store(e, what))?;
    tracing::info!(%account_id, ?lead_source_id, grace_seconds, "web_key rotated");
    Ok(rotated)
}
