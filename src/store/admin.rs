//! The reads and edits the admin API and the CLI need beyond intake: account
//! changes, key rotation, account-scoped look-ups and lists, notification
//! flags, job listing with attempts and manual retry. [`AdminStore`] is
//! implemented once for both backends by [`impl_admin_store!`].

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Account, ActionPlan, Job, LeadSource, Notification, Page, StoreError, Webhook};

/// Changes to an account; `None` leaves a value as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub owner_email: Option<Option<String>>,
    pub owner_phone: Option<Option<String>>,
    /// Must be one of the account's plans (else [`StoreError::NotFound`]).
    pub default_action_plan_id: Option<Option<Uuid>>,
}

/// The result of a key rotation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotatedKey {
    /// The new current key.
    pub web_key: String,
    /// The key that was current until now, if there was one.
    pub previous_web_key: Option<String>,
    /// When the previous key stops working.
    #[serde(with = "time::serde::rfc3339::option")]
    pub previous_expires_at: Option<OffsetDateTime>,
}

/// Filters for listing jobs.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// `queued`, `running`, `retrying`, `delivered`, `dead` or `skipped`.
    pub state: Option<String>,
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

/// The admin side of the store.
#[async_trait::async_trait]
pub trait AdminStore: Send + Sync {
    /// Accounts, newest first.
    async fn list_accounts(&self, page: Page) -> Result<Vec<Account>, StoreError>;
    /// Apply `changes` and read the account back.
    async fn update_account(
        &self,
        id: Uuid,
        changes: &AccountChanges,
    ) -> Result<Account, StoreError>;
    /// Make `new_key` the current key of the account (`lead_source_id` `None`) or of
    /// one of its lead sources; the key current until now works `grace_seconds` more.
    async fn rotate_web_key(
        &self,
        account_id: Uuid,
        lead_source_id: Option<Uuid>,
        new_key: &str,
        grace_seconds: i64,
    ) -> Result<RotatedKey, StoreError>;

    async fn get_lead_source(&self, account_id: Uuid, id: Uuid) -> Result<LeadSource, StoreError>;
    async fn list_lead_sources(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<LeadSource>, StoreError>;
    async fn get_action_plan(&self, account_id: Uuid, id: Uuid) -> Result<ActionPlan, StoreError>;
    async fn list_action_plans(
        &self,
        account_id: Uuid,
        page: Page,
    ) -> Result<Vec<ActionPlan>, StoreError>;
    async fn list_webhooks(&self, account_id: Uuid, page: Page)
    -> Result<Vec<Webhook>, StoreError>;

    /// The names of the account's custom fields, oldest first.
    async fn list_custom_field_names(&self, account_id: Uuid) -> Result<Vec<String>, StoreError>;

    /// Mark an in-app notification read or unread.
    async fn set_notification_read(
        &self,
        account_id: Uuid,
        id: Uuid,
        read: bool,
    ) -> Result<Notification, StoreError>;

    /// The account's jobs, newest first, each with its attempts.
    async fn find_jobs(
        &self,
        account_id: Uuid,
        filter: &JobFilter,
        page: Page,
    ) -> Result<Vec<JobWithAttempts>, StoreError>;
    /// One job with its attempts; `account_id` restricts it to one account.
    async fn get_job(
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
}

macro_rules! impl_admin_store {
    ($store:ident) => {
        mod admin_store_impl {
            use sqlx::Row as _;
            use super::{$store, DbKind};
            use $crate::store::admin::*;
            use $crate::store::types::{DbId, DbTime};
            use $crate::store::{
                Account, ActionPlan, Job, LeadSource, Notification, Page, PlanStep, StoreError,
                Webhook,
            };
            use uuid::Uuid;

            type Row = <DbKind as sqlx::Database>::Row;

            fn id_of(row: &Row, name: &str) -> Result<Uuid, sqlx::Error> {
                Ok(row.try_get::<DbId, _>(name)?.0)
            }

            fn opt_id(row: &Row, name: &str) -> Result<Option<Uuid>, sqlx::Error> {
                Ok(row.try_get::<Option<DbId>, _>(name)?.map(|d| d.0))
            }

            fn time_of(row: &Row, name: &str) -> Result<time::OffsetDateTime, sqlx::Error> {
                Ok(row.try_get::<DbTime, _>(name)?.0)
            }

            fn attempt_from_row(row: &Row) -> Result<JobAttempt, sqlx::Error> {
                Ok(JobAttempt {
                    id: id_of(row, "id")?,
                    attempted_at: time_of(row, "attempted_at")?,
                    status_code: row.try_get("status_code")?,
                    latency_ms: row.try_get("latency_ms")?,
                    response: row.try_get("response")?,
                    error: row.try_get("error")?,
                    request_id: row.try_get("request_id")?,
                })
            }

            fn lead_source_from_row(row: &Row) -> Result<LeadSource, sqlx::Error> {
                Ok(LeadSource {
                    id: id_of(row, "id")?,
                    account_id: id_of(row, "account_id")?,
                    name: row.try_get("name")?,
                    web_key: row.try_get::<Option<String>, _>("web_key")?.unwrap_or_default(),
                    action_plan_id: opt_id(row, "action_plan_id")?,
                    created_at: time_of(row, "created_at")?,
                })
            }

            fn account_from_row(row: &Row) -> Result<Account, sqlx::Error> {
                Ok(Account {
                    id: id_of(row, "id")?,
                    name: row.try_get("name")?,
                    web_key: row.try_get::<Option<String>, _>("web_key")?.unwrap_or_default(),
                    owner_email: row.try_get("owner_email")?,
                    owner_phone: row.try_get("owner_phone")?,
                    default_action_plan_id: opt_id(row, "default_action_plan_id")?,
                    created_at: time_of(row, "created_at")?,
                })
            }

            /// The current key of the row's owner, as a column named `web_key`.
            const ACCOUNT_COLUMNS: &str = "a.id, a.name, a.owner_email, a.owner_phone, \
                a.default_action_plan_id, a.created_at, (SELECT k.key FROM web_keys k \
                WHERE k.account_id = a.id AND k.lead_source_id IS NULL AND k.expires_at IS NULL \
                ORDER BY k.created_at DESC LIMIT 1) AS web_key";
            const SOURCE_COLUMNS: &str = "s.id, s.account_id, s.name, s.action_plan_id, s.created_at, \
                (SELECT k.key FROM web_keys k WHERE k.lead_source_id = s.id AND k.expires_at IS NULL \
                ORDER BY k.created_at DESC LIMIT 1) AS web_key";

            impl $store {
                async fn admin_plan_steps(
                    &self,
                    account_id: Uuid,
                    low: Uuid,
                    high: Uuid,
                ) -> Result<Vec<(Uuid, PlanStep)>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT st.action_plan_id, st.webhook_id, st.delay_seconds FROM action_plan_steps st \
                         JOIN action_plans p ON p.id = st.action_plan_id \
                         WHERE p.account_id = $1 AND p.id >= $2 AND p.id <= $3 \
                         ORDER BY st.action_plan_id, st.position",
                    )
                    .bind(DbId(account_id))
                    .bind(DbId(low))
                    .bind(DbId(high))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            Ok((
                                id_of(row, "action_plan_id")?,
                                PlanStep {
                                    webhook_id: id_of(row, "webhook_id")?,
                                    delay_seconds: row.try_get("delay_seconds")?,
                                },
                            ))
                        })
                        .collect()
                }

                async fn admin_plans(
                    &self,
                    account_id: Uuid,
                    rows: Vec<Row>,
                ) -> Result<Vec<ActionPlan>, StoreError> {
                    let mut plans = rows
                        .iter()
                        .map(|row| {
                            Ok(ActionPlan {
                                id: id_of(row, "id")?,
                                account_id: id_of(row, "account_id")?,
                                name: row.try_get("name")?,
                                steps: Vec::new(),
                                created_at: time_of(row, "created_at")?,
                            })
                        })
                        .collect::<Result<Vec<_>, sqlx::Error>>()?;
                    let (Some(low), Some(high)) = (
                        plans.iter().map(|p| p.id).min(),
                        plans.iter().map(|p| p.id).max(),
                    ) else {
                        return Ok(plans);
                    };
                    for (plan_id, step) in self.admin_plan_steps(account_id, low, high).await? {
                        if let Some(plan) = plans.iter_mut().find(|p| p.id == plan_id) {
                            plan.steps.push(step);
                        }
                    }
                    Ok(plans)
                }

                async fn admin_with_attempts(
                    &self,
                    jobs: Vec<Job>,
                ) -> Result<Vec<JobWithAttempts>, StoreError> {
                    let mut out: Vec<JobWithAttempts> = jobs
                        .into_iter()
                        .map(|job| JobWithAttempts { job, attempts_log: Vec::new() })
                        .collect();
                    let (Some(low), Some(high)) = (
                        out.iter().map(|j| j.job.id).min(),
                        out.iter().map(|j| j.job.id).max(),
                    ) else {
                        return Ok(out);
                    };
                    let account_id = out[0].job.account_id;
                    let rows = sqlx::query(
                        "SELECT t.id, t.job_id, t.attempted_at, t.status_code, t.latency_ms, t.response, \
                         t.error, t.request_id FROM job_attempts t JOIN jobs j ON j.id = t.job_id \
                         WHERE j.account_id = $1 AND j.id >= $2 AND j.id <= $3 \
                         ORDER BY t.job_id, t.attempted_at, t.id",
                    )
                    .bind(DbId(account_id))
                    .bind(DbId(low))
                    .bind(DbId(high))
                    .fetch_all(&self.pool)
                    .await?;
                    for row in &rows {
                        let job_id = id_of(row, "job_id")?;
                        if let Some(job) = out.iter_mut().find(|j| j.job.id == job_id) {
                            job.attempts_log.push(attempt_from_row(row)?);
                        }
                    }
                    Ok(out)
                }

                async fn admin_job(
                    &self,
                    account_id: Option<Uuid>,
                    id: Uuid,
                ) -> Result<Job, StoreError> {
                    let row = sqlx::query(
                        "SELECT id, account_id, client_id, kind, webhook_id, state, due_at, attempts, \
                         message_id, last_error, created_at FROM jobs \
                         WHERE id = $1 AND ($2 IS NULL OR account_id = $2)",
                    )
                    .bind(DbId(id))
                    .bind(account_id.map(DbId))
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    Ok($store::job_from_row(&row)?)
                }
            }

            #[async_trait::async_trait]
            impl AdminStore for $store {
                async fn list_accounts(&self, page: Page) -> Result<Vec<Account>, StoreError> {
                    let sql = format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id < $1 \
                         ORDER BY a.id DESC LIMIT $2"
                    );
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(DbId(page.upper_bound()))
                        .bind(page.limit)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.iter().map(account_from_row).collect::<Result<_, _>>()?)
                }

                async fn update_account(
                    &self,
                    id: Uuid,
                    changes: &AccountChanges,
                ) -> Result<Account, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1")
                        .bind(DbId(id))
                        .fetch_optional(&mut *tx)
                        .await?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound);
                    }
                    if let Some(name) = &changes.name {
                        sqlx::query("UPDATE accounts SET name = $2 WHERE id = $1")
                            .bind(DbId(id))
                            .bind(name)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(email) = &changes.owner_email {
                        sqlx::query("UPDATE accounts SET owner_email = $2 WHERE id = $1")
                            .bind(DbId(id))
                            .bind(email.as_deref())
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(phone) = &changes.owner_phone {
                        sqlx::query("UPDATE accounts SET owner_phone = $2 WHERE id = $1")
                            .bind(DbId(id))
                            .bind(phone.as_deref())
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(plan) = changes.default_action_plan_id {
                        let done = sqlx::query(
                            "UPDATE accounts SET default_action_plan_id = $2 WHERE id = $1 \
                             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM action_plans p \
                             WHERE p.id = $2 AND p.account_id = $1))",
                        )
                        .bind(DbId(id))
                        .bind(plan.map(DbId))
                        .execute(&mut *tx)
                        .await?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::NotFound);
                        }
                    }
                    tx.commit().await?;
                    $crate::store::Store::get_account(self, id).await
                }

                async fn rotate_web_key(
                    &self,
                    account_id: Uuid,
                    lead_source_id: Option<Uuid>,
                    new_key: &str,
                    grace_seconds: i64,
                ) -> Result<RotatedKey, StoreError> {
                    let now = DbTime::now();
                    let expires = DbTime::from(now.0 + time::Duration::seconds(grace_seconds.max(0)));
                    let mut tx = self.begin_write().await?;
                    let owner = match lead_source_id {
                        Some(source) => sqlx::query(
                            "SELECT id FROM lead_sources WHERE id = $1 AND account_id = $2",
                        )
                        .bind(DbId(source))
                        .bind(DbId(account_id))
                        .fetch_optional(&mut *tx)
                        .await?,
                        None => sqlx::query("SELECT id FROM accounts WHERE id = $1")
                            .bind(DbId(account_id))
                            .fetch_optional(&mut *tx)
                            .await?,
                    };
                    if owner.is_none() {
                        return Err(StoreError::NotFound);
                    }
                    let previous = sqlx::query(
                        "UPDATE web_keys SET expires_at = $3 WHERE account_id = $1 \
                         AND lead_source_id IS NOT DISTINCT FROM $2 AND expires_at IS NULL RETURNING key",
                    )
                    .bind(DbId(account_id))
                    .bind(lead_source_id.map(DbId))
                    .bind(expires)
                    .fetch_all(&mut *tx)
                    .await?;
                    Self::insert_web_key(&mut tx, new_key, account_id, lead_source_id, now).await?;
                    tx.commit().await?;
                    let previous_web_key = previous
                        .first()
                        .map(|row| row.try_get::<String, _>("key"))
                        .transpose()?;
                    Ok(RotatedKey {
                        web_key: new_key.to_string(),
                        previous_expires_at: previous_web_key.as_ref().map(|_| expires.0),
                        previous_web_key,
                    })
                }

                async fn get_lead_source(
                    &self,
                    account_id: Uuid,
                    id: Uuid,
                ) -> Result<LeadSource, StoreError> {
                    let sql = format!(
                        "SELECT {SOURCE_COLUMNS} FROM lead_sources s WHERE s.id = $1 AND s.account_id = $2"
                    );
                    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(DbId(id))
                        .bind(DbId(account_id))
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    Ok(lead_source_from_row(&row)?)
                }

                async fn list_lead_sources(
                    &self,
                    account_id: Uuid,
                    page: Page,
                ) -> Result<Vec<LeadSource>, StoreError> {
                    let sql = format!(
                        "SELECT {SOURCE_COLUMNS} FROM lead_sources s WHERE s.account_id = $1 \
                         AND s.id < $2 ORDER BY s.id DESC LIMIT $3"
                    );
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(DbId(account_id))
                        .bind(DbId(page.upper_bound()))
                        .bind(page.limit)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.iter().map(lead_source_from_row).collect::<Result<_, _>>()?)
                }

                async fn get_action_plan(
                    &self,
                    account_id: Uuid,
                    id: Uuid,
                ) -> Result<ActionPlan, StoreError> {
                    let rows = sqlx::query(
                        "SELECT id, account_id, name, created_at FROM action_plans \
                         WHERE id = $1 AND account_id = $2",
                    )
                    .bind(DbId(id))
                    .bind(DbId(account_id))
                    .fetch_all(&self.pool)
                    .await?;
                    self.admin_plans(account_id, rows)
                        .await?
                        .into_iter()
                        .next()
                        .ok_or(StoreError::NotFound)
                }

                async fn list_action_plans(
                    &self,
                    account_id: Uuid,
                    page: Page,
                ) -> Result<Vec<ActionPlan>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT id, account_id, name, created_at FROM action_plans WHERE account_id = $1 \
                         AND id < $2 ORDER BY id DESC LIMIT $3",
                    )
                    .bind(DbId(account_id))
                    .bind(DbId(page.upper_bound()))
                    .bind(page.limit)
                    .fetch_all(&self.pool)
                    .await?;
                    self.admin_plans(account_id, rows).await
                }

                async fn list_webhooks(
                    &self,
                    account_id: Uuid,
                    page: Page,
                ) -> Result<Vec<Webhook>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT id, account_id, name, preset, url, method, headers, body, secret, created_at \
                         FROM webhooks WHERE account_id = $1 AND id < $2 \
                         ORDER BY id DESC LIMIT $3",
                    )
                    .bind(DbId(account_id))
                    .bind(DbId(page.upper_bound()))
                    .bind(page.limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|row| {
                            let headers: sqlx::types::Json<serde_json::Value> = row.try_get("headers")?;
                            let body: Option<sqlx::types::Json<serde_json::Value>> = row.try_get("body")?;
                            Ok(Webhook {
                                id: id_of(row, "id")?,
                                account_id: id_of(row, "account_id")?,
                                name: row.try_get("name")?,
                                preset: row.try_get("preset")?,
                                url: row.try_get("url")?,
                                method: row.try_get("method")?,
                                headers: headers.0,
                                body: body.map(|b| b.0),
                                secret: row.try_get("secret")?,
                                created_at: time_of(row, "created_at")?,
                            })
                        })
                        .collect()
                }

                async fn list_custom_field_names(
                    &self,
                    account_id: Uuid,
                ) -> Result<Vec<String>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT name FROM custom_fields WHERE account_id = $1 ORDER BY created_at, id",
                    )
                    .bind(DbId(account_id))
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows
                        .iter()
                        .map(|row| row.try_get("name"))
                        .collect::<Result<_, _>>()?)
                }

                async fn set_notification_read(
                    &self,
                    account_id: Uuid,
                    id: Uuid,
                    read: bool,
                ) -> Result<Notification, StoreError> {
                    let row = sqlx::query(
                        "UPDATE notifications SET read = $3 WHERE id = $1 AND account_id = $2 \
                         RETURNING id, kind, client_id, message, read, created_at",
                    )
                    .bind(DbId(id))
                    .bind(DbId(account_id))
                    .bind(i16::from(read))
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    Ok(Notification {
                        id: id_of(&row, "id")?,
                        kind: row.try_get("kind")?,
                        client_id: opt_id(&row, "client_id")?,
                        message: row.try_get("message")?,
                        read: row.try_get::<i16, _>("read")? != 0,
                        created_at: time_of(&row, "created_at")?,
                    })
                }

                async fn find_jobs(
                    &self,
                    account_id: Uuid,
                    filter: &JobFilter,
                    page: Page,
                ) -> Result<Vec<JobWithAttempts>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT id, account_id, client_id, kind, webhook_id, state, due_at, attempts, \
                         message_id, last_error, created_at FROM jobs \
                         WHERE account_id = $1 AND ($2 IS NULL OR state = $2) AND id < $3 \
                         ORDER BY id DESC LIMIT $4",
                    )
                    .bind(DbId(account_id))
                    .bind(filter.state.as_deref())
                    .bind(DbId(page.upper_bound()))
                    .bind(page.limit)
                    .fetch_all(&self.pool)
                    .await?;
                    let jobs = rows.iter().map($store::job_from_row).collect::<Result<Vec<_>, _>>()?;
                    self.admin_with_attempts(jobs).await
                }

                async fn get_job(
                    &self,
                    account_id: Option<Uuid>,
                    id: Uuid,
                ) -> Result<JobWithAttempts, StoreError> {
                    let job = self.admin_job(account_id, id).await?;
                    self.admin_with_attempts(vec![job])
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
                    let done = sqlx::query(
                        "UPDATE jobs SET state = 'queued', due_at = $3, attempts = 0, lease_until = NULL, \
                         last_error = NULL, updated_at = $3 WHERE id = $1 AND ($2 IS NULL OR account_id = $2) \
                         AND state IN ('delivered', 'dead', 'skipped')",
                    )
                    .bind(DbId(id))
                    .bind(account_id.map(DbId))
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                    let job = self.admin_job(account_id, id).await?;
                    Ok(if done.rows_affected() == 0 {
                        RetryOutcome::StillPending(job)
                    } else {
                        RetryOutcome::Requeued(job)
                    })
                }
            }
        }
    };
}

pub(crate) use impl_admin_store;
