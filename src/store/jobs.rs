//! The durable job queue as the delivery worker sees it: claiming due jobs under a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single write lock on SQLite),
//! recording each attempt with the job's next state, queuing a webhook on demand,
//! and reading back jobs and their attempt log. Implemented for both backends by
//! [`impl_job_store!`], next to `impl_store!`.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Client, Job, LeadSourceRef, StoreError, Webhook};

/// The queue operations of the delivery worker.
#[async_trait::async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Reserve up to `limit` jobs of `kind` that are due (or whose worker's lease has
    /// passed) for `lease_seconds`: each comes back `running`, its `attempts` already
    /// counting the attempt about to be made.
    async fn claim_due_jobs(
        &self,
        kind: &str,
        limit: i64,
        lease_seconds: i64,
    ) -> Result<Vec<Job>, StoreError>;

    /// Log an attempt of a claimed job and move the job on. The job changes only
    /// while it is still held by this claim (`job.attempts` is the claim's number);
    /// returns whether it was.
    async fn finish_attempt(
        &self,
        job: &Job,
        attempt: &NewAttempt,
        next: &JobNext,
    ) -> Result<bool, StoreError>;

    /// Queue one webhook of the client's account for the client, due now.
    async fn queue_webhook_job(&self, client_id: Uuid, webhook_id: Uuid)
    -> Result<Job, StoreError>;

    /// One job.
    async fn find_job(&self, id: Uuid) -> Result<Job, StoreError>;
    /// One webhook, with its secret.
    async fn find_webhook(&self, id: Uuid) -> Result<Webhook, StoreError>;
    /// A job's attempts, oldest first.
    async fn job_attempts(&self, job_id: Uuid) -> Result<Vec<super::JobAttempt>, StoreError>;
    /// What a body template is rendered over: the client, its account and lead source.
    async fn delivery_context(&self, client_id: Uuid) -> Result<DeliveryContext, StoreError>;
}

/// One attempt as it is logged.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub attempted_at: OffsetDateTime,
    /// The answer's status, when one came.
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// The first KiB of the answer's body.
    pub response: Option<String>,
    pub error: Option<String>,
}

/// Where a job goes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobNext {
    Delivered,
    Retry {
        due_at: OffsetDateTime,
        error: String,
    },
    Dead {
        error: String,
    },
    /// Not sent, and never will be (e.g. no SMTP server configured); the reason
    /// becomes the job's `last_error`.
    Skipped {
        reason: String,
    },
}

/// The account's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRef {
    pub id: Uuid,
    pub name: String,
}

/// Everything a webhook body is rendered over.
#[derive(Debug, Clone)]
pub struct DeliveryContext {
    pub client: Client,
    pub account: AccountRef,
    pub lead_source: Option<LeadSourceRef>,
}

macro_rules! impl_job_store {
    ($store:ident, $lock:literal) => {
        impl $store {
            /// A `jobs` row (used by every store macro of this backend).
            fn job_from_row(
                row: &<DbKind as sqlx::Database>::Row,
            ) -> Result<$crate::store::Job, sqlx::Error> {
                use sqlx::Row as _;
                use $crate::store::types::{DbId, DbTime};
                Ok($crate::store::Job {
                    id: row.try_get::<DbId, _>("id")?.0,
                    account_id: row.try_get::<DbId, _>("account_id")?.0,
                    client_id: row.try_get::<Option<DbId>, _>("client_id")?.map(|d| d.0),
                    kind: row.try_get("kind")?,
                    webhook_id: row.try_get::<Option<DbId>, _>("webhook_id")?.map(|d| d.0),
                    state: row.try_get("state")?,
                    due_at: row.try_get::<DbTime, _>("due_at")?.0,
                    attempts: i64::from(row.try_get::<i32, _>("attempts")?),
                    message_id: row.try_get("message_id")?,
                    last_error: row.try_get("last_error")?,
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::JobStore for $store {
            async fn claim_due_jobs(
                &self,
                kind: &str,
                limit: i64,
                lease_seconds: i64,
            ) -> Result<Vec<$crate::store::Job>, StoreError> {
                use $crate::store::types::DbTime;
                let now = DbTime::now();
                let lease_until = DbTime::from(now.0 + time::Duration::seconds(lease_seconds));
                // A plain read first, so an idle poll never takes SQLite's write lock.
                let any_due = sqlx::query(
                    "SELECT id FROM jobs WHERE kind = $1 AND ((state IN ('queued', 'retrying') \
                     AND due_at <= $2) OR (state = 'running' AND lease_until <= $2)) LIMIT 1",
                )
                .bind(kind)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                if any_due.is_none() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_write().await?;
                // The chosen ids are materialized once, so the LIMIT holds however
                // the UPDATE is planned.
                let rows = sqlx::query(concat!(
                    "WITH due AS MATERIALIZED (SELECT id FROM jobs \
                     WHERE kind = $3 AND ((state IN ('queued', 'retrying') AND due_at <= $2) \
                     OR (state = 'running' AND lease_until <= $2)) ORDER BY due_at, id LIMIT $4 ",
                    $lock,
                    ") UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                     lease_until = $1, updated_at = $2 WHERE id IN (SELECT id FROM due) \
                     RETURNING id, account_id, client_id, kind, webhook_id, state, due_at, \
                     attempts, message_id, last_error, created_at"
                ))
                .bind(lease_until)
                .bind(now)
                .bind(kind)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let mut jobs = rows
                    .iter()
                    .map(Self::job_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                jobs.sort_by_key(|j| (j.due_at, j.id));
                Ok(jobs)
            }

            async fn finish_attempt(
                &self,
                job: &$crate::store::Job,
                attempt: &$crate::store::NewAttempt,
                next: &$crate::store::JobNext,
            ) -> Result<bool, StoreError> {
                use $crate::store::JobNext;
                use $crate::store::types::{DbId, DbTime};
                let now = DbTime::now();
                let (state, due_at, error) = match next {
                    JobNext::Delivered => ("delivered", None, None),
                    JobNext::Retry { due_at, error } => {
                        ("retrying", Some(DbTime::from(*due_at)), Some(error.as_str()))
                    }
                    JobNext::Dead { error } => ("dead", None, Some(error.as_str())),
                    JobNext::Skipped { reason } => ("skipped", None, Some(reason.as_str())),
                };
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO job_attempts (id, job_id, attempted_at, status_code, latency_ms, \
                     response, error, request_id) SELECT $1, j.id, $3, $4, $5, $6, $7, j.request_id \
                     FROM jobs j WHERE j.id = $2",
                )
                .bind(DbId($crate::store::new_id()))
                .bind(DbId(job.id))
                .bind(DbTime::from(attempt.attempted_at))
                .bind(attempt.status_code.map(i32::from))
                .bind(attempt.latency_ms)
                .bind(attempt.response.as_deref())
                .bind(attempt.error.as_deref())
                .execute(&mut *tx)
                .await?;
                let updated = sqlx::query(
                    "UPDATE jobs SET state = $2, due_at = COALESCE($3, due_at), lease_until = NULL, \
                     last_error = $4, updated_at = $5 \
                     WHERE id = $1 AND state = 'running' AND attempts = $6",
                )
                .bind(DbId(job.id))
                .bind(state)
                .bind(due_at)
                .bind(error)
                .bind(now)
                .bind(job.attempts as i32)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(updated.rows_affected() > 0)
            }

            async fn queue_webhook_job(
                &self,
                client_id: uuid::Uuid,
                webhook_id: uuid::Uuid,
            ) -> Result<$crate::store::Job, StoreError> {
                use $crate::store::types::{DbId, DbTime};
                let id = $crate::store::new_id();
                let now = DbTime::now();
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(
                    "INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, \
                     attempts, message_id, last_error, created_at, updated_at) \
                     SELECT $1, c.account_id, c.id, 'webhook', w.id, 'queued', $4, 0, $5, NULL, $4, $4 \
                     FROM clients c JOIN webhooks w ON w.account_id = c.account_id \
                     WHERE c.id = $2 AND w.id = $3",
                )
                .bind(DbId(id))
                .bind(DbId(client_id))
                .bind(DbId(webhook_id))
                .bind(now)
                .bind($crate::store::shared::message_id())
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                $crate::store::JobStore::find_job(self, id).await
            }

            async fn find_job(&self, id: uuid::Uuid) -> Result<$crate::store::Job, StoreError> {
                use $crate::store::types::DbId;
                let row = sqlx::query(
                    "SELECT id, account_id, client_id, kind, webhook_id, state, due_at, attempts, \
                     message_id, last_error, created_at FROM jobs WHERE id = $1",
                )
                .bind(DbId(id))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                Ok(Self::job_from_row(&row)?)
            }

            async fn find_webhook(
                &self,
                id: uuid::Uuid,
            ) -> Result<$crate::store::Webhook, StoreError> {
                use sqlx::Row as _;
                use $crate::store::types::{DbId, DbTime};
                let row = sqlx::query(
                    "SELECT id, account_id, name, preset, url, method, headers, body, secret, \
                     created_at FROM webhooks WHERE id = $1",
                )
                .bind(DbId(id))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                let headers: sqlx::types::Json<serde_json::Value> = row.try_get("headers")?;
                let body: Option<sqlx::types::Json<serde_json::Value>> = row.try_get("body")?;
                Ok($crate::store::Webhook {
                    id: row.try_get::<DbId, _>("id")?.0,
                    account_id: row.try_get::<DbId, _>("account_id")?.0,
                    name: row.try_get("name")?,
                    preset: row.try_get("preset")?,
                    url: row.try_get("url")?,
                    method: row.try_get("method")?,
                    headers: headers.0,
                    body: body.map(|b| b.0),
                    secret: row.try_get("secret")?,
                    created_at: row.try_get::<DbTime, _>("created_at")?.0,
                })
            }

            async fn job_attempts(
                &self,
                job_id: uuid::Uuid,
            ) -> Result<Vec<$crate::store::JobAttempt>, StoreError> {
                use sqlx::Row as _;
                use $crate::store::types::{DbId, DbTime};
                let rows = sqlx::query(
                    "SELECT id, job_id, attempted_at, status_code, latency_ms, response, error, request_id \
                     FROM job_attempts WHERE job_id = $1 ORDER BY attempted_at, id",
                )
                .bind(DbId(job_id))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::store::JobAttempt {
                            id: row.try_get::<DbId, _>("id")?.0,
                            attempted_at: row.try_get::<DbTime, _>("attempted_at")?.0,
                            status_code: row.try_get::<Option<i32>, _>("status_code")?,
                            latency_ms: row.try_get("latency_ms")?,
                            response: row.try_get("response")?,
                            error: row.try_get("error")?,
                            request_id: row.try_get("request_id")?,
                        })
                    })
                    .collect()
            }

            async fn delivery_context(
                &self,
                client_id: uuid::Uuid,
            ) -> Result<$crate::store::DeliveryContext, StoreError> {
                use sqlx::Row as _;
                use $crate::store::types::DbId;
                let row = sqlx::query(
                    "SELECT a.id AS account_id, a.name AS account_name, s.id AS source_id, \
                     s.name AS source_name FROM clients c JOIN accounts a ON a.id = c.account_id \
                     LEFT JOIN lead_sources s ON s.id = c.lead_source_id WHERE c.id = $1",
                )
                .bind(DbId(client_id))
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                let lead_source = match row.try_get::<Option<DbId>, _>("source_id")? {
                    Some(id) => Some($crate::store::LeadSourceRef {
                        id: id.0,
                        name: row.try_get("source_name")?,
                    }),
                    None => None,
                };
                let account = $crate::store::AccountRef {
                    id: row.try_get::<DbId, _>("account_id")?.0,
                    name: row.try_get("account_name")?,
                };
                let client = $crate::store::Store::get_client(self, client_id).await?;
                Ok($crate::store::DeliveryContext {
                    client,
                    account,
                    lead_source,
                })
            }
        }
    };
}

pub(crate) use impl_job_store;
