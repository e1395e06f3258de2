//! The job queue of an account: its webhook, email and text jobs with their
//! attempts, and queueing a finished job again by hand.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input::{Problems, present};
use super::page::{PageParams, fetch};
use super::{ServiceError, accounts};
use crate::fields::FieldProblem;
use crate::store::{JobFilter, JobState, JobWithAttempts, Page, RetryOutcome, Store};

/// Filter and page of a job list, as given.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `queued`, `running`, `retrying`, `delivered`, `dead` or `skipped`; empty for all.
    #[param(schema_with = state_schema)]
    pub state: Option<String>,
    /// Page size, 1 to 500 (default 50 when absent or empty).
    #[param(schema_with = super::page::limit_schema)]
    pub limit: Option<String>,
    /// The `next` cursor of the previous page; empty for the first page.
    #[param(schema_with = super::page::cursor_schema)]
    pub after: Option<String>,
}

/// The schema of the `state` filter.
fn state_schema() -> utoipa::openapi::Object {
    let names: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
    super::page::choice_or_empty_schema(&names)
}

impl JobQuery {
    /// The filter and the page.
    pub fn parse(&self) -> Result<(JobFilter, Page), ServiceError> {
        let mut problems = Problems::default();
        let state = match present(&self.state) {
            None => None,
            Some(s) => match s.parse::<JobState>() {
                Ok(state) => Some(state),
                Err(_) => problems.check(Err(FieldProblem::new(
                    "state",
                    format!("must be one of {}", JobState::names()),
                ))),
            },
        };
        let page = PageParams::new(self.limit.clone(), self.after.clone()).page_into(&mut problems);
        problems.finish()?;
        Ok((
            JobFilter {
                state,
                ..JobFilter::default()
            },
            page,
        ))
    }
}

/// A page of jobs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobWithAttempts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The account's jobs, newest first, each with its attempts.
pub async fn list(
    store: &dyn Store,
    account_id: Uuid,
    query: &JobQuery,
) -> Result<JobList, ServiceError> {
    let (filter, page) = query.parse()?;
    accounts::get(store, account_id).await?;
    let (jobs, next) = fetch(
        page,
        |p| store.list_jobs_with_attempts(account_id, &filter, p),
        |j| j.job.id,
    )
    .await?;
    Ok(JobList { jobs, next })
}

/// Queue a delivered, dead or skipped job again, due now, with the same
/// `message_id`; `account_id` restricts it to one account.
pub async fn retry(
    store: &dyn Store,
    account_id: Option<Uuid>,
    id: Uuid,
) -> Result<JobWithAttempts, ServiceError> {
    match store
        .retry_job(account_id, id)
        .await
        .map_err(|e| ServiceError::from_store(e, "job"))?
    {
        RetryOutcome::Requeued(job) => {
            tracing::info!(job_id = %id, message_id = %job.message_id, "job queued again by hand");
            store
                .get_job_with_attempts(account_id, id)
                .await
                .map_err(|e| ServiceError::from_store(e, "job"))
        }
        RetryOutcome::StillPending(job) => Err(ServiceError::Conflict(format!(
            "the job is {}: only delivered, dead or skipped jobs can be retried",
            job.state
        ))),
    }
}

/// Queue every `dead` job of one of the account's webhooks again; answers how many.
pub async fn retry_dead_of_webhook(
    store: &dyn Store,
    account_id: Uuid,
    webhook_id: Uuid,
) -> Result<u64, ServiceError> {
    let webhook = store
        .get_webhook(webhook_id)
        .await
        .map_err(|e| ServiceError::from_store(e, "webhook"))?;
    if webhook.account_id != account_id {
        return Err(ServiceError::NotFound("webhook"));
    }
    let count = store.retry_dead_jobs(account_id, webhook_id).await?;
    tracing::info!(%account_id, %webhook_id, count, "dead jobs of a webhook queued again");
    Ok(count)
}
