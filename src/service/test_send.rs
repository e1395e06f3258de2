//! A webhook's "test send": render one of the account's webhooks for a sample lead or one of
//! its real leads, send it now through the delivery worker's guarded HTTP client (the same
//! rendering, signing and address guard as a real delivery), and answer the request as sent
//! (secrets masked) with the receiver's answer. Nothing is queued or logged as a job.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{ServiceError, accounts};
use crate::attempt::Outcome;
use crate::clients::catalog::index_of;
use crate::clients::{ClientValues, FieldValue};
use crate::config::DeliverySettings;
use crate::delivery::{SentRequest, Worker};
use crate::store::{AccountRef, Client, DeliveryContext, Store};

/// The sample lead's reserved fields (form name, value).
const SAMPLE: &[(&str, &str)] = &[
    ("firstName", "Sample"),
    ("lastName", "Lead"),
    ("email", "sample.lead@example.com"),
    ("phone", "8015550100"),
    ("notes", "A test send from leadpost"),
];

/// What a test send did.
#[derive(Debug, Clone, Serialize)]
pub struct TestSend {
    /// The request as sent, secrets masked; `None` when it could not be rendered.
    pub request: Option<SentRequest>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The first KiB of the receiver's answer.
    pub response: Option<String>,
    /// Why it failed (refused address, timeout, bad template...), if it did.
    pub error: Option<String>,
    pub latency_ms: i64,
    /// Whether it was about the sample lead rather than a real one.
    pub sample: bool,
}

/// Send the account's webhook `webhook_id` once, about `client_id` (one of the account's
/// leads) or, without one, about a sample lead.
pub async fn test_send(
    store: Arc<dyn Store>,
    settings: &DeliverySettings,
    account_id: Uuid,
    webhook_id: Uuid,
    client_id: Option<Uuid>,
) -> Result<TestSend, ServiceError> {
    let account = accounts::get(store.as_ref(), account_id).await?;
    let webhook = store
        .get_webhook(webhook_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "webhook"))?;
    if webhook.account_id != account_id {
        return Err(ServiceError::NotFound("webhook"));
    }
    let context = match client_id {
        Some(id) => {
            let context = store
                .get_delivery_context(id)
                .await
                .map_err(|e| ServiceError::from_store(e, "client"))?;
            if context.account.id != account_id {
                return Err(ServiceError::NotFound("client"));
            }
            context
        }
        None => DeliveryContext {
            client: sample_client(account_id),
            account: AccountRef {
                id: account.id,
                name: account.name,
            },
            lead_source: None,
        },
    };
    let worker = Worker::new(store, settings.clone())
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e)))?;
    let message_id = format!("msg_test_{}", Uuid::now_v7().simple());
    let mut request = None;
    let started = Instant::now();
    let result = worker
        .send_webhook(&webhook, &context, &message_id, Some(&mut request))
        .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let error = match result.outcome {
        Outcome::Delivered => None,
        Outcome::Transient { error, .. }
        | Outcome::Permanent { error }
        | Outcome::Skipped { reason: error } => Some(error),
    };
    tracing::info!(%account_id, %webhook_id, status = result.status, latency_ms, "webhook test send");
    Ok(TestSend {
        request,
        status: result.status,
        response: result.response,
        error,
        latency_ms,
        sample: client_id.is_none(),
    })
}

/// The lead a test send without a real one is about.
fn sample_client(account_id: Uuid) -> Client {
    let mut fields = ClientValues::default();
    for (form, value) in SAMPLE {
        if let Some(index) = index_of(form) {
            fields.set(index, Some(FieldValue::Text((*value).to_string())));
        }
    }
    Client {
        id: Uuid::nil(),
        account_id,
        lead_source_id: None,
        fields,
        tags: vec!["sample".to_string()],
        custom_fields: Default::default(),
        notes: Vec::new(),
        created_at: OffsetDateTime::now_utc(),
    }
}
