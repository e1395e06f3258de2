//! The job queue as the admin API and the CLI see it: jobs listed with their
//! attempt logs, one job read back, a finished job queued again, and the count
//! of jobs in each state.

use std::sync::LazyLock;

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::jobs::{ATTEMPT_COLUMNS, JOB_COLUMNS};
use super::records::{JobAttemptRow, JobRow, StateCountRow, into_all};
use super::sql::{Backend, Bind, SqlStore, sql, sql_built};
use super::types::{DbId, DbTime};
use super::{Job, JobState, Page, StoreError};

/// Filters for listing jobs.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    /// Only the jobs of this client.
    pub client_id: Option<Uuid>,
}

/// One delivery attempt of a job, as the delivery worker logged it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct JobAttempt {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    /// The HTTP status of the answer, if one came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    /// The first KiB of the answer.
    pub response: Option<String>,
    pub error: Option<String>,
    pub request_id: Option<String>,
}

/// A job with its attempts, oldest attempt first.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct JobWithAttempts {
    #[serde(flatten)]
    pub job: Job,
    pub attempts_log: Vec<JobAttempt>,
}

/// What a manual retry did.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryOutcome {
    /// The job is queued again, due now, with its `message_id` kept.
    Requeued(Job),
    /// The job is still pending (queued, running or retrying): nothing changed.
    StillPending(Job),
}

/// The queue as an operator reads and steers it.
#[async_trait::async_trait]
pub trait QueueStore: Send + Sync {
    /// The account's jobs, newest first.
    async fn list_jobs(&self, account_id: Uuid, page: Page) -> Result<Vec<Job>, StoreError>;
    /// The account's jobs, newest first, each with its attempts.
    async fn list_jobs_with_attempts(
        &self,
        account_id: Uuid,
        filter: &JobFilter,
        page: Page,
    ) -> Result<Vec<JobWithAttempts>, StoreError>;
    /// One job with its attempts; `account_id` restricts it to one account.
    async fn get_job_with_attempts(
        &self,
        account_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<JobWithAttempts, StoreError>;
    /// Put a delivered, dead or skipped job back in the queue, due now, keeping its
    /// `message_id` (and so its `webhook-id`); its attempt count starts again at 0.
    async fn retry_job(
        &self,
        account_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<RetryOutcome, StoreError>;
    /// How many jobs are in each state that has any (for the queue-depth metric).
    async fn count_jobs(&self) -> Result<Vec<(JobState, i64)>, StoreError>;
    /// Put every `dead` job of the account's webhook back in the queue as [`Self::retry_job`]
    /// does; answers how many were queued again.
    async fn retry_dead_jobs(&self, account_id: Uuid, webhook_id: Uuid) -> Result<u64, StoreError>;
}

static LIST_JOBS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE account_id = $1 AND ($2 IS NULL OR state = $2) \
         AND id < $3 AND ($5 IS NULL OR client_id = $5) ORDER BY id DESC LIMIT $4"
    )
});

static GET_JOB_OF: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND ($2 IS NULL OR account_id = $2)")
});

static ATTEMPTS_OF_RANGE: LazyLock<String> = LazyLock::new(|| {
    let columns: Vec<String> = ATTEMPT_COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect();
    format!(
        "SELECT {} FROM job_attempts t JOIN jobs j ON j.id = t.job_id \
         WHERE j.account_id = $1 AND j.id >= $2 AND j.id <= $3 \
         ORDER BY t.job_id, t.attempted_at, t.id",
        columns.join(", ")
    )
});

impl<DB: Backend> SqlStore<DB> {
    /// The account's jobs the filter matches, newest first.
    async fn jobs_of(
        &self,
        account_id: Uuid,
        filter: &JobFilter,
        page: Page,
    ) -> Result<Vec<Job>, StoreError> {
        let query = sql_built(&LIST_JOBS)
            .param(DbId(account_id))
            .param(filter.state)
            .param(DbId(page.upper_bound()))
            .param(page.limit)
            .param(filter.client_id.map(DbId));
        Ok(into_all::<JobRow, _>(self.read_all(query).await?))
    }

    /// One job, of the account if one is given.
    async fn job_of(&self, account_id: Option<Uuid>, id: Uuid) -> Result<Job, StoreError> {
        let query = sql_built(&GET_JOB_OF)
            .param(DbId(id))
            .param(account_id.map(DbId));
        let row: JobRow = self.read_one(query).await?;
        Ok(row.into())
    }

    /// The jobs (all of one account) with their attempts, read by id range.
    async fn with_attempts(&self, jobs: Vec<Job>) -> Result<Vec<JobWithAttempts>, StoreError> {
        let mut out: Vec<JobWithAttempts> = jobs
            .into_iter()
            .map(|job| JobWithAttempts {
                job,
                attempts_log: Vec::new(),
            })
            .collect();
        let (Some(low), Some(high), Some(first)) = (
            out.iter().map(|j| j.job.id).min(),
            out.iter().map(|j| j.job.id).max(),
            out.first(),
        ) else {
            return Ok(out);
        };
        let query = sql_built(&ATTEMPTS_OF_RANGE)
            .param(DbId(first.job.account_id))
            .param(DbId(low))
            .param(DbId(high));
        let rows: Vec<JobAttemptRow> = self.read_all(query).await?;
        for row in rows {
            if let Some(job) = out.iter_mut().find(|j| j.job.id == row.job_id.0) {
                job.attempts_log.push(row.into());
            }
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl<DB: Backend> QueueStore for SqlStore<DB> {
    async fn list_jobs(&self, account_id: Uuid, page: Page) -> Result<Vec<Job>, StoreError> {
        self.jobs_of(account_id, &JobFilter::default(), page).await
    }

    async fn list_jobs_with_attempts(
        &self,
        account_id: Uuid,
        filter: &JobFilter,
        page: Page,
    ) -> Result<Vec<JobWithAttempts>, StoreError> {
        let jobs = self.jobs_of(account_id, filter, page).await?;
        self.with_attempts(jobs).await
    }

    async fn get_job_with_attempts(
        &self,
        account_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<JobWithAttempts, StoreError> {
        let job = self.job_of(account_id, id).await?;
        self.with_attempts(vec![job])
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn retry_job(
        &self,
        account_id: Option<Uuid>,
        id: Uuid,
    ) -> Result<RetryOutcome, StoreError> {
        let now = DbTime::now();
        let query = sql(
            "UPDATE jobs SET state = 'queued', due_at = $3, attempts = 0, lease_until = NULL, \
             last_error = NULL, updated_at = $3 WHERE id = $1 AND ($2 IS NULL OR account_id = $2) \
             AND state IN ('delivered', 'dead', 'skipped')",
        )
        .param(DbId(id))
        .param(account_id.map(DbId))
        .param(now);
        let requeued = self.write(query).await? > 0;
        let job = self.job_of(account_id, id).await?;
        Ok(if requeued {
            RetryOutcome::Requeued(job)
        } else {
            RetryOutcome::StillPending(job)
        })
    }

    async fn count_jobs(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        let query = sql("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state");
        let rows: Vec<StateCountRow> = self.read_all(query).await?;
        Ok(rows.into_iter().map(|r| (r.state, r.n)).collect())
    }

    async fn retry_dead_jobs(&self, account_id: Uuid, webhook_id: Uuid) -> Result<u64, StoreError> {
        let now = DbTime::now();
        let query = sql(
            "UPDATE jobs SET state = 'queued', due_at = $3, attempts = 0, lease_until = NULL, \
             last_error = NULL, updated_at = $3 WHERE account_id = $1 AND webhook_id = $2 \
             AND state = 'dead'",
        )
        .param(DbId(account_id))
        .param(DbId(webhook_id))
        .param(now);
        self.write(query).await
    }
}
