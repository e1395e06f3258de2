//! One lead as a person works on it in the console: everything shown on its page (the client,
//! the post it came from, its jobs with every attempt, the webhooks it can be sent to), and the
//! notes and tags added or removed there.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{ServiceError, clients};
use crate::fields::TagList;
use crate::store::{Client, JobFilter, JobWithAttempts, LeadOrigin, Page, Store, Webhook};

/// Jobs and webhooks shown on a lead's page.
const SHOWN: i64 = 200;

/// Longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 10_000;

/// A lead's page.
#[derive(Debug)]
pub struct LeadView {
    pub client: Client,
    /// The post that made it, while the log keeps it.
    pub origin: Option<LeadOrigin>,
    /// Its jobs, newest first, each with every attempt.
    pub jobs: Vec<JobWithAttempts>,
    /// The account's webhooks (to send the lead to one by hand).
    pub webhooks: Vec<Webhook>,
}

/// One of the account's leads with everything its page shows.
pub async fn view(
    store: &dyn Store,
    account_id: Uuid,
    client_id: Uuid,
) -> Result<LeadView, ServiceError> {
    let client = clients::get_of_account(store, account_id, client_id).await?;
    let origin = store.lead_origin(account_id, client_id).await?;
    let filter = JobFilter {
        client_id: Some(client_id),
        ..JobFilter::default()
    };
    let jobs = store
        .list_jobs_with_attempts(account_id, &filter, Page::first(SHOWN))
        .await?;
    let webhooks = store.list_webhooks(account_id, Page::first(SHOWN)).await?;
    Ok(LeadView {
        client,
        origin,
        jobs,
        webhooks,
    })
}

/// Add a note (1 to 10,000 characters after trimming) to one of the account's leads.
pub async fn add_note(
    store: &dyn Store,
    account_id: Uuid,
    client_id: Uuid,
    body: &str,
) -> Result<(), ServiceError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(ServiceError::field("note", "must not be empty"));
    }
    if body.chars().count() > NOTE_MAX_CHARS {
        return Err(ServiceError::field(
            "note",
            format!("must be at most {NOTE_MAX_CHARS} characters"),
        ));
    }
    store
        .add_note(account_id, client_id, body, OffsetDateTime::now_utc())
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))?;
    tracing::info!(%client_id, "note added");
    Ok(())
}

/// Tag one of the account's leads: one tag, by the rules of a posted `tag` (HTML stripped,
/// trimmed, at most 100 characters).
pub async fn add_tag(
    store: &dyn Store,
    account_id: Uuid,
    client_id: Uuid,
    name: &str,
) -> Result<String, ServiceError> {
    if name.contains(',') {
        return Err(ServiceError::field(
            "tag",
            "must be one tag, without commas",
        ));
    }
    let mut list = TagList::default();
    list.push_list(name)
        .map_err(|e| ServiceError::field("tag", e.to_string()))?;
    let Some(tag) = list.as_slice().first().cloned() else {
        return Err(ServiceError::field("tag", "must not be empty"));
    };
    store
        .add_tag(account_id, client_id, &tag, OffsetDateTime::now_utc())
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))?;
    tracing::info!(%client_id, "tag added");
    Ok(tag)
}

/// Take a tag off one of the account's leads (nothing happens if it does not have it).
pub async fn remove_tag(
    store: &dyn Store,
    account_id: Uuid,
    client_id: Uuid,
    name: &str,
) -> Result<(), ServiceError> {
    let removed = store
        .remove_tag(account_id, client_id, name)
        .await
        .map_err(|e| ServiceError::from_store(e, "client"))?;
    tracing::info!(%client_id, removed, "tag removed");
    Ok(())
}
