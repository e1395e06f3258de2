//! Lead sources of an account: create, list, read, rotate their web_key, set their autoresponder.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use super::accounts::{self, RotateKey};
use super::input::{self, Problems};
use super::page::{PageParams, fetch};
use crate::store::{Autoresponder, LeadSource, NewLeadSource, RotatedKey, Store};

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
    pub fn parse(self) -> Result<NewLeadSource, ServiceError> {
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

/// Create a lead source with its own web_key: the account must exist and the
/// plan be one of its own.
pub async fn create(
    store: &dyn Store,
    account_id: Uuid,
    input: CreateLeadSource,
) -> Result<LeadSource, ServiceError> {
    let new = input.parse()?;
    accounts::get(store, account_id).await?;
    if let Some(plan_id) = new.action_plan_id {
        store
            .get_action_plan(account_id, plan_id)
            .await
            .map_err(|e| {
                ServiceError::from_store_as_field(
                    e,
                    "action_plan_id",
                    "is not an action plan of this account",
                )
            })?;
    }
    let source = store
        .create_lead_source(account_id, &new)
        .await
        .map_err(|e| ServiceError::from_store(e, "account"))?;
    tracing::info!(%account_id, lead_source_id = %source.id, "lead source created");
    Ok(source)
}

/// The account's lead sources, newest first.
pub async fn list(
    store: &dyn Store,
    account_id: Uuid,
    params: &PageParams,
) -> Result<LeadSourceList, ServiceError> {
    let page = params.page()?;
    accounts::get(store, account_id).await?;
    let (lead_sources, next) =
        fetch(page, |p| store.list_lead_sources(account_id, p), |s| s.id).await?;
    Ok(LeadSourceList { lead_sources, next })
}

/// One of the account's lead sources.
pub async fn get(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
) -> Result<LeadSource, ServiceError> {
    store
        .get_lead_source(account_id, id)
        .await
        .map_err(|e| ServiceError::from_store(e, "lead source"))
}

/// Give a lead source a new web_key; the old one works `grace_seconds` longer.
pub async fn rotate_key(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
    input: &RotateKey,
) -> Result<RotatedKey, ServiceError> {
    let grace = input.grace()?;
    accounts::rotate(store, account_id, Some(id), grace).await
}

/// Set (or with `None` turn off) a lead source's autoresponder (already checked).
pub async fn set_autoresponder(
    store: &dyn Store,
    account_id: Uuid,
    id: Uuid,
    autoresponder: Option<Autoresponder>,
) -> Result<(), ServiceError> {
    store
        .set_autoresponder(account_id, id, autoresponder.as_ref())
        .await
        .map_err(|e| ServiceError::from_store(e, "lead source"))?;
    tracing::info!(%account_id, lead_source_id = %id, on = autoresponder.is_some(), "autoresponder set");
    Ok(())
}
