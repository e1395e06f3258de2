//! What the webhook attempts of one claimed batch read — each job's webhook and
//! its client's delivery context — read once for the whole batch: a few queries
//! per claim instead of six per job, which at a fast receiver's pace were most
//! of the worker's database work.

use std::collections::HashMap;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use uuid::Uuid;

use crate::attempt::AttemptResult;
use crate::store::{DeliveryContext, Job, JobKind, Store, Webhook};

/// The webhooks and delivery contexts of a batch's webhook jobs, by id.
#[derive(Default)]
pub struct Inputs {
    webhooks: HashMap<Uuid, Webhook>,
    contexts: HashMap<Uuid, DeliveryContext>,
    /// Why they could not be read: every attempt of the batch is then retried.
    failed: Option<String>,
}

impl Inputs {
    /// Read what the webhook jobs among `jobs` need (nothing for other kinds).
    pub async fn read(store: &dyn Store, jobs: &[Job]) -> Inputs {
        let (webhook_ids, client_ids) = ids(jobs);
        Self::read_ids(store, &webhook_ids, &client_ids).await
    }

    /// [`Inputs::read`] as a future the batch's tasks share: the first to poll it
    /// reads, and the worker's loop can claim the next batch meanwhile.
    pub fn read_shared(
        store: Arc<dyn Store>,
        jobs: &[Job],
    ) -> Shared<BoxFuture<'static, Arc<Inputs>>> {
        let (webhook_ids, client_ids) = ids(jobs);
        async move { Arc::new(Self::read_ids(&*store, &webhook_ids, &client_ids).await) }
            .boxed()
            .shared()
    }

    async fn read_ids(store: &dyn Store, webhook_ids: &[Uuid], client_ids: &[Uuid]) -> Inputs {
        let read = futures::try_join!(
            store.get_webhooks(webhook_ids),
            store.get_delivery_contexts(client_ids)
        );
        match read {
            Ok((webhooks, contexts)) => Inputs {
                webhooks: webhooks.into_iter().map(|w| (w.id, w)).collect(),
                contexts: contexts.into_iter().map(|c| (c.client.id, c)).collect(),
                failed: None,
            },
            Err(e) => Inputs {
                failed: Some(format!("storage: {e}")),
                ..Inputs::default()
            },
        }
    }

    /// The webhook and delivery context of a webhook job, or the attempt's
    /// result without them: permanent when either no longer exists.
    pub fn of(&self, job: &Job) -> Result<(&Webhook, &DeliveryContext), AttemptResult> {
        if let Some(why) = &self.failed {
            return Err(AttemptResult::transient(why.clone()));
        }
        let (Some(webhook_id), Some(client_id)) = (job.webhook_id, job.client_id) else {
            return Err(AttemptResult::permanent(
                "the job names no webhook or no client",
            ));
        };
        let webhook = self
            .webhooks
            .get(&webhook_id)
            .ok_or_else(|| AttemptResult::permanent("the webhook no longer exists"))?;
        let context = self
            .contexts
            .get(&client_id)
            .ok_or_else(|| AttemptResult::permanent("the client no longer exists"))?;
        Ok((webhook, context))
    }
}

/// The distinct webhook and client ids of the webhook jobs among `jobs`.
fn ids(jobs: &[Job]) -> (Vec<Uuid>, Vec<Uuid>) {
    let hooks = jobs.iter().filter(|j| j.kind == JobKind::Webhook);
    let mut webhook_ids: Vec<Uuid> = hooks.clone().filter_map(|j| j.webhook_id).collect();
    let mut client_ids: Vec<Uuid> = hooks.filter_map(|j| j.client_id).collect();
    for ids in [&mut webhook_ids, &mut client_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    (webhook_ids, client_ids)
}
