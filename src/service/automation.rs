//! An account's webhooks and action plans, and sending one webhook for one
//! client by hand. Secrets never leave through here: a webhook's `secret`, its
//! URL's user and query values, and every header value but harmless ones are
//! masked in every [`WebhookView`].

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::page::{PageParams, fetch};
use super::{ServiceError, accounts};
use crate::actions::chat::ChatPreset;
use crate::actions::{ActionPlanRequest, WebhookRequest};
use crate::mask::{MASK, mask_headers, mask_url};
use crate::store::{ActionPlan, Job, Store, StoreError, Webhook};

/// A webhook as the admin API shows it: secrets masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub preset: Option<String>,
    pub url: String,
    pub method: String,
    /// Header name → value; values masked but for harmless headers (Accept, Content-Type...).
    #[schema(value_type = Object)]
    pub headers: serde_json::Value,
    /// The JSON body template (null for the chat presets, whose template is `message`).
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// The `slack` / `discord` presets' message template; null for other webhooks.
    pub message: Option<String>,
    /// `whsec_********` when the webhook signs its requests, else null.
    pub secret: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        let chat = w
            .preset
            .as_deref()
            .and_then(ChatPreset::from_name)
            .is_some();
        let (body, message, url) = if chat {
            // A chat's webhook URL carries its token in the path: only the origin is shown.
            let message = w.body.as_ref().and_then(|b| b.as_str()).map(str::to_string);
            (None, message, mask_path(&w.url))
        } else {
            (w.body, None, mask_url(&w.url))
        };
        WebhookView {
            id: w.id,
            account_id: w.account_id,
            name: w.name,
            preset: w.preset,
            url,
            method: w.method,
            headers: mask_headers(w.headers),
            body,
            message,
            secret: w.secret.map(|_| format!("whsec_{MASK}")),
            created_at: w.created_at,
        }
    }
}

/// `scheme://host[:port]/` + the mask: what a chat preset's URL shows.
fn mask_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!("{}/{MASK}", parsed.origin().ascii_serialization()),
        Err(_) => MASK.to_string(),
    }
}

impl WebhookView {
    /// The signing secret made for a webhook just created: shown this once.
    /// `None` when no secret was made (none, or one the caller gave).
    pub fn new_secret(&self) -> Option<&str> {
        self.secret
            .as_deref()
            .filter(|s| s.strip_prefix("whsec_") != Some(MASK))
    }
}

/// A page of webhooks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A page of action plans.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionPlanList {
    pub action_plans: Vec<ActionPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The account's webhooks, newest first, secrets masked.
pub async fn list_webhooks(
    store: &dyn Store,
    account_id: Uuid,
    params: &PageParams,
) -> Result<WebhookList, ServiceError> {
    let page = params.page()?;
    accounts::get(store, account_id).await?;
    let (rows, next) = fetch(page, |p| store.list_webhooks(account_id, p), |w| w.id).await?;
    Ok(WebhookList {
        webhooks: rows.into_iter().map(WebhookView::from).collect(),
        next,
    })
}

/// The account's action plans with their steps, newest first.
pub async fn list_action_plans(
    store: &dyn Store,
    account_id: Uuid,
    params: &PageParams,
) -> Result<ActionPlanList, ServiceError> {
    let page = params.page()?;
    accounts::get(store, account_id).await?;
    let (action_plans, next) =
        fetch(page, |p| store.list_action_plans(account_id, p), |p| p.id).await?;
    Ok(ActionPlanList { action_plans, next })
}

/// Create a webhook of the account. A secret made for it is shown in the
/// answer this once; a given secret is never shown again.
pub async fn create_webhook(
    store: &dyn Store,
    account_id: Uuid,
    input: WebhookRequest,
) -> Result<WebhookView, ServiceError> {
    accounts::get(store, account_id).await?;
    let (new, generated) = input.prepare().map_err(ServiceError::Invalid)?;
    let webhook = store.create_webhook(account_id, &new).await?;
    tracing::info!(%account_id, webhook_id = %webhook.id, "webhook created");
    let mut view = WebhookView::from(webhook);
    if generated.is_some() {
        view.secret = generated;
    }
    Ok(view)
}

/// Create an action plan: webhooks of the account, in order, each after its delay.
pub async fn create_action_plan(
    store: &dyn Store,
    account_id: Uuid,
    input: ActionPlanRequest,
) -> Result<ActionPlan, ServiceError> {
    accounts::get(store, account_id).await?;
    let new = input.prepare().map_err(ServiceError::Invalid)?;
    let plan = store
        .create_action_plan(account_id, &new)
        .await
        // The account exists, so a step names a webhook that is not the account's.
        .map_err(|e| {
            ServiceError::from_store_as_field(
                e,
                "steps",
                "every webhook_id must be one of the account's webhooks",
            )
        })?;
    tracing::info!(%account_id, action_plan_id = %plan.id, "action plan created");
    Ok(plan)
}

/// Queue one webhook for one client now; the delivery worker sends it.
pub async fn send_webhook(
    store: &dyn Store,
    client_id: Uuid,
    webhook_id: Uuid,
) -> Result<Job, ServiceError> {
    match store.queue_webhook_job(client_id, webhook_id).await {
        Ok(job) => {
            tracing::info!(%client_id, %webhook_id, job_id = %job.id, "webhook queued by hand");
            Ok(job)
        }
        Err(StoreError::NotFound) => Err(ServiceError::NotFound("client or webhook")),
        Err(e) => Err(e.into()),
    }
}
